"""dvc.yaml and the files rule dvc_view writes for it: DVC reads the result tables' numbers as metrics and the
training curves as plots, at the paths the rule writes for each profile."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from ddr.pipeline.dvc_view import table_metrics, training_curves, write_dvc_view
from ddr.workflow.layout import Layout

from conftest import REPO

DVC = str(Path(sys.executable).with_name("dvc"))


def _tables(folder: Path) -> Path:
    folder.mkdir(parents=True)
    pd.DataFrame({"dataset": ["mini", "mini", "mini"], "method": ["DDR", "NIQE", "NIQE"],
                  "srcc": [0.5, -0.25, 0.125], "note": ["", "x", ""]}).to_csv(folder / "table3.csv", index=False)
    pd.DataFrame({"measure": ["a"], "text only": ["b"]}).to_csv(folder / "words.csv", index=False)
    return folder


def _runs(folder: Path) -> Path:
    for name, losses in (("deblur/mini/nafnet/psnr", [-10.0, -12.5]), ("deblur/mini/nafnet/psnr+ddr", [-11.0, -13.0])):
        (folder / name).mkdir(parents=True)
        pd.DataFrame({"iter": [1, 2], "loss_psnr": losses}).to_csv(folder / name / "log.csv", index=False)
    return folder


def test_table_numbers_become_named_metrics(tmp_path):
    metrics = table_metrics(_tables(tmp_path / "tables"))
    assert metrics == {"table3": {"mini | DDR": {"srcc": 0.5}, "mini | NIQE": {"srcc": -0.25},
                                  "mini | NIQE #2": {"srcc": 0.125}}}  # a table without numbers gives no metrics


def test_training_curves_are_one_long_table(tmp_path):
    curves = training_curves(_runs(tmp_path / "runs"))
    assert sorted(curves["run"].unique()) == ["deblur/mini/nafnet/psnr", "deblur/mini/nafnet/psnr+ddr"]
    assert curves.loc[curves["run"] == "deblur/mini/nafnet/psnr", "train_psnr"].tolist() == [10.0, 12.5]


def test_dvc_yaml_declares_what_the_rule_writes_and_dvc_reads_it(tmp_path):
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    rule = (REPO / "workflow" / "rules" / "dvc.smk").read_text()
    assert "metrics=LAYOUT.dvc_metrics()" in rule and "curves=LAYOUT.dvc_curves()" in rule
    for profile, config in (("mini", "config/config.yaml"), ("paper", "config/paper.yaml")):
        layout = Layout(yaml.safe_load((REPO / config).read_text())["results_dir"])
        stage = stages[profile]
        assert [next(iter(m)) for m in stage["metrics"]] == [layout.dvc_metrics()]
        assert [next(iter(p)) for p in stage["plots"]] == [layout.dvc_curves()]
        assert config in stage["deps"] and "snakemake" in stage["cmd"]
    # DVC itself parses the file and reads the metrics from where the rule puts them
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([DVC, "init", "-q"], cwd=repo, check=True)
    shutil.copy(REPO / "dvc.yaml", repo / "dvc.yaml")
    out = repo / "results" / "mini" / "dvc"
    write_dvc_view(_tables(tmp_path / "tables"), _runs(tmp_path / "runs"), out / "metrics.json",
                   out / "training_curves.csv")
    shown = subprocess.run([DVC, "metrics", "show", "--json"], cwd=repo, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    values = next(iter(found.values()))["data"]["results/mini/dvc/metrics.json"]["data"]
    assert values["table3"]["mini | DDR"]["srcc"] == 0.5


def test_interrupted_work_never_enters_the_data_hash(tmp_path):
    """A killed mini build, extraction or atomic write leaves its staging behind; .dvcignore keeps it out of
    `dvc add data` (a killed build once made it count 374 files instead of 350), and keeps every real file in."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([DVC, "init", "-q"], cwd=repo, check=True)
    shutil.copy(REPO / ".dvcignore", repo / ".dvcignore")
    staging = ["data/.mini.building-3f2a/mini/a.png", "data/raw/.live.partial-x1/refimgs/b.bmp",
               "data/raw/downloads/live.zip.part", "data/labels/.mini.csv.k2j.tmp"]
    kept = ["data/mini/a.png", "data/labels/mini.csv", "data/raw/downloads/live.zip", "data/manifest.json"]
    for name in staging + kept:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    done = subprocess.run([DVC, "check-ignore", *staging, *kept], cwd=repo, capture_output=True, text=True)
    assert sorted(done.stdout.split()) == sorted(staging), done.stdout + done.stderr
