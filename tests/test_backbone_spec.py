"""The one backbone spec: every accepted spelling parses, formats back to the canonical string (what weights
records and provenance hold) and gives today's file-name tag; bad specs are one-line errors naming the forms."""

from __future__ import annotations

import pytest

from ddr.backbones import DEFAULT_BACKBONE, DEFAULT_PIXEL_BACKBONE, BackboneSpec, list_backbones, load_backbone
from ddr.workflow import restoration_plan as plan
from ddr.pipeline.weights import resolve_clip_weights


@pytest.mark.parametrize("text, canonical", [
    ("clip:ViT-B-32:openai", "clip:ViT-B-32:openai"),
    ("clip:ViT-B-32:laion2b_s34b_b79k", "clip:ViT-B-32:laion2b_s34b_b79k"),
    ("clip-random:RN50:3", "clip-random:RN50:3"),
    ("clip-random:RN50", "clip-random:RN50:0"),
    ("clip-random", "clip-random:ViT-B-32:0"),
    ("openai-checkpoint:/models/ViT-B-32.pt", "openai-checkpoint:/models/ViT-B-32.pt"),
    ("weights/tiny.pth", "openai-checkpoint:weights/tiny.pth"),
    ("open_clip-checkpoint:RN50:C:/models/rn50.bin", "open_clip-checkpoint:RN50:C:/models/rn50.bin"),
    ("efficientnet-lite0", "efficientnet-lite0"),
    ("efficientnet-lite0-random", "efficientnet-lite0-random:0"),
    ("efficientnet-lite0-random:7", "efficientnet-lite0-random:7"),
])
def test_every_form_round_trips(text, canonical):
    spec = BackboneSpec.parse(text)
    assert spec.format() == str(spec) == canonical
    assert BackboneSpec.parse(canonical) == spec
    assert BackboneSpec.parse(spec) is spec


def test_file_name_tag_is_todays_string():
    assert DEFAULT_BACKBONE.format() == "clip:ViT-B-32:openai"
    assert DEFAULT_BACKBONE.tag == "ViT-B-32+openai"
    assert BackboneSpec.from_config("RN50", "openai") == BackboneSpec.parse("clip:RN50:openai")
    assert BackboneSpec.from_tag("ViT-B-16+openai").format() == "clip:ViT-B-16:openai"
    assert BackboneSpec.from_tag("RN50+openai").tag == "RN50+openai"
    with pytest.raises(ValueError, match="no file-name tag"):
        BackboneSpec.parse("clip-random:RN50").tag


@pytest.mark.parametrize("text, message", [
    ("resnet9000", "unknown backbone spec 'resnet9000'; use clip:ARCH:TAG, clip-random:ARCH"),
    ("clipp:ViT-B-32:openai", "did you mean 'clip'"),
    ("clip:ViT-B-32", "backbone spec 'clip:ViT-B-32': expected clip:ARCH:TAG"),
    ("clip-random:RN50:x", "SEED must be an integer"),
    ("efficientnet-lite0:imagenet", "expected efficientnet-lite0;"),
    ("open_clip-checkpoint:RN50", "expected open_clip-checkpoint:ARCH:PATH"),
    ("", "expected a non-empty string"),
])
def test_bad_specs_are_one_line_errors(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        BackboneSpec.parse(text)
    assert "\n" not in str(caught.value)
    with pytest.raises(ValueError):
        load_backbone(text)


@pytest.mark.parametrize("tag", ["RN50", "+openai", "RN50+", "RN50+open+ai", "a/b+openai"])
def test_bad_tags(tag):
    with pytest.raises(ValueError, match="expected ARCH\\+TAG"):
        BackboneSpec.from_tag(tag)


def test_every_kind_is_listed_and_loadable_by_its_syntax():
    kinds = list_backbones()
    assert {k.syntax.split(":")[0].split("[")[0] for k in kinds} == {
        "clip", "clip-random", "openai-checkpoint", "open_clip-checkpoint", "efficientnet-lite0",
        "efficientnet-lite0-random"}
    assert all(k.description for k in kinds)
    assert DEFAULT_PIXEL_BACKBONE.format() == "efficientnet-lite0"


def test_loaded_backbones_record_the_canonical_spec():
    assert load_backbone("efficientnet-lite0-random").info.spec == "efficientnet-lite0-random:0"
    assert load_backbone(BackboneSpec.parse("efficientnet-lite0-random:2")).info.spec == "efficientnet-lite0-random:2"


def test_weights_records_keep_their_spellings(tmp_path, monkeypatch):
    monkeypatch.setenv("DDR_CACHE", str(tmp_path))
    monkeypatch.setenv("DDR_OFFLINE", "1")
    record = resolve_clip_weights("ViT-B-32", "openai", download=False, stand_in_seed=5)
    assert record["requested"] == "clip:ViT-B-32:openai" and record["spec"] == "clip-random:ViT-B-32:5"
    checkpoint = tmp_path / "tiny.pt"
    checkpoint.write_bytes(b"x")
    record = resolve_clip_weights("RN50", "openai", download=False, stand_in_seed=0, checkpoint=str(checkpoint))
    assert record["spec"] == f"openai-checkpoint:{checkpoint}" and record["stand_in"]


def test_restoration_encoder_names():
    rcfg = {"ddr": {"types": ["blur"], "adaptive": True, "backbone": None}, "loss_terms": {"psnr": 1.0}}
    clip_cfg = {"arch": "ViT-B-32", "pretrained": "openai"}
    assert plan.ddr_encoder(rcfg, plan.MAIN, clip_cfg) == "ViT-B-32+openai"
    rcfg["ddr"]["backbone"] = "RN50+openai"
    assert plan.ddr_encoder(rcfg, plan.MAIN, clip_cfg) == "RN50+openai"
    rcfg["ddr"]["backbone"] = "RN50"
    with pytest.raises(plan.RestorationConfigError, match="'RN50': expected ARCH\\+TAG"):
        plan.ddr_encoder(rcfg, plan.MAIN, clip_cfg)


def test_ddr_list_shows_every_registered_kind():
    from ddr.baselines.command import list_lines

    shown = [line.split() for line in list_lines() if line.startswith("  ")]
    for kind in list_backbones():
        assert [kind.syntax, *kind.description.split()] in shown
