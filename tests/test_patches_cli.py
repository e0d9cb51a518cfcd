"""`ddr score` on the streaming path: decoding threads change nothing, reduced precision stays close and says so."""

from __future__ import annotations

import csv
import io

import pytest
import torch

from ddr import DDR
from ddr.cli import main


def scores(capsys, golden_dir, *extra: str) -> dict[str, list[float]]:
    rc = main(["score", "--checkpoint", str(golden_dir / "tiny-vit-0.pt"), "--quiet", "--batch-size", "3", *extra,
               str(golden_dir / "images")])
    assert rc == 0
    rows = csv.DictReader(io.StringIO(capsys.readouterr().out))
    return {row["path"]: [float(v) for k, v in row.items() if k.startswith("ddr")] for row in rows}


def test_decoding_threads_change_nothing(capsys, golden_dir):
    one = scores(capsys, golden_dir, "--workers", "1")
    assert len(one) == 8
    assert scores(capsys, golden_dir, "--workers", "3") == one  # same batches, same bytes


def test_bf16_is_close_to_fp32_but_not_equal(capsys, golden_dir):
    fp32 = scores(capsys, golden_dir)
    bf16 = scores(capsys, golden_dir, "--precision", "bf16")
    assert bf16.keys() == fp32.keys()
    deviation = max(abs(a - b) for path in fp32 for a, b in zip(fp32[path], bf16[path]))
    assert 0 < deviation < 2e-3


def test_precision_is_recorded_and_checked(golden_dir):
    model = DDR.from_checkpoint(golden_dir / "tiny-vit-0.pt")
    assert "precision" not in model.provenance()
    with pytest.raises(ValueError, match="precision 'int8'"):
        model.backbone.set_precision("int8")
    model.backbone.set_precision("bf16")
    assert model.provenance()["precision"] == "bf16"
    assert {p.dtype for p in model.backbone.image_tower().parameters()} == {torch.bfloat16}
    assert model.backbone.model.text_projection.dtype == torch.float32  # the text tower stays float32
    with pytest.raises(ValueError, match="fp32 weights are gone"):
        model.backbone.set_precision("fp32")
