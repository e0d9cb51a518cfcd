"""Contextual loss (Mechrez et al., ECCV 2018): feature-distribution matching that tolerates misalignment.

For pred features {x_i} and target features {y_j} (VGG activations at each spatial position):
    d_ij  = 1 - cos(x_i - mu_y, y_j - mu_y)          (mu_y: mean target feature of that image)
    d~_ij = d_ij / (min_k d_ik + eps)
    CX_ij = softmax_j((1 - d~_ij) / h)
    CX    = mean_j max_i CX_ij,     loss = -log(CX)
Identical inputs give CX ~ 1 (loss ~ 0). The N x N affinity is quadratic in positions, so feature maps with
more than `max_points` positions are average-pooled first (a config key; the original samples patches).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from ..feature_nets import load_feature_net
from .base import LossTerm, check_pair


def shrink_to(x: torch.Tensor, max_points: int) -> torch.Tensor:
    """Average-pool (B, C, H, W) so that H * W <= max_points, keeping the aspect ratio roughly."""
    h, w = x.shape[-2:]
    if h * w <= max_points:
        return x
    s = math.sqrt(max_points / (h * w))
    return F.adaptive_avg_pool2d(x, (max(1, int(h * s)), max(1, int(w * s))))


def contextual_similarity(x: torch.Tensor, y: torch.Tensor, h: float = 0.5, eps: float = 1e-5) -> torch.Tensor:
    """CX(x, y) per image, (B,) in (0, 1]; x, y are (B, C, H, W) feature maps (positions = samples)."""
    mu = y.mean(dim=(-2, -1), keepdim=True)
    xn = F.normalize((x - mu).flatten(2), dim=1)  # (B, C, N)
    yn = F.normalize((y - mu).flatten(2), dim=1)
    d = (1.0 - xn.transpose(1, 2) @ yn).clamp_min(0.0)  # (B, Nx, Ny)
    d_rel = d / (d.min(dim=2, keepdim=True).values + eps)
    cx = torch.softmax((1.0 - d_rel) / h, dim=2)
    return cx.max(dim=1).values.mean(dim=1)


class ContextualLoss(LossTerm):
    def __init__(self, backbone: str = "vgg19", layers: Sequence[str] = ("relu3_4", "relu4_4"),
                 layer_weights: Sequence[float] | None = None, h: float = 0.5, eps: float = 1e-5,
                 max_points: int = 1024, weights: str = "imagenet", cache_dir: str | None = None, seed: int = 0):
        super().__init__()
        self.layers = list(layers)
        self.layer_weights = list(layer_weights) if layer_weights is not None else [1.0] * len(self.layers)
        if len(self.layer_weights) != len(self.layers):
            raise ValueError(f"contextual loss: {len(self.layers)} layers but {len(self.layer_weights)} weights")
        self.h, self.eps, self.max_points = h, eps, max_points
        self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
        for name in self.layers:  # fail early on unknown layer names
            self.features.index_of(name)
        self.provenance = {"term": "contextual", **info, "layers": self.layers, "h": h, "max_points": max_points}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "contextual loss")
        total = pred.new_zeros(())
        for w, a, b in zip(self.layer_weights, self.features(pred, self.layers), self.features(target, self.layers)):
            cx = contextual_similarity(shrink_to(a, self.max_points), shrink_to(b, self.max_points), self.h, self.eps)
            total = total + w * (-torch.log(cx.clamp_min(1e-12))).mean()
        return total
