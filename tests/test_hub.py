"""torch.hub entry points (hubconf.py) load the same models as the library."""

from __future__ import annotations

import torch

from ddr import DDR

from conftest import GOLDEN, REPO

CHECKPOINT = f"openai-checkpoint:{GOLDEN / 'tiny-vit-0.pt'}"


def test_hub_ddr_scores_like_the_library():
    hub_model = torch.hub.load(str(REPO), "ddr", source="local", backbone=CHECKPOINT, types=["blur", "noise"])
    assert isinstance(hub_model, DDR) and hub_model.types == ["blur", "noise"]
    image = str(GOLDEN / "images" / "tiny.png")
    expected = DDR.from_pretrained(CHECKPOINT, types=["blur", "noise"]).score(image)
    assert torch.allclose(hub_model.score(image), expected, atol=1e-6)


def test_hub_pixel_ddr():
    from ddr.pixel import DEFAULT_LEVELS, PixelDDR

    model = torch.hub.load(str(REPO), "pixel_ddr", source="local", backbone="efficientnet-lite0-random")
    assert isinstance(model, PixelDDR) and model.degradations == DEFAULT_LEVELS
