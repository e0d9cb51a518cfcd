"""Where the BIQA / descriptor stage writes its files, computed from the configuration alone.

Why a module: the Snakemake rules, the tests and the notebook name the same files; keeping the layout here (and not
in the .smk files) lets the paper profile be planned without any data and keeps the rule files free of helper code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ddr.workflow.config import ConfigError
from ddr.workflow.layout import FIGURE_SUFFIXES, TABLE_SUFFIXES, Layout, figure_files, table_files  # noqa: F401

# stems under <results>/tables and <results>/figures
TABLE1 = "table1_blur_srcc"
TABLE2 = "table2_attributes"
TABLE2_APPENDIX = "table2_attributes_appendix"
TABLE3 = {"srcc": "table3_biqa_srcc", "plcc": "table3_biqa_plcc", "krcc": "table3_biqa_krcc",
          "full": "table3_biqa_full", "paper": "table3_paper_vs_ours"}
TABLE7 = "table7_ablation"
TABLE7_FULL = "table7_ablation_full"
TABLE2_LONG = "table2_attributes_appendix_long"
FIG1 = "fig1_same_blur"
FIG2 = "fig2_ddr_distributions"
FIG4 = "fig4_extreme_images"
FIG7 = "fig7_feature_statistics"

PAPER_TABLE3 = "config/paper_numbers/table3_biqa_srcc.csv"


def attribute_datasets(config: Mapping[str, Any]) -> list[str]:
    """Sets that contribute to Table 2 (the main one first)."""
    attributes = config["attributes"]
    return [attributes["dataset"], *[d for d in attributes["extra_datasets"] if d != attributes["dataset"]]]


def stage_targets(config: Mapping[str, Any]) -> list[str]:
    """Every table and figure of the BIQA / descriptor stage."""
    layout = Layout(config["results_dir"])
    targets = [*layout.table(TABLE1), f"{layout.tables}/{TABLE1}_full.csv", *layout.table(TABLE7),
               *layout.table(TABLE7_FULL)]
    for stem in TABLE3.values():
        targets += layout.table(stem)
    for stem in (FIG1, FIG2, FIG4, FIG7):
        targets += layout.figure(stem)
    return targets


def attribute_targets(config: Mapping[str, Any]) -> list[str]:
    layout = Layout(config["results_dir"])
    return [*layout.table(TABLE2), *layout.table(TABLE2_APPENDIX), *layout.table(TABLE2_LONG)]


def label_note(dataset: str, entry: Mapping[str, Any] | None) -> str:
    """One sentence on what a set's `score` is (goes into captions)."""
    if entry is None:
        return f"{dataset}: score as in its label table"
    if entry.get("access") == "builtin":
        return (f"{dataset}: score is a SYNTHETIC ordering of the known degradation levels (reference highest, then "
                "level 1, 2, ...), meaningful within a reference and type only, not a human opinion score")
    direction = entry.get("direction") or "higher_better"
    sense = "lower is better, DMOS" if direction == "lower_better" else "higher is better"
    return f"{dataset}: {entry.get('score_name') or 'score'} ({sense})"


def label_notes(datasets, registry: Mapping[str, Any]) -> dict[str, str]:
    return {d: label_note(d, registry.get(d)) for d in datasets}


def check_config(config: Mapping[str, Any]) -> None:
    """Cross-key checks the JSON schema cannot express; raise ConfigError naming the key."""
    levels = config["pixel"]["levels"]
    fig1 = config["biqa"]["fig1"]
    if "blur" not in levels or not any(abs(float(fig1["level"]) - float(v)) < 1e-9 for v in levels["blur"]):
        raise ConfigError(f"biqa.fig1.level = {fig1['level']} must be one of pixel.levels.blur "
                          f"({levels.get('blur')}): Fig. 1 reads its feature distances from the pixel-domain cache")
    kind = config["biqa"]["distribution"]["kind"]
    if kind not in levels:
        raise ConfigError(f"biqa.distribution.kind = {kind!r} has no levels in pixel.levels ({sorted(levels)})")
    if len(levels[kind]) < 3:
        raise ConfigError(f"pixel.levels.{kind} needs at least 3 levels for Fig. 2's low / optimal / high")
    if "blur" not in levels:
        raise ConfigError("pixel.levels needs a 'blur' entry for Table 1 (pixel-domain DDR_blur per level)")
    attributes = config["attributes"]
    for attribute in attributes["main"]:
        has_label = any(attribute in columns for columns in attributes["label_columns"].values())
        if attribute not in attributes["computed"] and not has_label:
            raise ConfigError(f"attributes.main lists {attribute!r}, but neither attributes.computed nor "
                              "attributes.label_columns provides it")
