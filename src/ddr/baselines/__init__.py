"""No-reference IQA metrics behind one interface (`Metric.score_images`) and one registry.

    from ddr.baselines import list_metrics, create_metric
    [(m.name, m.direction) for m in list_metrics()]
    create_metric("niqe").score_images([torch.rand(3, 384, 512)])

NIQE, BRISQUE and PIQE reproduce their original MATLAB releases (docs/baselines_calibration.md).
"""

from __future__ import annotations

from ddr.baselines.base import BaselineUnavailable, Metric
from ddr.baselines.nss.ilniqe import UNAVAILABLE_TABLE_TEXT, fit_ilniqe
from ddr.baselines.registry import (PUBLISHED_ONLY_TEXT, MetricInfo, canonical, create_metric, list_metrics,
                                    metric_info)


def build_baseline(name: str, **kwargs) -> Metric:
    """Alias of `create_metric` kept for existing callers (pipeline, notebooks)."""
    return create_metric(name, **kwargs)


__all__ = ["BaselineUnavailable", "Metric", "MetricInfo", "PUBLISHED_ONLY_TEXT", "UNAVAILABLE_TABLE_TEXT",
           "build_baseline", "canonical", "create_metric", "fit_ilniqe", "list_metrics", "metric_info"]
