"""The feature cache is hit on a rerun: DDR scores and the BIQA tables are recomputed from cached features with the
image encoder disabled (any call to it raises)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ddr.backbones.clip import ClipBackbone
from ddr.pipeline.biqa import tables as biqa
from ddr.pipeline.features import encode_shard
from ddr.pipeline.scores import score_feature_domain
from ddr.pipeline.weights import backbone_from_record


class EncoderCalled(AssertionError):
    pass


def test_tables_rescore_cached_features_without_the_encoder(tmp_path, golden_dir, monkeypatch):
    images = [golden_dir / "images" / name for name in ("astronaut.png", "chelsea.png", "coffee.png", "rocket.png",
                                                         "tall.png", "tiny.png")]
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"image": [str(p) for p in images], "score": [6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
                  "direction": "higher_better", "ref": ""}).to_csv(labels, index=False)
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"spec": f"openai-checkpoint:{golden_dir / 'tiny-vit-0.pt'}", "stand_in": True,
                                   "requested": "clip:ViT-B-32:openai", "reason": "test stand-in"}))
    backbone = backbone_from_record(weights)
    shards = [tmp_path / f"shard-{k}-of-2.pt" for k in range(2)]
    for k, shard in enumerate(shards):  # first run: the encoder fills the cache
        encode_shard(backbone, labels, k, 2, shard, batch_size=4)
    scores = tmp_path / "ddr.csv"
    score_feature_domain(shards, weights, labels, scores)
    first = pd.read_csv(scores)

    def refuse(self, pixels):
        raise EncoderCalled("the image encoder ran although the features are cached")

    monkeypatch.setattr(ClipBackbone, "encode_image", refuse)
    with pytest.raises(EncoderCalled):  # the patch really disables the encoder
        encode_shard(backbone_from_record(weights), labels, 0, 2, tmp_path / "again.pt")

    rescored = tmp_path / "ddr_again.csv"
    score_feature_domain(shards, weights, labels, rescored)  # rerun: cache only (text tower for the prompts)
    again = pd.read_csv(rescored)
    pd.testing.assert_frame_equal(first, again)
    assert {"ddr", "ddr_content", "ddr_noadapt_blur"} <= set(again.columns) and again["stand_in"].all()

    long = biqa.write_table7(["tiny"], "tiny+test", {"tiny": {"tiny+test": rescored}},
                             [["blur"], ["blur", "color", "noise", "exposure", "content"]],
                             ["blur", "color", "noise", "exposure"], tmp_path / "t7", {"tiny": "tiny: test order"},
                             n_boot=20, seed=0, confidence=0.95)
    assert len(long) == 5 and long["srcc"].between(-1, 1).all()
    assert "STAND-IN" in (tmp_path / "t7.md").read_text()
