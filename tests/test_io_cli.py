"""Image reading and the `ddr score` command: conversions, clear errors on bad input, --skip-bad, atomic --out."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from ddr.cli import main
from ddr.io import ImageReadError, load_image


@pytest.fixture()
def image_dir(tmp_path, golden_dir):
    folder = tmp_path / "images"
    folder.mkdir()
    rgb = Image.open(golden_dir / "images" / "tiny.png").convert("RGB")
    rgb.save(folder / "rgb.png")
    rgb.convert("L").save(folder / "grey.png")
    rgb.convert("RGBA").save(folder / "rgba.png")
    rgb.convert("P").save(folder / "palette.png")
    deep = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(deep).save(folder / "deep16.png")
    return folder


def test_modes_are_converted(image_dir):
    grey = load_image(image_dir / "grey.png")
    assert grey.shape[0] == 3 and torch.equal(grey[0], grey[1])
    assert torch.equal(load_image(image_dir / "rgba.png"), load_image(image_dir / "rgb.png"))
    deep = load_image(image_dir / "deep16.png")
    assert deep.dtype == torch.float32 and 0 <= deep.min() and deep.max() <= 1
    assert torch.allclose(deep, grey, atol=1 / 255)  # 16-bit read at full precision, same picture
    palette = load_image(image_dir / "palette.png")
    assert palette.shape == grey.shape


@pytest.mark.parametrize("make,reason", [
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_text("not an image at all"), "not an image"),
    (lambda p: p.write_bytes((p.parent / "rgb.png").read_bytes()[:300]), "truncated"),
])
def test_bad_files_name_the_file(image_dir, make, reason):
    bad = image_dir / "bad.png"
    make(bad)
    with pytest.raises(ImageReadError, match=reason) as error:
        load_image(bad)
    assert str(bad) in str(error.value)


def test_missing_file():
    with pytest.raises(ImageReadError, match="no such file"):
        load_image("/nonexistent/x.png")


def _score(args, capsys):
    rc = main(["score", "--checkpoint", "tests/fixtures/golden/tiny-vit-0.pt", "--quiet", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_cli_scores_all_modes(image_dir, capsys):
    rc, out, _ = _score([str(image_dir)], capsys)
    rows = list(csv.DictReader(out.splitlines()))
    assert rc == 0 and len(rows) == 5
    assert list(rows[0]) == ["path", "ddr", "ddr_blur", "ddr_color", "ddr_noise", "ddr_exposure"]
    by_name = {r["path"].rsplit("/", 1)[-1]: float(r["ddr"]) for r in rows}
    assert by_name["rgba.png"] == by_name["rgb.png"]


def test_cli_stops_on_bad_image_with_one_line(image_dir, tmp_path, capsys):
    (image_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out_file = tmp_path / "scores.csv"
    rc, _, err = _score(["--out", str(out_file), str(image_dir)], capsys)
    assert rc == 2
    assert err.strip().count("\n") == 0 and "broken.png" in err and "--skip-bad" in err
    assert not out_file.exists() and not list(tmp_path.glob(".scores.csv*"))  # nothing half-written


def test_cli_skip_bad_reports_and_continues(image_dir, tmp_path, capsys):
    (image_dir / "zero.png").write_bytes(b"")
    out_file = tmp_path / "scores.csv"
    rc, _, err = _score(["--skip-bad", "--out", str(out_file), str(image_dir)], capsys)
    assert rc == 0 and "zero.png" in err and "skipped" in err
    assert len(list(csv.DictReader(out_file.open()))) == 5


def test_cli_missing_input(capsys):
    rc, _, err = _score(["/nonexistent/dir"], capsys)
    assert rc == 2 and "/nonexistent/dir" in err


def test_cli_feature_domain_needs_text_tower(image_dir, capsys):
    rc = main(["score", "--backbone", "efficientnet-lite0-random", "--quiet", str(image_dir / "rgb.png")])
    assert rc == 2 and "no text tower" in capsys.readouterr().err
