"""The DAG on a real Slurm cluster (issue 6).

A one-node cluster started on this machine (tests/slurm/setup_cluster.sh: slurmctld, slurmd, slurmdbd on MariaDB,
munge; 127.0.0.1 only) runs the mini profile's feature stage, and the BIQA stage once its rules exist, through
workflow/profiles/slurm and snakemake-executor-plugin-slurm, in a temporary copy of the repository. The outputs must
equal those of a local run of the same targets, and sacct must show exactly the jobs of the DAG (one per feature
shard), with the profile's partition and account and a GPU for every feature job.

Needs root to install and start the cluster (CI runs as root); the cluster is stopped at the end. Takes minutes:
deselect with -m "not slurm".
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, _copy_tracked_tree

SCRIPTS = REPO / "tests" / "slurm"
CLUSTER, PARTITION, ACCOUNT = "ddrtest", "ddr", "ddr"
STAGES = ("features", "biqa")  # the stages run, as the Snakefile's target rules stage_<name>
SETUP_TIMEOUT = 1500  # s: package installation (about a minute on CI) and daemon start
RUN_TIMEOUT = 3000  # s per Snakemake run (the feature stage takes minutes on two cores)
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# Logs hold timestamps and absolute paths; everything else a run writes is compared.
NOT_COMPARED = re.compile(r"^results/[^/]+/(logs|benchmarks)/")  # logs and per-job timings differ by nature

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(SETUP_TIMEOUT + 3 * RUN_TIMEOUT)]


def _test_cluster_is_up() -> bool:
    """Our own one-node cluster answers (never some real cluster this machine happens to reach)."""
    if shutil.which("scontrol") is None:
        return False
    try:
        done = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and re.search(rf"^ClusterName\s*=\s*{CLUSTER}\s*$", done.stdout, re.M) is not None


@pytest.fixture(scope="module")
def slurm_cluster():
    """Install (if missing) and start the cluster; stop its daemons afterwards. Yields {phase: seconds}."""
    if os.geteuid() != 0:
        if not _test_cluster_is_up():
            pytest.skip("installing and starting the local Slurm test cluster needs root "
                        "(or start it first: sudo bash tests/slurm/setup_cluster.sh)")
        yield {}
        return
    env = {**os.environ, "DDR_SLURM_CLUSTER": CLUSTER, "DDR_SLURM_PARTITION": PARTITION, "DDR_SLURM_ACCOUNT": ACCOUNT}
    try:
        done = subprocess.run(["bash", str(SCRIPTS / "setup_cluster.sh")], env=env, capture_output=True, text=True,
                              timeout=SETUP_TIMEOUT)
        if done.returncode != 0:
            raise AssertionError(f"setup_cluster.sh failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                                 f"{done.stderr[-6000:]}")
        timings = {phase: int(seconds) for phase, seconds in re.findall(r"^timing (\w+) (\d+)$", done.stdout, re.M)}
        print(f"\nSlurm test cluster: {timings}")
        yield timings
    finally:
        subprocess.run(["bash", str(SCRIPTS / "teardown_cluster.sh")], capture_output=True, timeout=600)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a command to completion (bounded) and return its combined output; fail with its tail otherwise."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}) in {cwd}:\n{output[-8000:]}")
    return output


def _workflow_env(code: Path, cache: Path) -> dict[str, str]:
    """Offline; `ddr` imported from the copy's own src/ (not the editable install's checkout, which may change
    while the test runs); the cache inside `cache` (as mini_run has it): stand-in notes name the cache's path."""
    python_path = os.pathsep.join(filter(None, [str(code / "src"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "DDR_OFFLINE": "1", "DDR_CACHE": str(cache / ".cache"), "PYTHONPATH": python_path}


def stage_targets(root: Path, scratch: Path) -> list[str]:
    """The final files of the stages run, as the workflow itself defines them (its STAGE_TARGETS), once a run has
    resolved the clip_weights checkpoint that names the CLIP score files: a throw-away Snakefile includes the real one
    and adds a rule whose input is every stage's targets; a dry run (the checkpoint is complete, so Snakemake evaluates
    the input function) prints its command with them. The test follows whatever the stages make without naming them."""
    lister = scratch / "list_stage_targets.smk"
    lister.write_text(f'include: "{root / "Snakefile"}"\n\n'
                      'rule list_stage_targets:\n'
                      f'    input: lambda wildcards: [t for name in {list(STAGES)!r} for t in STAGE_TARGETS[name]()]\n'
                      f'    output: "{scratch / "listed"}"\n'
                      '    shell: "echo STAGE_TARGETS {input} > {output}"\n')
    output = _run([*SNAKEMAKE, "--snakefile", str(lister), "--cores", "1", "-n", "-p", "list_stage_targets"], root,
                  _workflow_env(root, root))
    return sorted(set(re.search(r"echo STAGE_TARGETS (.*) > ", output).group(1).split()))  # its "Shell command:"


def submitted_jobs(output: str) -> Counter:
    """Jobs per rule that Snakemake handed to the executor ("rule X:"; local jobs print "localrule X:" or
    "localcheckpoint X:"), counted over the whole run: the jobs planned after the checkpoint included."""
    return Counter(re.findall(r"^rule (\S+):$", output, re.M))


def produced_files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for top in ("data", "results") for path in (root / top).rglob("*")
            if path.is_file() and not NOT_COMPARED.match(path.relative_to(root).as_posix())}


# Provenance names the git commit of the tree `ddr` was imported from: "unknown" in a copy without .git, the
# checkout's HEAD in a reused mini_run (which imports the editable install). Only that value is not compared.
VOLATILE_KEYS = {"git_commit"}


def _masked(obj):
    if isinstance(obj, dict):
        return {key: "<volatile>" if key in VOLATILE_KEYS else _masked(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_masked(value) for value in obj]
    return obj


def assert_same_content(a, b, where: str) -> None:
    """Exact equality of nested containers, tensors and arrays (dtype, shape and every value)."""
    import torch

    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same_content(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: lengths differ"
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same_content(x, y, f"{where}[{index}]")
    elif isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), f"{where}: tensors differ"
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), where
    elif hasattr(a, "equals"):
        assert a.equals(b), where
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), f"{where}: {a!r} != {b!r}"  # the same missing value on both sides
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_file(ours: Path, theirs: Path) -> None:
    """CSV tables equal within 1e-6 (numbers) and exactly (text); JSON and torch files equal in every value but the
    commit they name; every other file byte for byte.

    Torch files are compared by content: torch.save names the archive's inner folder after the file it writes, a
    random temporary name in ddr.util.atomic, so their bytes differ from run to run while their content does not."""
    if ours.suffix == ".csv":
        a, b = pd.read_csv(ours), pd.read_csv(theirs)
        assert list(a.columns) == list(b.columns) and a.shape == b.shape, ours
        for column in a.columns:
            if pd.api.types.is_numeric_dtype(a[column]) and pd.api.types.is_numeric_dtype(b[column]):
                np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=0, atol=1e-6,
                                           equal_nan=True, err_msg=f"{ours}: {column}")
            else:
                assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), f"{ours}: {column}"
    elif ours.suffix == ".json":
        assert_same_content(_masked(json.loads(ours.read_text())), _masked(json.loads(theirs.read_text())), str(ours))
    elif ours.suffix == ".pt":
        import torch

        a, b = (torch.load(path, map_location="cpu", weights_only=False) for path in (ours, theirs))
        assert_same_content(_masked(a), _masked(b), str(ours))
    else:
        assert ours.read_bytes() == theirs.read_bytes(), f"{ours} differs from the local run's {theirs}"


