"""Distribution losses: compare the distributions (not the positions) of deep features via sorted 1-D samples.

- PDL, projected distribution loss (Delbracio, Talebi & Milanfar, ICCP 2021, arXiv:2012.09289): for every
  channel of a feature map, the activations at all positions are a 1-D sample; the 1-D Wasserstein-1
  distance between prediction and target samples is the mean absolute difference of the sorted values.
  PDL = sum over layers of the mean over channels of that distance (the channels are the "projections"; no
  random directions). `PixelPDL` is the same on the RGB channels.
- FDL, frequency distribution loss (Ni et al., CVPR 2024), as the authors' code defines it (eezkni/FDL,
  FDL_pytorch/FDL.py and models.py): VGG19 relu1_2, relu2_2, relu3_4, relu4_4, relu5_4 on ImageNet-normalised
  input; per layer, the 2-D DFT of each channel; amplitude and phase compared each by a sliced Wasserstein
  distance over `num_projections` = 256 random unit projections of patch_size x patch_size x C patches (conv2d,
  stride 1); loss = sum over layers of (amplitude + phase_weight * phase), mean over the batch. The projections
  are drawn once at construction (one set per layer, shared by amplitude and phase) and kept as buffers, as in
  the official code; we draw them from `seed` so a run is a function of its config, and a checkpoint records
  their fingerprint (`CompositeLoss.fingerprint`).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..feature_nets import load_feature_net
from .base import LossTerm, check_pair

VGG19_FIVE = ("relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4")


def sorted_w1(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """1-D Wasserstein-1 between equal-size samples along the last axis, averaged over the middle axes:
    (B, P, N) each -> (B,) = mean_p mean_n |sort(px_p)_n - sort(py_p)_n|."""
    return (px.sort(dim=-1).values - py.sort(dim=-1).values).abs().mean(dim=(-2, -1))


def channel_w1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature maps -> (B,): mean over channels of the W1 distance of their activations."""
    return sorted_w1(x.flatten(2), y.flatten(2))


class ProjectedDistributionLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19", layers: Sequence[str] = VGG19_FIVE,
                 layer_weights: Sequence[float] | None = None, weights: str = "imagenet",
                 cache_dir: str | None = None, seed: int = 0, pixel: bool = False):
        super().__init__()
        self.pixel = pixel
        self.layers = ["rgb"] if pixel else list(layers)
        self.layer_weights = list(layer_weights) if layer_weights is not None else [1.0] * len(self.layers)
        if len(self.layer_weights) != len(self.layers):
            raise ValueError(f"pdl: {len(self.layers)} layers but {len(self.layer_weights)} weights")
        info: dict = {"backbone": "pixels"}
        self.features = None
        if not pixel:
            self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
            for name in self.layers:
                self.features.index_of(name)
        self.provenance = {"term": "pdl_pixel" if pixel else "pdl", **info, "layers": self.layers,
                           "projections": "channels (per-channel sorted activations, Delbracio et al.)"}

    def _maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x] if self.pixel else self.features(x, self.layers)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "pdl")
        total = pred.new_zeros(())
        for w, a, b in zip(self.layer_weights, self._maps(pred), self._maps(target)):
            total = total + w * channel_w1(a, b).mean()
        return total


class PixelPDL(ProjectedDistributionLoss):
    """PDL on the RGB channels of the image itself."""

    def __init__(self):
        super().__init__(pixel=True)


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


def unit_projections(n: int, channels: int, patch: int, generator: torch.Generator) -> torch.Tensor:
    """n random directions of R^(channels*patch*patch), as (n, channels, patch, patch) conv kernels of norm 1."""
    w = torch.randn(n, channels, patch, patch, generator=generator, dtype=torch.float64)
    return (w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)).float()


class FrequencyDistributionLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19", layers: Sequence[str] = VGG19_FIVE, num_projections: int = 256,
                 patch_size: int = 5, stride: int = 1, phase_weight: float = 1.0, seed: int = 0,
                 weights: str = "imagenet", cache_dir: str | None = None):
        super().__init__()
        self.layers = list(layers)
        self.patch_size, self.stride, self.phase_weight = patch_size, stride, phase_weight
        self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
        generator = torch.Generator().manual_seed(seed)
        for i, channels in enumerate(self.features.channels(self.layers)):
            self.register_buffer(f"projection_{i}", unit_projections(num_projections, channels, patch_size, generator))
        self.provenance = {"term": "fdl", **info, "layers": self.layers, "num_projections": num_projections,
                           "patch_size": patch_size, "stride": stride, "phase_weight": phase_weight, "seed": seed,
                           "projections": "drawn once from the seed at construction (buffers)"}

    def fixed_tensors(self) -> dict[str, torch.Tensor]:
        return {f"projection_{i}": getattr(self, f"projection_{i}") for i in range(len(self.layers))}

    def _swd(self, a: torch.Tensor, b: torch.Tensor, i: int) -> torch.Tensor:
        w = getattr(self, f"projection_{i}").to(a.dtype)
        p = min(self.patch_size, a.shape[-2], a.shape[-1])
        if p < self.patch_size:  # maps smaller than a patch (tiny crops, deep layers): the top-left p x p of each
            w = w[..., :p, :p]   # fixed kernel, renormalised (the official code would stop here)
            w = w / w.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        pa = F.conv2d(a, w, stride=self.stride).flatten(2)  # (B, P, N)
        pb = F.conv2d(b, w, stride=self.stride).flatten(2)
        return sorted_w1(pa, pb)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "fdl")
        total = pred.new_zeros(())
        for i, (a, b) in enumerate(zip(self.features(pred, self.layers), self.features(target, self.layers))):
            amp_a, ph_a = amplitude_phase(a)
            amp_b, ph_b = amplitude_phase(b)
            total = total + (self._swd(amp_a, amp_b, i) + self.phase_weight * self._swd(ph_a, ph_b, i)).mean()
        return total
