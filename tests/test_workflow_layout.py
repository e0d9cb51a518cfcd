"""The workflow's one path layout (ddr.workflow.layout) and one declaration of the paper's artifacts
(ddr.workflow.artifacts): the rules ask them for every path, and no script recovers meaning from a file name."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from ddr.workflow import artifacts
from ddr.workflow.layout import Layout

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "workflow/rules"
SCRIPTS = REPO / "workflow/scripts"


def _config() -> dict:
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


def test_layout_keeps_snakemake_wildcards_and_strips_trailing_slashes():
    layout = Layout("results/x/", "data/")
    assert layout.ddr("{dataset}", "{arch}+{tag}") == "results/x/scores/{dataset}/ddr_{arch}+{tag}.csv"
    assert layout.feature_shard("{dataset}", "pixel-{backbone}", "{shard}", "{n}") == \
        "results/x/features/{dataset}/pixel-{backbone}/shard-{shard}-of-{n}.pt"
    assert layout.labels("csiq") == "data/labels/csiq.csv"
    assert layout.ready_marker("mini") == "data/mini/manifest.json"
    assert layout.ready_marker("csiq") == "data/raw/csiq.ready.json"
    assert layout.table("table1_blur_srcc")[0] == "results/x/tables/table1_blur_srcc.csv"
    assert layout.figure("fig1_same_blur")[0] == "results/x/figures/fig1_same_blur.png"


def test_every_paper_table_and_figure_is_declared_once_with_an_existing_rule():
    ids = [a.id for a in artifacts.ARTIFACTS]
    assert len(ids) == len(set(ids))
    assert {f"table{k}" for k in range(1, 8)} | {f"fig{k}" for k in range(1, 11)} <= set(ids)
    rules = set(re.findall(r"^(?:local)?rule (\w+):", "".join(p.read_text() for p in RULES.glob("*.smk")), re.M))
    stems = [s for a in artifacts.ARTIFACTS for s in a.stems]
    assert len(stems) == len(set(stems)), "two artifacts claim the same file stem"
    for a in artifacts.ARTIFACTS:
        assert a.rule is None or a.rule in rules, (a.id, a.rule)
        assert a.paper is None or (REPO / a.paper).is_file(), (a.id, a.paper)
    with pytest.raises(KeyError, match="unknown artifact 'table99'"):
        artifacts.artifact("table99")


def test_planned_artifacts_follow_the_config():
    config = _config()
    layout = Layout.from_config(config)
    planned = {a.id for a in artifacts.planned(config)}
    assert "fig3" not in planned and {"table1", "table3", "fig7"} <= planned
    no_sr = copy.deepcopy(config)
    no_sr["restoration"]["tasks"].pop("sr")
    assert "table5" not in {a.id for a in artifacts.planned(no_sr)}
    no_sr["restoration"]["enabled"] = False
    left = {a.id for a in artifacts.planned(no_sr)}
    assert not left & {"table4", "table5", "table6", "restoration_runs", "fig5", "fig10"}
    targets = artifacts.targets(config)
    assert artifacts.artifact("table1").main_file(layout) in targets
    assert f"{layout.tables}/table1_blur_srcc_full.csv" in targets
    assert len(targets) == len(set(targets))


def test_rules_spell_no_data_or_result_path_themselves():
    """Every path of a rule comes from LAYOUT (benchmark files aside, which nothing reads)."""
    for smk in RULES.glob("*.smk"):
        for number, line in enumerate(smk.read_text().splitlines(), 1):
            if "benchmarks/" in line or line.lstrip().startswith("#"):
                continue
            assert not re.search(r'f"\{(DATA|RESULTS)\}/', line), f"{smk.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_scripts_do_not_recover_meaning_from_file_names_or_input_order(script):
    text = (SCRIPTS / script).read_text()
    for pattern in (r"\.split\(", r"\.stem\b", r"with_suffix\(", r"\bnext\(", r"len\(snakemake\.input",
                    r"_paper_vs_ours", r"\.name\b"):
        assert not re.search(pattern, text), f"{script}: {pattern}"

