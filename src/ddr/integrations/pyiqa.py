"""DDR as a pyiqa metric: `import ddr.integrations.pyiqa`, then `pyiqa.create_metric("ddr")`.

Registration follows pyiqa's plugin contract (README "Plugin Authoring"): the network class goes into pyiqa's
ARCH_REGISTRY, also reached through the `pyiqa.archs` entry point this package declares. pyiqa (0.1.16) checks
the metric name against its DEFAULT_CONFIGS table before it loads any plugin, so the name "ddr" is added to that
table here, which is why the module must be imported (importing it registers) before create_metric("ddr").

Scores are `DDR.quality_score`'s, the `ddr` column of `ddr score`: higher = better (`lower_better` False).
With `create_metric("ddr", as_loss=True)` pyiqa enables gradients and the network returns the differentiable
whole-image response instead (square inputs), the quantity the paper trains restoration networks with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from ddr.backbones.spec import DEFAULT_BACKBONE as _DEFAULT_SPEC

METRIC_NAME = "ddr"
ARCH_NAME = "DDRArch"
DEFAULT_BACKBONE = str(_DEFAULT_SPEC)  # the paper's encoder, as a spec string (pyiqa options are plain values)


class DDRArch(nn.Module):
    """pyiqa network: (B, 3, H, W) in [0, 1] -> (B,) DDR scores (mean over degradation types)."""

    def __init__(self, backbone: str = DEFAULT_BACKBONE, types: Sequence[str] | None = None,
                 prompts: Mapping[str, Sequence[str]] | None = None, adaptive: bool = True, batch_size: int = 64):
        super().__init__()
        from ddr.model import DDR

        pairs = {name: tuple(pair) for name, pair in prompts.items()} if prompts else None
        self.model = DDR.from_pretrained(backbone, types=list(types) if types else None, prompts=pairs,
                                         adaptive=adaptive)
        self.batch_size = batch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():  # pyiqa's as_loss=True: the differentiable training-time response
            return self.model.response(x).mean(dim=1)
        return self.model.quality_score(x, batch_size=self.batch_size).to(x.device)


def metric_config() -> dict:
    """pyiqa's DEFAULT_CONFIGS entry for DDR (no-reference; 1 - cosine similarity lies in [0, 2])."""
    return {"metric_opts": {"type": ARCH_NAME}, "metric_mode": "NR", "lower_better": False, "score_range": "0, 2"}


def register() -> None:
    """Make `pyiqa.create_metric("ddr")` work; safe to call more than once (it is also the entry point)."""
    try:
        from pyiqa.default_model_configs import DEFAULT_CONFIGS
        from pyiqa.utils.registry import ARCH_REGISTRY
    except ImportError as error:
        raise ImportError(f"the pyiqa plugin needs pyiqa ({error}); install it with "
                          "pip install 'deep-degradation-response[pyiqa]'") from error

    ARCH_REGISTRY.register(DDRArch, name=ARCH_NAME, override=True)
    DEFAULT_CONFIGS.setdefault(METRIC_NAME, metric_config())


register()
