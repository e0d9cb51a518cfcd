"""Contextual loss (Mechrez, Talmi & Zelnik-Manor, ECCV 2018), as the authors' code defines it
(roimehrez/contextualLoss: config.py, CX_helper.py, CX/CSFlow.py).

Features: VGG19 conv3_2 and conv4_2 after their ReLU (the official `build_net('conv', ...)` applies the ReLU;
our names relu3_2 / relu4_2), weight 1.0 each. For pred features {x_i} and target features {y_j}, one per
spatial position:
    mu    = mean target feature over the batch and all positions        (CSFlow.center_by_T)
    d_ij  = (1 - cos(x_i - mu, y_j - mu)) / 2                           (dot-product distance in [0, 1])
    d~_ij = d_ij / (min_k d_ik + 1e-5)
    w_ij  = exp((1 - d~_ij) / h), h = 0.5;   CX_ij = w_ij / sum_k w_ik
    CX    = mean_j max_i CX_ij,   loss = mean over the batch of -log(CX)
Maps with more than `max_side`^2 positions (65^2 officially) are reduced by random spatial sampling: the same
`max_side`^2 positions, drawn afresh at every call, for prediction and target (CX_helper.random_pooling). The
draw uses the global torch RNG, whose state training checkpoints save, so a resumed run draws what an
uninterrupted run draws. Differences we keep: torchvision's max-pooling VGG19 on ImageNet-normalised input
(the official code uses the MatConvNet VGG19 with average pooling on mean-subtracted 0-255 input).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..feature_nets import load_feature_net
from .base import LossTerm, check_pair


def sample_positions(x: torch.Tensor, y: torch.Tensor, max_points: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, H, W) pair -> (B, C, N) each, N <= max_points: all positions, or the same random subset of both."""
    fx, fy = x.flatten(2), y.flatten(2)
    n = fx.shape[-1]
    if n <= max_points:
        return fx, fy
    keep = torch.randperm(n)[:max_points].to(x.device)  # global CPU RNG: saved in checkpoints
    return fx[..., keep], fy[..., keep]


def contextual_similarity(x: torch.Tensor, y: torch.Tensor, h: float = 0.5, eps: float = 1e-5) -> torch.Tensor:
    """CX(x, y) per image, (B,) in (0, 1]; x, y are (B, C, N) samples (columns = positions)."""
    mu = y.mean(dim=(0, 2), keepdim=True)  # over the batch and positions, as CSFlow.center_by_T
    xn = F.normalize(x - mu, dim=1)
    yn = F.normalize(y - mu, dim=1)
    d = ((1.0 - xn.transpose(1, 2) @ yn) / 2.0).clamp_min(0.0)  # (B, Nx, Ny)
    d_rel = d / (d.min(dim=2, keepdim=True).values + eps)
    cx = torch.softmax((1.0 - d_rel) / h, dim=2)  # = exp((1 - d~)/h) normalised over the target positions
    return cx.max(dim=1).values.mean(dim=1)


class ContextualLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19", layers: Sequence[str] = ("relu3_2", "relu4_2"),
                 layer_weights: Sequence[float] | None = None, h: float = 0.5, eps: float = 1e-5,
                 max_side: int = 65, weights: str = "imagenet", cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        self.layers = list(layers)
        self.layer_weights = list(layer_weights) if layer_weights is not None else [1.0] * len(self.layers)
        if len(self.layer_weights) != len(self.layers):
            raise ValueError(f"contextual loss: {len(self.layers)} layers but {len(self.layer_weights)} weights")
        self.h, self.eps, self.max_points = h, eps, int(max_side) ** 2
        self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
        for name in self.layers:  # fail early on unknown layer names
            self.features.index_of(name)
        self.provenance = {"term": "contextual", **info, "layers": self.layers, "h": h,
                           "sampling": f"random {max_side}x{max_side} positions when larger"}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "contextual loss")
        total = pred.new_zeros(())
        for w, a, b in zip(self.layer_weights, self.features(pred, self.layers), self.features(target, self.layers)):
            cx = contextual_similarity(*sample_positions(a, b, self.max_points), self.h, self.eps)
            total = total + w * (-torch.log(cx.clamp_min(1e-12))).mean()
        return total
