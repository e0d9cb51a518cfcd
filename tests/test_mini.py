"""The embedded mini dataset: reproducible bytes, expected counts, label ordering, aligned restoration pairs."""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ddr.data.mini import LABEL_COLUMNS, MiniConfig, build_mini, main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini") / "out"
    manifest = build_mini(root)
    return root, manifest, MiniConfig()


def read(path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        return np.asarray(image, dtype=np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def test_two_builds_give_identical_bytes(built, tmp_path):
    root, manifest, _ = built
    again = build_mini(tmp_path / "again")
    assert again == manifest
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (root / "manifest.json").read_bytes()
    for relative, digest in manifest["files"].items():  # the manifest's hashes are those of the files on disk
        assert hashlib.sha256((root / relative).read_bytes()).hexdigest() == digest
        assert (tmp_path / "again" / relative).read_bytes() == (root / relative).read_bytes()


def test_manifest_lists_every_file_and_the_build(built):
    root, manifest, config = built
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"])
    assert manifest["params"]["seed"] == config.seed and manifest["params"]["n_refs"] == config.n_refs
    assert len(manifest["sources"]) == config.n_refs
    assert all(len(s["pixels_sha256"]) == 64 and s["origin"] for s in manifest["sources"])
    assert {"scikit-image", "scikit-learn", "Pillow", "torch"} <= set(manifest["versions"])
    assert not list(root.parent.glob(".out.building-*"))  # the staging folder was renamed away


def test_quality_counts_and_columns(built):
    root, manifest, config = built
    labels = pd.read_csv(root / "quality" / "labels.csv", keep_default_na=False)
    assert tuple(labels.columns) == LABEL_COLUMNS
    n_types, n_levels = len(config.types), config.n_levels
    assert n_types >= 5 and n_levels == 4
    assert len(list((root / "quality" / "refs").glob("*.png"))) == config.n_refs
    assert len(list((root / "quality" / "dist").glob("*.png"))) == config.n_refs * n_types * n_levels
    assert len(labels) == config.n_refs * (1 + n_types * n_levels)
    assert set(labels["direction"]) == {"higher_better"}
    for column in ("image", "ref"):
        assert all((root / "quality" / p).is_file() for p in labels[column])
    dists = labels[labels["dist_type"] != ""]
    assert set(dists["dist_type"]) == set(config.types)
    assert (dists.groupby(["ref", "dist_type"]).size() == n_levels).all()


def test_quality_scores_fall_with_level(built):
    root, _, config = built
    labels = pd.read_csv(root / "quality" / "labels.csv", keep_default_na=False)
    refs = labels[labels["dist_type"] == ""]
    assert (refs["image"] == refs["ref"]).all() and (refs["dist_level"] == 0).all()
    assert refs["score"].nunique() == 1
    for (_, _), group in labels[labels["dist_type"] != ""].groupby(["ref", "dist_type"]):
        group = group.sort_values("dist_level")
        assert list(group["dist_level"]) == list(range(1, config.n_levels + 1))
        assert np.all(np.diff(group["score"].to_numpy()) < 0)
        assert group["score"].max() < refs["score"].iloc[0]


def test_quality_images_degrade_with_level(built):
    """The files agree with the labels: PSNR to the reference falls as the level rises (for every type)."""
    root, _, config = built
    labels = pd.read_csv(root / "quality" / "labels.csv", keep_default_na=False)
    first_ref = labels["ref"].iloc[0]
    reference = read(root / "quality" / first_ref)
    for kind in config.types:
        rows = labels[(labels["ref"] == first_ref) & (labels["dist_type"] == kind)].sort_values("dist_level")
        values = [psnr(read(root / "quality" / p), reference) for p in rows["image"]]
        assert all(math.isfinite(v) for v in values), (kind, values)
        assert all(a > b for a, b in zip(values, values[1:])), (kind, values)


def test_heldout_split_by_reference(built):
    root, manifest, config = built
    labels = pd.read_csv(root / "quality" / "labels.csv", keep_default_na=False)
    per_ref = labels.groupby("ref")["split"].unique()
    assert all(len(s) == 1 for s in per_ref)  # a reference and all its distortions share one split
    split = per_ref.map(lambda s: s[0])
    assert sorted(split.value_counts().to_dict().items()) == [("heldout", config.n_heldout),
                                                              ("test", config.n_refs - config.n_heldout)]
    assert sorted(r.removeprefix("refs/").removesuffix(".png") for r in split[split == "heldout"].index) == \
        manifest["heldout_refs"]
    levels = pd.read_csv(root / "quality" / "levels.csv")
    assert len(levels) == len(config.types) * config.n_levels


@pytest.mark.parametrize("task,inputs,target", [("deblur", "blur", "sharp"), ("sr", "lr", "hr")])
def test_restoration_pairs_are_aligned(built, task, inputs, target):
    root, manifest, config = built
    pairs = pd.read_csv(root / task / "pairs.csv")
    assert {inputs, target, "split"} <= set(pairs.columns)
    held = set(manifest["heldout_refs"])
    n_test_refs = config.n_refs - len(held)
    train_n = config.deblur_train_per_ref if task == "deblur" else config.sr_train_per_ref
    test_n = config.deblur_test_per_ref if task == "deblur" else config.sr_test_per_ref
    assert (pairs["split"] == "train").sum() == n_test_refs * train_n
    assert (pairs["split"] == "test").sum() == len(held) * test_n
    assert set(pairs.loc[pairs["split"] == "test", "ref"]) == held  # restoration test images are unseen in training
    assert not set(pairs.loc[pairs["split"] == "train", "ref"]) & held
    for row in pairs.itertuples():
        degraded, clean = read(root / task / getattr(row, inputs)), read(root / task / getattr(row, target))
        assert getattr(row, inputs).startswith(f"{row.split}/{inputs}/")
        assert degraded.shape == clean.shape == (config.crop_size, config.crop_size, 3)
        value = psnr(degraded, clean)
        assert math.isfinite(value) and value > 15, (getattr(row, inputs), value)  # degraded, yet the same content
        # the clean patch is the reference's pixels at the recorded crop origin
        reference = read(root / "quality" / "refs" / f"{row.ref}.png")
        crop = reference[row.top : row.top + config.crop_size, row.left : row.left + config.crop_size]
        assert np.array_equal(crop, clean)


def png_chunk_types(payload: bytes) -> list[bytes]:
    """Chunk types of a PNG file, walking the chunk structure (length, type, data, crc)."""
    assert payload[:8] == PNG_SIGNATURE
    types, offset = [], 8
    while offset < len(payload):
        length = int.from_bytes(payload[offset : offset + 4], "big")
        types.append(payload[offset + 4 : offset + 8])
        offset += 12 + length
    assert offset == len(payload)
    return types


def test_files_are_valid_pngs_without_metadata(built):
    root, manifest, _ = built
    pngs = [relative for relative in manifest["files"] if relative.endswith(".png")]
    assert len(pngs) == len(manifest["files"]) - 4  # all but labels.csv, levels.csv and the two pairs.csv
    for relative in pngs:
        chunks = png_chunk_types((root / relative).read_bytes())
        assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
        assert set(chunks) <= {b"IHDR", b"IDAT", b"IEND"}, (relative, chunks)  # no tIME / tEXt / pHYs
        with Image.open(root / relative) as image:
            image.verify()


def test_cli_with_config_file_and_rebuild(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "mini:\n  n_refs: 3\n  width: 96\n  height: 64\n  crop_size: 32\n  sr_scale: 4\n"
        "  types: [blur, jpeg]\n  deblur_length: [3, 9]\n"
        "  levels: {blur: [1, 2, 3], jpeg: [50, 20, 5]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "mini"
    assert main([str(out), "--config", str(config)]) == 0
    labels = pd.read_csv(out / "quality" / "labels.csv", keep_default_na=False)
    assert len(labels) == 3 * (1 + 2 * 3)
    assert labels.loc[labels["dist_type"] != "", "score"].max() == 3  # n_levels + 1 - level
    first = json.loads((out / "manifest.json").read_text())
    assert first["params"]["sr_scale"] == 4
    assert main([str(out), "--config", str(config)]) == 0  # an earlier build is replaced, not merged
    assert json.loads((out / "manifest.json").read_text()) == first


SMALL = {"n_refs": 3, "width": 96, "height": 64, "crop_size": 32, "types": ["blur"], "levels": {"blur": [1, 2]},
         "deblur_train_per_ref": 1, "deblur_test_per_ref": 1, "sr_train_per_ref": 1, "sr_test_per_ref": 1}


def test_rebuild_after_snakemake_removed_the_manifest(tmp_path):
    """Snakemake deletes the declared output (manifest.json) before every rerun; a killed build leaves staging."""
    out = tmp_path / "mini"
    first = build_mini(out, SMALL)
    (out / "manifest.json").unlink()
    (tmp_path / ".mini.building-killed").mkdir()
    assert build_mini(out, {**SMALL, "seed": 1})["params"]["seed"] == 1  # a changed parameter rebuilds too
    assert build_mini(out, SMALL) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini"]  # the stale staging folder is gone


def test_build_honours_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        build_mini(tmp_path / "mini", SMALL)
    finally:
        os.umask(previous)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "mini").rglob("*")}
    assert modes | {stat.S_IMODE((tmp_path / "mini").stat().st_mode)} == {0o644, 0o755}


def test_refuses_to_replace_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "precious.txt").write_text("keep me")
    assert main([str(tmp_path)]) == 2
    assert "not a mini dataset build" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("values,message", [
    ({"levels": {"blur": [2.0, 1.0, 3.0, 4.0]}}, "mildest to most degraded"),
    ({"levels": {"jpeg": [30, 60, 15, 5]}}, "mildest to most degraded"),
    ({"types": ["blur", "fog"]}, "unknown degradation type 'fog'"),
    ({"n_refs": 40}, "n_refs"),
    ({"sr_scale": 3}, "sr_scale"),
    ({"colour": 1}, "unknown key"),
    ({"levels": {"noise": [0.1, 0.5, 2.0, 3.0]}}, "out of range"),
])
def test_bad_config_is_a_clear_error(values, message):
    with pytest.raises(ValueError, match=message):
        MiniConfig.from_mapping(values)
