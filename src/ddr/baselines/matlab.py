"""The MATLAB image functions the original NIQE/BRISQUE/PIQE/IL-NIQE releases call, reproduced in numpy.

Why: those releases are MATLAB code, and their pristine models and SVR were fitted on features computed with these
exact functions. Small differences (zero vs replicate borders, Pillow's bicubic vs MATLAB's antialiased kernel,
BT.601 luma vs `rgb2gray` with uint8 rounding) move NIQE by tens of percent (see docs/baselines_calibration.md).
Semantics follow MathWorks' documentation of `imresize`, `rgb2gray`, `imfilter`/`filter2` and `fspecial`.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

# rgb2gray: the first row of inv(ntsc2rgb matrix), as MATLAB documents ("0.298936021293775 * R + ...")
RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def round_half_away(x: np.ndarray) -> np.ndarray:
    """MATLAB's round (and its double -> uint8 conversion): halves go away from zero, unlike numpy's round."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def to_uint8(rgb01: np.ndarray) -> np.ndarray:
    """[0,1] floats -> the 0..255 integers MATLAB would hold for the same 8-bit image (as float64)."""
    return np.clip(round_half_away(np.asarray(rgb01, dtype=np.float64) * 255.0), 0.0, 255.0)


def rgb2gray_uint8(rgb01: np.ndarray) -> np.ndarray:
    """`double(rgb2gray(uint8(img)))`: the grey image the releases score (0..255 integers as float64)."""
    if rgb01.ndim == 2:
        return to_uint8(rgb01)
    return np.clip(round_half_away(to_uint8(rgb01) @ RGB2GRAY), 0.0, 255.0)


def gaussian_window(size: int = 7, sigma: float = 7.0 / 6.0) -> np.ndarray:
    """`fspecial('gaussian', size, sigma)` as its separable 1-D factor (the 2-D window is its outer product)."""
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    w = np.exp(-(t**2) / (2.0 * sigma**2))
    return w / w.sum()


def filter_same(image: np.ndarray, window1d: np.ndarray, padding: str) -> np.ndarray:
    """`imfilter(img, w2d, padding)` / `filter2(w2d, img, 'same')` for a separable symmetric window.

    padding: "replicate" (imfilter 'replicate'), "zeros" (filter2 and imfilter's default), "symmetric".
    """
    mode = {"replicate": "nearest", "zeros": "constant", "symmetric": "reflect"}[padding]
    out = scipy.ndimage.correlate1d(np.asarray(image, dtype=np.float64), window1d, axis=0, mode=mode, cval=0.0)
    return scipy.ndimage.correlate1d(out, window1d, axis=1, mode=mode, cval=0.0)


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB imresize's 'bicubic')."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))


def resize_matrix(in_length: int, scale: float, antialiasing: bool = True, out_length: int | None = None) -> np.ndarray:
    """(out, in) matrix of MATLAB imresize's bicubic weights along one axis, borders mirrored as MATLAB does."""
    out_length = int(np.ceil(in_length * scale)) if out_length is None else int(out_length)
    kernel_width = 4.0
    if scale < 1 and antialiasing:  # widen the kernel: h(x) = scale * cubic(scale * x)
        kernel_width /= scale
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731
    else:
        kernel = _cubic
    u = np.arange(1, out_length + 1, dtype=np.float64) / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = int(np.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]  # 1-based, as in MATLAB
    weights = kernel(u[:, None] - indices)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    cols = mirror[np.mod(indices.astype(np.int64) - 1, 2 * in_length)]
    matrix = np.zeros((out_length, in_length))
    np.add.at(matrix, (np.repeat(np.arange(out_length), taps), cols.ravel()), weights.ravel())
    return matrix


def imresize(image: np.ndarray, scale: float | None = None, antialiasing: bool = True,
             output_shape: tuple[int, int] | None = None) -> np.ndarray:
    """`imresize(double_img, scale)` or `imresize(double_img, [rows cols])` ('bicubic', antialiasing on when
    shrinking) of a 2-D float image, or of each channel of an HxWxC one.

    The axis with the smaller scale is resized first (MATLAB's order; rows first on ties); no rounding.
    """
    img = np.asarray(image, dtype=np.float64)
    if output_shape is None:
        output_shape = (int(np.ceil(img.shape[0] * scale)), int(np.ceil(img.shape[1] * scale)))
        scales = (scale, scale)
    else:
        scales = (output_shape[0] / img.shape[0], output_shape[1] / img.shape[1])
    matrices = [resize_matrix(img.shape[a], scales[a], antialiasing, output_shape[a]) for a in (0, 1)]
    for axis in sorted((0, 1), key=lambda a: scales[a]):
        img = np.moveaxis(np.tensordot(matrices[axis], img, axes=([1], [axis])), 0, axis)
    return img
