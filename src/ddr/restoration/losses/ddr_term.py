"""The DDR loss term: -mean DDR of the restored image, from a DDR model passed in (never built here)."""
from __future__ import annotations

import torch
from torch import nn

from .base import LossTerm


class DDRLoss(LossTerm):
    """`model.loss(pred)` (= -mean DDR over the batch). The target is not used: DDR is a no-reference score.

    The model must expose a differentiable `.loss(x)`; if it is an nn.Module it is frozen (eval mode, no
    parameter gradients) because the paper keeps the encoder fixed while gradients flow into the restorer.
    """

    def __init__(self, model):
        super().__init__()
        if not callable(getattr(model, "loss", None)):
            raise TypeError(f"ddr loss needs a model with a .loss(x) method, got {type(model).__name__}")
        if isinstance(model, nn.Module):
            model.requires_grad_(False)
            model.eval()
        self.model = model
        prov = getattr(model, "provenance", None)
        prov = prov() if callable(prov) else prov
        self.provenance = {"term": "ddr", "model": type(model).__name__, **(prov if isinstance(prov, dict) else {})}

    def train(self, mode: bool = True) -> "DDRLoss":  # the DDR model stays in eval mode
        super().train(mode)
        if isinstance(self.model, nn.Module):
            self.model.eval()
        return self

    def forward(self, pred: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        out = self.model.loss(pred)
        if not torch.is_tensor(out) or out.dim() != 0:
            raise ValueError(f"DDR model .loss must return a scalar tensor, got {type(out).__name__} "
                             f"{getattr(out, 'shape', '')}")
        return out
