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
