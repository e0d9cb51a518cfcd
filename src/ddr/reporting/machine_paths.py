"""Absolute paths of this machine out of table text: a table must read the same on every machine that ran it.

Why: parameter descriptions name the files they came from (a weights file inside an installed package, a template
in the cache); the full paths stay in the provenance JSON, the table shows what a reader can look up elsewhere:
the package with its version, a path inside ddr's cache as $DDR_CACHE/..., a path relative to the repository or
the home folder, else the file name. A cache set by $DDR_CACHE comes before the working folder, so that a job run
from another folder (a Slurm job, a notebook) writes the same text.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from ddr.util.cache import ENVIRONMENT_VARIABLE, cache_dir

# an absolute POSIX path of two or more parts, not inside a URL ("https://x/y") or a word ("DDR/CLIP", "1/2")
_ABSOLUTE = re.compile(r"(?<![\w.:/~$])/(?:[\w.+@~-]+/)+[\w.+@~-]*[\w+@~-]")
_PACKAGE_DIRS = ("site-packages", "dist-packages")


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _package_text(inside: str) -> str:
    """'pkg/file' inside site-packages -> 'pkg/file (distribution version)' when the distribution is known."""
    top = inside.split("/", 1)[0]
    for name in _distributions().get(top, []):
        try:
            return f"{inside} (package {name} {metadata.version(name)})"
        except metadata.PackageNotFoundError:
            continue
    return f"{inside} (installed package)"


def portable_path(path: str, root: str | Path | None = None) -> str:
    """The form of one absolute path that a table may show (see the module docstring)."""
    parts = path.split("/")
    for marker in _PACKAGE_DIRS:
        if marker in parts:
            return _package_text("/".join(parts[parts.index(marker) + 1:]))
    bases = [(Path(root or os.getcwd()), ""), (Path.home(), "~/")]
    if os.environ.get(ENVIRONMENT_VARIABLE):  # else the cache is ~/.cache/ddr and reads as such
        bases.insert(0, (cache_dir(), f"${ENVIRONMENT_VARIABLE}/"))
    for base, prefix in bases:
        try:
            return prefix + Path(path).relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(path).name


def without_machine_paths(text: str, root: str | Path | None = None) -> str:
    """`text` with every absolute path replaced by its portable form; other text unchanged."""
    return _ABSOLUTE.sub(lambda match: portable_path(match.group(0), root), text)


def portable_frame(frame: pd.DataFrame, root: str | Path | None = None) -> pd.DataFrame:
    """`frame` with machine paths taken out of its text cells (numbers untouched): for any table written to disk."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = [without_machine_paths(v, root) if isinstance(v, str) else v for v in out[column]]
    return out
