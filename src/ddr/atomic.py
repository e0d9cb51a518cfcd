"""Write result files so that a killed job never leaves a half-written file that looks finished."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside `target`; it replaces `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as temporary:
        temporary.write_text(text)


def write_json(target: str | os.PathLike, data: Any) -> None:
    write_text(target, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(target: str | os.PathLike, frame, **kwargs) -> None:
    """A pandas DataFrame as CSV (index off unless asked), atomically."""
    kwargs.setdefault("index", False)
    with atomic_path(target) as temporary:
        frame.to_csv(temporary, **kwargs)


def torch_save(target: str | os.PathLike, obj: Any) -> None:
    import torch

    with atomic_path(target) as temporary, open(temporary, "wb") as handle:
        torch.save(obj, handle)  # a handle, not a path: torch names the archive's inner folder after a path
