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

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from ddr.util.arrays import to_hwc_float


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


# ---------------------------------------------------------------------------------------------------------------
# RealBlur's aligned metrics (Rim et al. 2020's protocol) and one dataset protocol's measurement
SSIM_SIGMA = 1.5


def _grey(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY)


def align_ecc(pred: np.ndarray, target: np.ndarray, iterations: int = 100,
              gauss_size: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(H, W, 3) float images in [0, 1] -> (pred aligned and masked, target masked, mask, converged)."""
    import cv2

    pred = pred.astype(np.float32)
    target = target.astype(np.float32)
    gain = float(np.sum(target * pred) / max(float(np.sum(pred * pred)), 1e-12))
    scaled = (gain * pred).astype(np.float32)
    warp = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, 0)
    converged = True
    try:
        _, warp = cv2.findTransformECC(_grey(target), _grey(scaled), warp, cv2.MOTION_HOMOGRAPHY, criteria,
                                       None, gauss_size)
    except cv2.error:
        converged, warp = False, np.eye(3, dtype=np.float32)
    h, w = target.shape[:2]
    aligned = cv2.warpPerspective(scaled, warp, (w, h), flags=cv2.INTER_CUBIC + cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT)
    mask = cv2.warpPerspective(np.ones_like(scaled), warp, (w, h), flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return aligned * mask, target * mask, mask, converged


def masked_psnr(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the pixels the mask keeps (images already multiplied by it)."""
    err = float(np.sum((target.astype(np.float64) - pred.astype(np.float64)) ** 2) / np.sum(mask))
    return float("inf") if err == 0 else 10.0 * math.log10(1.0 / err)


def masked_ssim(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """Mean of the SSIM map over the mask, per channel then over channels (window half width cut off)."""
    _, smap = structural_similarity(target.astype(np.float64), pred.astype(np.float64), channel_axis=-1,
                                    data_range=1.0, gaussian_weights=True, sigma=SSIM_SIGMA,
                                    use_sample_covariance=False, full=True)
    pad = int(3.5 * SSIM_SIGMA + 0.5)  # skimage's Gaussian window radius
    smap = (smap * mask)[pad:-pad, pad:-pad]
    cut = mask[pad:-pad, pad:-pad]
    per_channel = smap.sum(axis=(0, 1)) / np.maximum(cut.sum(axis=(0, 1)), 1e-12)
    return float(per_channel.mean())


def measure(pred: torch.Tensor, target: torch.Tensor, options: Mapping[str, Any]) -> dict[str, Any]:
    """PSNR / SSIM of one (3, H, W) output under a dataset protocol; 8-bit rounding of both first."""
    alignment = options.get("alignment", "none")
    crop = int(options.get("crop_border", 0))
    if alignment == "none":
        return {"psnr": psnr(pred, target, crop, True), "ssim": ssim(pred, target, crop, True), "aligned": False}
    if alignment != "ecc":
        raise ValueError(f"unknown alignment {alignment!r} (use 'none' or 'ecc')")
    a, b = quantize8(to_hwc(pred)), quantize8(to_hwc(target))
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    aligned, masked_target, mask, converged = align_ecc(a, b)
    return {"psnr": masked_psnr(aligned, masked_target, mask), "ssim": masked_ssim(aligned, masked_target, mask),
            "aligned": converged}
