"""Opinion-unaware BIQA baselines behind one interface (`Metric.score_images`) and a name registry."""

from __future__ import annotations

from typing import Callable

from ddr.baselines.base import BaselineUnavailable, Metric
from ddr.baselines.ilniqe import UNAVAILABLE_TABLE_TEXT, build_ilniqe


def _niqe(**kw) -> Metric:
    from ddr.baselines.niqe import NIQE

    return NIQE(**kw)


def _brisque(**kw) -> Metric:
    from ddr.baselines.brisque_metric import BRISQUE

    return BRISQUE(**kw)


def _piqe(**kw) -> Metric:
    from ddr.baselines.piqe import PIQE

    return PIQE(**kw)


def _clipiqa(**kw) -> Metric:
    from ddr.baselines.clip_iqa import ClipIQA

    return ClipIQA(**kw)


BUILDERS: dict[str, Callable[..., Metric]] = {
    "niqe": _niqe,
    "brisque": _brisque,
    "piqe": _piqe,
    "clipiqa": _clipiqa,
    "ilniqe": build_ilniqe,
}


def _canonical(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def build_baseline(name: str, **kwargs) -> Metric:
    """Build a baseline by name (case, '-' and '_' ignored: "NIQE", "clip-iqa", "il_niqe").

    Raises KeyError for unknown names and BaselineUnavailable when the baseline cannot run here (IL-NIQE).
    """
    key = _canonical(name)
    if key not in BUILDERS:
        raise KeyError(f"unknown baseline {name!r}; known: {sorted(BUILDERS)}")
    return BUILDERS[key](**kwargs)


__all__ = ["BUILDERS", "BaselineUnavailable", "Metric", "UNAVAILABLE_TABLE_TEXT", "build_baseline"]
