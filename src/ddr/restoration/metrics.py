"""PSNR and SSIM on RGB images in [0, 1], as restoration papers report them.

Conventions (all explicit arguments):
- Both images are RGB float in [0, 1], same size, already aligned; no registration is done here (RealBlur's
  official protocol aligns with ECC first; GoPro and RealSR need none). `crop_border` pixels are removed
  from every side before measuring (0 for deblurring; SR papers often crop `scale` pixels).
- `quantize=True` rounds both images to 8 bits first, i.e. the numbers describe the saved PNGs, as in the
  NAFNet / Restormer evaluation scripts.
- PSNR = 10 log10(1 / MSE) over all pixels and the three channels.
- SSIM follows Wang et al. 2004: 11 x 11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, population
  covariances, mean over the valid region of each channel, then over channels: exactly
  skimage.metrics.structural_similarity(channel_axis=-1, data_range=1, gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False). `ssim_torch` is the same computation in torch (for GPU / batches).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from ddr.arrays import to_hwc_float


def to_hwc(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """(3, H, W) tensor or (H, W, 3) array -> float64 (H, W, 3) array (values not range-checked: network outputs)."""
    return to_hwc_float(x, check_range=False)


def quantize8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0) / 255.0


def _prepare(a, b, crop_border: int, quantize: bool) -> tuple[np.ndarray, np.ndarray]:
    a, b = to_hwc(a), to_hwc(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in size: {a.shape} vs {b.shape}")
    if crop_border:
        a = a[crop_border:-crop_border, crop_border:-crop_border]
        b = b[crop_border:-crop_border, crop_border:-crop_border]
    if quantize:
        a, b = quantize8(a), quantize8(b)
    return a, b


def psnr(pred, target, crop_border: int = 0, quantize: bool = True) -> float:
    a, b = _prepare(pred, target, crop_border, quantize)
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def ssim(pred, target, crop_border: int = 0, quantize: bool = True) -> float:
    a, b = _prepare(pred, target, crop_border, quantize)
    return float(structural_similarity(a, b, channel_axis=-1, data_range=1.0, gaussian_weights=True,
                                       sigma=1.5, use_sample_covariance=False))


def _gaussian_window(sigma: float = 1.5, radius: int = 5, dtype=torch.float64) -> torch.Tensor:
    t = torch.arange(-radius, radius + 1, dtype=dtype)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


def ssim_torch(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Per-image SSIM of (B, C, H, W) batches -> (B,); same definition as `ssim` (no quantisation here)."""
    c = pred.shape[1]
    g = _gaussian_window(dtype=torch.float64).to(pred.device)
    wy = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
    wx = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)

    def blur(z):  # separable 'valid' Gaussian filter: only windows fully inside the image, as skimage crops
        return F.conv2d(F.conv2d(z, wy, groups=c), wx, groups=c)

    x, y = pred.double(), target.double()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(dim=(-2, -1)).mean(dim=1).to(pred.dtype)
