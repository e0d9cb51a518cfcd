"""The API's image inputs: accepted layouts and dtypes give the same scores; mistakes give a clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ddr.inputs import as_image_list, as_response_batch


@pytest.fixture()
def image():
    return torch.rand(3, 20, 30, generator=torch.Generator().manual_seed(0))


def test_uint8_is_converted_not_nan(tiny_vit, image):
    as_bytes = (image * 255).round().to(torch.uint8)
    scores = tiny_vit.quality_score(as_bytes)
    assert torch.isfinite(scores).all()
    assert torch.allclose(scores, tiny_vit.quality_score(as_bytes.float() / 255), atol=1e-6)


def test_numpy_hwc_and_other_float_dtypes_score_the_same(tiny_vit, image):
    reference = tiny_vit.quality_score([image])
    hwc = image.permute(1, 2, 0).numpy()
    for same_pixels in ([hwc], hwc, [image.numpy()], [image.double()]):  # identical float32 values
        assert torch.allclose(tiny_vit.quality_score(same_pixels), reference, atol=1e-6)
    half = image.half()  # rounded to float16 first: score it against the same rounded pixels
    assert torch.allclose(tiny_vit.quality_score([half]), tiny_vit.quality_score([half.float()]), atol=1e-6)


@pytest.mark.parametrize("bad,message", [
    ([], "no images given"),
    (torch.rand(20, 30, 3), "channels-last"),
    (torch.rand(1, 20, 30), r"shape \(3, H, W\)"),
    (torch.rand(3, 20, 30) * 255, "look like 0-255"),
    (torch.full((3, 4, 4), float("nan")), "NaN"),
    (torch.zeros(3, 0, 4), "zero size"),
    (torch.zeros(3, 4, 4, dtype=torch.int32), "dtype torch.int32"),
    ("image.png", "expected a tensor"),
])
def test_scoring_inputs_refused_clearly(bad, message):
    with pytest.raises(ValueError, match=message):
        as_image_list(bad)


def test_slightly_out_of_range_floats_warn(image):
    with pytest.warns(UserWarning, match="outside"):
        as_image_list(image * 1.2)


def test_response_inputs(tiny_vit):
    with pytest.raises(ValueError, match="square"):
        tiny_vit.response(torch.rand(2, 3, 32, 48))
    with pytest.raises(ValueError, match="channels-last"):
        tiny_vit.response(torch.rand(2, 32, 32, 3))
    with pytest.raises(ValueError, match="torch tensor"):
        tiny_vit.response(np.zeros((2, 3, 32, 32), dtype=np.float32))
    x = torch.rand(2, 3, 32, 32, dtype=torch.float64, requires_grad=True)
    tiny_vit.loss(x).backward()  # float64 works and the gradient reaches the input
    assert x.grad is not None and x.grad.dtype == torch.float64
    assert as_response_batch(torch.rand(3, 8, 8), square=True).shape == (1, 3, 8, 8)
