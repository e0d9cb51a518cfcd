"""Distribution losses compared through sliced Wasserstein-1 distances.

- PDL, projected distribution loss (Delbracio et al., 2021): the feature vectors at all positions of an
  image form a point cloud; project it on 1-D directions and compare the sorted projections (the 1-D
  Wasserstein-1 distance) between prediction and target. Directions are either the channel axes
  (projections="channels") or `num_projections` random unit vectors drawn once from `seed`.
  PixelPDL is the same on RGB pixels.
- FDL, frequency distribution loss (Ni et al., CVPR 2024): per VGG layer, take the 2-D DFT of each channel,
  and compare the distributions of amplitude and of phase, each by a sliced Wasserstein distance over
  random projections of `patch_size` x `patch_size` x C patches; loss = sum_l (amp_l + phase_weight * phase_l).
  The official code redraws the projections at every call; we draw them once from `seed`, so a run (and a
  resumed run) is a deterministic function of its config.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..feature_nets import load_feature_net
from .base import LossTerm, check_pair


def sliced_w1(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Mean 1-D Wasserstein-1 distance between projected samples, (B, P, N) each -> (B,)."""
    return (px.sort(dim=-1).values - py.sort(dim=-1).values).abs().mean(dim=(-2, -1))


class _SeededDirections:
    """Random unit directions, one fixed set per (key, dimension), drawn from a seed (not from the global RNG)."""

    def __init__(self, seed: int):
        self.seed = seed
        self._cache: dict = {}

    def get(self, key: int, shape: tuple[int, ...], device, dtype) -> torch.Tensor:
        ck = (key, shape)
        if ck not in self._cache:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + key)
            w = torch.randn(shape, generator=g, dtype=torch.float64)
            self._cache[ck] = (w / w.flatten(1).norm(dim=1).view(-1, *[1] * (len(shape) - 1))).float()
        return self._cache[ck].to(device=device, dtype=dtype)


def projected_w1(x: torch.Tensor, y: torch.Tensor, directions: torch.Tensor | None) -> torch.Tensor:
    """(B, C, H, W) point clouds (one point per position) -> (B,) sliced W1; directions (P, C) or None = axes."""
    fx, fy = x.flatten(2), y.flatten(2)  # (B, C, N)
    if directions is not None:
        fx, fy = directions @ fx, directions @ fy  # (B, P, N)
    return sliced_w1(fx, fy)


class ProjectedDistributionLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19",
                 layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4"),
                 layer_weights: Sequence[float] | None = None, projections: str = "random",
                 num_projections: int = 64, seed: int = 0, weights: str = "imagenet",
                 cache_dir: str | None = None, pixel: bool = False):
        super().__init__()
        if projections not in ("random", "channels"):
            raise ValueError(f"pdl projections must be 'random' or 'channels', got {projections!r}")
        self.pixel = pixel
        self.layers = ["rgb"] if pixel else list(layers)
        self.layer_weights = list(layer_weights) if layer_weights is not None else [1.0] * len(self.layers)
        if len(self.layer_weights) != len(self.layers):
            raise ValueError(f"pdl: {len(self.layers)} layers but {len(self.layer_weights)} weights")
        self.projections, self.num_projections = projections, num_projections
        self.directions = _SeededDirections(seed)
        info: dict = {"backbone": "pixels"}
        self.features = None
        if not pixel:
            self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
            for name in self.layers:
                self.features.index_of(name)
        self.provenance = {"term": "pdl_pixel" if pixel else "pdl", **info, "layers": self.layers,
                           "projections": projections, "num_projections": num_projections, "seed": seed}

    def _maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x] if self.pixel else self.features(x, self.layers)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "pdl")
        total = pred.new_zeros(())
        for i, (w, a, b) in enumerate(zip(self.layer_weights, self._maps(pred), self._maps(target))):
            dirs = None
            if self.projections == "random":
                dirs = self.directions.get(i, (self.num_projections, a.shape[1]), a.device, a.dtype)
            total = total + w * projected_w1(a, b, dirs).mean()
        return total


class PixelPDL(ProjectedDistributionLoss):
    """PDL on RGB pixels (Delbracio et al.'s pixel-space variant)."""

    def __init__(self, projections: str = "channels", num_projections: int = 64, seed: int = 0):
        super().__init__(projections=projections, num_projections=num_projections, seed=seed, pixel=True)


def amplitude_phase(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """DFT amplitude and phase of each channel; phase of (near-)zero coefficients is 0 with a finite gradient."""
    z = torch.fft.fft2(x.float())  # unnormalised, as the official FDL
    re, im = z.real, z.imag
    tiny = (re * re + im * im) < 1e-20
    re_s = torch.where(tiny, torch.ones_like(re), re)
    im_s = torch.where(tiny, torch.zeros_like(im), im)
    amp = torch.sqrt(re_s * re_s + im_s * im_s) * (~tiny)
    phase = torch.where(tiny, torch.zeros_like(re), torch.atan2(im_s, re_s))
    return amp, phase


class FrequencyDistributionLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19",
                 layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4"),
                 num_projections: int = 24, patch_size: int = 5, phase_weight: float = 1.0, seed: int = 0,
                 weights: str = "imagenet", cache_dir: str | None = None):
        super().__init__()
        self.layers = list(layers)
        self.num_projections, self.patch_size, self.phase_weight = num_projections, patch_size, phase_weight
        self.directions = _SeededDirections(seed)
        self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
        for name in self.layers:
            self.features.index_of(name)
        self.provenance = {"term": "fdl", **info, "layers": self.layers, "num_projections": num_projections,
                           "patch_size": patch_size, "phase_weight": phase_weight, "seed": seed}

    def _swd(self, a: torch.Tensor, b: torch.Tensor, key: int) -> torch.Tensor:
        p = min(self.patch_size, a.shape[-2], a.shape[-1])
        w = self.directions.get(key, (self.num_projections, a.shape[1], p, p), a.device, a.dtype)
        pa, pb = F.conv2d(a, w).flatten(2), F.conv2d(b, w).flatten(2)  # (B, P, N)
        return sliced_w1(pa, pb)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "fdl")
        total = pred.new_zeros(())
        for i, (a, b) in enumerate(zip(self.features(pred, self.layers), self.features(target, self.layers))):
            amp_a, ph_a = amplitude_phase(a)
            amp_b, ph_b = amplitude_phase(b)
            total = total + self._swd(amp_a, amp_b, 2 * i).mean() \
                + self.phase_weight * self._swd(ph_a, ph_b, 2 * i + 1).mean()
        return total
