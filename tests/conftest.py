"""Shared fixtures. Every test runs offline: DDR_OFFLINE=1 forbids weight downloads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["DDR_OFFLINE"] = "1"

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def golden() -> dict:
    """The official implementation's outputs on the tiny checkpoints (copied from shared/golden)."""
    return json.loads((GOLDEN / "expected.json").read_text())


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN


@pytest.fixture(scope="session")
def tiny_vit():
    from ddr import DDR

    return DDR.from_checkpoint(GOLDEN / "tiny-vit-0.pt")


def _copy_tracked_tree(target: Path) -> None:
    """Copy the files git tracks (and untracked, non-ignored ones) — what a fresh clone would have."""
    import shutil
    import subprocess

    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="session")
def mini_run(tmp_path_factory) -> Path:
    """The whole mini profile run once (`snakemake --cores 2`) in a temporary copy of the repository.

    Returns the copy's root; results are under results/mini. Shared by every test that checks a stage's outputs
    or executes a notebook, so the pipeline runs once per test session.
    """
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("mini-run")
    _copy_tracked_tree(root)
    env = {**os.environ, "DDR_OFFLINE": "1", "DDR_CACHE": str(root / ".cache")}
    completed = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet", "rules"], cwd=root,
                               env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise AssertionError(f"mini pipeline failed:\n{completed.stdout[-5000:]}\n{completed.stderr[-5000:]}")
    return root


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks run faster on one thread than on two contended ones; restores the setting afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def notebook_is_clean(path: Path) -> bool:
    """Committed notebooks carry no outputs or execution counts (diffs stay readable)."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return bool(cells) and all(not c["outputs"] and c.get("execution_count") is None for c in cells)


def execute_notebook(path: Path, repo_root: Path, results: Path) -> list:
    """Run a notebook top to bottom with DDR_RESULTS=results in repo_root; return every output of every cell."""
    import nbclient
    import nbformat

    previous = os.environ.get("DDR_RESULTS")
    os.environ["DDR_RESULTS"] = str(results)
    try:
        notebook = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(repo_root)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("DDR_RESULTS", None)
        else:
            os.environ["DDR_RESULTS"] = previous
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
