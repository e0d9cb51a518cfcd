"""Restoration losses behind one interface: each term is an nn.Module `(pred, target) -> scalar`.

`build_loss({"psnr": 1.0, "ddr": 0.05}, ddr_model=m)` returns a `CompositeLoss` = sum of weighted terms.
A term's value may be a weight or a dict {"weight": w, **options}, e.g. {"lpips": {"weight": 1, "net": "alex"}}.
`feature_weights` ("imagenet" | "random") and `cache_dir` are passed to every perceptual backbone.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from ddr.restoration.loss_terms import LOSS_NAMES, LOSS_TERMS, LossTermInfo, list_losses

from .base import LossTerm
from .contextual import ContextualLoss
from .ddr_term import DDRLoss
from .distribution import FrequencyDistributionLoss, PixelPDL, ProjectedDistributionLoss
from .lpips import LPIPSLoss
from .psnr import L1Loss, PSNRLoss


class CompositeLoss(nn.Module):
    """Weighted sum of named terms. forward -> total; `compute` -> (total, {name: unweighted value})."""

    def __init__(self, terms: Mapping[str, LossTerm], weights: Mapping[str, float]):
        super().__init__()
        self.terms = nn.ModuleDict(dict(terms))
        self.weights = dict(weights)

    def compute(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        values = {name: term(pred, target) for name, term in self.terms.items()}
        total = sum(self.weights[n] * v for n, v in values.items())
        return total, values

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.compute(pred, target)[0]

    @property
    def provenance(self) -> dict:
        return {name: {"weight": self.weights[name], **term.provenance} for name, term in self.terms.items()}

    @property
    def uses_stand_in(self) -> bool:
        return any(t.uses_stand_in for t in self.terms.values())

    def fingerprint(self) -> str:
        """sha256 of every term's fixed random tensors (empty string when no term has any)."""
        import hashlib

        h = hashlib.sha256()
        found = False
        for name, term in self.terms.items():
            for key, tensor in sorted(term.fixed_tensors().items()):
                found = True
                h.update(f"{name}.{key}{tuple(tensor.shape)}".encode())
                h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return h.hexdigest() if found else ""


def build_term(name: str, options: Mapping[str, Any] | None = None, *, ddr_model=None,
               feature_weights: str = "imagenet", cache_dir: str | None = None) -> LossTerm:
    name = LOSS_TERMS.canonical(name)  # an unknown name: ValueError listing the known ones
    options = dict(options or {})
    kind = LOSS_TERMS.entry(name).meta.build
    if kind == "ddr":
        if ddr_model is None:
            raise ValueError("the ddr loss term needs a DDR model (pass ddr_model=...)")
        if options:
            raise ValueError(f"the ddr loss term takes no options besides weight, got {options}")
        return LOSS_TERMS[name](ddr_model)
    if kind == "perceptual":
        options.setdefault("weights", feature_weights)
        options.setdefault("cache_dir", cache_dir)
    try:
        return LOSS_TERMS[name](**options)
    except TypeError as exc:
        raise ValueError(f"bad options for loss term {name!r}: {options} ({exc})") from exc


def build_loss(spec: Mapping[str, Any], *, ddr_model=None, feature_weights: str = "imagenet",
               cache_dir: str | None = None) -> CompositeLoss:
    """Composite loss from {"psnr": 1.0, "ddr": 0.05} or {"lpips": {"weight": 1.0, "net": "vgg"}}."""
    if not spec:
        raise ValueError("empty loss spec: name at least one term, e.g. {'psnr': 1.0}")
    terms, weights = {}, {}
    for name, value in spec.items():
        if isinstance(value, Mapping):
            opts = dict(value)
            weight = float(opts.pop("weight", 1.0))
        else:
            opts, weight = {}, float(value)
        key = LOSS_TERMS.canonical(name)
        terms[key] = build_term(key, opts, ddr_model=ddr_model, feature_weights=feature_weights,
                                cache_dir=cache_dir)
        weights[key] = weight
    return CompositeLoss(terms, weights)


__all__ = ["build_loss", "build_term", "CompositeLoss", "LossTerm", "PSNRLoss", "L1Loss", "LPIPSLoss",
           "ContextualLoss", "ProjectedDistributionLoss", "PixelPDL", "FrequencyDistributionLoss", "DDRLoss",
           "LOSS_NAMES", "LOSS_TERMS", "LossTermInfo", "list_losses"]
