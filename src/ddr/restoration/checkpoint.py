"""Atomic checkpoint files and the RNG states that make a resumed run continue bit for bit."""
from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ddr.util.atomic import write_bytes

CKPT_RE = re.compile(r"^iter_(\d+)\.pt$")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Readers never see half a checkpoint: written beside it, fsynced, then renamed (`ddr.util.atomic`)."""
    write_bytes(path, data, fsync=True)


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def rng_states() -> dict:
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Mapping[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def checkpoint_path(folder: str | Path, iteration: int) -> Path:
    return Path(folder) / f"iter_{iteration:08d}.pt"


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := CKPT_RE.match(p.name))]
    return sorted(found)


def latest_checkpoint(folder: str | Path) -> Path | None:
    found = list_checkpoints(folder)
    return found[-1][1] if found else None


def prune_checkpoints(folder: str | Path, keep: int) -> None:
    if keep <= 0:
        return
    for _, p in list_checkpoints(folder)[:-keep]:
        p.unlink(missing_ok=True)


def csv_text(header: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in header})
    return buf.getvalue()


def read_csv_rows(path: str | Path) -> tuple[list[str], list[dict]]:
    path = Path(path)
    if not path.exists():
        return [], []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)
