"""Natural-scene-statistics building blocks shared by NIQE and PIQE: MSCN coefficients and AGGD moment fits."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.special

# alpha grid for moment matching (shape parameter of the (A)GGD), as in the NSS literature: 0.2 .. 10 step 0.001
_ALPHA_GRID = np.arange(0.2, 10.0, 0.001)
_RHO_GRID = scipy.special.gamma(2.0 / _ALPHA_GRID) ** 2 / (
    scipy.special.gamma(1.0 / _ALPHA_GRID) * scipy.special.gamma(3.0 / _ALPHA_GRID)
)


def gaussian_window(radius: int = 3, sigma: float = 7.0 / 6.0) -> np.ndarray:
    """Normalised 1-D Gaussian of length 2*radius+1 (7 taps, sigma 7/6 in NIQE/BRISQUE/PIQE)."""
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * t**2 / sigma**2)
    return w / w.sum()


def mscn(image: np.ndarray, c: float = 1.0, mode: str = "constant", radius: int = 3, sigma: float = 7.0 / 6.0):
    """Mean-subtracted contrast-normalised coefficients (image - mu) / (sigma_local + c).

    `mode` is the scipy.ndimage border mode ("constant" = zero padding, "nearest" = replicate).
    Returns (mscn, local_sigma).
    """
    w = gaussian_window(radius, sigma)
    img = np.asarray(image, dtype=np.float64)

    def blur(a):
        return scipy.ndimage.correlate1d(scipy.ndimage.correlate1d(a, w, axis=0, mode=mode), w, axis=1, mode=mode)

    mu = blur(img)
    sd = np.sqrt(np.abs(blur(img * img) - mu * mu))
    return (img - mu) / (sd + c), sd


def aggd_fit(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Moment-matching fit of an asymmetric generalised Gaussian along the last axis.

    `samples` has shape (..., n). Returns (alpha, mean, beta_left, beta_right) each of shape (...,).
    The shape alpha is found by table look-up of the generalised-Gaussian ratio function, corrected for asymmetry.
    Flat inputs (no variation) give alpha = 0.2 (grid minimum) and zero scales rather than NaN.
    """
    x = np.asarray(samples, dtype=np.float64)
    sq = x * x
    left = x < 0
    n_left = left.sum(axis=-1)
    n_right = x.shape[-1] - n_left
    with np.errstate(invalid="ignore", divide="ignore"):
        left_sd = np.sqrt(np.where(n_left > 0, (sq * left).sum(axis=-1) / np.maximum(n_left, 1), 0.0))
        right_sd = np.sqrt(np.where(n_right > 0, (sq * ~left).sum(axis=-1) / np.maximum(n_right, 1), 0.0))
        gamma_hat = np.where(right_sd > 0, left_sd / right_sd, np.inf)
        mean_sq = sq.mean(axis=-1)
        r_hat = np.where(mean_sq > 0, np.abs(x).mean(axis=-1) ** 2 / mean_sq, np.inf)
        r_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    r_norm = np.where(np.isfinite(r_norm), r_norm, 0.0)
    idx = np.argmin((r_norm[..., None] - _RHO_GRID) ** 2, axis=-1)
    alpha = _ALPHA_GRID[idx]
    g1 = scipy.special.gamma(1.0 / alpha)
    g2 = scipy.special.gamma(2.0 / alpha)
    g3 = scipy.special.gamma(3.0 / alpha)
    ratio = np.sqrt(g1 / g3)
    beta_l = ratio * left_sd
    beta_r = ratio * right_sd
    mean = (beta_r - beta_l) * g2 / g1
    return alpha, mean, beta_l, beta_r
