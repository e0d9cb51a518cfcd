"""Backbone loading: OpenAI archives and state dicts, specs, offline refusal, the real EfficientNet-Lite0."""

from __future__ import annotations

import pytest
import torch

from ddr import DDR
from ddr.backbones import WeightsUnavailable, load_backbone
from ddr.backbones.clip import fetch_openai_weights, openai_weights_url
from ddr.io import load_image


def test_plain_state_dict_equals_torchscript_archive(tmp_path, golden_dir):
    archive = golden_dir / "tiny-rn-0.pt"
    state = torch.jit.load(str(archive), map_location="cpu").state_dict()
    plain = tmp_path / "tiny-rn-state.pt"
    torch.save(state, plain)
    image = load_image(golden_dir / "images" / "chelsea.png")
    a = DDR.from_checkpoint(archive).quality_score([image])
    b = DDR(load_backbone(f"openai-checkpoint:{plain}")).quality_score([image])
    assert torch.allclose(a, b, atol=1e-7)


def test_not_a_checkpoint(tmp_path):
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"nope")
    with pytest.raises(ValueError, match="bogus.pt"):
        load_backbone(f"openai-checkpoint:{bogus}")


def test_unknown_spec():
    with pytest.raises(ValueError, match="unknown backbone spec"):
        load_backbone("resnet9000")


def test_offline_download_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DDR_CACHE", str(tmp_path))
    url, sha = openai_weights_url("ViT-B-32")
    assert url.endswith("ViT-B-32.pt") and len(sha) == 64
    with pytest.raises(WeightsUnavailable, match="DDR_OFFLINE"):
        fetch_openai_weights("ViT-B-32")
    with pytest.raises(WeightsUnavailable):
        load_backbone("clip:ViT-B-32:laion2b_s34b_b79k")


def test_random_stand_in_is_seeded_and_marked():
    a, b = load_backbone("clip-random:RN50:3"), load_backbone("clip-random:RN50:3")
    assert a.info.stand_in and a.info.as_dict()["stand_in"]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_efficientnet_lite0_real_weights_recognise_a_cat(golden_dir):
    from ddr.preprocess import prepare

    backbone = load_backbone("efficientnet-lite0")
    assert not backbone.info.stand_in and backbone.info.sha256
    image = load_image(golden_dir / "images" / "chelsea.png")[None]
    top = backbone.classify(prepare(image, backbone.norm)).argmax().item()
    assert top in (281, 282, 283, 284, 285)  # ImageNet's domestic cat classes
