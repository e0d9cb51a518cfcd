"""Our DDR is the paper's DDR: every number the official code produced on the tiny checkpoints, within 1e-5."""

from __future__ import annotations

import csv
import io

import pytest
import torch

from ddr import DDR
from ddr.cli import main
from ddr.io import load_image

TOL = 1e-5
ALL_TYPES = ["blur", "color", "noise", "exposure", "content"]


@pytest.fixture(scope="module", params=["tiny-vit-0.pt", "tiny-rn-0.pt"])
def checkpoint(request, golden_dir):
    return request.param, DDR.from_checkpoint(golden_dir / request.param, types=ALL_TYPES)


def test_checkpoint_hash_matches(checkpoint, golden):
    name, model = checkpoint
    assert model.backbone.info.sha256 == golden["checkpoints"][name]["sha256"]


def test_quality_scores_match_official(checkpoint, golden, golden_dir):
    name, model = checkpoint
    expected = golden["checkpoints"][name]["images"]
    images = [load_image(golden_dir / "images" / n) for n in expected]
    per_type = model.quality_scores(images, batch_size=5)  # batch boundary falls inside images' patch groups
    for row, (image_name, values) in zip(per_type, expected.items()):
        for t, value in zip(model.types, row.tolist()):
            assert value == pytest.approx(values["quality_per_type"][t], abs=TOL), (image_name, t)
        assert row[:4].mean().item() == pytest.approx(values["quality"], abs=TOL), image_name


def test_default_types_give_official_quality(golden, golden_dir):
    model = DDR.from_checkpoint(golden_dir / "tiny-vit-0.pt")
    assert model.types == ["blur", "color", "noise", "exposure"]
    image = load_image(golden_dir / "images" / "coffee.png")
    expected = golden["checkpoints"]["tiny-vit-0.pt"]["images"]["coffee.png"]["quality"]
    assert model.quality_score([image]).item() == pytest.approx(expected, abs=TOL)


def test_single_type_models_match_per_type(golden, golden_dir):
    for t in ALL_TYPES:
        model = DDR.from_checkpoint(golden_dir / "tiny-rn-0.pt", types=[t])
        image = load_image(golden_dir / "images" / "tall.png")
        expected = golden["checkpoints"]["tiny-rn-0.pt"]["images"]["tall.png"]["quality_per_type"][t]
        assert model.quality_score([image]).item() == pytest.approx(expected, abs=TOL), t


@pytest.mark.parametrize("name", ["tiny-vit-0.pt", "tiny-rn-0.pt"])
def test_loss_matches_official(name, golden, golden_dir):
    model = DDR.from_checkpoint(golden_dir / name)
    spec = golden["checkpoints"][name]["loss"]
    batch = torch.stack([load_image(golden_dir / "images" / n)[:, :256, :256] for n in spec["batch"]])
    assert model.loss(batch).item() == pytest.approx(spec["value"], abs=TOL)


@pytest.mark.parametrize("name", ["tiny-vit-0.pt", "tiny-rn-0.pt"])
def test_cli_gives_the_same_numbers(name, golden, golden_dir, capsys):
    rc = main(["score", "--checkpoint", str(golden_dir / name), "--types", ",".join(ALL_TYPES), "--quiet",
               "--batch-size", "3", str(golden_dir / "images")])
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    expected = golden["checkpoints"][name]["images"]
    assert sorted(r["path"].split("/")[-1] for r in rows) == sorted(expected)
    for row in rows:
        values = expected[row["path"].split("/")[-1]]
        for t in ALL_TYPES:
            assert float(row[f"ddr_{t}"]) == pytest.approx(values["quality_per_type"][t], abs=TOL)
