"""Download, verify and extract datasets so that later rules only ever see complete sets.

Why each piece:
- resume (HTTP Range on a `.part` file): archives run to gigabytes on hosts that drop connections;
- verification: a truncated or swapped archive must never be mistaken for data. Registered sizes/sha256 are
  checked where known; every archive is also checked without them (ddr.data.verify: magic bytes, the archive's
  own integrity, a record of what was accepted), and after extraction the labelled images must all be there
  in the registered number. A bad file is moved aside to `<name>.bad` so a rerun starts clean, and the error
  says where it went and what to do;
- atomic install: archives are unpacked into a temporary folder beside the target, the completion marker
  (`.complete`, JSON with the archives' sha256) is written inside it, and one os.replace() publishes the whole
  folder. A killed run therefore leaves either nothing or an unmarked temporary folder, never something that
  looks complete;
- registration-gated sets: ManualDownloadRequired says where to ask and exactly where to put the archive;
  once it is there, the same call verifies and installs it.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Sequence

from tqdm import tqdm

from ddr.data.registry import DatasetEntry, Registry, RemoteFile, load_registry
from ddr.data.verify import BadArchive, archive_kind, check_download, is_accepted, move_aside
from ddr.util.hashing import sha256_file

MARKER = ".complete"
MARKER_FORMAT = 1
DOWNLOADS = "downloads"  # <data root>/downloads/<dataset>/<archive>: where archives are fetched or placed
USER_AGENT = "ddr-replication (+https://github.com/; dataset fetcher)"
_TRANSIENT = (http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError, urllib.error.URLError)


class DownloadError(RuntimeError):
    """The transfer failed; a partial file may be kept for resuming (the message says where)."""


class ChecksumMismatch(DownloadError):
    """The file's size or sha256 differs from the registry; the bad file was moved aside (see `kept_at`)."""

    def __init__(self, message: str, path: Path, kept_at: Path | None):
        super().__init__(message)
        self.path, self.kept_at = path, kept_at


class NotTheFile(DownloadError):
    """The server answered with something else than the file (an HTML page): retrying cannot help."""


class ExtractionError(RuntimeError):
    """An archive could not be unpacked, or its content does not have the registered layout."""


class DamagedDownload(ExtractionError):
    """The file is not the archive it should be (HTML page, damaged, cut short); it was moved to `kept_at`."""

    def __init__(self, message: str, kept_at: Path | None):
        super().__init__(message)
        self.kept_at = kept_at


class IncompleteDataset(ExtractionError):
    """The extracted set lacks labelled files or has the wrong number of rows: the archive is partial or wrong."""


class ManualDownloadRequired(RuntimeError):
    """The set cannot be fetched automatically: request/download it by hand and place the file(s) at `paths`."""

    def __init__(self, dataset: str, request_url: str | None, paths: Sequence[Path], access: str, notes: str = ""):
        self.dataset, self.request_url, self.paths, self.access = dataset, request_url, list(paths), access
        how = ("requires registration: request access at" if access == "registration"
               else "must be downloaded by hand from")
        where = "\n".join(f"  {p}" for p in self.paths)
        extra = f"\nNotes: {notes}" if notes else ""
        super().__init__(
            f"Dataset {dataset!r} {how} {request_url}\n"
            f"Then place the archive(s) exactly at:\n{where}\n"
            f"and run again: the file(s) will be verified and extracted.{extra}"
        )


# ----------------------------------------------------------------------------------------------------------------
# files


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def verify_file(path: str | os.PathLike, sha256: str | None = None, size: int | None = None,
                what: str | None = None) -> str:
    """Check size and sha256 (each where given) and return the actual sha256.

    On a mismatch the file is moved to `<name>.bad` and ChecksumMismatch names both files and both values.
    """
    path = Path(path)
    what = what or str(path)
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        kept = move_aside(path)
        raise ChecksumMismatch(f"{what}: size {actual_size} bytes, expected {size}; the file was moved to {kept} "
                               f"(delete it and retry, or fix the registry entry)", path, kept)
    actual = sha256_file(path)
    if sha256 is not None and actual != sha256.lower():
        kept = move_aside(path)
        raise ChecksumMismatch(f"{what}: sha256 mismatch: expected {sha256}, got {actual}; the file was moved to "
                               f"{kept} (delete it and retry, or fix the registry entry)", path, kept)
    if sha256 is None:
        _log(f"note: no sha256 registered for {path.name}; it has sha256 {actual} (size {actual_size})")
    return actual


