"""Where the BIQA / descriptor stage writes its files, computed from the configuration alone.

Why a module: the Snakemake rules, the tests and the notebook name the same files; keeping the layout here (and not
in the .smk files) lets the paper profile be planned without any data and keeps the rule files free of helper code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ddr.workflow.artifacts import ARTIFACTS, artifact
from ddr.workflow.config import ConfigError
from ddr.workflow.layout import FIGURE_SUFFIXES, TABLE_SUFFIXES, Layout, figure_files, table_files  # noqa: F401

# stems under <results>/tables and <results>/figures, as declared in ddr.workflow.artifacts
TABLE1 = artifact("table1").stems[0]
TABLE2, TABLE2_APPENDIX, TABLE2_LONG = artifact("table2").stems
TABLE3 = dict(zip(("srcc", "plcc", "krcc", "full", "paper"), artifact("table3").stems))
TABLE7, TABLE7_FULL = artifact("table7").stems
FIG1, FIG2, FIG4, FIG7 = (artifact(fig).stems[0] for fig in ("fig1", "fig2", "fig4", "fig7"))

PAPER_TABLE3 = artifact("table3").paper
# the rules of the BIQA / descriptor stage and of the attributes stage (Table 2)
BIQA_RULES = ("biqa_table1", "biqa_table3", "biqa_table7", "descriptor_figures", "descriptor_figure7")
ATTRIBUTE_RULES = ("attributes_table2",)


def attribute_datasets(config: Mapping[str, Any]) -> list[str]:
    """Sets that contribute to Table 2 (the main one first)."""
    attributes = config["attributes"]
    return [attributes["dataset"], *[d for d in attributes["extra_datasets"] if d != attributes["dataset"]]]


def _targets(config: Mapping[str, Any], rules: tuple[str, ...]) -> list[str]:
    layout = Layout.from_config(config)
    return [f for a in ARTIFACTS if a.rule in rules and a.planned(config) for f in a.files(layout)]


def stage_targets(config: Mapping[str, Any]) -> list[str]:
    """Every table and figure of the BIQA / descriptor stage."""
    return _targets(config, BIQA_RULES)


def attribute_targets(config: Mapping[str, Any]) -> list[str]:
    return _targets(config, ATTRIBUTE_RULES)


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
