"""Image reading and the `ddr score` command: conversions, clear errors on bad input, --skip-bad, atomic --out."""

from __future__ import annotations

import csv
from pathlib import Path

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
    # same pixels at another position of the batch: equal up to float32 reassociation (README: within 1e-6)
    assert by_name["rgba.png"] == pytest.approx(by_name["rgb.png"], abs=1e-6)


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


# --- bad input and faults: every case gets a result or a one-line error naming the file; nothing computed is lost


def test_batch_size_zero_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["score", "--batch-size", "0", "x.png"])
    assert stop.value.code == 2 and "--batch-size" in capsys.readouterr().err


def test_exif_orientation_is_applied(tmp_path, golden_dir):
    upright = Image.open(golden_dir / "images" / "tiny.png").convert("RGB").crop((0, 0, 40, 24))
    stored = upright.transpose(Image.Transpose.ROTATE_270)  # tag 8: the viewer turns it 90 degrees anticlockwise
    exif = Image.Exif()
    exif[0x0112] = 8
    stored.save(tmp_path / "tagged.png", exif=exif)
    upright.save(tmp_path / "upright.png")
    assert torch.equal(load_image(tmp_path / "tagged.png"), load_image(tmp_path / "upright.png"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_of_arrays_matches_pil(orientation, golden_dir):
    """16-bit colour is rotated in numpy (PIL cannot hold it): the same result as PIL's exif_transpose."""
    from PIL import ImageOps

    from ddr.io import _ORIENT

    image = Image.open(golden_dir / "images" / "tiny.png").convert("RGB").crop((0, 0, 40, 24))
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(_ORIENT.get(orientation, lambda a: a)(np.asarray(image)), expected)


def test_sixteen_bit_rgb_keeps_its_precision(tmp_path):
    import png

    rng = np.random.default_rng(0)
    deep = rng.integers(0, 65536, size=(6, 10, 3), dtype=np.uint16)
    png.from_array(deep.reshape(6, 30), mode="RGB;16").save(tmp_path / "deep.png")
    loaded = load_image(tmp_path / "deep.png")
    assert torch.equal(loaded, torch.from_numpy(deep.transpose(2, 0, 1).astype(np.float32) / 65535.0))


def test_pixel_limit_is_bad_input_that_skip_bad_skips(image_dir, tmp_path, capsys):
    with pytest.raises(ImageReadError, match="megapixels, above the limit"):
        load_image(image_dir / "rgb.png", max_pixels=100)
    out_file = tmp_path / "scores.csv"
    rc, _, err = _score(["--max-pixels", "100", "--skip-bad", "--out", str(out_file), str(image_dir)], capsys)
    assert rc == 2 and "none of the 5" in err  # every image is above 100 pixels
    rc, _, err = _score(["--max-pixels", "100", str(image_dir / "rgb.png")], capsys)
    assert rc == 2 and err.count("\n") == 1 and "rgb.png" in err and "--max-pixels" in err


def test_pil_bomb_limit_follows_ours(image_dir, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # PIL would raise DecompressionBombError here
    assert load_image(image_dir / "rgb.png").shape[0] == 3  # our (higher) limit decides
    with pytest.raises(ImageReadError, match="limit"):
        load_image(image_dir / "rgb.png", max_pixels=150)


def test_out_refuses_special_targets(image_dir, tmp_path, capsys):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    a_file = tmp_path / "scores.txt"
    a_file.write_text("kept")
    cases = [(fifo, "not a regular file"), (tmp_path, "is a directory"), (a_file / "s.csv", "is not a directory")]
    if Path("/dev/full").exists():  # a device that refuses every write: refused before any image is scored
        cases.append((Path("/dev/full"), "not a regular file"))
    for target, reason in cases:
        rc, _, err = _score(["--out", str(target), str(image_dir / "rgb.png")], capsys)
        assert rc == 2 and reason in err and str(target) in err and err.count("\n") == 1, (target, err)
    assert fifo.exists() and not fifo.is_file() and a_file.read_text() == "kept"


def test_out_honours_the_umask(image_dir, tmp_path, capsys):
    import os
    import stat

    previous = os.umask(0o027)
    try:
        rc, _, _ = _score(["--out", str(tmp_path / "s.csv"), str(image_dir / "rgb.png")], capsys)
    finally:
        os.umask(previous)
    assert rc == 0 and stat.S_IMODE((tmp_path / "s.csv").stat().st_mode) == 0o640


def test_scores_before_a_fatal_bad_file_are_kept(image_dir, tmp_path, capsys):
    (image_dir / "zz_truncated.png").write_bytes((image_dir / "rgb.png").read_bytes()[:300])  # header intact
    out_file = tmp_path / "scores.csv"
    rc, _, err = _score(["--batch-size", "1", "--out", str(out_file), str(image_dir)], capsys)
    assert rc == 2 and "zz_truncated.png" in err and err.count("\n") == 1
    assert not out_file.exists()  # a partial result never takes the final name
    partial = list(csv.DictReader((tmp_path / "scores.csv.partial").open()))
    assert len(partial) == 5


def test_missing_input_does_not_suggest_skip_bad(capsys):
    rc, _, err = _score(["--skip-bad", "/nonexistent/dir"], capsys)
    assert rc == 2 and "--skip-bad" not in err


def test_symlinked_folders_are_followed_once(image_dir, tmp_path):
    from ddr.io import find_images

    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "linked").symlink_to(image_dir, target_is_directory=True)
    (image_dir / "loop").symlink_to(outer, target_is_directory=True)  # a cycle must not recurse forever
    assert sorted(p.name for p in find_images([outer])) == sorted(p.name for p in image_dir.glob("*.png"))


def test_sigterm_removes_the_temporary_file(tmp_path):
    import subprocess
    import sys

    script = ("import os, signal, time\nfrom ddr.util.atomic import atomic_path\n"
              f"with atomic_path({str(tmp_path / 'out.csv')!r}) as t:\n"
              "    t.write_text('half')\n    os.kill(os.getpid(), signal.SIGTERM)\n    time.sleep(30)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 128 + 15
    assert list(tmp_path.iterdir()) == []