def _content_range_start(header: str | None) -> int | None:
    match = re.match(r"bytes\s+(\d+)-", header or "")
    return int(match.group(1)) if match else None


def _transfer(url: str, part: Path, timeout: float, progress: bool, chunk_size: int) -> None:
    """One HTTP attempt, appending to `part` from its current size. Raises on error or short body."""
    start = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # our partial file is not a prefix the server recognises: start over
            part.unlink()
            raise DownloadError(f"{url}: server refused to resume from byte {start} (HTTP 416); restarting") from exc
        raise
    with response:
        if start and response.status == 206 and _content_range_start(response.headers.get("Content-Range")) != start:
            part.unlink()
            raise DownloadError(f"{url}: server resumed at the wrong offset; restarting from zero")
        if start and response.status != 206:  # server ignored Range: the body is the whole file
            start = 0
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "text/html" and not part.name.lower().endswith((".html.part", ".htm.part")):
            raise NotTheFile(f"{url}: the server answered with an HTML page (Content-Type text/html), not the file "
                             f"(moved link, login or error page?); open the URL in a browser, and if the file is "
                             f"there, download it by hand and place it at {part.with_name(part.name[:-5])}")
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        total = start + expected if expected is not None else None
        with open(part, "ab" if start else "wb") as out, tqdm(
            total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
            desc=part.name[: -len(".part")], disable=not progress, leave=False,
        ) as bar:
            while True:
                block = response.read(chunk_size)
                if not block:
                    break
                out.write(block)
                received += len(block)
                bar.update(len(block))
        # http.client returns b"" rather than raising when a server cuts a Content-Length body short.
        if expected is not None and received < expected:
            raise http.client.IncompleteRead(b"", expected - received)


def _unreachable(exc: BaseException) -> bool:
    """Errors that retrying cannot fix soon (no DNS, refused, no route): fail at once, e.g. on offline machines."""
    if not isinstance(exc, urllib.error.URLError) or isinstance(exc, urllib.error.HTTPError):
        return False
    reason = exc.reason
    return isinstance(reason, (socket.gaierror, ConnectionRefusedError)) or (
        isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH))


def fetch(url: str, dest: str | os.PathLike, sha256: str | None = None, size: int | None = None, *,
          retries: int = 3, timeout: float = 60.0, progress: bool = True, chunk_size: int = 1 << 20,
          backoff: float = 2.0) -> Path:
    """Download `url` to `dest` (resuming `<dest>.part`), verify size/sha256, then rename into place.

    An existing `dest` is verified instead of downloaded. After `retries` failed resumptions a DownloadError
    says where the partial file is; calling again resumes from it.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        verify_file(dest, sha256, size, what=f"{dest} (from {url})")
        return dest
    part = dest.with_name(dest.name + ".part")
    if size is not None and part.exists() and part.stat().st_size > size:
        part.unlink()  # longer than the whole file: cannot be a prefix of it
    attempt = 0
    while True:
        try:
            if not (size is not None and part.exists() and part.stat().st_size == size):
                _transfer(url, part, timeout, progress, chunk_size)
            if size is not None and part.stat().st_size < size:  # cut short without a Content-Length to tell
                raise http.client.IncompleteRead(b"", size - part.stat().st_size)
            break
        except (DownloadError, *_TRANSIENT) as exc:
            if isinstance(exc, NotTheFile):
                raise
            if isinstance(exc, urllib.error.HTTPError) and 400 <= exc.code < 500 and exc.code != 416:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            if _unreachable(exc):
                raise DownloadError(f"{url}: host unreachable ({exc.reason}); place a copy of the file at {dest} "
                                    f"to use it without downloading") from exc
            attempt += 1
            kept = part.stat().st_size if part.exists() else 0
            if attempt > retries:
                raise DownloadError(f"{url}: download interrupted ({exc!r}); {kept} bytes kept in {part}; "
                                    f"run again to resume, or place a copy of the file at {dest}") from exc
            _log(f"warning: {url}: {exc!r}; resuming from byte {kept} (attempt {attempt + 1}/{retries + 1})")
            time.sleep(backoff * attempt)
    verify_file(part, sha256, size, what=f"{url} (downloaded to {part})")
    os.replace(part, dest)
    return dest


# ----------------------------------------------------------------------------------------------------------------
# archives

def _safe_member(name: str, archive: Path) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise ExtractionError(f"{archive}: unsafe member {name!r} (absolute path or '..'); refusing to extract")


def _safe_tar_member(member: tarfile.TarInfo, archive: Path, into: Path) -> None:
    """Paths as for every archive, plus links: tarfile's 'data' filter refuses links leaving the folder."""
    _safe_member(member.name, archive)
    try:
        tarfile.data_filter(member, str(into))
    except tarfile.FilterError as exc:
        raise ExtractionError(f"{archive}: unsafe member {member.name!r} ({exc}); refusing to extract") from exc


