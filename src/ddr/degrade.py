"""Pixel-domain degradation operators for pixel-domain DDR (METHOD.md, "Pixel-domain DDR") and the mini dataset.

Every operator takes a float tensor (B,3,H,W) or (3,H,W) with values in [0, 1] and returns the same shape, clamped
to [0, 1], in the input's dtype and device. Operators are deterministic: the ones with randomness take an explicit
seed, and the same inputs give the same bytes. Blur, noise, saturation and exposure keep gradients flowing to the
input (pixel-domain DDR may be used as a loss); JPEG does not (it goes through an 8-bit codec).

Levels and their direction ("more degraded" = further from the neutral level), as in `OPERATORS`:
  blur         Gaussian sigma in px, [0, 50]; neutral 0; larger sigma is more degraded.
  motion_blur  line length in px, [0, 201]; neutral 0 (or 1); longer is more degraded; `angle` in degrees.
  noise        Gaussian sigma in [0, 1] intensity units; neutral 0; larger is more degraded; uses `seed`.
  jpeg         integer quality in [1, 100]; no neutral level (100 is mildest, not lossless); lower is worse.
  color        saturation factor in [0, 10]; neutral 1; further from 1 is worse (<1 desaturates, >1 saturates).
  exposure     exposure change in EV, [-10, 10]; neutral 0; larger |EV| is worse (>0 over-, <0 under-exposes).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# Rec. 601 luma weights: the grey axis used by torchvision's adjust_saturation as well.
_LUMA = (0.299, 0.587, 0.114)
# Display gamma used to turn an exposure change in linear light into a gain on display values.
_DISPLAY_GAMMA = 2.2


def _as_batch(x: torch.Tensor, name: str) -> tuple[torch.Tensor, bool]:
    """(B,3,H,W) view of x and whether x was a single (3,H,W) image; clear errors for anything else."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name}: expected a float tensor in [0, 1], got dtype {x.dtype}")
    if x.ndim == 3:
        single = True
        x = x.unsqueeze(0)
    elif x.ndim == 4:
        single = False
    else:
        raise ValueError(f"{name}: expected shape (B,3,H,W) or (3,H,W), got {tuple(x.shape)}")
    if x.shape[1] != 3:
        raise ValueError(f"{name}: expected 3 colour channels, got shape {tuple(x.shape)}")
    return x, single


def _restore(y: torch.Tensor, single: bool) -> torch.Tensor:
    y = y.clamp(0.0, 1.0)
    return y.squeeze(0) if single else y


def _check_finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: level must be finite, got {value}")
    return value


def _depthwise_conv(x: torch.Tensor, kernel: torch.Tensor, name: str) -> torch.Tensor:
    """Correlate each channel of x (B,3,H,W) with a 2-D kernel (kh,kw), reflect padding, same size out.

    Computed as a weighted sum of shifted copies over the kernel's non-zero taps, in a fixed order: elementwise
    arithmetic gives the same bits on every CPU (conv2d's summation order depends on the SIMD path), and line
    kernels are sparse, so this is also faster than a dense depthwise convolution on the CPU.
    """
    kh, kw = kernel.shape
    ph, pw = kh // 2, kw // 2
    height, width = x.shape[-2:]
    if ph >= height or pw >= width:
        raise ValueError(
            f"{name}: kernel {kh}x{kw} too large for a {height}x{width} image (reflect padding needs it smaller)"
        )
    padded = F.pad(x, (pw, pw, ph, ph), mode="reflect") if (ph or pw) else x
    taps = list(zip(torch.nonzero(kernel).tolist(), kernel[kernel != 0].tolist()))
    (i, j), weight = taps[0]
    out = padded[..., i : i + height, j : j + width] * weight
    for (i, j), weight in taps[1:]:
        out.add_(padded[..., i : i + height, j : j + width], alpha=weight)  # in place: half the memory traffic
    return out


