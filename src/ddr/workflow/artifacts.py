"""The paper's artifacts, declared once: each table and figure with its id, file stems, producing rule, title and
where its published numbers are.

Why a module: the `all` rule, the rules that write tables and figures, the report and the tests all need the same
list; adding a table is one entry here plus one job function (see README, "Extending"). Paths come from
`ddr.workflow.layout`; which artifacts a profile builds comes from its config (`planned`). No torch import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ddr.workflow.layout import Layout

PAPER_NUMBERS = "config/paper_numbers"  # copies of ../shared/paper/*.csv, the numbers the paper publishes


def _always(config: Mapping[str, Any]) -> bool:
    return True


def _restoration(config: Mapping[str, Any]) -> dict:
    section = config.get("restoration") or {}
    return section if section.get("enabled") else {}


def _restoration_task(task: str) -> Callable[[Mapping[str, Any]], bool]:
    """Tables 4 and 5 exist when the restoration grid has a dataset of their task."""
    def planned(config: Mapping[str, Any]) -> bool:
        return bool(_restoration(config).get("tasks", {}).get(task))
    return planned


def _restoration_figure(fig: str) -> Callable[[Mapping[str, Any]], bool]:
    def planned(config: Mapping[str, Any]) -> bool:
        return fig in _restoration(config).get("figures", {})
    return planned


@dataclass(frozen=True)
class Artifact:
    """One table or figure of the paper (or a companion file set the pipeline adds, such as `restoration_runs`)."""

    id: str  # 'table1' .. 'table7', 'fig1' .. 'fig10', or a companion's name
    kind: str  # 'table' | 'figure'
    stems: tuple[str, ...]  # file stems under <results>/tables or <results>/figures; the first is the main one
    rule: str | None  # the Snakemake rule that writes it (None: not generated, e.g. the framework diagram)
    title: str
    paper: str | None = None  # the published numbers, when the paper prints numbers we have
    restoration: bool = False  # restoration files: CSV/MD/TeX or PNG/PDF, provenance inside (no .provenance.json)
    extra: tuple[str, ...] = ()  # further file names under the same folder (e.g. table1's per-level CSV)
    planned: Callable[[Mapping[str, Any]], bool] = _always

    def stem_files(self, layout: Layout, stem: str) -> list[str]:
        if self.kind == "table":
            return layout.restoration_table(stem) if self.restoration else layout.table(stem)
        return layout.restoration_figure(stem) if self.restoration else layout.figure(stem)

    def files(self, layout: Layout) -> list[str]:
        """Every file the producing rule writes for this artifact, main stem first (CSV or PNG first)."""
        folder = layout.tables if self.kind == "table" else layout.figures
        return [f for stem in self.stems for f in self.stem_files(layout, stem)] + [f"{folder}/{e}" for e in self.extra]

    def stem_paths(self, layout: Layout) -> list[str]:
        """Each stem under its folder, without suffix: what the job functions write to (they add the suffixes)."""
        folder = layout.tables if self.kind == "table" else layout.figures
        return [f"{folder}/{stem}" for stem in self.stems]

    def main_file(self, layout: Layout) -> str:
        """The CSV of a table, the PNG of a figure."""
        return self.files(layout)[0]


def _paper_vs_ours(stem: str) -> str:
    return f"{stem}_paper_vs_ours"


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact("table1", "table", ("table1_blur_srcc",), "biqa_table1",
             "SRCC with DMOS on the Gaussian-blur subset: pixel-domain DDR_blur per level vs other measures",
             extra=("table1_blur_srcc_full.csv",)),
    Artifact("table2", "table", ("table2_attributes", "table2_attributes_appendix", "table2_attributes_appendix_long"),
             "attributes_table2", "SRCC between DDR_d and image characteristics (main table and appendix)"),
    Artifact("table3", "table", ("table3_biqa_srcc", "table3_biqa_plcc", "table3_biqa_krcc", "table3_biqa_full",
                                 "table3_paper_vs_ours"), "biqa_table3",
             "Opinion-unaware BIQA: SRCC (PLCC, KRCC, bootstrap CIs) per dataset",
             paper=f"{PAPER_NUMBERS}/table3_biqa_srcc.csv"),
    Artifact("table4", "table", ("table4_deblur", _paper_vs_ours("table4_deblur")), "restoration_tables",
             "Deblurring PSNR/SSIM by network and loss", paper=f"{PAPER_NUMBERS}/table4_deblur.csv",
             restoration=True, planned=_restoration_task("deblur")),
    Artifact("table5", "table", ("table5_sr", _paper_vs_ours("table5_sr")), "restoration_tables",
             "Real-world super-resolution PSNR/SSIM by network and loss", paper=f"{PAPER_NUMBERS}/table5_realsr.csv",
             restoration=True, planned=_restoration_task("sr")),
    Artifact("table6", "table", ("table6_ablation",), "restoration_tables",
             "Ablation of the DDR loss: degradation set, lambda_d, backbone, adaptation", restoration=True,
             planned=lambda config: bool(_restoration(config))),
    Artifact("restoration_runs", "table", ("restoration_runs",), "restoration_tables",
             "Every restoration run with its settings and metrics (companion of Tables 4-6)", restoration=True,
             planned=lambda config: bool(_restoration(config))),
    Artifact("table7", "table", ("table7_ablation", "table7_ablation_full"), "biqa_table7",
             "Ablation of DDR for BIQA: degradation set, backbone, adaptation"),
    Artifact("fig1", "figure", ("fig1_same_blur",), "descriptor_figures",
             "The same blur changes different images' deep features by different amounts"),
    Artifact("fig2", "figure", ("fig2_ddr_distributions",), "descriptor_figures",
             "DDR distributions for low / optimal / high pixel-domain levels and text-driven DDR"),
    Artifact("fig3", "figure", (), None, "Framework diagram (a static drawing, not generated)",
             planned=lambda config: False),
    Artifact("fig4", "figure", ("fig4_extreme_images",), "descriptor_figures",
             "Images with the highest and lowest DDR_d per degradation type"),
    Artifact("fig5", "figure", ("fig5_restoration_crops",), "restoration_figures",
             "Qualitative deblurring comparison across losses", restoration=True, planned=_restoration_figure("fig5")),
    Artifact("fig6", "figure", ("fig6_restoration_crops",), "restoration_figures",
             "Qualitative super-resolution comparison across losses", restoration=True,
             planned=_restoration_figure("fig6")),
    Artifact("fig7", "figure", ("fig7_feature_statistics",), "descriptor_figure7",
             "SRCC between DDR_d and feature-map statistics"),
    Artifact("fig8", "figure", ("fig8_restoration_crops",), "restoration_figures",
             "Qualitative deblurring comparison across losses (more images)", restoration=True,
             planned=_restoration_figure("fig8")),
    Artifact("fig9", "figure", ("fig9_restoration_crops",), "restoration_figures",
             "Qualitative deblurring comparison across losses (more images)", restoration=True,
             planned=_restoration_figure("fig9")),
    Artifact("fig10", "figure", ("fig10_restoration_crops",), "restoration_figures",
             "Qualitative super-resolution comparison across losses (more images)", restoration=True,
             planned=_restoration_figure("fig10")),
)

BY_ID: dict[str, Artifact] = {a.id: a for a in ARTIFACTS}


def artifact(artifact_id: str) -> Artifact:
    try:
        return BY_ID[artifact_id]
    except KeyError:
        raise KeyError(f"unknown artifact {artifact_id!r}; declared: {', '.join(BY_ID)}") from None


def of_rule(rule: str, config: Mapping[str, Any] | None = None) -> list[Artifact]:
    """The artifacts a rule writes, in declaration order (only those the config plans, when a config is given)."""
    return [a for a in ARTIFACTS if a.rule == rule and (config is None or a.planned(config))]


def planned(config: Mapping[str, Any]) -> list[Artifact]:
    """The artifacts this profile builds."""
    return [a for a in ARTIFACTS if a.rule is not None and a.planned(config)]


def targets(config: Mapping[str, Any]) -> list[str]:
    """Every table and figure file this profile builds (what `rule all` asks of the tables and figures)."""
    layout = Layout.from_config(config)
    return [f for a in planned(config) for f in a.files(layout)]
