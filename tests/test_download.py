"""Download / verify / extract against a local HTTP server on 127.0.0.1 (no network).

The server supports Range requests and can cut a response mid-body, to exercise resume; fixture archives are
generated inside each test.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import socket
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.io import savemat

from ddr.data import download as D
from ddr.data import verify as V
from ddr.data.labels import load_labels
from ddr.data.registry import DEFAULT_REGISTRY, load_registry


class FileServer:
    """Serves `files` {url path: bytes}; honours `Range: bytes=N-`; `cut` = [bytes, times] truncates bodies."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[dict] = []
        self.cut: list[int] | None = None
        self.ignore_range = False
        self.content_types: dict[str, str] = {}  # url path -> Content-Type (default application/octet-stream)
        self.no_length: set[str] = set()  # url paths served without Content-Length (body ends at close)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, "range": self.headers.get("Range")})
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                requested = self.headers.get("Range")
                if requested and not server.ignore_range:
                    start = int(requested.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                payload = body[start:]
                self.send_response(status)
                self.send_header("Content-Type", server.content_types.get(self.path, "application/octet-stream"))
                if self.path in server.no_length:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(payload)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if server.cut and server.cut[1] > 0:
                    server.cut[1] -= 1
                    self.wfile.write(payload[: server.cut[0]])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    instance = FileServer()
    yield instance
    instance.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items()):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def make_targz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


KADID_CSV = b"dist_img,ref_img,dmos,var\nI01_01_01.png,I01.png,4.57,0.496\nI01_01_02.png,I01.png,4.33,0.869\n"
KADID_MEMBERS = {"kadid10k/dmos.csv": KADID_CSV, "kadid10k/images/I01_01_01.png": b"png1",
                 "kadid10k/images/I01_01_02.png": b"png2", "kadid10k/images/I01.png": b"ref"}


def mat_bytes(**variables) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, variables)
    return buffer.getvalue()


