"""CLIP-IQA as its authors define it (ResNet CLIP at full resolution, attention pool without positional
embedding) next to the DDR-backbone variant, on a tiny random ResNet CLIP."""

import numpy as np
import open_clip
import pytest
import torch

from ddr.baselines import BaselineUnavailable, create_metric, metric_info
from ddr.baselines.clip_iqa import ClipIQA, encode_without_position


@pytest.fixture(scope="module")
def tiny_resnet_clip():
    torch.manual_seed(0)
    model = open_clip.CLIP(embed_dim=32, vision_cfg=dict(layers=(1, 1, 1, 1), width=16, image_size=64),
                           text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1)).eval()
    return model, open_clip.get_tokenizer("RN50")


def test_pooling_without_position_is_attnpool_with_a_zero_embedding(tiny_resnet_clip):
    model, _ = tiny_resnet_clip
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        ours = encode_without_position(model.visual, x)
        saved = model.visual.attnpool.positional_embedding.data.clone()
        model.visual.attnpool.positional_embedding.data.zero_()
        reference = model.visual(x)
        model.visual.attnpool.positional_embedding.data.copy_(saved)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_full_resolution_scores_any_size(tiny_resnet_clip):
    model, tok = tiny_resnet_clip
    metric = ClipIQA(model, tok, full_resolution=True, logit_scale=100.0)
    images = [torch.rand(3, 70, 90), torch.rand(3, 128, 64)]
    scores = metric.score_images(images, progress=False)
    assert scores.shape == (2,) and np.all((scores > 0) & (scores < 1))
    np.testing.assert_array_equal(scores, metric.score_images(images, progress=False))
    assert "full resolution" in metric.parameters
    swapped = ClipIQA(model, tok, full_resolution=True, logit_scale=100.0, prompts=("Bad photo.", "Good photo."))
    np.testing.assert_allclose(scores + swapped.score_images(images, progress=False), 1.0, atol=1e-6)


def test_full_resolution_refuses_a_vit(tiny_resnet_clip):
    torch.manual_seed(0)
    vit = open_clip.CLIP(embed_dim=32, vision_cfg=dict(layers=1, width=32, head_width=16, patch_size=32,
                                                       image_size=64),
                         text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))
    with pytest.raises(ValueError, match="needs a ResNet CLIP"):
        ClipIQA(vit, open_clip.get_tokenizer("ViT-B-32"), full_resolution=True)


def test_authors_clipiqa_offline_says_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("DDR_CACHE", str(tmp_path))
    assert metric_info("CLIP-IQA-RN50").display_name == "CLIP-IQA"
    assert "variant" in metric_info("clipiqa").display_name
    with pytest.raises(BaselineUnavailable, match="RN50"):
        create_metric("clip-iqa-rn50")
