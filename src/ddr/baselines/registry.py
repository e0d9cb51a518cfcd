"""Every metric Table 3 names (and DDR's CLIP-IQA variant), with direction, opinion-awareness and paper column.

Why one table: the CLI (`ddr list`, `ddr score --metric`), the pipeline and Table 3's paper-vs-ours all need the
same facts about a metric; metrics the paper reports but that cannot be rerun offline are listed too, with the
reason, so a table can show the published value "published value, not rerun" instead of dropping the column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

from ddr.baselines.base import BaselineUnavailable, Metric
from ddr.util.registry import Registry


@dataclass(frozen=True)
class MetricInfo:
    name: str  # registry key (what --metric and the config use)
    display_name: str
    direction: str  # "lower_better" or "higher_better"
    opinion_aware: bool  # trained on human opinion scores (BRISQUE: LIVE IQA)
    paper_column: str | None  # its column in the paper's Table 3 (config/paper_numbers/table3_biqa_srcc.csv)
    runnable: bool  # False: the paper's number is shown, marked "published value, not rerun"
    note: str
    variants: tuple[str, ...] = ()  # other display names its scores may carry (e.g. a refitted model)
    network: bool = False  # a network metric: it gets the device and the batch settings

    def as_dict(self) -> dict:
        return asdict(self)


def canonical(name: str) -> str:
    """Registry key of a user-typed name: case, '-' and '_' ignored ("IL-NIQE", "clip_iqa", "SNP-NIQE")."""
    return name.lower().replace("-", "").replace("_", "")


# name -> builder (a lazy 'module:attribute', None for the metrics not rerun), with the metric's facts as meta.
METRICS: Registry[Callable[..., Metric] | None] = Registry("metric", normalise=canonical)


def _add(builder: str | None, info: MetricInfo) -> None:
    METRICS.add(info.name, builder, meta=info)


_add("ddr.baselines.ddr_metric:DDRMetric",
     MetricInfo("ddr", "DDR", "higher_better", False, "DDR", True, "this project's feature-domain DDR (ddr.DDR)",
                network=True))
_add("ddr.baselines.nss.niqe:NIQE", MetricInfo("niqe", "NIQE", "lower_better", False, "NIQE", True,
                                           "LIVE release algorithm and pristine model (data/niqe_pris_params.npz)"))
_add("ddr.baselines.nss.piqe:PIQE", MetricInfo("piqe", "PIQE", "lower_better", False, "PIQE", True,
                                           "MATLAB piqe algorithm; no learned parameters"))
_add("ddr.baselines.nss.brisque:BRISQUE", MetricInfo(
    "brisque", "BRISQUE", "lower_better", True, None, True,
    "LIVE release SVR trained on LIVE IQA: opinion-aware, its LIVE row is train-on-test"))
_add("ddr.baselines.nss.ilniqe:build_ilniqe", MetricInfo(
    "ilniqe", "IL-NIQE", "lower_better", False, "ILNIQE", True,
    "needs a template: the authors' templatemodel.mat placed in $DDR_CACHE/ilniqe/, or one refitted on "
    "your pristine images with fit_ilniqe (scores then named 'IL-NIQE (refitted)')", ("IL-NIQE (refitted)",)))
_add("ddr.baselines.clip_iqa:build_clipiqa", MetricInfo(
    "clipiqa", "CLIP-IQA (variant: DDR backbone)", "higher_better", False, None, True,
    "antonym prompts 'Good photo.'/'Bad photo.' on DDR's CLIP backbone with a centre crop; the authors' "
    "CLIP-IQA uses RN50 at full resolution, hence the name", network=True))
_add("ddr.baselines.clip_iqa:build_clipiqa_rn50", MetricInfo(
    "clipiqarn50", "CLIP-IQA", "higher_better", False, None, True,
    "the authors' zero-shot CLIP-IQA: OpenAI RN50 at full resolution without positional embedding, "
    "'Good photo.'/'Bad photo.'; needs the RN50 weights in the open_clip cache", network=True))
_NOT_OFFLINE = "no public definition with its trained parameters is obtainable offline"
for _name, _column, _direction, _what in (
        ("qac", "QAC", "higher_better", "quality-aware clustering codebook learned by its authors"),
        ("lpsi", "LPSI", "higher_better", "local pattern statistics index with author-tuned thresholds"),
        ("dipiq", "dipIQ", "higher_better", "RankNet trained on quality-discriminable image pairs"),
        ("snpniqe", "SNP-NIQE", "lower_better",
         "structure/naturalness/perception NIQE with the authors' pristine models"),
        ("npqi", "NPQI", "lower_better", "natural-pristine quality index with the authors' pristine models"),
        ("contentsep", "ContentSep", "higher_better", "content-separation network weights")):
    _add(None, MetricInfo(_name, _column, _direction, False, _column, False, f"{_what}; {_NOT_OFFLINE}"))
PUBLISHED_ONLY_TEXT = "published value, not rerun"


def list_metrics(runnable_only: bool = False) -> list[MetricInfo]:
    """Each metric's facts (name, display name, direction, opinion-aware, paper column, runnable, note)."""
    return [e.meta for e in METRICS.list() if e.meta.runnable or not runnable_only]


def metric_info(name: str) -> MetricInfo:
    """The facts of a metric by any spelling; KeyError (one line, known names, closest one) when unknown."""
    return METRICS.entry(name).meta


def create_metric(name: str, device: str = "cpu", **kwargs) -> Metric:
    """A metric object whose `score_images(list of (3,H,W) [0,1] tensors or arrays)` returns one float per image.

    `device` matters for the network metrics (ddr, clipiqa); kwargs go to the metric (e.g. `backbone=` spec for
    ddr/clipiqa, `model_file=` for niqe, `template=` for ilniqe). Raises KeyError for unknown names and
    BaselineUnavailable (with the reason) for the paper's metrics that cannot be rerun offline.
    """
    info = metric_info(name)
    if not info.runnable:
        raise BaselineUnavailable(f"{info.display_name}: {info.note}; Table 3 shows the paper's number marked "
                                  f"'{PUBLISHED_ONLY_TEXT}'")
    if info.network:
        kwargs["device"] = device
    return METRICS[info.name](**kwargs)
