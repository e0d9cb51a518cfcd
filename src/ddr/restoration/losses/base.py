"""What every restoration loss term shares: `(pred, target) -> scalar` and a `.provenance` dict."""
from __future__ import annotations

import torch
from torch import nn


class LossTerm(nn.Module):
    """Base class: subclasses implement forward(pred, target) -> 0-dim tensor (mean over the batch).

    `provenance` says what the term was computed with (backbone, weights, stand-in or not) so result files
    can repeat it; `uses_stand_in` is True when a perceptual backbone had to fall back to random weights.
    """

    def __init__(self) -> None:
        super().__init__()
        self.provenance: dict = {}

    @property
    def uses_stand_in(self) -> bool:
        return any(v is True or str(v).startswith("stand-in") for v in _flat_values(self.provenance))

    def fixed_tensors(self) -> dict[str, torch.Tensor]:
        """Random tensors drawn once at construction that the value depends on (FDL's projections); a checkpoint
        stores their fingerprint so that a resumed run is refused if they were to differ."""
        return {}


def _flat_values(d):
    """Leaf values, plus the value of every 'stand_in' flag (the DDR model reports it as a boolean)."""
    if isinstance(d, dict):
        for k, v in d.items():
            if k == "stand_in":
                yield bool(v)
            elif not isinstance(v, bool):
                yield from _flat_values(v)
    elif isinstance(d, (list, tuple)):
        for v in d:
            yield from _flat_values(v)
    else:
        yield d


def check_pair(pred: torch.Tensor, target: torch.Tensor, name: str) -> None:
    if pred.shape != target.shape or pred.dim() != 4:
        raise ValueError(f"{name}: pred and target must be (B, C, H, W) of equal shape, "
                         f"got {tuple(pred.shape)} and {tuple(target.shape)}")
