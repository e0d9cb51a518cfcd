"""Changing a table's settings must not re-run the encoder (Snakemake's own rerun decision, asked in a dry run).

A fresh copy of the repository gets every mini-profile output as an empty file (JSON: `{}`), `snakemake --touch` records the
jobs' metadata (params, inputs, code) as a real run would, then dry runs with changed settings list what would
run. A changed encoder setting (the feature batch size) is the control: it must re-run the encoder jobs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import _copy_tracked_tree

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
ENV = {**os.environ, "DDR_OFFLINE": "1"}
ENCODER_RULES = {"clip_features", "pixel_features", "image_directions"}


def snakemake(root: Path, *args: str) -> str:
    done = subprocess.run([*SNAKEMAKE, *args], cwd=root, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def planned_rules(root: Path, override: str) -> set[str]:
    (root / "override.yaml").write_text(override)
    out = snakemake(root, "-n", "--quiet", "rules", "--configfile", "config/config.yaml", "override.yaml")
    return {m.group(1) for m in re.finditer(r"(?m)^(\w+)\s+\d+\s*$", out)} - {"total", "all"}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("touched")
    _copy_tracked_tree(root)
    touched = 0
    # Round two touches the CLIP jobs that the clip_weights checkpoint names once its (touched) record exists.
    for _ in range(3):
        summary = snakemake(root, "-n", "--detailed-summary", "--cores", "1")
        outputs = [line.split("\t")[0] for line in summary.splitlines() if line.startswith(("results/", "data/"))]
        missing = [name for name in outputs if not (root / name).exists()]
        if not missing:
            break
        for name in missing:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("{}" if name.endswith(".json") else "")  # JSON readers (the end-of-run hook)
        snakemake(root, "--touch", "--cores", "1", "--quiet", "all")
        touched += len(missing)
    assert touched > 50
    assert planned_rules(root, "{}\n") == set()  # nothing left to do
    return root


def test_table_settings_rerun_no_encoder_job(finished_run):
    # all three changed at once: a job re-runs when any of its settings changed, so none of them alone can either
    override = ("ddr:\n  types: [blur, noise]\n"
                "biqa:\n  bootstrap: 10\n  ablation_type_sets: [[blur], [noise, color]]\n")
    planned = planned_rules(finished_run, override)
    assert {"biqa_table7", "biqa_evaluation"} <= planned  # the tables do re-run
    assert not planned & ENCODER_RULES, planned


def test_an_encoder_setting_reruns_the_encoder(finished_run):
    assert {"clip_features", "pixel_features"} <= planned_rules(finished_run, "features:\n  batch_size: 8\n")
