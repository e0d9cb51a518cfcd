"""Write result files so that a killed job never leaves a half-written file that looks finished.

Files appear under their final name only once complete (a temporary sibling is renamed over the target), with the
permissions any other file written by the user would get (the umask), and never replace anything but a regular file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any


class OutputPathError(ValueError):
    """A target that cannot or must not be replaced by a result file (a device, a directory, an unwritable folder)."""


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc/self/status)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting (not thread-safe, but only on platforms without /proc)
    os.umask(mask)
    return mask


def new_file_mode(directory: bool = False) -> int:
    """The mode `open()` (or `mkdir`) would give a new file (directory) under the current umask."""
    return (0o777 if directory else 0o666) & ~current_umask()


def check_output_target(target: str | os.PathLike) -> Path:
    """Refuse targets a result file must not replace; one-line errors that name the path."""
    target = Path(target)
    if target.exists():
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            raise OutputPathError(f"{target}: is a directory; give a file name")
        if not stat.S_ISREG(mode):
            raise OutputPathError(f"{target}: not a regular file (a device, pipe or socket); refusing to replace it")
    parent = target.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputPathError(f"{target}: {existing} is not a directory")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"{target}: folder {existing} is not writable")
    return target


@contextlib.contextmanager
def _terminate_as_exit():
    """SIGTERM (what Snakemake, Slurm and `kill` send) unwinds like Ctrl-C, so temporary files are removed."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside `target`; it replaces `target` only if the block succeeds.

    The result has the umask's permissions (or keeps those of the file it replaces), not mkstemp's 0600.
    """
    target = check_output_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputPathError(f"{target}: cannot write here ({error.strerror or error})") from None
    os.close(handle)
    try:
        with _terminate_as_exit():
            yield Path(temporary)
            mode = stat.S_IMODE(os.stat(target).st_mode) if target.is_file() else new_file_mode()
            os.chmod(temporary, mode)
            os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_bytes(target: str | os.PathLike, data: bytes, fsync: bool = False) -> None:
    """`data` as the whole file, atomically; `fsync` also makes it durable before the rename (checkpoints)."""
    with atomic_path(target) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
        if fsync:
            handle.flush()
            os.fsync(handle.fileno())


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
