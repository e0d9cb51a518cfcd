"""`make paper-replica`: the paper profile's whole DAG, every rule, executed on the release replicas in a
temporary copy of the repository (what a fresh clone has), with its data served from 127.0.0.1. The test adds
config/paper-replica-ci.yaml (fewer instances of each rule) to fit the CI budget; the plan it checks against is
the same run's dry run, and every rule of that plan must execute."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import _copy_tracked_tree
from ddr.workflow.artifacts import ARTIFACTS
from ddr.workflow.layout import Layout

# ~10 min on 2 idle cores (~28 min on a loaded machine); deselect with -m "not paper_replica".
pytestmark = [pytest.mark.slow, pytest.mark.paper_replica]

# every generated table and figure of the paper (the CI size still builds each of them)
GENERATED = [a for a in ARTIFACTS if a.rule is not None]
RESULTS = "results/paper-replica-ci"
BIQA_SETS = ["csiq", "live", "tid2013", "kadid10k", "koniq10k", "liveitw", "cid2013", "spaq"]


def _rules(text: str) -> set[str]:
    return set(re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def replica_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper-replica")
    _copy_tracked_tree(root)
    env = {**os.environ, "DDR_OFFLINE": "1", "DDR_CACHE": str(root / ".cache")}
    def replica_run(*snakemake_args: str) -> subprocess.CompletedProcess:
        code = ("import sys; from pathlib import Path; from ddr.data import replica_run as R; "
                "sys.exit(R.run('2', sys.argv[2:], repo=Path(sys.argv[1]), ci=True))")
        return subprocess.run([sys.executable, "-c", code, str(root), *snakemake_args], cwd=root, env=env,
                              capture_output=True, text=True)

    planned = replica_run("-n")
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr[-3000:]
    plan_log = (root / RESULTS / "paper-replica.log").read_text()
    completed = replica_run()
    log = (root / RESULTS / "paper-replica.log").read_text()
    assert completed.returncode == 0, completed.stdout[-5000:] + log[-5000:]
    return root, plan_log, log, completed.stdout


def test_every_rule_of_the_paper_profile_runs(replica_run):
    _, plan_log, log, summary = replica_run
    planned = _rules(plan_log)
    # CLIP feature jobs are named after the clip_weights checkpoint has run, so a fresh dry run plans them later
    assert {"download_dataset", "labels", "clip_weights", "baseline_shard", "restoration_train",
            "biqa_table3", "all"} <= planned
    assert planned | {"clip_features", "ddr_scores"} <= _rules(log), sorted(planned - _rules(log))
    assert re.search(r"paper-replica: snakemake exit 0, \d+ jobs executed, wall time \d+ s", summary)


def test_every_table_and_figure_is_produced_and_labelled_a_stand_in(replica_run):
    root = replica_run[0]
    results = root / RESULTS
    layout = Layout(str(results))
    for artifact in GENERATED:
        for path in artifact.files(layout):
            assert Path(path).is_file(), (artifact.id, path)
    table3 = (results / "tables/table3_biqa_srcc.md").read_text()
    assert "STAND-IN" in table3
    frame = pd.read_csv(results / "tables/table3_biqa_srcc.csv")
    assert all(any(name in str(column).lower() or frame.astype(str).apply(lambda c: c.str.lower()).eq(name).any()
                   .any() for column in frame.columns) for name in BIQA_SETS)
    # the data went through the real download path: direct sets fetched, the others placed by hand
    for name in ("csiq", "tid2013", "kadid10k", "koniq10k", "cid2013"):
        assert list((root / "data/paper-replica-ci/raw/downloads" / name).glob("*.accepted.json")), name