def gaussian_kernel_1d(sigma: float) -> torch.Tensor:
    """Normalised 1-D Gaussian taps in float64, radius ceil(3 sigma): covers >99.7% of the mass."""
    radius = max(1, math.ceil(3.0 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    taps = torch.exp(-0.5 * (t / sigma) ** 2)
    return taps / taps.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Isotropic Gaussian blur of standard deviation `sigma` pixels (separable, reflect padding); 0 = identity."""
    sigma = _check_finite("gaussian_blur", sigma)
    if sigma < 0:
        raise ValueError(f"gaussian_blur: sigma must be >= 0, got {sigma}")
    batch, single = _as_batch(x, "gaussian_blur")
    if sigma == 0:
        return _restore(batch, single)
    taps = gaussian_kernel_1d(sigma)
    y = _depthwise_conv(batch, taps[None, :], "gaussian_blur")
    y = _depthwise_conv(y, taps[:, None], "gaussian_blur")
    return _restore(y, single)


def motion_kernel(length: float, angle: float) -> torch.Tensor:
    """Normalised 2-D line kernel (float64) of `length` px at `angle` degrees (0 = horizontal, counter-clockwise).

    The segment is sampled densely and each sample is splatted bilinearly onto the pixel grid, so that fractional
    lengths and oblique angles give smooth, symmetric kernels rather than jagged rasterised lines.
    """
    if length <= 1:
        return torch.ones(1, 1, dtype=torch.float64)
    radius = math.ceil((length - 1) / 2) + 1
    size = 2 * radius + 1
    theta = math.radians(angle)
    steps = max(2, int(math.ceil(length * 8)))
    t = np.linspace(-(length - 1) / 2, (length - 1) / 2, steps)
    # rounding removes ~1e-17 residues of cos/sin at right angles that would otherwise widen the kernel
    xs = np.round(radius + t * math.cos(theta), 12)
    ys = np.round(radius - t * math.sin(theta), 12)  # image rows grow downwards
    kernel = np.zeros((size, size), dtype=np.float64)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            np.add.at(kernel, (y0 + dy, x0 + dx), wy * wx)
    rows, cols = np.nonzero(kernel)
    extent = int(max(np.abs(rows - radius).max(), np.abs(cols - radius).max()))  # drop all-zero borders
    kernel = kernel[radius - extent : radius + extent + 1, radius - extent : radius + extent + 1]
    kernel = kernel / kernel.sum()
    return torch.from_numpy(np.ascontiguousarray(kernel))


def motion_blur(x: torch.Tensor, length: float, angle: float = 0.0) -> torch.Tensor:
    """Linear motion blur along a line of `length` px at `angle` degrees; length <= 1 is the identity."""
    length = _check_finite("motion_blur", length)
    angle = _check_finite("motion_blur angle", angle)
    if length < 0:
        raise ValueError(f"motion_blur: length must be >= 0, got {length}")
    batch, single = _as_batch(x, "motion_blur")
    kernel = motion_kernel(length, angle)
    if kernel.numel() == 1:
        return _restore(batch, single)
    return _restore(_depthwise_conv(batch, kernel, "motion_blur"), single)


def noise_field(shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Standard normal field of `shape` drawn on the CPU from a generator seeded with `seed` (device-independent)."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(shape, generator=generator, dtype=dtype)


def gaussian_noise(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """Additive white Gaussian noise of standard deviation `sigma` (intensity units in [0, 1]); 0 = identity.

    The noise field depends only on (seed, image size), not on the batch: every image of a batch gets the same
    field, so an image is degraded identically whether it is scored alone or with others.
    """
    sigma = _check_finite("gaussian_noise", sigma)
    if sigma < 0:
        raise ValueError(f"gaussian_noise: sigma must be >= 0, got {sigma}")
    batch, single = _as_batch(x, "gaussian_noise")
    if sigma == 0:
        return _restore(batch, single)
    field = noise_field(tuple(batch.shape[1:]), seed, batch.dtype).to(batch.device)
    return _restore(batch + sigma * field, single)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(3,H,W) float in [0,1] -> (H,W,3) uint8 by rounding to nearest (the one quantiser used everywhere)."""
    array = x.detach().to("cpu", torch.float64).clamp(0.0, 1.0).mul(255.0).round()
    return array.to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG round trip through Pillow (4:2:0 chroma subsampling, baseline, no optimisation) at `quality` 1..100.

    Lower quality = more degraded; quality 100 is the mildest level but not lossless (8-bit + chroma subsampling).
    Not differentiable: the result carries no gradient.
    """
    quality_value = _check_finite("jpeg", quality)
    if quality_value != int(quality_value) or not 1 <= quality_value <= 100:
        raise ValueError(f"jpeg: quality must be an integer in [1, 100], got {quality}")
    batch, single = _as_batch(x, "jpeg")
    out = []
    for image in batch:
        buffer = io.BytesIO()
        Image.fromarray(to_uint8(image), mode="RGB").save(
            buffer, format="JPEG", quality=int(quality_value), subsampling=2, optimize=False, progressive=False
        )
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            array = np.asarray(decoded.convert("RGB"), dtype=np.uint8)
        out.append(torch.from_numpy(array.copy()).permute(2, 0, 1))
    y = torch.stack(out).to(device=batch.device, dtype=batch.dtype) / 255.0
    return _restore(y, single)


def saturation(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Blend each pixel with its grey (Rec. 601 luma) value: factor 1 = identity, 0 = grey, >1 = oversaturated."""
    factor = _check_finite("saturation", factor)
    if factor < 0:
        raise ValueError(f"saturation: factor must be >= 0, got {factor}")
    batch, single = _as_batch(x, "saturation")
    if factor == 1.0:  # exact identity (the blend below would differ from x by rounding)
        return _restore(batch, single)
    weights = torch.tensor(_LUMA, dtype=batch.dtype, device=batch.device).view(1, 3, 1, 1)
    grey = (batch * weights).sum(dim=1, keepdim=True)
    return _restore(grey + factor * (batch - grey), single)


def exposure(x: torch.Tensor, ev: float = 0.0, gamma: float = 1.0) -> torch.Tensor:
    """Exposure change of `ev` stops, then an optional display gamma `gamma` (out = (gain * x) ** gamma).

    One stop doubles the linear light; with a 2.2 power-law display this is a gain of 2 ** (ev / 2.2) on the
    display values. Positive EV over-exposes (highlights clip at 1), negative EV under-exposes; ev 0 and gamma 1
    are the identity. The gamma branch keeps gradients finite by flooring values at 1e-6 before the power.
    """
    ev = _check_finite("exposure", ev)
    gamma = _check_finite("exposure gamma", gamma)
    if gamma <= 0:
        raise ValueError(f"exposure: gamma must be > 0, got {gamma}")
    batch, single = _as_batch(x, "exposure")
    y = batch * (2.0 ** (ev / _DISPLAY_GAMMA)) if ev != 0 else batch
    if gamma != 1.0:
        y = y.clamp(1e-6, 1.0) ** gamma
    return _restore(y, single)


@dataclass(frozen=True)
class Operator:
    """A named degradation with one scalar level: how to apply it, its range, and which way is worse."""

    name: str
    apply: Callable[..., torch.Tensor]  # apply(x, level, seed, **params)
    low: float
    high: float
    neutral: float | None  # level that returns the input unchanged (None: no such level)
    more_degraded: str
    differentiable: bool
    severity: Callable[[float], float]  # grows monotonically as the level becomes more degraded
    params: tuple[str, ...] = ()  # extra keyword parameters the operator accepts

    def check(self, level: float) -> float:
        """The level as a float, or a ValueError naming the operator and its valid range."""
        try:
            value = float(level)
        except (TypeError, ValueError):
            raise ValueError(f"degradation '{self.name}': level must be a number, got {level!r}") from None
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(
                f"degradation '{self.name}': level {level!r} out of range [{self.low:g}, {self.high:g}] "
                f"({self.more_degraded})"
            )
        return value

    def __call__(self, x: torch.Tensor, level: float, seed: int = 0, **params) -> torch.Tensor:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValueError(
                f"degradation '{self.name}': unknown parameter(s) {unknown}; accepted: {list(self.params) or 'none'}"
            )
        return self.apply(x, self.check(level), int(seed), **params)


def _jpeg_level(x, level, seed):
    if level != int(level):
        raise ValueError(f"degradation 'jpeg': quality must be an integer, got {level!r}")
    return jpeg(x, int(level))


OPERATORS: dict[str, Operator] = {
    "blur": Operator(
        "blur", lambda x, level, seed: gaussian_blur(x, level), 0.0, 50.0, 0.0,
        "larger Gaussian sigma = more degraded", True, lambda level: level,
    ),
    "motion_blur": Operator(
        "motion_blur", lambda x, level, seed, angle=0.0: motion_blur(x, level, angle), 0.0, 201.0, 0.0,
        "longer motion length (px) = more degraded; 0 and 1 are the identity", True, lambda level: max(level, 1.0),
        ("angle",),
    ),
    "noise": Operator(
        "noise", lambda x, level, seed: gaussian_noise(x, level, seed), 0.0, 1.0, 0.0,
        "larger noise sigma = more degraded", True, lambda level: level,
    ),
    "jpeg": Operator(
        "jpeg", _jpeg_level, 1.0, 100.0, None,
        "lower JPEG quality = more degraded", False, lambda level: 100.0 - level,
    ),
    "color": Operator(
        "color", lambda x, level, seed: saturation(x, level), 0.0, 10.0, 1.0,
        "saturation factor further from 1 = more degraded (<1 desaturates, >1 oversaturates)", True,
        lambda level: math.inf if level == 0 else abs(math.log(level)),
    ),
    "exposure": Operator(
        "exposure", lambda x, level, seed, gamma=1.0: exposure(x, level, gamma), -10.0, 10.0, 0.0,
        "larger |EV| = more degraded (>0 over-exposes, <0 under-exposes)", True, lambda level: abs(level),
        ("gamma",),
    ),
}


def degrade(x: torch.Tensor, kind: str, level: float, seed: int = 0, **params) -> torch.Tensor:
    """Apply the degradation `kind` at `level` (see the module table); `seed` matters only for 'noise'.

    Extra keyword parameters go to the operator: `angle` (degrees) for 'motion_blur', `gamma` for 'exposure'.
    """
    try:
        operator = OPERATORS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown degradation kind {kind!r}; known kinds: {', '.join(sorted(OPERATORS))}") from None
    return operator(x, level, seed, **params)
