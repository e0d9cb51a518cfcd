"""`ddr score --metric NAME[,NAME...]` (baselines and DDR itself, same CSV/--out/--skip-bad behaviour as the DDR
path) and `ddr list`."""

from __future__ import annotations

import csv

import pytest
from PIL import Image
from skimage import data

from ddr.baselines import create_metric
from ddr.cli import main
from ddr.io import load_image

CHECKPOINT = "tests/fixtures/golden/tiny-vit-0.pt"


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(data.astronaut()[:200, 100:300]).save(folder / "astronaut.png")
    Image.fromarray(data.coffee()[:200, :260]).save(folder / "coffee.png")
    return folder


def _run(args, capsys):
    rc = main(["score", "--quiet", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_metric_columns_equal_the_python_api(photos, capsys):
    rc, out, _ = _run(["--metric", "NIQE,piqe,brisque", "--batch-size", "1", str(photos)], capsys)
    rows = list(csv.DictReader(out.splitlines()))
    assert rc == 0 and list(rows[0]) == ["path", "niqe", "piqe", "brisque"] and len(rows) == 2
    for row in rows:
        image = load_image(row["path"])
        for name in ("niqe", "piqe", "brisque"):
            assert float(row[name]) == create_metric(name).score_images([image], progress=False)[0]


def test_metric_ddr_is_the_ddr_column(photos, capsys):
    _, plain, _ = _run(["--checkpoint", CHECKPOINT, str(photos)], capsys)
    rc, mixed, _ = _run(["--checkpoint", CHECKPOINT, "--metric", "ddr,piqe", str(photos)], capsys)
    plain_rows = {r["path"]: r["ddr"] for r in csv.DictReader(plain.splitlines())}
    mixed_rows = list(csv.DictReader(mixed.splitlines()))
    assert rc == 0 and list(mixed_rows[0]) == ["path", "ddr", "piqe"]
    for row in mixed_rows:  # whole images vs streamed windows: equal up to float32 reassociation (README)
        assert float(row["ddr"]) == pytest.approx(float(plain_rows[row["path"]]), abs=1e-6)


def test_skip_bad_and_atomic_out(photos, tmp_path, capsys):
    (photos / "broken.png").write_bytes(b"")
    out_file = tmp_path / "scores.csv"
    rc, out, err = _run(["--metric", "piqe", "--out", str(out_file), str(photos)], capsys)
    assert rc == 2 and "broken.png" in err and not out_file.exists()
    rc, out, err = _run(["--metric", "piqe", "--skip-bad", "--out", str(out_file), str(photos)], capsys)
    assert rc == 0 and out == "" and "broken.png" in err and "skipped" in err
    assert [r["path"].rsplit("/", 1)[1] for r in csv.DictReader(out_file.open())] == ["astronaut.png", "coffee.png"]


def test_bad_metric_names_and_unscorable_images_are_one_line_errors(photos, tmp_path, capsys):
    for names, message in (("ssim", "unknown metric 'ssim'"), ("qac", "published value, not rerun"),
                           ("niqe,niqe", "given twice")):
        rc, _, err = _run(["--metric", names, str(photos)], capsys)
        assert rc == 2 and message in err and err.strip().count("\n") == 0
    small = tmp_path / "small.png"
    Image.fromarray(data.astronaut()[:90, :90]).save(small)
    rc, _, err = _run(["--metric", "niqe", str(small)], capsys)
    assert rc == 2 and "small.png: niqe cannot score it" in err and "96x96" in err


def test_list_names_metrics_backbones_and_prompts(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "lower is better" in lines["niqe"] and "higher is better" in lines["ddr"]
    assert "opinion-aware" in lines["brisque"] and "published value, not rerun" in lines["qac"]
    assert "clip:ARCH:TAG" in out and "A blurry photo with low-quality." in out


def test_fit_ilniqe_command(tmp_path, capsys):
    from ddr.baselines.nss.ilniqe import load_template

    pristine = tmp_path / "pristine"
    pristine.mkdir()
    Image.fromarray(data.chelsea()).save(pristine / "chelsea.png")
    out = tmp_path / "template.npz"
    assert main(["fit-ilniqe", str(pristine), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out and load_template(out).origin == "refitted"
    assert main(["fit-ilniqe", str(tmp_path / "empty")]) == 2
    assert "empty: no such file or directory" in capsys.readouterr().err
