"""What produced a result: code version, library versions, and the caller's facts (backbone, weights, config)."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES = ("deep-degradation-response", "torch", "torchvision", "open_clip_torch", "numpy", "scipy",
                    "pandas", "scikit-image", "pillow", "snakemake")


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The repository's commit (with '-dirty' when the tree has changes), or 'unknown' outside a checkout."""
    root = Path(__file__).resolve().parent  # git finds the checkout above the package, if there is one
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def provenance(**facts) -> dict:
    """A provenance record: the given facts plus commit and versions."""
    return {**facts, "git_commit": git_commit(), "versions": versions()}
