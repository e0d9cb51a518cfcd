"""The pyiqa plugin against the real pyiqa package (installed by `make`): create_metric("ddr") gives per-image
scores equal to `ddr score`'s, with pyiqa's direction flag; the entry point is declared and loads."""

from __future__ import annotations

import csv
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pyiqa
import pytest
import torch

import ddr.integrations.pyiqa as plugin
from ddr.cli import main

from conftest import GOLDEN, REPO

CHECKPOINT = str(GOLDEN / "tiny-vit-0.pt")
# RGB of several sizes and aspect ratios, and a greyscale file (both readers replicate grey into RGB)
IMAGES = [GOLDEN / "images" / name for name in ("chelsea.png", "tall.png", "tiny.png", "camera_gray.png")]
TOLERANCE = 1e-6  # README "Determinism": another batch composition changes only float32 rounding


@pytest.fixture(scope="module")
def metric():
    return pyiqa.create_metric("ddr", device=torch.device("cpu"), backbone=f"openai-checkpoint:{CHECKPOINT}")


def test_metric_is_registered_with_its_direction(metric):
    assert "ddr" in pyiqa.list_models(metric_mode="NR")
    assert metric.lower_better is False
    assert metric.metric_mode == "NR"


def test_per_image_scores_equal_ddr_score(metric, tmp_path):
    out = tmp_path / "scores.csv"
    assert main(["score", "--checkpoint", CHECKPOINT, "--quiet", "--out", str(out), *map(str, IMAGES)]) == 0
    expected = {Path(row["path"]).name: float(row["ddr"]) for row in csv.DictReader(out.open())}
    for path in IMAGES:  # pyiqa reads the file itself
        got = metric(str(path))
        assert got.shape == (1,)
        assert got.item() == pytest.approx(expected[path.name], abs=TOLERANCE), path.name
    same_size = torch.stack([metric.net.model.score(str(IMAGES[0]))[0]] * 2)
    from ddr.io import load_image

    batch = load_image(IMAGES[0]).expand(2, -1, -1, -1)  # a batch tensor gives one score per image
    assert torch.allclose(metric(batch), same_size, atol=TOLERANCE)


def test_as_loss_is_differentiable():
    loss = pyiqa.create_metric("ddr", as_loss=True, device=torch.device("cpu"),
                               backbone=f"openai-checkpoint:{CHECKPOINT}")
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    value = loss(x)
    value.backward()
    assert value.ndim == 0 and x.grad is not None and x.grad.abs().sum() > 0
    assert loss.lower_better is False  # a pyiqa user minimises 1 - score or -score, as for other such metrics


def test_entry_point_registers_the_network_in_a_fresh_interpreter():
    declared = {ep.name: ep.value for ep in metadata.entry_points(group="pyiqa.archs")}
    assert declared.get("ddr") == "ddr.integrations.pyiqa:register"
    code = ("from pyiqa.utils.registry import ARCH_REGISTRY; import sys; "
            f"sys.exit(0 if ARCH_REGISTRY.get({plugin.ARCH_NAME!r}).__module__ == 'ddr.integrations.pyiqa' else 1)")
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
