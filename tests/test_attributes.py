"""Computed image attributes behave as the quantities they stand for."""

import numpy as np
import pytest
import scipy.ndimage
import torch
from skimage import data

from ddr.evaluation.attributes import ATTRIBUTES, colourfulness, compute_attributes


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()[::2, ::2] / 255.0


def _desaturate(rgb, amount):
    grey = (rgb @ np.array([0.299, 0.587, 0.114]))[..., None]
    return grey + amount * (rgb - grey)


def test_grey_image_has_zero_colourfulness(astronaut):
    grey = np.repeat((astronaut @ np.array([0.299, 0.587, 0.114]))[..., None], 3, axis=2)
    assert colourfulness(grey) == pytest.approx(0.0, abs=1e-9)
    assert compute_attributes(torch.from_numpy(grey).permute(2, 0, 1))["colourfulness"] == pytest.approx(0, abs=1e-9)


def test_colourfulness_rises_with_saturation(astronaut):
    values = [compute_attributes(_desaturate(astronaut, a))["colourfulness"] for a in (0.25, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]


def test_sharpness_falls_with_blur():
    cam = np.repeat((data.camera()[::2, ::2] / 255.0)[..., None], 3, axis=2)
    values = [
        compute_attributes(scipy.ndimage.gaussian_filter(cam, sigma=(s, s, 0)) if s else cam)["sharpness"]
        for s in (0, 1, 2, 4)
    ]
    assert all(a > b for a, b in zip(values, values[1:]))


def test_complexity_proxies_rank_textured_above_smooth(astronaut):
    h, w = astronaut.shape[:2]
    ramp = np.repeat(np.linspace(0, 1, w)[None, :, None], h, axis=0).repeat(3, axis=2)
    busy, smooth = compute_attributes(astronaut), compute_attributes(ramp)
    for key in ("spatial_information", "mean_gradient", "jpeg_bpp"):
        assert busy[key] > smooth[key]


def test_torch_and_numpy_inputs_agree_and_are_deterministic(astronaut):
    a = compute_attributes(astronaut)
    b = compute_attributes(torch.from_numpy(astronaut).permute(2, 0, 1).float())
    assert a.keys() == b.keys() == ATTRIBUTES.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6)
    assert compute_attributes(astronaut) == a


def test_every_attribute_is_labelled_computed():
    for spec in ATTRIBUTES.values():
        assert spec.source == "computed" and "computed" in spec.label


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((8, 8, 2)), "shape"),  # grey (H,W) is accepted and replicated
        (np.full((8, 8, 3), 1.5), r"\[0,1\]"),
        (np.full((8, 8, 3), np.nan), "NaN"),
        (torch.zeros(8, 8, 3), r"\(3,H,W\)"),
    ],
)
def test_bad_images_raise(image, match):
    with pytest.raises(ValueError, match=match):
        compute_attributes(image)