def sacct_jobs(run_id: str, since: str) -> pd.DataFrame:
    fields = ["JobID", "JobName", "Partition", "Account", "State", "ExitCode", "AllocTRES", "Comment", "WorkDir"]
    done = subprocess.run(["sacct", "-X", "-P", "-n", "--name", run_id, "--starttime", since,
                           f"--format={','.join(fields)}"], capture_output=True, text=True, timeout=60, check=True)
    rows = [line.split("|") for line in done.stdout.splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=fields)


def local_reference(request, twin: Path, targets: list[str]) -> tuple[Path, float | None]:
    """A local run (`snakemake --cores 2`) holding the targets: the session's whole-profile mini_run when other
    tests need it anyway (CI's full suite), else a run of just these targets in `twin`, a copy of the tree the Slurm
    run gets. Returns its root and the seconds this call spent running it (None when mini_run was reused)."""
    if any("mini_run" in getattr(item, "fixturenames", ()) for item in request.session.items if item is not
           request.node):
        return request.getfixturevalue("mini_run"), None
    started = time.monotonic()
    _run([*SNAKEMAKE, "--cores", "2", *targets], twin, _workflow_env(twin, twin))
    return twin, time.monotonic() - started


def test_feature_and_biqa_stages_on_slurm_equal_a_local_run(slurm_cluster, request, tmp_path_factory):
    slurm_root = tmp_path_factory.mktemp("slurm-run")
    _copy_tracked_tree(slurm_root)
    twin = tmp_path_factory.mktemp("local-run")
    shutil.copytree(slurm_root, twin, dirs_exist_ok=True)
    targets = [f"stage_{stage}" for stage in STAGES]
    local_root, local_seconds = local_reference(request, twin, targets)

    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 60))
    # The reference's cache: the stand-in weights' notes (in weights records, caches, provenance) then read the same.
    env = {**_workflow_env(slurm_root, local_root), "SBATCH_PARTITION": PARTITION, "SBATCH_ACCOUNT": ACCOUNT}
    # The plugin first checks job states 40 s after a submission by default; 5 s suits these minute-long jobs.
    command = [*SNAKEMAKE, "--profile", "workflow/profiles/slurm", "--slurm-init-seconds-before-status-checks", "5",
               "--slurm-keep-successful-logs", *targets]
    started = time.monotonic()
    output = _run(command, slurm_root, env)
    slurm_seconds = time.monotonic() - started
    timings = {**slurm_cluster, "local_run": local_seconds and round(local_seconds), "slurm_run": round(slurm_seconds)}
    print(f"\ntimings (s): {timings}")  # shown with -s or -rP

    # Same files, same content (the reference may hold more: mini_run runs every stage).
    ours, theirs = produced_files(slurm_root), produced_files(local_root)
    assert ours <= theirs, f"only on Slurm: {sorted(ours - theirs)}"
    finals = stage_targets(slurm_root, tmp_path_factory.mktemp("lister"))
    assert any("+standin-for-" in name for name in finals), finals  # offline: the CLIP files say stand-in
    for target in finals:
        assert target in ours, target
    for name in sorted(ours):
        assert_same_file(slurm_root / name, local_root / name)

    # sacct shows exactly the DAG's jobs, one per feature shard, all through the profile's partition and account.
    run_id = re.search(r"SLURM run ID: (\S+)", output).group(1)
    jobs = sacct_jobs(run_id, since)
    print(f"\nsacct for run {run_id}:\n{jobs.to_string(index=False)}")
    planned = submitted_jobs(output)
    jobs["rule"] = jobs["Comment"].str.extract(r"^rule_(.+?)(?:_wildcards_.*)?$", expand=False)
    assert Counter(jobs["rule"]) == planned, (planned, jobs[["JobID", "Comment"]])
    assert (jobs["State"] == "COMPLETED").all() and (jobs["ExitCode"] == "0:0").all(), jobs
    assert (jobs["Partition"] == PARTITION).all() and (jobs["Account"] == ACCOUNT).all(), jobs
    assert (jobs["WorkDir"] == str(slurm_root)).all(), jobs
    shards_config = yaml.safe_load((slurm_root / "config" / "config.yaml").read_text())["features"]["shards"]
    n_shards = int(shards_config.get("mini", shards_config["default"]))
    for rule in ("clip_features", "pixel_features"):
        shard_jobs = jobs[jobs["rule"] == rule]
        shards = sorted(shard_jobs["Comment"].str.extract(rf"_(\d+)_{n_shards}$", expand=False).astype(int))
        assert shards == list(range(n_shards)), shard_jobs  # one job per shard
        assert shard_jobs["AllocTRES"].str.contains(r"gres/gpu=1\b").all(), shard_jobs  # device auto asks for a GPU
    cpu_only = jobs[jobs["rule"].isin(["build_mini", "labels", "clip_weights", "ddr_scores", "pixel_scores"])]
    assert len(cpu_only) and not cpu_only["AllocTRES"].str.contains("gres/gpu").any(), cpu_only

    # The plugin's logs are where docs/cluster.md says: .snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log
    logs = {path.stem for path in (slurm_root / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(jobs["JobID"]) <= logs, (sorted(logs), jobs["JobID"].tolist())

    # Resuming is rerunning the same command: a finished DAG submits nothing.
    rerun = _run(command, slurm_root, env)
    assert "Nothing to be done" in rerun, rerun[-3000:]