def _extract_7z(archive: Path, into: Path) -> None:
    import py7zr  # declared in the workflow extra

    try:
        seven = py7zr.SevenZipFile(archive)
    except py7zr.Bad7zFile as exc:
        raise ExtractionError(f"{archive}: damaged or not a 7z archive ({exc})") from exc
    with seven:
        for info in seven.list():
            _safe_member(info.filename, archive)
            if getattr(info, "is_symlink", False):
                raise ExtractionError(f"{archive}: unsafe member {info.filename!r} (a link); refusing to extract")
        seven.extractall(path=into)


def _extract_rar(archive: Path, into: Path) -> None:
    try:
        import rarfile  # optional: `pip install rarfile` (it still needs an unrar/unar/bsdtar/7z tool)

        with rarfile.RarFile(archive) as rar:
            for name in rar.namelist():
                _safe_member(name, archive)
            rar.extractall(into)
        return
    except ImportError:
        pass
    except rarfile.RarCannotExec:  # compressed members need an external tool: try them below
        pass
    for tool, args in (("unrar", ["x", "-o-", "-idq"]), ("7z", ["x", "-y", "-bd"]), ("bsdtar", ["-xf"]),
                       ("unar", ["-q", "-o"])):
        exe = shutil.which(tool)
        if not exe:
            continue
        if tool == "7z":
            command = [exe, *args, f"-o{into}", str(archive)]
        elif tool == "unar":
            command = [exe, *args, str(into), str(archive)]
        elif tool == "bsdtar":
            command = [exe, *args, str(archive), "-C", str(into)]
        else:
            command = [exe, *args, str(archive), str(into) + os.sep]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise ExtractionError(f"{archive}: {tool} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
        return
    raise ExtractionError(f"{archive}: RAR archive but no extractor found; install one of unrar, 7z (p7zip), "
                          f"bsdtar (libarchive) or unar, or extract it by hand")


def _extract_members(archive: Path, members, check_one, extract_one, progress: bool) -> None:
    """Check every member first (nothing is written from an unsafe archive), then extract with a bar."""
    for member in members:
        check_one(member)
    for member in tqdm(members, desc=f"extract {archive.name}", unit="file", file=sys.stderr,
                       disable=not progress, leave=False):
        extract_one(member)


def extract_archive(archive: str | os.PathLike, into: str | os.PathLike, progress: bool = True) -> None:
    """Unpack a zip / tar(.gz/.bz2/.xz) / rar / 7z archive into the existing folder `into`, refusing unsafe
    members (absolute paths, '..', links leaving the folder)."""
    archive, into = Path(archive), Path(into)
    kind = archive_kind(archive)
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                _extract_members(archive, zf.infolist(), lambda m: _safe_member(m.filename, archive),
                                 lambda m: zf.extract(m, into), progress)
        elif kind == "tar":
            with tarfile.open(archive) as tf:
                _extract_members(archive, tf.getmembers(), lambda m: _safe_tar_member(m, archive, into),
                                 lambda m: tf.extract(m, into, filter="data"), progress)
        elif kind == "rar":
            _extract_rar(archive, into)
        elif kind == "7z":
            _extract_7z(archive, into)
        else:
            raise ExtractionError(f"{archive}: not a known archive type (.zip, .tar[.gz|.bz2|.xz], .tgz, .rar, .7z)")
    except tarfile.FilterError as exc:
        raise ExtractionError(f"{archive}: unsafe member ({exc}); refusing to extract") from exc
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise ExtractionError(f"{archive}: damaged or not a {kind} archive ({exc})") from exc


def _merge_into(source: Path, target: Path, archive: Path) -> None:
    """Move the content of `source` into `target` (same file system), merging folders, refusing clashes."""
    target.mkdir(parents=True, exist_ok=True)
    for child in sorted(source.iterdir()):
        destination = target / child.name
        if destination.exists():
            if child.is_dir() and destination.is_dir():
                _merge_into(child, destination, archive)
                continue
            raise ExtractionError(f"{archive}: {child.name!r} clashes with a file from another archive")
        os.replace(child, destination)


# ----------------------------------------------------------------------------------------------------------------
# datasets


def read_marker(dataset_dir: str | os.PathLike) -> dict | None:
    path = Path(dataset_dir) / MARKER
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def archive_path(entry: DatasetEntry, spec: RemoteFile, root: str | os.PathLike) -> Path:
    """Where the archive is downloaded to or must be placed by hand: <root>/downloads/<dataset>/<filename>."""
    return Path(root).resolve() / DOWNLOADS / entry.name / spec.filename


def is_complete(dataset_dir: str | os.PathLike, entry: DatasetEntry, root: str | os.PathLike | None = None) -> bool:
    """True when the folder carries a marker for this entry whose archives match the registered checksums, and
    no archive still present under <root>/downloads has changed (size or mtime) since it was installed."""
    marker = read_marker(dataset_dir)
    if not marker or marker.get("dataset") != entry.name or marker.get("format") != MARKER_FORMAT:
        return False
    recorded = marker.get("files", {})
    for spec in entry.files:
        got = recorded.get(spec.filename)
        if got is None or (spec.sha256 is not None and got.get("sha256") != spec.sha256.lower()):
            return False
        if root is not None:
            current = archive_path(entry, spec, root)
            if current.exists():
                stat = current.stat()
                if (stat.st_size, stat.st_mtime_ns) != (got.get("size"), got.get("mtime_ns", stat.st_mtime_ns)):
                    _log(f"note: {current} changed since {dataset_dir} was installed from it; installing again")
                    return False
    return all(_exists_any_case(Path(dataset_dir), p) for p in entry.expect)


def _verify_md5(path: Path, md5: str | None) -> None:
    """Some hosts' checksums are published only as md5: check it where the registry has one."""
    if md5 is None:
        return
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != md5.lower():
        kept = move_aside(path)
        raise ChecksumMismatch(f"{path}: md5 mismatch: expected {md5}, got {digest.hexdigest()}; the file was moved "
                               f"to {kept} (delete it and retry, or fix the registry entry)", path, kept)


def _obtain(entry: DatasetEntry, root: Path, progress: bool) -> list[tuple[RemoteFile, Path, str]]:
    """Download (direct sets) or pick up (placed by hand) every file, each checked by ddr.data.verify."""
    obtained, missing = [], []
    for spec in entry.files:
        target = archive_path(entry, spec, root)
        if entry.access == "direct" and not target.exists():
            fetch(spec.url, target, spec.sha256, spec.size, progress=progress)
        if not target.exists():
            missing.append(target)
            continue
        if (spec.sha256 or spec.size is not None or spec.md5) and not is_accepted(target):
            verify_file(target, spec.sha256, spec.size, what=str(target))  # the registered facts come first
            _verify_md5(target, spec.md5)
        try:
            sha = check_download(target, spec.extract, source=spec.url if entry.access == "direct" else "")
        except BadArchive as exc:
            raise DamagedDownload(str(exc), exc.kept_at) from exc
        obtained.append((spec, target, sha))
    if missing:
        for path in missing:
            path.parent.mkdir(parents=True, exist_ok=True)
        raise ManualDownloadRequired(entry.name, entry.request_url, missing, entry.access, entry.notes)
    return obtained


def _child(folder: Path, name: str) -> Path | None:
    """`folder/name`, matched exactly or else case-insensitively (releases differ in case between copies)."""
    exact = folder / name
    if exact.exists():
        return exact
    matches = [p for p in folder.iterdir() if p.name.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else None


def _exists_any_case(root: Path, relative: str) -> bool:
    """`root/relative` exists, matching each component exactly or else case-insensitively (see _child)."""
    folder = root
    for part in relative.split("/"):
        if not folder.is_dir():
            return False
        found = _child(folder, part)
        if found is None:
            return False
        folder = found
    return True


def _content_root(scratch: Path, spec: RemoteFile, archive: Path, expect: tuple[str, ...]) -> Path:
    """The folder of an unpacked archive whose content becomes the dataset folder.

    Known variants are tolerated rather than guessed: the `strip` folder in another case, a copy repacked
    without its top folder, or with one more wrapping folder. Descends through lone folders until a registered
    path (`layout.expect`) appears.
    """
    source = scratch
    if spec.strip:
        found = _child(scratch, spec.strip)
        if found is not None and found.is_dir():
            source = found
    prefix = spec.into.strip("/") + "/" if spec.into else ""
    tops = {p[len(prefix):].split("/")[0].lower() for p in expect if p.startswith(prefix) and p != prefix}
    if not tops:
        return source
    start = source
    for _ in range(3):
        children = [p for p in source.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        if any(c.name.lower() in tops for c in children):
            return source
        if len(children) != 1 or not children[0].is_dir():
            break
        source = children[0]
    if spec.strip and start == scratch:  # neither the top folder nor any registered path: another archive
        found = sorted(p.name for p in scratch.iterdir())[:10]
        raise ExtractionError(f"{archive}: expected the folder {spec.strip!r} inside the archive (registry `strip`); "
                              f"top level holds {found}")
    return start


def _check_content(entry: DatasetEntry, staged: Path, archives: list[Path]) -> None:
    """Every labelled file present, in the registered number, scores in range: else the archive is partial/wrong."""
    if entry.labels is None:
        return
    from ddr.data.labels import LabelFormatError, check_dataset  # local: pandas/scipy

    try:
        check_dataset(entry, staged)
    except LabelFormatError as exc:
        what = ", ".join(str(a) for a in archives)
        problem = str(exc).replace(f"{staged}/", "").replace(str(staged), "the extracted folder")
        raise IncompleteDataset(f"dataset {entry.name!r}: the content of {what} is not the complete release "
                                f"(paths relative to the extracted folder): {problem}. Replace the archive(s) "
                                f"with a complete copy and run again") from exc


def _install(entry: DatasetEntry, obtained: list[tuple[RemoteFile, Path, str]], dataset_dir: Path,
             progress: bool) -> None:
    parent = dataset_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{dataset_dir.name}.partial-"
    for stale in parent.glob(prefix + "*"):  # left by a killed run; never trusted, so safe to drop
        _log(f"note: removing unfinished extraction {stale}")
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        staged = work / "dataset"
        staged.mkdir()
        for index, (spec, path, _) in enumerate(obtained):
            target = staged / spec.into if spec.into else staged
            if spec.extract and archive_kind(path):
                scratch = work / f"archive{index}"
                scratch.mkdir()
                extract_archive(path, scratch, progress=progress)
                _merge_into(_content_root(scratch, spec, path, entry.expect), target, path)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / spec.filename)
        absent = [p for p in entry.expect if not _exists_any_case(staged, p)]
        if absent:
            raise ExtractionError(f"dataset {entry.name!r}: after extracting {[str(p) for _, p, _ in obtained]} "
                                  f"these registered paths are missing: {absent} (looked in the extracted folder; "
                                  f"wrong archive, or check `layout.expect` / `strip` in the registry)")
        _check_content(entry, staged, [p for _, p, _ in obtained])
        marker = {"format": MARKER_FORMAT, "dataset": entry.name,
                  "files": {spec.filename: {"sha256": sha, "size": path.stat().st_size,
                                            "mtime_ns": path.stat().st_mtime_ns}
                            for spec, path, sha in obtained}}
        (staged / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if dataset_dir.exists() or dataset_dir.is_symlink():
            _log(f"warning: {dataset_dir} exists without a valid completion marker; replacing it")
            os.replace(dataset_dir, work / "stale")
        os.replace(staged, dataset_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_dataset(name: str, root: str | os.PathLike, registry: Registry | None = None,
                   progress: bool = True) -> Path:
    """Make registry dataset `name` present and complete under `root`; return its folder.

    Direct sets are downloaded (resuming) into <root>/downloads/<name>/; registration/manual sets raise
    ManualDownloadRequired until their archives are placed there. Archives are verified, extracted atomically,
    checked against the labels (every labelled file present, registered count and score range) and marked
    complete; an already complete folder is returned untouched.
    """
    entry = (registry or load_registry()).get(name)
    if entry.access == "builtin":
        raise ValueError(f"dataset {name!r} is built by ddr.data.mini, not downloaded")
    root = Path(root).resolve()
    dataset_dir = root / entry.root
    if is_complete(dataset_dir, entry, root):
        return dataset_dir
    obtained = _obtain(entry, root, progress)
    _install(entry, obtained, dataset_dir, progress)
    return dataset_dir
