"""What `dvc metrics diff` and `dvc plots diff` compare between two runs (dvc.yaml points at these files).

DVC reads metrics from JSON/YAML only, so the numbers of every result table are gathered into one JSON file,
nested as {table: {row: {column: value}}}; the rows are named by the table's leading text columns (dataset,
method, ...). The figures' data that are not already plain CSV files (the restoration training curves, spread over
one log per run) are gathered into one long CSV.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ddr.util.atomic import write_csv, write_json
from ddr.util.provenance import provenance


def _row_names(frame: pd.DataFrame, numeric: list[str]) -> list[str]:
    """Each row's name: its text cells up to the first numeric column ('mini | DDR'), made unique in order."""
    first = min((frame.columns.get_loc(c) for c in numeric), default=len(frame.columns))
    labels = list(frame.columns[:first])
    names, seen = [], {}
    for index, row in frame.iterrows():
        name = " | ".join(str(row[c]) for c in labels if pd.notna(row[c]) and str(row[c]) != "") or f"row {index}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return names


def table_metrics(tables_dir: str | Path) -> dict:
    """Every number of every tables/*.csv, as {table: {row: {column: value}}} (empty cells left out)."""
    metrics = {}
    for path in sorted(Path(tables_dir).glob("*.csv")):
        frame = pd.read_csv(path)
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
        rows = {}
        for name, (_, row) in zip(_row_names(frame, numeric), frame.iterrows()):
            values = {str(c): float(row[c]) for c in numeric if pd.notna(row[c])}
            if values:
                rows[name] = values
        if rows:
            metrics[path.stem] = rows
    return metrics


def training_curves(runs_dir: str | Path) -> pd.DataFrame:
    """Long table (run, iter, train_psnr) from every restoration run's log.csv (train_psnr = -loss_psnr, in dB)."""
    frames = []
    for log in sorted(Path(runs_dir).rglob("log.csv")):
        frame = pd.read_csv(log)
        if {"iter", "loss_psnr"} <= set(frame.columns):
            run = log.parent.relative_to(runs_dir).as_posix()
            frames.append(pd.DataFrame({"run": run, "iter": frame["iter"], "train_psnr": -frame["loss_psnr"]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run", "iter", "train_psnr"])


def write_dvc_view(tables_dir: str | Path, runs_dir: str | Path, metrics_json: str | Path,
                   curves_csv: str | Path) -> None:
    """Both files, each with a provenance sidecar (kept out of the metrics file, where DVC would read it)."""
    write_json(metrics_json, table_metrics(tables_dir))
    write_json(f"{metrics_json}.provenance.json", provenance(source=str(tables_dir), what="numbers of tables/*.csv"))
    write_csv(curves_csv, training_curves(runs_dir))
    write_json(f"{curves_csv}.provenance.json", provenance(source=str(runs_dir), what="training logs, -loss_psnr"))
