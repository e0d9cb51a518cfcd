"""Datasets for the pipeline: obtain a registered set, and reduce any set to one label table whose image paths
are relative to the repository (so every later rule reads images the same way)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ddr.util.atomic import write_csv, write_json

PATH_COLUMNS = ("image", "input", "target", "blur", "sharp", "lr", "hr", "lq", "gt")


def download(name: str, root: str | Path, registry_path: str | Path, out: str | Path) -> None:
    """Download/verify/extract (or pick up a manually placed archive) and record where the set lives."""
    from ddr.data.download import ensure_dataset
    from ddr.data.registry import load_registry

    dataset_dir = ensure_dataset(name, root, load_registry(registry_path))
    write_json(out, {"dataset": name, "dir": str(dataset_dir)})


def _prefixed(table: pd.DataFrame, root: Path) -> pd.DataFrame:
    table = table.copy()
    for column in PATH_COLUMNS:
        if column in table:
            table[column] = [str(root / p) for p in table[column]]
    return table


def dataset_table(name: str, ready_marker: str | Path, registry_path: str | Path) -> pd.DataFrame:
    """The normalised table of a dataset (the mini quality set for 'mini').

    `ready_marker` is what proves the set complete: the mini manifest.json, or the download rule's record.
    """
    ready_marker = Path(ready_marker)
    if name == "mini":
        root = ready_marker.parent / "quality"
        return _prefixed(pd.read_csv(root / "labels.csv", keep_default_na=False, na_values=[""]), root)
    from ddr.data.labels import check_dataset
    from ddr.data.registry import load_registry

    root = Path(json.loads(ready_marker.read_text())["dir"])
    return _prefixed(check_dataset(load_registry(registry_path).get(name), root), root)


def write_labels(name: str, ready_marker: str | Path, registry_path: str | Path, out: str | Path) -> None:
    write_csv(out, dataset_table(name, ready_marker, registry_path))