def registry_for(tmp_path: Path, edits: dict[str, dict]) -> object:
    """The shipped registry reduced to the edited entries (deep-merged), written to tmp_path and loaded."""
    raw = yaml.safe_load(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    datasets = {}
    for name, change in edits.items():
        entry = copy.deepcopy(raw["datasets"][name])
        for key, value in change.items():
            if isinstance(value, dict) and isinstance(entry.get(key), dict):
                entry[key].update(value)
            else:
                entry[key] = value
        datasets[name] = entry
    path = tmp_path / "datasets.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "datasets": datasets}), encoding="utf-8")
    return load_registry(path)


# ---------------------------------------------------------------------------------------------------------------
# fetch


def test_fetch_downloads_and_verifies(server, tmp_path):
    data = bytes(range(256)) * 400
    server.files["/a.bin"] = data
    dest = D.fetch(server.url("/a.bin"), tmp_path / "a.bin", sha256=sha(data), size=len(data), progress=False)
    assert dest.read_bytes() == data and not (tmp_path / "a.bin.part").exists()
    count = len(server.requests)
    D.fetch(server.url("/a.bin"), dest, sha256=sha(data), progress=False)  # present and valid: no request
    assert len(server.requests) == count


def test_fetch_resumes_after_a_cut_connection(server, tmp_path):
    data = bytes(range(256)) * 400
    server.files["/a.bin"] = data
    server.cut = [1000, 1]
    dest = tmp_path / "a.bin"
    with pytest.raises(D.DownloadError, match=r"1000 bytes kept in .*a\.bin\.part; run again to resume"):
        D.fetch(server.url("/a.bin"), dest, sha256=sha(data), retries=0, progress=False)
    assert not dest.exists() and (tmp_path / "a.bin.part").stat().st_size == 1000
    D.fetch(server.url("/a.bin"), dest, sha256=sha(data), retries=0, progress=False)
    assert dest.read_bytes() == data
    assert server.requests[-1]["range"] == "bytes=1000-"


def test_fetch_retries_by_itself_with_range(server, tmp_path):
    data = b"x" * 5000 + b"y" * 5000
    server.files["/b.bin"] = data
    server.cut = [3000, 2]  # two cuts, then a full answer
    dest = D.fetch(server.url("/b.bin"), tmp_path / "b.bin", sha256=sha(data), retries=3, backoff=0, progress=False)
    assert dest.read_bytes() == data
    assert [r["range"] for r in server.requests] == [None, "bytes=3000-", "bytes=6000-"]


def test_fetch_restarts_when_the_server_ignores_range(server, tmp_path):
    data = b"abcdefghij" * 1000
    server.files["/c.bin"] = data
    (tmp_path / "c.bin.part").write_bytes(data[:1234])
    server.ignore_range = True
    dest = D.fetch(server.url("/c.bin"), tmp_path / "c.bin", sha256=sha(data), progress=False)
    assert dest.read_bytes() == data and server.requests[-1]["range"] == "bytes=1234-"


def test_fetch_refuses_a_checksum_mismatch(server, tmp_path):
    server.files["/d.bin"] = b"tampered content"
    wrong = sha(b"the real content")
    dest = tmp_path / "d.bin"
    with pytest.raises(D.ChecksumMismatch) as info:
        D.fetch(server.url("/d.bin"), dest, sha256=wrong, progress=False)
    message = str(info.value)
    assert wrong in message and sha(b"tampered content") in message and "d.bin.part.bad" in message
    assert not dest.exists() and not (tmp_path / "d.bin.part").exists()
    assert info.value.kept_at.read_bytes() == b"tampered content"


def test_fetch_reports_http_errors(server, tmp_path):
    with pytest.raises(D.DownloadError, match="HTTP 404"):
        D.fetch(server.url("/missing.bin"), tmp_path / "m.bin", progress=False)


def test_fetch_fails_fast_when_the_host_is_unreachable(tmp_path):
    with socket.socket() as probe:  # a port with nobody listening: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(D.DownloadError, match=r"host unreachable.*place a copy of the file at .*x\.bin"):
        D.fetch(f"http://127.0.0.1:{port}/x.bin", tmp_path / "x.bin", retries=3, backoff=5, progress=False)
    assert time.monotonic() - started < 4  # no retries with 5 s back-off


# ---------------------------------------------------------------------------------------------------------------
# ensure_dataset


def test_ensure_direct_dataset_extracts_and_marks_complete(server, tmp_path):
    archive = make_zip(KADID_MEMBERS)
    server.files["/kadid10k.zip"] = archive
    registry = registry_for(tmp_path, {"kadid10k": {
        "files": [{"filename": "kadid10k.zip", "url": server.url("/kadid10k.zip"), "size": len(archive),
                   "sha256": sha(archive), "strip": "kadid10k"}],
        "expected_rows": 2}})
    root = tmp_path / "data"
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert folder == (root / "kadid10k").resolve()
    assert (folder / "images/I01_01_02.png").read_bytes() == b"png2"
    marker = json.loads((folder / D.MARKER).read_text())
    assert marker["dataset"] == "kadid10k" and marker["files"]["kadid10k.zip"]["sha256"] == sha(archive)
    assert (root / "downloads/kadid10k/kadid10k.zip").read_bytes() == archive
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no leftover temporary folder
    table = load_labels(registry.get("kadid10k"), folder)
    assert list(table["image"]) == ["images/I01_01_01.png", "images/I01_01_02.png"]
    count = len(server.requests)
    assert D.ensure_dataset("kadid10k", root, registry=registry, progress=False) == folder
    assert len(server.requests) == count  # complete: nothing fetched again


def test_ensure_merges_several_archives_and_plain_files(server, tmp_path):
    images = make_targz({"1024x768/1.jpg": b"a", "1024x768/2.jpg": b"b"})
    scores = make_zip({"koniq10k_scores_and_distributions.csv": b'"image_name","MOS"\n"1.jpg",3.5\n"2.jpg",2.0\n'})
    sets = b'"image_name","set"\n"1.jpg","training"\n"2.jpg","test"\n'
    server.files.update({"/img.tar.gz": images, "/scores.zip": scores, "/sets.csv": sets})
    registry = registry_for(tmp_path, {"koniq10k": {
        "files": [{"filename": "koniq10k_1024x768.tar.gz", "url": server.url("/img.tar.gz"), "sha256": sha(images)},
                  {"filename": "scores.zip", "url": server.url("/scores.zip"), "sha256": sha(scores)},
                  {"filename": "koniq10k_distributions_sets.csv", "url": server.url("/sets.csv"),
                   "extract": False, "sha256": sha(sets)}],
        "expected_rows": 2, "splits": None}})
    folder = D.ensure_dataset("koniq10k", tmp_path / "data", registry=registry, progress=False)
    table = load_labels(registry.get("koniq10k"), folder)
    assert list(table["split"]) == ["train", "test"] and (folder / "1024x768/2.jpg").read_bytes() == b"b"


def test_ensure_refuses_a_bad_archive_and_marks_nothing(server, tmp_path):
    archive = make_zip(KADID_MEMBERS)
    server.files["/kadid10k.zip"] = archive
    registry = registry_for(tmp_path, {"kadid10k": {
        "files": [{"filename": "kadid10k.zip", "url": server.url("/kadid10k.zip"), "sha256": "0" * 64,
                   "strip": "kadid10k"}]}})
    root = tmp_path / "data"
    with pytest.raises(D.ChecksumMismatch, match="sha256 mismatch: expected 0{64}"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert not (root / "kadid10k").exists()
    assert list(root.rglob(D.MARKER)) == []
    assert (root / "downloads/kadid10k/kadid10k.zip.part.bad").exists()


def test_registration_set_asks_for_the_archive_then_installs_it(tmp_path):
    archive = make_zip({"ChallengeDB_release/Data/AllMOS_release.mat": mat_bytes(AllMOS_release=[[50.0, 60.0]]),
                        "ChallengeDB_release/Data/AllImages_release.mat": mat_bytes(
                            AllImages_release=np.array([["t1.bmp"], ["3.bmp"]], dtype=object)),
                        "ChallengeDB_release/Images/trainingImages/t1.bmp": b"t",
                        "ChallengeDB_release/Images/3.bmp": b"i"})
    registry = registry_for(tmp_path, {"liveitw": {"files": [
        {"filename": "ChallengeDB_release.zip", "url": None, "sha256": sha(archive),
         "strip": "ChallengeDB_release"}], "expected_rows": 2, "splits": None,
        "labels": {"options": {"n_training": 1}}}})
    root = tmp_path / "data"
    with pytest.raises(D.ManualDownloadRequired) as info:
        D.ensure_dataset("liveitw", root, registry=registry, progress=False)
    expected_path = (root / "downloads/liveitw/ChallengeDB_release.zip").resolve()
    message = str(info.value)
    assert "https://live.ece.utexas.edu/research/ChallengeDB/index.html" in message
    assert str(expected_path) in message and "registration" in message
    assert info.value.paths == [expected_path] and expected_path.parent.is_dir()
    expected_path.write_bytes(b"not the archive")
    with pytest.raises(D.ChecksumMismatch):
        D.ensure_dataset("liveitw", root, registry=registry, progress=False)
    assert not (root / "liveitw").exists()
    expected_path.write_bytes(archive)
    folder = D.ensure_dataset("liveitw", root, registry=registry, progress=False)
    assert (folder / "Images/3.bmp").read_bytes() == b"i" and (folder / D.MARKER).is_file()


def test_failed_extraction_leaves_nothing_complete(tmp_path, monkeypatch):
    archive = make_zip(KADID_MEMBERS)
    registry = registry_for(tmp_path, {"kadid10k": {"access": "manual", "request_url": "https://example.org/kadid",
                                                    "files": [{"filename": "k.zip", "strip": "kadid10k"}], "expected_rows": 2}})
    root = tmp_path / "data"
    placed = root / "downloads/kadid10k/k.zip"
    placed.parent.mkdir(parents=True)
    placed.write_bytes(archive)
    real_extract = D.extract_archive

    def dying_extract(path, into, progress=True):
        real_extract(path, into, progress)  # the files are there...
        raise KeyboardInterrupt("killed during extraction")  # ...but the run dies before it finishes

    monkeypatch.setattr(D, "extract_archive", dying_extract)
    with pytest.raises(KeyboardInterrupt):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert not (root / "kadid10k").exists() and list(root.rglob(D.MARKER)) == []
    assert [p for p in root.iterdir() if p.name.startswith(".kadid10k.partial-")] == []
    # a hard kill (no cleanup) leaves an unmarked temporary folder; it is never trusted and is swept next time
    (root / ".kadid10k.partial-dead/dataset").mkdir(parents=True)
    monkeypatch.setattr(D, "extract_archive", real_extract)
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert D.is_complete(folder, registry.get("kadid10k")) and not (root / ".kadid10k.partial-dead").exists()


def test_wrong_layout_and_stale_folders(tmp_path):
    archive = make_zip({"readme.txt": b"x", "other/dmos.csv": KADID_CSV})
    registry = registry_for(tmp_path, {"kadid10k": {"access": "manual", "request_url": "https://example.org/k",
                                                    "files": [{"filename": "k.zip", "strip": "kadid10k"}], "expected_rows": 2}})
    root = tmp_path / "data"
    (root / "downloads/kadid10k").mkdir(parents=True)
    (root / "downloads/kadid10k/k.zip").write_bytes(archive)
    with pytest.raises(D.ExtractionError, match=r"expected the folder 'kadid10k' inside the archive.*\['other', 'readme.txt'\]"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    (root / "downloads/kadid10k/k.zip").write_bytes(make_zip({"kadid10k/dmos.csv": KADID_CSV}))
    with pytest.raises(D.ExtractionError, match=r"registered paths are missing: \['images'\]"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert not (root / "kadid10k").exists()
    # an unmarked folder in the way (e.g. a copy made by hand) is replaced by the verified extraction
    (root / "downloads/kadid10k/k.zip").write_bytes(make_zip(KADID_MEMBERS))
    (root / "kadid10k").mkdir()
    (root / "kadid10k/stray.txt").write_text("x")
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert not (folder / "stray.txt").exists() and (folder / "dmos.csv").read_bytes() == KADID_CSV


def test_marker_is_tied_to_the_registered_checksum(tmp_path):
    archive = make_zip(KADID_MEMBERS)
    edits = {"kadid10k": {"access": "manual", "request_url": "https://example.org/k",
                          "files": [{"filename": "k.zip", "strip": "kadid10k"}], "expected_rows": 2}}
    registry = registry_for(tmp_path, edits)
    root = tmp_path / "data"
    (root / "downloads/kadid10k").mkdir(parents=True)
    (root / "downloads/kadid10k/k.zip").write_bytes(archive)
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    pinned = copy.deepcopy(edits)
    pinned["kadid10k"]["files"][0]["sha256"] = sha(archive)
    assert D.is_complete(folder, registry_for(tmp_path, pinned).get("kadid10k"))
    pinned["kadid10k"]["files"][0]["sha256"] = "1" * 64
    assert not D.is_complete(folder, registry_for(tmp_path, pinned).get("kadid10k"))


def test_unsafe_and_unknown_archives(tmp_path, monkeypatch):
    evil = tmp_path / "evil.zip"
    evil.write_bytes(make_zip({"../escape.txt": b"x"}))
    (tmp_path / "out").mkdir()
    with pytest.raises(D.ExtractionError, match="unsafe member '../escape.txt'"):
        D.extract_archive(evil, tmp_path / "out", progress=False)
    assert not (tmp_path / "escape.txt").exists()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tar")
    with pytest.raises(D.ExtractionError, match="damaged or not a tar archive"):
        D.extract_archive(broken, tmp_path / "out", progress=False)
    rar = tmp_path / "tid2013.rar"
    rar.write_bytes(b"Rar!")
    monkeypatch.setitem(__import__("sys").modules, "rarfile", None)
    monkeypatch.setattr(D.shutil, "which", lambda name: None)
    with pytest.raises(D.ExtractionError, match="no extractor found; install one of unrar"):
        D.extract_archive(rar, tmp_path / "out", progress=False)


def test_builtin_set_is_not_downloaded(tmp_path):
    with pytest.raises(ValueError, match="built by ddr.data.mini"):
        D.ensure_dataset("mini", tmp_path)


# ---------------------------------------------------------------------------------------------------------------
# verification without a registered checksum (issue 9, item 4)


def kadid_registry(tmp_path, url, **file_fields):
    spec = {"filename": "kadid10k.zip", "url": url, "strip": "kadid10k", **file_fields}
    return registry_for(tmp_path, {"kadid10k": {"files": [spec], "expected_rows": 2}})


def test_an_html_page_is_never_stored_as_the_archive(server, tmp_path):
    page = b"<!DOCTYPE html><html><body>Please log in</body></html>"
    server.files["/kadid10k.zip"] = page
    server.content_types["/kadid10k.zip"] = "text/html; charset=utf-8"
    root = tmp_path / "data"
    registry = kadid_registry(tmp_path, server.url("/kadid10k.zip"))
    with pytest.raises(D.NotTheFile, match=r"HTML page.*place it at .*downloads/kadid10k/kadid10k\.zip"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert len(server.requests) == 1  # not retried
    assert not (root / "downloads/kadid10k/kadid10k.zip").exists()
    # the same page served as a binary type is caught by its first bytes, moved aside, and the rerun recovers
    server.content_types["/kadid10k.zip"] = "application/zip"
    with pytest.raises(D.DamagedDownload, match=r"expected a zip archive but the file is an HTML page.*moved to "
                                                r".*kadid10k\.zip\.bad\. Run again to download it afresh"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert (root / "downloads/kadid10k/kadid10k.zip.bad").read_bytes() == page
    server.files["/kadid10k.zip"] = make_zip(KADID_MEMBERS)
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert (folder / "dmos.csv").read_bytes() == KADID_CSV


def test_a_body_cut_without_content_length_is_caught_by_the_zip_check(server, tmp_path):
    archive = make_zip(KADID_MEMBERS)
    server.files["/kadid10k.zip"] = archive[:-40]  # ends inside the central directory; no length to tell
    server.no_length.add("/kadid10k.zip")
    root = tmp_path / "data"
    registry = kadid_registry(tmp_path, server.url("/kadid10k.zip"))
    with pytest.raises(D.DamagedDownload, match=r"damaged zip archive.*moved to .*kadid10k\.zip\.bad") as info:
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert info.value.kept_at.read_bytes() == archive[:-40]
    assert not (root / "kadid10k").exists() and not (root / "downloads/kadid10k/kadid10k.zip").exists()
    server.files["/kadid10k.zip"] = archive
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert D.is_complete(folder, registry.get("kadid10k"), root)


def test_zip_crc_errors_are_caught(tmp_path):
    archive = bytearray(make_zip({"kadid10k/dmos.csv": KADID_CSV * 50}))
    payload_at = archive.index(b"kadid10k/dmos.csv") + len("kadid10k/dmos.csv") + 5
    archive[payload_at] ^= 0xFF  # one flipped byte inside the compressed data
    path = tmp_path / "k.zip"
    path.write_bytes(bytes(archive))
    with pytest.raises(V.BadArchive, match="damaged zip archive"):
        V.check_download(path)
    assert (tmp_path / "k.zip.bad").exists()


def plain_tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_plain_tar_cut_at_a_member_boundary_is_refused(tmp_path):
    members = {f"set/img{i:02d}.png": bytes([i]) * 600 for i in range(43)}
    whole = plain_tar(members)
    cut = whole[: 18 * 1536]  # 18 whole members (header + 2 data blocks each), no end-of-archive blocks
    path = tmp_path / "set.tar"
    path.write_bytes(cut)
    with tarfile.open(path) as tf:  # what made this dangerous: tarfile itself reads it as a shorter archive
        assert len(tf.getmembers()) == 18
    with pytest.raises(V.BadArchive, match=r"damaged tar archive \(no end-of-archive marker"):
        V.check_download(path)
    path.write_bytes(whole)
    assert V.check_download(path) == sha(whole)


def test_truncated_gzip_tar_is_refused(tmp_path):
    whole = make_targz({f"set/{i}.png": bytes(range(256)) * 20 for i in range(5)})
    path = tmp_path / "set.tar.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(V.BadArchive, match="damaged tar archive"):
        V.check_download(path)


def manual_kadid(tmp_path, expected_rows: int = 2):
    return registry_for(tmp_path, {"kadid10k": {"access": "manual", "request_url": "https://example.org/k",
                                                "files": [{"filename": "k.zip", "strip": "kadid10k"}],
                                                "expected_rows": expected_rows}})


def placed_kadid(tmp_path):
    """A manual KADID entry (expecting 2 rows), the data root, and where its archive is placed by hand."""
    root = tmp_path / "data"
    placed = root / "downloads/kadid10k/k.zip"
    placed.parent.mkdir(parents=True)
    return manual_kadid(tmp_path), root, placed


def test_accepted_files_are_recorded_and_a_change_reinstalls(tmp_path, capsys):
    registry, root, placed = placed_kadid(tmp_path)
    placed.write_bytes(make_zip(KADID_MEMBERS))
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    record = json.loads((root / "downloads/kadid10k/k.zip.accepted.json").read_text())
    assert record["size"] == placed.stat().st_size and record["sha256"] == sha(placed.read_bytes())
    assert D.is_complete(folder, registry.get("kadid10k"), root)
    changed = dict(KADID_MEMBERS, **{"kadid10k/dmos.csv": KADID_CSV.replace(b"4.57", b"4.58")})
    placed.write_bytes(make_zip(changed))
    os.utime(placed, ns=(placed.stat().st_atime_ns, placed.stat().st_mtime_ns + 10**9))
    assert not D.is_complete(folder, registry.get("kadid10k"), root)
    D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert b"4.58" in (folder / "dmos.csv").read_bytes()
    assert "changed since it was accepted" in capsys.readouterr().err


def test_partial_archive_is_refused_naming_what_is_missing(tmp_path):
    registry, root, placed = placed_kadid(tmp_path)
    partial = {k: v for k, v in KADID_MEMBERS.items() if not k.endswith("I01_01_02.png")}
    placed.write_bytes(make_zip(partial))
    with pytest.raises(D.IncompleteDataset, match=r"k\.zip.*1 of 2 labelled files are missing.*looked for them "
                                                  r"under the extracted folder.*images/I01_01_02\.png"):
        D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    assert not (root / "kadid10k").exists()
    wrong_count = manual_kadid(tmp_path, expected_rows=3)
    placed.write_bytes(make_zip(KADID_MEMBERS))
    with pytest.raises(D.IncompleteDataset, match=r"dmos\.csv: dataset 'kadid10k' parsed to 2 rows, the registry "
                                                  r"expects 3"):
        D.ensure_dataset("kadid10k", root, registry=wrong_count, progress=False)


def test_case_and_nesting_variants_of_a_release_are_tolerated(tmp_path):
    registry, root, placed = placed_kadid(tmp_path)
    # repacked one folder deeper, top folder in upper case, one image name in lower case
    variant = {"copy/KADID10K/" + k.split("/", 1)[1].replace("I01_01_02", "i01_01_02"): v
               for k, v in KADID_MEMBERS.items()}
    placed.write_bytes(make_zip(variant))
    folder = D.ensure_dataset("kadid10k", root, registry=registry, progress=False)
    table = load_labels(registry.get("kadid10k"), folder)
    assert list(table["image"]) == ["images/I01_01_01.png", "images/i01_01_02.png"]


def test_links_leaving_the_folder_are_unsafe_members_not_damage(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        link = tarfile.TarInfo("set/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    evil = tmp_path / "evil.tar"
    evil.write_bytes(buffer.getvalue())
    (tmp_path / "out").mkdir()
    with pytest.raises(D.ExtractionError, match=r"unsafe member 'set/passwd'") as info:
        D.extract_archive(evil, tmp_path / "out", progress=False)
    assert "damaged" not in str(info.value) and not (tmp_path / "out/set/passwd").exists()


def test_7z_archives_are_tested_and_extracted(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    source = tmp_path / "src/CID2013"
    (source / "IS1/co1").mkdir(parents=True)
    (source / "IS1/co1/IS_I_C01_D01.jpg").write_bytes(b"jpeg" * 100)
    path = tmp_path / "CID2013.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writeall(source, "CID2013")
    assert V.check_download(path) == sha(path.read_bytes())
    (tmp_path / "out").mkdir()
    D.extract_archive(path, tmp_path / "out", progress=False)
    assert (tmp_path / "out/CID2013/IS1/co1/IS_I_C01_D01.jpg").read_bytes() == b"jpeg" * 100
    damaged = tmp_path / "cut.7z"
    damaged.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(V.BadArchive, match="damaged 7z archive"):
        V.check_download(damaged)


def test_rar_archives_are_tested_and_extracted(tmp_path):
    """TID2013 ships as a RAR: a whole one passes and extracts; one with a flipped byte in a member (its CRC no
    longer matches) or cut inside a member is refused before anything is extracted."""
    pytest.importorskip("rarfile")
    from ddr.data.replicas import pack_rar

    members = {"tid2013/mos.txt": b"5.0\n" * 50, "tid2013/distorted_images/i01_01_1.bmp": b"BM" + b"\x07" * 500}
    path = tmp_path / "tid2013.rar"
    path.write_bytes(pack_rar(members))
    assert V.check_download(path) == sha(path.read_bytes())
    (tmp_path / "out").mkdir()
    D.extract_archive(path, tmp_path / "out", progress=False)
    assert (tmp_path / "out/tid2013/distorted_images/i01_01_1.bmp").read_bytes() == members[
        "tid2013/distorted_images/i01_01_1.bmp"]
    whole = path.read_bytes()
    flipped = bytearray(whole)
    flipped[whole.index(b"\x07" * 500) + 100] ^= 0xFF
    cut = whole[:whole.index(b"\x07" * 500) + 100]
    for name, body in (("flipped.rar", bytes(flipped)), ("cut.rar", cut)):
        damaged = tmp_path / name
        damaged.write_bytes(body)
        with pytest.raises(V.BadArchive, match="damaged rar archive"):
            V.check_download(damaged)
