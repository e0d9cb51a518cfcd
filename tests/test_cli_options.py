"""`ddr` command options: version, custom prompt files, JSON output, defaults in the help."""

from __future__ import annotations

import csv
import json

import pytest

from ddr.cli import main

CHECKPOINT = "tests/fixtures/golden/tiny-vit-0.pt"


def _run(args, capsys):
    rc = main(["score", "--checkpoint", CHECKPOINT, "--quiet", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("ddr 0.")


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    text = capsys.readouterr().out
    assert "(default: feature)" in text and "(default: fp32)" in text and "(default: None)" not in text


def test_custom_prompt_file_adds_a_type(golden_dir, tmp_path, capsys):
    prompts = tmp_path / "haze.yaml"
    prompts.write_text('haze: ["A clear photo.", "A hazy photo."]\n')
    image = str(golden_dir / "images" / "tiny.png")
    rc, out, err = _run(["--prompts", str(prompts), "--types", "haze,blur", image], capsys)
    assert rc == 0, err
    row = next(csv.DictReader(out.splitlines()))
    assert list(row) == ["path", "ddr", "ddr_haze", "ddr_blur"]
    from ddr import DDR
    from ddr.io import load_image

    model = DDR.from_checkpoint(CHECKPOINT, types=["haze", "blur"], prompts={"haze": ("A clear photo.", "A hazy photo.")})
    expected = model.quality_scores([load_image(image)])[0]
    assert float(row["ddr_haze"]) == pytest.approx(float(expected[0]), abs=1e-6)


@pytest.mark.parametrize("content,message", [
    ("haze: [only one]\n", "two prompts"),
    ("- a\n- b\n", "expected a mapping"),
    ("haze: [\n", "not valid YAML"),
])
def test_bad_prompt_file_is_one_line(content, message, golden_dir, tmp_path, capsys):
    prompts = tmp_path / "p.yaml"
    prompts.write_text(content)
    rc, out, err = _run(["--prompts", str(prompts), str(golden_dir / "images" / "tiny.png")], capsys)
    assert rc == 2 and out == "" and message in err and str(prompts) in err and err.count("\n") == 1


def test_json_output_matches_csv(golden_dir, capsys):
    images = [str(golden_dir / "images" / n) for n in ("tiny.png", "tall.png")]
    _, as_csv, _ = _run(images, capsys)
    rc, as_json, _ = _run(["--format", "json", *images], capsys)
    records = json.loads(as_json)
    rows = list(csv.DictReader(as_csv.splitlines()))
    assert rc == 0 and [r["path"] for r in records] == [r["path"] for r in rows]
    assert all(record["ddr_blur"] == float(row["ddr_blur"]) for record, row in zip(records, rows))
