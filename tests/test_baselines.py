"""BIQA baselines: registry, input handling, plausibility on bundled skimage images (parity with the original
releases is in test_baseline_parity.py)."""

import numpy as np
import open_clip
import pytest
import torch
from skimage import data

from ddr.baselines import UNAVAILABLE_TABLE_TEXT, BaselineUnavailable, Metric, build_baseline
from ddr.baselines.clip_iqa import ClipIQA, preprocess

NOISE_LEVELS = (0.0, 0.05, 0.1, 0.2)


def _rgb(name):
    img = getattr(data, name)() / 255.0
    return img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)


@pytest.fixture(scope="module")
def noise_series():
    """Per image, the clean version and increasingly noisy versions (fixed seed)."""
    out = {}
    for name in ("astronaut", "coffee", "camera"):
        img = _rgb(name)
        rng = np.random.default_rng(0)
        out[name] = [np.clip(img + rng.normal(0, s, img.shape), 0, 1) if s else img for s in NOISE_LEVELS]
    return out


def _assert_rises_with_noise(metric, series):
    assert metric.direction == "lower_better"
    for name, images in series.items():
        scores = metric.score_images(images, progress=False)
        assert np.all(np.isfinite(scores))
        assert np.all(np.diff(scores) > 0), f"{metric.name} on {name}: {scores}"


# ---------------------------------------------------------------------------------------------- registry / interface


def test_registry_names_and_unknown_name():
    assert isinstance(build_baseline("PIQE"), Metric)
    assert build_baseline("pi-qe").name == "PIQE"
    with pytest.raises(KeyError, match="unknown metric"):
        build_baseline("ssim")


def test_ilniqe_without_a_template_says_where_to_put_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DDR_CACHE", str(tmp_path))
    for name in ("ilniqe", "IL-NIQE"):
        with pytest.raises(BaselineUnavailable, match=f"templatemodel.mat.*at {tmp_path}/ilniqe/.*fit_ilniqe"):
            build_baseline(name)
    assert UNAVAILABLE_TABLE_TEXT == "n/a (model not available offline)"


def test_every_metric_records_its_parameters():
    for name in ("niqe", "brisque", "piqe"):
        m = build_baseline(name)
        assert m.direction == "lower_better" and m.parameters
    assert "niqe_pris_params.npz" in build_baseline("niqe").parameters
    brisque = build_baseline("brisque").parameters
    assert "brisque_allmodel" in brisque and "opinion-aware" in brisque


def test_input_layouts_agree_and_bad_input_names_the_image():
    img = _rgb("astronaut")[:256, :256]
    m = build_baseline("piqe")
    hwc, chw = img, np.transpose(img, (2, 0, 1))
    scores = m.score_images([hwc, chw, torch.from_numpy(chw).float()], progress=False)
    assert scores[0] == scores[1]
    assert scores[2] == pytest.approx(scores[0], rel=1e-3)
    with pytest.raises(ValueError, match=r"image #1: values must lie in \[0,1\]"):
        m.score_images([img, img * 2], progress=False)
    with pytest.raises(ValueError, match="image #0: expected shape"):
        m.score_images([np.zeros((4, 5, 6))], progress=False)


# ---------------------------------------------------------------------------------------------- NIQE


def test_niqe_rises_with_gaussian_noise(noise_series):
    _assert_rises_with_noise(build_baseline("niqe"), noise_series)


def test_niqe_rejects_too_small_images():
    with pytest.raises(RuntimeError, match="at least two 96x96 blocks"):
        build_baseline("niqe").score_images([np.full((100, 100, 3), 0.5)], progress=False)


# ---------------------------------------------------------------------------------------------- BRISQUE / PIQE


def test_brisque_rises_with_gaussian_noise(noise_series):
    _assert_rises_with_noise(build_baseline("brisque"), noise_series)


def test_piqe_rises_with_gaussian_noise(noise_series):
    _assert_rises_with_noise(build_baseline("piqe"), noise_series)


def test_piqe_handles_sizes_not_multiple_of_block():
    img = _rgb("astronaut")[:203, :317]
    score = build_baseline("piqe").score_images([img], progress=False)[0]
    assert 0 < score <= 100


# ---------------------------------------------------------------------------------------------- CLIP-IQA


def _tiny_clip(seed=0):
    torch.manual_seed(seed)
    model = open_clip.CLIP(
        embed_dim=32,
        vision_cfg=dict(layers=1, width=32, head_width=16, patch_size=32, image_size=224),
        text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1),
    )
    return model, open_clip.get_tokenizer("ViT-B-32")


@pytest.fixture(scope="module")
def tiny_clip():
    return _tiny_clip()


def test_clip_iqa_in_unit_interval_and_deterministic(tiny_clip):
    model, tok = tiny_clip
    images = [_rgb("astronaut")[::2, ::2], _rgb("coffee")[::2, ::2], torch.rand(3, 150, 260)]
    metric = build_baseline("clip-iqa", model=model, tokenizer=tok, batch_size=2)
    scores = metric.score_images(images, progress=False)
    assert scores.shape == (3,) and np.all((scores > 0) & (scores < 1))
    assert np.array_equal(scores, metric.score_images(images, progress=False))
    fresh_model, _ = _tiny_clip()
    again = ClipIQA(fresh_model, tok).score_images(images, progress=False)
    np.testing.assert_allclose(again, scores, rtol=0, atol=1e-6)
    assert metric.direction == "higher_better" and "Good photo." in metric.parameters


def test_clip_iqa_callable_path_matches_model_path(tiny_clip):
    model, tok = tiny_clip
    with torch.no_grad():
        text = model.encode_text(tok(["Good photo.", "Bad photo."]))
    images = [_rgb("camera")[::2, ::2]]
    via_model = ClipIQA(model, tok).score_images(images, progress=False)
    via_callable = ClipIQA(
        encode_image=model.encode_image, text_features=text, logit_scale=float(model.logit_scale.detach().exp())
    ).score_images(images, progress=False)
    np.testing.assert_allclose(via_callable, via_model, atol=1e-7)


def test_clip_iqa_score_is_softmax_of_prompt_similarities(tiny_clip):
    """Swapping the prompts must turn p(good) into 1 - p(good)."""
    model, tok = tiny_clip
    images = [_rgb("astronaut")[::2, ::2]]
    p = ClipIQA(model, tok).score_images(images, progress=False)
    q = ClipIQA(model, tok, prompts=("Bad photo.", "Good photo.")).score_images(images, progress=False)
    np.testing.assert_allclose(p + q, 1.0, atol=1e-6)


def test_clip_preprocess_resizes_shorter_side_and_crops():
    x = preprocess(torch.rand(3, 300, 500), 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    assert x.shape == (3, 224, 224)
    assert float(x.min()) >= -1.0 - 1e-6 and float(x.max()) <= 1.0 + 1e-6


def test_piqe_of_a_flat_image_is_the_worst_score():
    from ddr.baselines.nss.piqe import piqe_score

    assert piqe_score(np.full((64, 64, 3), 0.5)) == 100.0
