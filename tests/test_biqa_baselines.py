"""The baseline rules' adapter (score one shard, merge the shards) on a few small images."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from skimage import data

from ddr.baselines import UNAVAILABLE_TABLE_TEXT
from ddr.pipeline import baseline_scores

NOISE = (0.0, 0.05, 0.15)


@pytest.fixture(scope="module")
def noisy_set(tmp_path_factory, golden_dir):
    """3 images (an astronaut crop, clean and with two noise levels) + a label table; and the tiny CLIP record."""
    root = tmp_path_factory.mktemp("baselines")
    clean = data.astronaut()[:288, 96:384] / 255.0  # a 288x288 crop: natural texture, fast to score
    rng = np.random.default_rng(0)
    paths = []
    for sigma in NOISE:
        image = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 1) if sigma else clean
        path = root / f"astronaut_noise{sigma:g}.png"
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(path)
        paths.append(str(path))
    labels = root / "labels.csv"
    pd.DataFrame({"image": paths, "score": [3.0, 2.0, 1.0], "direction": "higher_better"}).to_csv(labels, index=False)
    weights = root / "weights.json"
    weights.write_text(json.dumps({"spec": f"openai-checkpoint:{golden_dir / 'tiny-vit-0.pt'}", "stand_in": True,
                                   "requested": "clip:ViT-B-32:openai", "reason": "test stand-in"}))
    return root, labels, weights


def _run(name, root, labels, weights=None):
    shards = []
    for k in range(2):
        out = root / name / f"shard-{k}-of-2.csv"
        baseline_scores.score_shard(name, labels, k, 2, out, weights_json=weights, batch_size=2)
        shards.append(out)
    merged = root / f"baseline_{name}.csv"
    baseline_scores.merge_shards(shards, labels, merged)
    return pd.read_csv(merged), baseline_scores.read_provenance(merged)


@pytest.mark.parametrize("name", ["niqe", "piqe", "brisque"])
def test_nss_baselines_rise_with_noise_through_the_shards(noisy_set, name):
    root, labels, _ = noisy_set
    frame, record = _run(name, root, labels)
    assert list(frame["image"]) == list(pd.read_csv(labels)["image"])  # the labels' order, every image once
    assert np.all(np.isfinite(frame["prediction"]))
    assert np.all(np.diff(frame["prediction"]) > 0), frame["prediction"].tolist()  # worse with more noise
    assert record["direction"] == "lower_better" and record["available"] and not record["stand_in"]
    assert record["parameters"]
    if name == "niqe":
        assert "niqe_pris_params.npz" in record["parameters"]  # the table names the parameter file


def test_clipiqa_uses_the_ddr_weights_record(noisy_set):
    root, labels, weights = noisy_set
    frame, record = _run("clipiqa", root, labels, weights)
    assert ((frame["prediction"] > 0) & (frame["prediction"] < 1)).all()
    assert record["stand_in"] and record["stand_in_reason"] == "test stand-in"
    assert "tiny-vit-0.pt" in record["backbone"] and "STAND-IN" in record["parameters"]
    assert frame["stand_in"].all()
    with pytest.raises(ValueError, match="weights record"):
        baseline_scores.build_metric("clipiqa")


def test_ilniqe_shards_say_unavailable(noisy_set, monkeypatch):
    monkeypatch.setenv("DDR_CACHE", str(noisy_set[0] / "empty-cache"))  # no template placed or refitted
    root, labels, _ = noisy_set
    frame, record = _run("ilniqe", root, labels)
    assert frame["prediction"].isna().all() and len(frame) == 3
    assert record["available"] is False and record["table_text"] == UNAVAILABLE_TABLE_TEXT
    assert "templatemodel.mat" in record["reason"] and "fit_ilniqe" in record["reason"]


def test_piqe_scores_a_flat_image_instead_of_failing(tmp_path):
    metric = baseline_scores.build_metric("piqe")
    flat = np.full((64, 80, 3), 0.5)
    assert metric.score_images([flat], progress=False)[0] == pytest.approx(100.0)


def test_merge_refuses_missing_images_and_mixed_shards(noisy_set, tmp_path):
    root, labels, _ = noisy_set
    _run("niqe", root, labels)
    _run("piqe", root, labels)
    with pytest.raises(ValueError, match="no niqe score"):
        baseline_scores.merge_shards([root / "niqe" / "shard-0-of-2.csv"], labels, tmp_path / "baseline_niqe.csv")
    with pytest.raises(ValueError, match="cannot make this file"):
        baseline_scores.merge_shards([root / "niqe" / "shard-0-of-2.csv", root / "piqe" / "shard-1-of-2.csv"],
                                     labels, tmp_path / "baseline_niqe.csv")


def test_a_bad_image_is_named(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"image": [str(bad)], "score": [1.0]}).to_csv(labels, index=False)
    with pytest.raises(Exception, match="broken.png"):
        baseline_scores.score_shard("piqe", labels, 0, 1, tmp_path / "out.csv")
