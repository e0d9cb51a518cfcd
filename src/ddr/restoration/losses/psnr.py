"""PSNR loss (NAFNet's PSNRLoss): the training objective that maximises PSNR directly."""
from __future__ import annotations

import math

import torch

from .base import LossTerm, check_pair


class PSNRLoss(LossTerm):
    """10/ln(10) * mean over the batch of log(MSE_i + 1e-8), MSE_i per image (over C, H, W), images in [0, 1].

    Equals minus the mean PSNR in dB (up to the 1e-8): identical inputs give -80 dB, its minimum.
    """

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps
        self.provenance = {"term": "psnr", "eps": eps}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "psnr loss")
        mse = (pred.float() - target.float()).pow(2).flatten(1).mean(1)
        return (10.0 / math.log(10.0)) * torch.log(mse + self.eps).mean()


class L1Loss(LossTerm):
    """Mean absolute error (a common alternative reconstruction term)."""

    def __init__(self):
        super().__init__()
        self.provenance = {"term": "l1"}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "l1 loss")
        return (pred.float() - target.float()).abs().mean()
