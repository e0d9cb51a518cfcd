"""BRISQUE's local mean filter, `filter2(window, img, 'same')`, with the floating-point arithmetic MATLAB uses.

Why bit-level: in flat (constant) regions the MSCN coefficient (img - mu) / (sigma + 1) is 0 in exact arithmetic,
but after filtering it is either exactly 0 or a round-off residue of about 1e-14 whose sign depends on the last
bits of the filter. The release's AGGD fits count a product as left or right by its sign (zeros in neither), so on
images with large flat areas (TID2013 I06, I08, I19 of pyiqa's calibration set: up to 30% of the pixels) those
residues move BRISQUE by up to 11%. Reproducing the release therefore means reproducing its round-off:

- `filter2` (MATLAB's filter2.m) tests the rotated window `rot90(w, 2)` for rank 1 with `svd` and, as it is
  separable, filters with `conv2(hcol, hrow, img, 'same')`, where hcol = U(:,1) sqrt(s1), hrow = V(:,1) sqrt(s1).
  These factors are not the normalised 1-D Gaussian: their last bits come from LAPACK's dgesvd.
- the window is `fspecial('gaussian', 7, 7/6)` normalised twice (fspecial's `h / sum(h(:))`, then the release's
  `window / sum(sum(window))`); `sum(h(:))` summed in 4 interleaved partial sums (a SIMD sum, as MATLAB's sum is
  vectorised), `sum(sum(.))` column by column.
- `conv2(u, v, A)` convolves each column with u, then each row with v; each output accumulates its 7 products in
  kernel order from 0, one rounding per multiply and per add (no fused multiply-add).

The factors below are what Intel MKL's LAPACKE_dgesvd (the LAPACK MATLAB links) returns for that window; MKL
2019.0, 2021.4, 2023.2 and 2024.2 give identical bits. OpenBLAS/reference LAPACK (numpy's svd) differ in the last
bits and put BRISQUE 9-11% off the release on I06/I19, so the bits are stored here rather than recomputed.
Measured against the release on the calibration images: I03, I04, I06 within 0.01%, I08 -0.85%, I19 -0.69%
(docs/baselines_calibration.md).
"""

from __future__ import annotations

import numpy as np

# U(:,1) sqrt(s1) and V(:,1) sqrt(s1) of MKL dgesvd(rot90(window, 2)); their outer product is the window to 1e-17
HCOL = np.array([float.fromhex(v) for v in (
    "-0x1.9b92991f2488cp-7", "-0x1.42e11ca517a61p-4", "-0x1.e5fb7c557fad1p-3", "-0x1.5edacbc602378p-2",
    "-0x1.e5fb7c557fad1p-3", "-0x1.42e11ca517a61p-4", "-0x1.9b92991f24882p-7")])
HROW = np.array([float.fromhex(v) for v in (
    "-0x1.9b92991f24880p-7", "-0x1.42e11ca517a5ep-4", "-0x1.e5fb7c557fad1p-3", "-0x1.5edacbc602378p-2",
    "-0x1.e5fb7c557fad1p-3", "-0x1.42e11ca517a60p-4", "-0x1.9b92991f24881p-7")])


def fspecial_window(size: int = 7, sigma: float = 7.0 / 6.0) -> np.ndarray:
    """The release's 2-D window: `fspecial('gaussian', size, sigma)`, then `window / sum(sum(window))`.

    Not used for filtering (that uses HCOL, HROW); kept so tests can check the stored factors against it."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    xx, yy = np.meshgrid(x, x)
    h = np.exp(-(xx * xx + yy * yy) / (2.0 * sigma * sigma))
    lanes = np.zeros(4)
    for i, value in enumerate(h.ravel(order="F")):  # 4 interleaved partial sums, then added in order
        lanes[i % 4] += value
    h = h / (((lanes[0] + lanes[1]) + lanes[2]) + lanes[3])
    column_sums = [_sequential_sum(h[:, j]) for j in range(size)]
    return h / _sequential_sum(column_sums)


def _sequential_sum(values) -> float:
    total = 0.0
    for value in values:
        total = total + float(value)
    return total


def conv_same(image: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """`conv2`'s 'same' convolution along one axis with zero borders, each output summing kernel[k] *
    image[n + c - k] for k = 0, 1, ... in order (c = the kernel's centre), one rounding per step."""
    a = np.moveaxis(np.asarray(image, dtype=np.float64), axis, 0)
    taps = len(kernel)
    centre = taps // 2
    padded = np.pad(a, [(centre, taps - 1 - centre)] + [(0, 0)] * (a.ndim - 1))
    out, product = np.zeros_like(a), np.empty_like(a)
    for k in range(taps):  # in place, same roundings as out = out + kernel[k] * x
        start = taps - 1 - k
        np.multiply(kernel[k], padded[start:start + a.shape[0]], out=product)
        out += product
    return np.moveaxis(out, 0, axis)


def filter2_same(image: np.ndarray) -> np.ndarray:
    """`filter2(window, image, 'same')` of the release's 7x7 window, as MATLAB computes it (columns, then rows)."""
    return conv_same(conv_same(image, HCOL, axis=0), HROW, axis=1)


def brisque_mscn(image: np.ndarray) -> np.ndarray:
    """`structdis` of brisque_feature.m: (img - mu) ./ (sqrt(abs(filter2(w, img.^2) - mu.^2)) + 1)."""
    img = np.asarray(image, dtype=np.float64)
    mu = filter2_same(img)
    sigma = np.sqrt(np.abs(filter2_same(img * img) - mu * mu))
    return (img - mu) / (sigma + 1.0)
