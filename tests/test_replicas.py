"""Release replicas: shaped like the official releases, installed through the real download path (a local HTTP
server on 127.0.0.1 for direct sets, placed by hand for the others), parsed to their declared counts; and wrong or
partial archives placed by hand are refused before any feature is computed, naming what is missing and where."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from ddr.data import download as D
from ddr.data import replicas as R
from ddr.data import verify as V
from ddr.data.labels import check_dataset
from ddr.data.registry import DEFAULT_REGISTRY, describe, load_registry
from ddr.data.replica_run import ReplicaServer

# The release's archive format and top-level entries (src/ddr/resources/datasets.yaml cites where each was confirmed).
RELEASE_SHAPE = {
    "live": ("databaserelease2.zip", "zip", {"databaserelease2"}),
    "csiq": ("dst_imgs.zip", "zip", {"dst_imgs"}),
    "tid2013": ("tid2013.rar", "rar", {"distorted_images", "reference_images", "mos_with_names.txt", "mos.txt",
                                       "mos_std.txt", "readme"}),
    "kadid10k": ("kadid10k.zip", "zip", {"kadid10k"}),
    "koniq10k": ("koniq10k_1024x768.zip", "zip", {"1024x768"}),
    "liveitw": ("ChallengeDB_release.zip", "zip", {"ChallengeDB_release"}),
    "cid2013": ("CID2013.7z", "7z", {"CID2013"}),
    "spaq": ("SPAQ.zip", "zip", {"SPAQ"}),
    "ic9600": ("IC9600.zip", "zip", {"IC9600"}),
    "gopro": ("GOPRO_Large.zip", "zip", {"GOPRO_Large"}),
    "realblur": ("RealBlur.tar.gz", "tar", {"RealBlur-J_ECC_IMCORR_centroid_itensity_ref",
                                            "RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref",
                                            "RealBlur_J_train_list.txt", "RealBlur_J_test_list.txt",
                                            "RealBlur_R_train_list.txt", "RealBlur_R_test_list.txt"}),
    "realsr": ("RealSR(V3).tar.gz", "tar", {"RealSR(V3)"}),
}


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    facts = R.build_replicas(root / "replicas")
    return root, facts


def _members(path: Path, kind: str) -> list[str]:
    if kind == "zip":
        return zipfile.ZipFile(path).namelist()
    if kind == "tar":
        return tarfile.open(path).getnames()
    if kind == "7z":
        import py7zr

        return py7zr.SevenZipFile(path).getnames()
    import rarfile

    return rarfile.RarFile(path).namelist()


def test_every_registered_archive_has_a_replica_shaped_like_the_release(replicas):
    root, facts = replicas
    registry = load_registry()
    assert set(facts) == {e.name for e in registry if e.access != "builtin"} == set(RELEASE_SHAPE)
    for entry in registry:
        if entry.access == "builtin":
            continue
        for spec in entry.files:  # same file names as the registry (hence as the release)
            assert (root / "replicas" / entry.name / spec.filename).is_file(), (entry.name, spec.filename)
        filename, kind, tops = RELEASE_SHAPE[entry.name]
        path = root / "replicas" / entry.name / filename
        assert V.archive_kind(path) == kind and V.sniff(path) in {"zip": {"zip"}, "tar": {"gzip"}, "rar": {"rar"},
                                                                 "7z": {"7z"}}[kind]
        V.check_integrity(path, kind)
        assert {name.split("/")[0] for name in _members(path, kind)} == tops, entry.name
    tid = _members(root / "replicas/tid2013/tid2013.rar", "rar")
    assert "distorted_images/i01_01_1.bmp" in tid and "distorted_images/I02_01_1.bmp" in tid  # both cases
    assert "reference_images/i25.bmp" in tid


def test_replicas_install_through_the_download_path_and_parse(replicas, tmp_path):
    root, facts = replicas
    server = ReplicaServer(root)
    try:
        registry = load_registry(R.write_replica_registry(tmp_path / "datasets.yaml", DEFAULT_REGISTRY, facts,
                                                          server.url + "/replicas"))
        data = tmp_path / "data"
        for entry in registry:
            if entry.access == "builtin":
                continue
            if entry.needs_manual_download:
                with pytest.raises(D.ManualDownloadRequired):
                    D.ensure_dataset(entry.name, data, registry, progress=False)
                for spec in entry.files:
                    shutil.copy(root / "replicas" / entry.name / spec.filename, D.archive_path(entry, spec, data))
            folder = D.ensure_dataset(entry.name, data, registry, progress=False)
            table = check_dataset(entry, folder)
            assert len(table) == facts[entry.name].expected_rows, entry.name
            if entry.splits:
                assert table["split"].value_counts().to_dict() == entry.splits, entry.name
    finally:
        server.close()
    cid = check_dataset(registry.get("cid2013"), data / "cid2013")
    assert cid["image"].iloc[0] == "IS1/co1/IS_I_C01_D01.jpg" and len(cid) == 7  # of 8: the unrated one dropped
    assert list(check_dataset(registry.get("liveitw"), data / "liveitw")["split"].unique()) == ["test"]


def _place(tmp_path, facts, name: str, payload: bytes):
    registry = load_registry(R.write_replica_registry(tmp_path / "datasets.yaml", DEFAULT_REGISTRY, facts,
                                                      "http://127.0.0.1:9/replicas"))
    entry = registry.get(name)
    target = D.archive_path(entry, entry.files[0], tmp_path / "data")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)
    return registry, target


def _rezip(path: Path, keep) -> bytes:
    source = zipfile.ZipFile(path)
    return R.pack_zip({name: source.read(name) for name in source.namelist() if keep(name)})


def test_partial_archives_placed_by_hand_are_refused_naming_what_is_missing(replicas, tmp_path):
    root, facts = replicas
    live = root / "replicas/live/databaserelease2.zip"
    # half the images
    half = _rezip(live, lambda n: not (n.startswith("databaserelease2/wn/") or n.startswith("databaserelease2/gblur/")))
    registry, placed = _place(tmp_path, facts, "live", half)
    with pytest.raises(D.ExtractionError, match=r"databaserelease2\.zip.*registered paths are missing: \['wn', "
                                                r"'gblur'\]"):
        D.ensure_dataset("live", tmp_path / "data", registry, progress=False)
    # every folder there, some images missing
    partial = _rezip(live, lambda n: not n.endswith(("wn/img1.bmp", "jpeg/img2.bmp")))
    placed.write_bytes(partial)
    with pytest.raises(D.IncompleteDataset, match=r"databaserelease2\.zip.*2 of 24 labelled files are missing "
                                                  r"\(looked for them under the extracted folder\).*jpeg/img2\.bmp"):
        D.ensure_dataset("live", tmp_path / "data", registry, progress=False)
    # the label file missing
    placed.write_bytes(_rezip(live, lambda n: not n.endswith("dmos_realigned.mat")))
    with pytest.raises(D.ExtractionError, match=r"registered paths are missing: \['dmos_realigned\.mat'\]"):
        D.ensure_dataset("live", tmp_path / "data", registry, progress=False)
    # the wrong set (SPAQ's archive placed as LIVE's)
    placed.write_bytes((root / "replicas/spaq/SPAQ.zip").read_bytes())
    with pytest.raises(D.ExtractionError, match=r"expected the folder 'databaserelease2' inside the archive"):
        D.ensure_dataset("live", tmp_path / "data", registry, progress=False)
    assert not (tmp_path / "data/live").exists()


def test_a_copy_with_other_case_and_nesting_is_accepted(replicas, tmp_path):
    root, facts = replicas
    source = zipfile.ZipFile(root / "replicas/spaq/SPAQ.zip")
    variant = {"download/spaq/" + name.split("/", 1)[1].replace("TestImage/", "testimage/"): source.read(name)
               for name in source.namelist()}
    registry, _ = _place(tmp_path, facts, "spaq", R.pack_zip(variant))
    folder = D.ensure_dataset("spaq", tmp_path / "data", registry, progress=False)
    table = check_dataset(registry.get("spaq"), folder)
    assert table["image"].iloc[0] == "testimage/00001.jpg" and len(table) == facts["spaq"].expected_rows


def test_rar_writer_is_a_valid_rar4_archive(tmp_path):
    rarfile = pytest.importorskip("rarfile")
    path = tmp_path / "x.rar"
    path.write_bytes(R.pack_rar({"a/b.txt": b"hello", "c.bin": bytes(range(256))}))
    with rarfile.RarFile(path) as archive:
        assert archive.namelist() == ["a/b.txt", "c.bin"] and archive.read("a/b.txt") == b"hello"
        archive.testrar()
    damaged = bytearray(path.read_bytes())
    damaged[-20] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(V.BadArchive, match="damaged rar archive"):
        V.check_download(path)


def test_describe_lists_counts_directions_and_archives():
    rows = {row["name"]: row for row in describe()}
    assert {n: rows[n]["images"] for n in ("live", "csiq", "tid2013", "kadid10k", "koniq10k", "liveitw", "cid2013",
                                           "spaq")} == {"live": 779, "csiq": 866, "tid2013": 3000,
                                                        "kadid10k": 10125, "koniq10k": 10073, "liveitw": 1162,
                                                        "cid2013": 474, "spaq": 11125}
    assert rows["cid2013"]["archives"] == ["CID2013.7z"] and rows["live"]["direction"] == "lower_better"
    assert rows["live"]["place_at"] == ["data/raw/downloads/live/databaserelease2.zip"]
    assert "mini" not in rows
