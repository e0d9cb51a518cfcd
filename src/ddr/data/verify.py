"""Check a downloaded or hand-placed file without a published checksum: is it the kind of file its name says,
is the archive whole, and has it changed since it was last accepted?

Why: most dataset hosts publish no checksum, and the failures seen in practice are an HTML error or login page
saved under the archive's name, a body cut short without a Content-Length, and a replaced file. Each is caught
here before anything is extracted: the file's first bytes (magic) must match its type, the archive's own
integrity data must check out (zip CRCs, tar end-of-archive blocks and readable members, 7z/rar CRC test), and
what was accepted is recorded beside it (`<name>.accepted.json`: size, sha256, mtime) so that a later run sees
a change. A bad file is moved to `<name>.bad` and the message says what to do next.
"""

from __future__ import annotations

import json
import os
import sys
import tarfile
import zipfile
from pathlib import Path

from ddr.util.atomic import write_json
from ddr.util.hashing import sha256_file

ACCEPTED_SUFFIX = ".accepted.json"
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")

# First bytes of each container/compression format (tar's "ustar" sits at offset 257).
_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"), (b"Rar!\x1a\x07", "rar"), (b"7z\xbc\xaf\x27\x1c", "7z"),
)
# Which sniffed formats each archive kind may start with (a .tar may be compressed whatever its suffix says).
_ALLOWED = {"zip": {"zip"}, "rar": {"rar"}, "7z": {"7z"}, "tar": {"tar", "gzip", "bzip2", "xz"}}


class BadArchive(RuntimeError):
    """The file is not the archive its name promises, or the archive is damaged; it was moved to `kept_at`."""

    def __init__(self, message: str, path: Path, kept_at: Path | None):
        super().__init__(message)
        self.path, self.kept_at = path, kept_at


def archive_kind(path: str | os.PathLike) -> str | None:
    """zip | tar | rar | 7z from the file name (None for a plain file)."""
    name = Path(path).name.lower()
    for kind, suffixes in (("zip", (".zip",)), ("tar", _TAR_SUFFIXES), ("rar", (".rar",)), ("7z", (".7z",))):
        if name.endswith(suffixes):
            return kind
    return None


def sniff(path: str | os.PathLike) -> str:
    """What the file's first bytes say it is: a format name, 'html', 'text', 'empty' or 'unknown'."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<html" in lowered:
        return "html"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def move_aside(path: Path) -> Path:
    bad = path.with_name(path.name + ".bad")
    os.replace(path, bad)
    return bad


def _refuse(path: Path, problem: str, advice: str) -> BadArchive:
    kept = move_aside(path)
    return BadArchive(f"{path}: {problem}; it was moved to {kept}. {advice}", path, kept)


def _test_tar(path: Path) -> None:
    """Read every member's data, then require the two zero blocks that end a tar archive (a plain tar cut at a
    member boundary is otherwise indistinguishable from a shorter archive)."""
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile():
                stream = archive.extractfile(member)
                while stream.read(1 << 20):
                    pass
        archive.fileobj.seek(archive.offset)
        tail = archive.fileobj.read(1024)
    if len(tail) < 1024 or tail.strip(b"\0"):
        raise tarfile.ReadError("no end-of-archive marker (the archive is cut short)")


def _test_7z(path: Path) -> None:
    import py7zr  # declared in the workflow extra

    with py7zr.SevenZipFile(path) as archive:
        if archive.testzip() is not None:
            raise ValueError("a member fails its CRC check")


def _test_rar(path: Path) -> None:
    import rarfile  # declared in the workflow extra; compressed members need unrar/7z/bsdtar/unar

    with rarfile.RarFile(path) as archive:
        archive.testrar()


def check_integrity(path: Path, kind: str) -> None:
    """Raise (any exception) when the archive's own integrity data does not check out."""
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"member {bad!r} fails its CRC check")
    elif kind == "tar":
        _test_tar(path)
    elif kind == "7z":
        _test_7z(path)
    elif kind == "rar":
        _test_rar(path)


def read_accepted(path: Path) -> dict | None:
    try:
        return json.loads(path.with_name(path.name + ACCEPTED_SUFFIX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _unchanged(path: Path, record: dict | None) -> bool:
    stat = path.stat()
    return bool(record) and record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns


def is_accepted(path: str | os.PathLike) -> bool:
    """True when `path` was accepted before and has not changed since (same size and mtime)."""
    path = Path(path)
    return _unchanged(path, read_accepted(path))


def check_download(path: str | os.PathLike, extract: bool = True, source: str = "") -> str:
    """Accept `path` (magic bytes, archive integrity) and record it; return its sha256.

    A file already accepted with the same size and mtime is not read again. A changed one is checked afresh and
    the change is reported. `source` (URL or "placed by hand") goes into the advice of an error.
    """
    path = Path(path)
    record = read_accepted(path)
    if _unchanged(path, record):
        return record["sha256"]
    if record:
        print(f"note: {path} changed since it was accepted (was {record.get('size')} bytes, sha256 "
              f"{record.get('sha256')}); checking it again", flush=True, file=sys.stderr)
    advice = (f"Run again to download it afresh from {source}, or place a good copy at {path}." if source
              else f"Obtain the file again and place it at {path}.")
    kind = archive_kind(path) if extract else None
    found = sniff(path)
    if kind is not None and found not in _ALLOWED[kind]:
        what = {"html": "an HTML page (an error or login page, not the archive)", "empty": "empty"}.get(
            found, f"a {found} file")
        raise _refuse(path, f"expected a {kind} archive but the file is {what}", advice)
    if kind is None and found in ("html", "empty") and path.suffix.lower() not in (".html", ".htm"):
        raise _refuse(path, f"the file is {'an HTML page' if found == 'html' else 'empty'}, not the data", advice)
    if kind is not None:
        try:
            check_integrity(path, kind)
        except ImportError:
            raise
        except Exception as exc:  # each library raises its own types (BadZipFile, ReadError, EOFError, ...)
            raise _refuse(path, f"damaged {kind} archive ({exc})", advice) from exc
    stat = path.stat()
    sha = sha256_file(path)
    write_json(path.with_name(path.name + ACCEPTED_SUFFIX),
               {"file": path.name, "size": stat.st_size, "sha256": sha, "mtime_ns": stat.st_mtime_ns,
                "format": found, "source": source})
    return sha
