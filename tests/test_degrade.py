"""Pixel-domain degradation operators: neutral levels, monotonic severity, determinism, shapes, range, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage import data as skdata

from ddr.degrade import (
    OPERATORS,
    degrade,
    exposure,
    gaussian_blur,
    gaussian_noise,
    jpeg,
    motion_blur,
    motion_kernel,
    saturation,
)


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    """A real photograph (natural statistics matter for JPEG and blur), 96x128, float64 in [0, 1]."""
    array = skdata.astronaut()[100:292:2, 100:356:2]  # 96 x 128 x 3, uint8
    return torch.from_numpy(array.copy()).permute(2, 0, 1).to(torch.float64) / 255.0


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((a.double() - b.double()) ** 2).item()
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def high_frequency_energy(x: torch.Tensor) -> float:
    """Mean squared discrete Laplacian: falls as an image loses detail."""
    lap = 4 * x[..., 1:-1, 1:-1] - x[..., :-2, 1:-1] - x[..., 2:, 1:-1] - x[..., 1:-1, :-2] - x[..., 1:-1, 2:]
    return float((lap**2).mean())


def colourfulness(x: torch.Tensor) -> float:
    """Mean distance of the pixels from the grey axis."""
    return float((x - x.mean(dim=0, keepdim=True)).abs().mean())


NEUTRAL = [(kind, op.neutral) for kind, op in OPERATORS.items() if op.neutral is not None]


def test_registry_covers_the_ddr_types():
    assert set(OPERATORS) == {"blur", "motion_blur", "noise", "jpeg", "color", "exposure"}
    for op in OPERATORS.values():
        assert op.more_degraded  # every operator documents its direction
    assert OPERATORS["jpeg"].neutral is None  # JPEG has no lossless level; the others do


@pytest.mark.parametrize("kind,level", NEUTRAL)
def test_neutral_level_is_identity(photo, kind, level):
    out = degrade(photo, kind, level, seed=3)
    assert torch.equal(out, photo)


def test_motion_blur_length_one_is_identity(photo):
    assert torch.equal(motion_blur(photo, 1, angle=37.0), photo)


def test_blur_removes_high_frequencies_monotonically(photo):
    energies = [high_frequency_energy(gaussian_blur(photo, s)) for s in (0, 0.5, 1.0, 2.0, 4.0)]
    assert all(a > b for a, b in zip(energies, energies[1:])), energies


def test_motion_blur_removes_high_frequencies_monotonically(photo):
    energies = [high_frequency_energy(motion_blur(photo, n, angle=30.0)) for n in (1, 3, 7, 15)]
    assert all(a > b for a, b in zip(energies, energies[1:])), energies


def test_motion_blur_is_directional(photo):
    """A horizontal line smooths along rows more than a vertical one does, and along columns less."""
    def grads(y):
        return (y[..., :, 1:] - y[..., :, :-1]).abs().mean(), (y[..., 1:, :] - y[..., :-1, :]).abs().mean()

    h_rows, h_cols = grads(motion_blur(photo, 9, angle=0.0))
    v_rows, v_cols = grads(motion_blur(photo, 9, angle=90.0))
    assert h_rows < 0.8 * v_rows and v_cols < 0.8 * h_cols


@pytest.mark.parametrize("length,angle", [(5, 0), (9, 30), (15, 90), (21, 135), (2.5, 10)])
def test_motion_kernel_is_normalised_and_odd(length, angle):
    k = motion_kernel(length, angle)
    assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert k.min() >= 0 and abs(k.sum().item() - 1) < 1e-12
    assert torch.allclose(k, torch.flip(k, dims=(0, 1)))  # a line through the centre is point-symmetric


def test_blur_preserves_mean_of_a_constant_image():
    x = torch.full((3, 32, 32), 0.3, dtype=torch.float64)
    assert torch.allclose(gaussian_blur(x, 2.0), x)
    assert torch.allclose(motion_blur(x, 7, 45), x)


def test_noise_psnr_falls_with_sigma(photo):
    values = [psnr(gaussian_noise(photo, s, seed=0), photo) for s in (0.01, 0.03, 0.1, 0.3)]
    assert all(a > b for a, b in zip(values, values[1:])), values


def test_noise_has_the_requested_sigma():
    x = torch.full((3, 128, 128), 0.5, dtype=torch.float64)  # far from the clamp
    residual = gaussian_noise(x, 0.05, seed=1) - x
    assert abs(residual.std().item() - 0.05) < 0.003
    assert abs(residual.mean().item()) < 0.003


def test_jpeg_psnr_falls_with_quality(photo):
    values = [psnr(jpeg(photo, q), photo) for q in (95, 75, 40, 15, 3)]
    assert all(a > b for a, b in zip(values, values[1:])), values
    assert values[0] > 30  # the mildest level is a mild degradation


def test_saturation_direction(photo):
    grey = saturation(photo, 0.0)
    assert torch.allclose(grey[0], grey[1]) and torch.allclose(grey[1], grey[2])
    levels = [colourfulness(saturation(photo, f)) for f in (0.0, 0.3, 0.7, 1.0, 1.5, 2.5)]
    assert all(a < b for a, b in zip(levels, levels[1:])), levels


def test_exposure_direction(photo):
    means = [exposure(photo, ev).mean().item() for ev in (-2, -1, 0, 1, 2)]
    assert all(a < b for a, b in zip(means, means[1:])), means
    clipped = [(exposure(photo, ev) >= 1.0).float().mean().item() for ev in (0, 1, 2, 3)]
    assert all(a < b for a, b in zip(clipped, clipped[1:])), clipped
    assert exposure(photo, 0.0, gamma=2.0).mean() < photo.mean()  # gamma > 1 darkens mid-tones


@pytest.mark.parametrize("kind,level", [("noise", 0.1), ("jpeg", 20), ("blur", 1.5), ("motion_blur", 7)])
def test_same_seed_same_bytes(photo, kind, level):
    a = degrade(photo.float(), kind, level, seed=123)
    b = degrade(photo.float(), kind, level, seed=123)
    assert a.numpy().tobytes() == b.numpy().tobytes()


def test_different_seeds_differ(photo):
    a = gaussian_noise(photo, 0.1, seed=1)
    b = gaussian_noise(photo, 0.1, seed=2)
    assert not torch.equal(a, b)


def test_noise_is_batch_independent(photo):
    """An image gets the same noise alone or inside a batch (so scores do not depend on batch composition)."""
    batch = torch.stack([photo, photo.flip(-1)])
    assert torch.equal(gaussian_noise(batch, 0.1, seed=5)[0], gaussian_noise(photo, 0.1, seed=5))


@pytest.mark.parametrize("kind,level", [(k, lv) for k, lv in
                                        [("blur", 2), ("motion_blur", 9), ("noise", 0.2), ("jpeg", 10),
                                         ("color", 2.0), ("exposure", 1.5)]])
def test_shapes_dtype_and_range(photo, kind, level):
    single = photo.float()
    batch = torch.stack([single, single.flip(-1), single.flip(-2)])
    for x in (single, batch):
        y = degrade(x, kind, level, seed=0)
        assert y.shape == x.shape and y.dtype == x.dtype
        assert y.min() >= 0 and y.max() <= 1
    # a batch is processed image by image: each image matches its own single-image result
    assert torch.allclose(degrade(batch, kind, level)[1], degrade(batch[1], kind, level), atol=1e-6)


def test_out_of_range_input_is_clamped():
    x = torch.linspace(-0.5, 1.5, 3 * 16 * 16).reshape(3, 16, 16)
    for kind, level in [("blur", 0.0), ("color", 1.0), ("exposure", 0.0), ("noise", 0.0)]:
        y = degrade(x, kind, level)
        assert y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("kind,level", [("blur", 1.0), ("motion_blur", 5), ("noise", 0.1), ("color", 0.5),
                                        ("exposure", 1.0)])
def test_gradients_flow(photo, kind, level):
    x = (photo.float() * 0.8 + 0.1).requires_grad_(True)  # away from the clamp
    degrade(x, kind, level, seed=0).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_unknown_kind_is_a_clear_error(photo):
    with pytest.raises(ValueError, match="unknown degradation kind 'fog'.*blur"):
        degrade(photo, "fog", 1.0)


@pytest.mark.parametrize("kind,level", [("blur", -1), ("noise", 1.5), ("jpeg", 0), ("jpeg", 101), ("jpeg", 50.5),
                                        ("color", -0.1), ("exposure", 11), ("blur", float("nan")),
                                        ("motion_blur", -3), ("noise", "a lot")])
def test_out_of_range_level_is_a_clear_error(photo, kind, level):
    with pytest.raises(ValueError, match=f"degradation '{kind}'"):
        degrade(photo, kind, level)


def test_bad_inputs_are_clear_errors(photo):
    with pytest.raises(ValueError, match="3 colour channels"):
        gaussian_blur(torch.rand(1, 4, 8, 8), 1.0)
    with pytest.raises(ValueError, match=r"\(B,3,H,W\)"):
        gaussian_blur(torch.rand(8, 8), 1.0)
    with pytest.raises(TypeError, match="float tensor"):
        gaussian_blur(torch.zeros(3, 8, 8, dtype=torch.uint8), 1.0)
    with pytest.raises(ValueError, match="too large"):
        gaussian_blur(torch.rand(3, 8, 8), 5.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        degrade(photo, "blur", 1.0, angle=3)


def test_level_accepts_numpy_scalars(photo):
    assert torch.equal(degrade(photo, "jpeg", np.int64(30)), degrade(photo, "jpeg", 30))
