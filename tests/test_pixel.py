"""Pixel-domain DDR with the real EfficientNet-Lite0 weights."""

from __future__ import annotations

import pytest
import torch

from ddr.backbones import load_backbone
from ddr.io import load_image
from ddr.pixel import PixelDDR, parse_levels


@pytest.fixture(scope="module")
def lite0():
    return load_backbone("efficientnet-lite0")


def test_blur_response_rises_with_sigma(lite0, golden_dir):
    image = load_image(golden_dir / "images" / "astronaut.png")
    sigmas = [0.5, 1.0, 2.0, 4.0, 8.0]
    model = PixelDDR.sweep(lite0, {"blur": sigmas})
    values = model.quality_scores([image])[0].tolist()
    assert model.types == [f"blur@{s:g}" for s in sigmas]
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_deterministic_and_batch_invariant(lite0, golden_dir):
    model = PixelDDR(lite0, parse_levels("noise=0.1,blur=2"), seed=7)
    images = [load_image(golden_dir / "images" / n) for n in ("tiny.png", "tall.png")]
    both = model.quality_scores(images)
    assert torch.equal(both, model.quality_scores(images))
    assert torch.allclose(model.quality_scores(images[1:])[0], both[1], atol=1e-6)


def test_response_is_differentiable(lite0):
    model = PixelDDR(lite0, parse_levels("blur=1.5,noise=0.05"))
    x = torch.rand(1, 3, 64, 64, requires_grad=True)
    model.loss(x).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_level_syntax_errors():
    with pytest.raises(ValueError, match="KIND=LEVEL"):
        parse_levels("blur")


def test_pipeline_backbone_clip_is_the_feature_domains_encoder(golden_dir, tmp_path):
    """pixel.backbone 'clip' (the paper profile) loads the clip section's weights record, stand-in flag included."""
    import json

    from ddr.pixel import pipeline_backbone

    checkpoint = golden_dir / "tiny-vit-0.pt"
    record = tmp_path / "ViT-B-32+openai.json"
    record.write_text(json.dumps({"spec": f"openai-checkpoint:{checkpoint}", "requested": "clip:ViT-B-32:openai",
                                  "stand_in": True, "reason": "test checkpoint", "sha256": None}))
    tower = pipeline_backbone("clip", record)
    assert tower.info.stand_in and tower.info.reason == "test checkpoint"
    image = load_image(golden_dir / "images" / "tiny.png")
    levels = parse_levels("blur=2")
    model = PixelDDR(tower, levels)
    assert model.quality_scores([image]).shape == (1, 1) and torch.isfinite(model.quality_scores([image])).all()
    assert model.provenance()["domain"] == "pixel" and model.provenance()["stand_in"]
    assert callable(getattr(tower, "encode_text", None))  # the CLIP model itself: image and text towers
    with pytest.raises(ValueError, match="weights record"):
        pipeline_backbone("clip")
    assert pipeline_backbone("efficientnet-lite0-random:1").info.as_dict()["stand_in"]
