"""DDR arithmetic: the closed-form identity, adaptation, batch invariance, gradients."""

from __future__ import annotations

import pytest
import torch

from ddr import descriptor
from ddr.io import load_image
from ddr.preprocess import square_patches


def test_closed_form_identity():
    gen = torch.Generator().manual_seed(0)
    features = torch.randn(16, 64, generator=gen)
    features = features - features.mean(dim=1, keepdim=True)  # |mu(F)| << sigma(F)
    directions = torch.randn(5, 64, generator=gen) + 0.2
    exact = descriptor.response(features, directions, adaptive=True, eps=0.0)
    assert torch.allclose(exact, descriptor.correlation_identity(features, directions), atol=1e-6)
    with_eps = descriptor.response(features, directions, adaptive=True)  # the official 1e-3 moves it only a little
    assert torch.allclose(with_eps, exact, atol=2e-3)


def test_ddr_falls_as_feature_leans_to_degraded_prompt():
    gen = torch.Generator().manual_seed(1)
    direction = torch.randn(1, 32, generator=gen)
    base = torch.randn(1, 32, generator=gen)
    leaning = [base + a * direction for a in (0.0, 1.0, 3.0)]
    values = [descriptor.response(f, direction).item() for f in leaning]
    assert values[0] > values[1] > values[2]


def test_adaptation_matches_feature_statistics():
    gen = torch.Generator().manual_seed(2)
    features, directions = torch.randn(3, 40, generator=gen) * 4 + 2, torch.randn(2, 40, generator=gen)
    adapted = descriptor.adapt(directions, features, eps=0.0)
    assert torch.allclose(adapted.mean(-1), features.mean(-1, keepdim=True).expand(3, 2), atol=1e-5)
    assert torch.allclose(adapted.std(-1), features.std(-1, keepdim=True).expand(3, 2), atol=1e-4)


def test_no_adaptation_adds_raw_direction():
    f, d = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert descriptor.response(f, d, adaptive=False).item() == pytest.approx(1 - 2**-0.5, abs=1e-6)


@pytest.mark.parametrize("shape,count", [((512, 512), 2), ((300, 451), 2), ((512, 200), 3), ((80, 120), 2)])
def test_official_patch_scheme(shape, count):
    patches = square_patches(*shape)
    assert len(patches) == count
    assert all(p.side == min(shape) for p in patches)
    last = patches[-1]
    assert last.top + last.side <= shape[0] and last.left + last.side <= shape[1]


def test_zero_size_image_is_an_error():
    with pytest.raises(ValueError, match="zero size"):
        square_patches(0, 10)


def test_batch_invariance(tiny_vit, golden_dir):
    names = ["astronaut.png", "tall.png", "tiny.png", "chelsea.png"]
    images = [load_image(golden_dir / "images" / n) for n in names]
    together = tiny_vit.quality_scores(images, batch_size=3)
    for image, row in zip(images, together):
        alone = tiny_vit.quality_scores([image], batch_size=64)[0]
        assert torch.allclose(alone, row, atol=1e-6)
    same_size = torch.stack([images[0], images[0].flip(-1)])
    assert torch.allclose(tiny_vit.quality_score(same_size)[1], tiny_vit.quality_score(same_size[1:])[0], atol=1e-6)


def test_loss_gradient_reaches_input(tiny_vit):
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3), requires_grad=True)
    loss = tiny_vit.loss(x)
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_vit.backbone.parameters())  # the encoder stays frozen
    response = tiny_vit.response(x.detach())
    assert response.shape == (2, 4)
    assert loss.item() == pytest.approx(-response.mean().item(), abs=1e-6)


def test_rescoring_cached_features_equals_scoring(tiny_vit, golden_dir):
    from ddr.patches import encode_patches

    image = load_image(golden_dir / "images" / "rocket.png")
    features = encode_patches(tiny_vit.backbone, [image])[0]
    assert torch.allclose(tiny_vit.scores_from_features(features).mean(0), tiny_vit.quality_scores([image])[0])


def test_custom_prompts_and_unknown_type(golden_dir):
    from ddr import DDR

    model = DDR.from_checkpoint(golden_dir / "tiny-vit-0.pt", types=["haze"],
                                prompts={"haze": ("A clear photo.", "A hazy photo.")})
    assert model.types == ["haze"] and model.directions.shape[0] == 1
    with pytest.raises(ValueError, match="unknown degradation type"):
        DDR.from_checkpoint(golden_dir / "tiny-vit-0.pt", types=["sparkle"])


@pytest.mark.parametrize("shape", [(3, 512, 512), (2, 3, 300, 451), (3, 512, 200), (1, 3, 80, 120), (3, 223, 1000)])
def test_preprocessing_equals_the_official_torchvision_transform(shape):
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    from ddr.preprocess import CLIP_MEAN, CLIP_STD, Normalisation, prepare

    x = torch.rand(*shape, generator=torch.Generator().manual_seed(4))
    official = TF.normalize(TF.resize(x, 224, interpolation=InterpolationMode.BICUBIC, antialias=False), CLIP_MEAN, CLIP_STD)
    assert torch.equal(prepare(x, Normalisation(224)), official)
