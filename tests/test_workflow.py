"""The Snakemake DAG: lint, config validation, the paper profile planned without data, the mini run's outputs,
and DVC (round trip, and data/ after a mini run matching the committed data.dvc)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

from ddr.workflow.config import ConfigError, validate_config

from conftest import REPO, _copy_tracked_tree

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
DVC = [sys.executable, "-m", "dvc"]
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "DDR_OFFLINE": "1"}


def run(args, cwd, check=True, timeout=600):
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    """A copy of the repository as a clone has it: no data/, no results/."""
    root = tmp_path_factory.mktemp("clone")
    _copy_tracked_tree(root)
    return root


def test_lint_is_clean():
    done = run([*SNAKEMAKE, "--lint"], REPO)
    assert "Lints for" not in done.stdout + done.stderr


def test_paper_profile_plans_every_stage_without_data(fresh_copy):
    done = run([*SNAKEMAKE, "-n", "--configfile", "config/paper.yaml", "--quiet", "rules"], fresh_copy)
    planned = done.stdout + done.stderr
    # the CLIP feature and score jobs are named for the weights used: planned once the clip_weights checkpoint ran
    for rule in ("download_dataset", "labels", "clip_weights", "pixel_features", "baseline_shard", "biqa_table3",
                 "restoration_train"):
        assert rule in planned, rule
    assert "checkpoint" in planned
    assert not (fresh_copy / "data").exists()


def _config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_default_and_paper_configs_validate():
    validate_config(_config())
    merged = copy.deepcopy(_config())
    update_config(merged, yaml.safe_load((REPO / "config" / "paper.yaml").read_text()))  # as Snakemake merges
    validate_config(merged)


@pytest.mark.parametrize("mutate,expected", [
    (lambda c: c.update(colour=1), "unknown key in (top level)"),
    (lambda c: c["clip"].update(arhc="ViT-B-32"), "unknown key in clip"),
    (lambda c: c["features"].update(batch_size=0), "bad value at features/batch_size"),
    (lambda c: c["pixel"]["levels"].update(sparkle=[1]), "pixel/levels"),
    (lambda c: c["ddr"].update(types=["blurr"]), "ddr/types/0"),
])
def test_config_errors_name_the_key(mutate, expected):
    config = _config()
    mutate(config)
    with pytest.raises(ConfigError, match="config.yaml") as error:
        validate_config(config, source="config/config.yaml")
    assert expected in str(error.value)


def test_snakemake_stops_on_a_bad_key(fresh_copy):
    done = run([*SNAKEMAKE, "-n", "--config", "colour=1"], fresh_copy, check=False)
    assert done.returncode != 0
    assert "unknown key" in done.stderr + done.stdout and "colour" in done.stderr + done.stdout


def test_snakemake_names_an_unknown_dataset(fresh_copy):
    done = run([*SNAKEMAKE, "-n", "--config", 'biqa={"datasets": ["mini", "livee"]}'], fresh_copy, check=False)
    said = done.stderr + done.stdout
    assert done.returncode != 0 and "unknown dataset 'livee' at biqa/datasets" in said
    assert "MissingInputException" not in said


def test_dvc_round_trip(tmp_path):
    project = tmp_path / "project"
    (project / "data" / "sub").mkdir(parents=True)
    payload = {"data/a.bin": os.urandom(4096), "data/sub/b.txt": b"hello\n"}
    for name, content in payload.items():
        (project / name).write_bytes(content)
    run(["git", "init", "-q"], project)
    run([*DVC, "init", "-q"], project)
    run([*DVC, "config", "core.analytics", "false"], project)
    run([*DVC, "remote", "add", "-d", "local", str(tmp_path / "remote")], project)
    run([*DVC, "add", "-q", "data"], project)
    run([*DVC, "push", "-q"], project)
    shutil.rmtree(project / "data")
    shutil.rmtree(project / ".dvc" / "cache")
    run([*DVC, "pull", "-q"], project)
    for name, content in payload.items():
        assert (project / name).read_bytes() == content


@pytest.mark.slow
def test_mini_run_produces_stage_outputs(mini_run):
    results = mini_run / "results" / "mini"
    labels = pd.read_csv(mini_run / "data" / "labels" / "mini.csv")
    assert len(labels) > 100 and {"image", "score", "direction", "ref"} <= set(labels.columns)
    weights = json.loads((results / "weights" / "ViT-B-32+openai.json").read_text())
    assert weights["stand_in"] and "unavailable" in weights["reason"]  # offline: stand-in, and it says why
    # named for the weights used: a stand-in's files never claim the released ones
    assert not list(results.glob("scores/mini/ddr_ViT-B-32+openai.csv*"))
    assert not (results / "features" / "mini" / "ViT-B-32+openai").exists()
    scores = pd.read_csv(results / "scores" / "mini" / "ddr_ViT-B-32+standin-for-openai.csv")
    assert len(scores) == len(labels) and scores["stand_in"].all()
    assert {"ddr", "ddr_blur", "ddr_content", "ddr_noadapt_blur"} <= set(scores.columns)
    pixel = pd.read_csv(results / "scores" / "mini" / "pddr_efficientnet-lite0.csv")
    assert not pixel["stand_in"].any() and any(c.startswith("pddr_blur@") for c in pixel.columns)
    provenance = json.loads((results / "scores" / "mini" / "ddr_ViT-B-32+standin-for-openai.csv.provenance.json")
                            .read_text())
    assert provenance["stand_in"] and provenance["versions"]["torch"]


@pytest.mark.slow
def test_mini_data_matches_committed_data_dvc(mini_run):
    """The mini data is reproducible byte for byte: data/ after the run hashes to the committed data.dvc."""
    committed = yaml.safe_load((mini_run / "data.dvc").read_text())["outs"][0]
    run(["git", "init", "-q"], mini_run)
    run([*DVC, "add", "-q", "data"], mini_run)  # hash data/ into the (empty) cache
    rebuilt = yaml.safe_load((mini_run / "data.dvc").read_text())["outs"][0]
    assert (rebuilt["md5"], rebuilt["nfiles"], rebuilt["size"]) == (committed["md5"], committed["nfiles"], committed["size"])
    done = run([*DVC, "status", "data.dvc", "--json"], mini_run)
    assert json.loads(done.stdout or "{}") == {}, done.stdout
