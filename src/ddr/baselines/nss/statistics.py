"""Natural-scene-statistics building blocks of NIQE, BRISQUE, PIQE and IL-NIQE, as the original MATLAB releases
compute them: MSCN coefficients and the moment-matching (A)GGD fits (`estimateggdparam`, `estimateaggdparam`).

Release details kept on purpose: the shape grid is 0.2:0.001:10 (9801 values, first minimum wins); the left and
right deviations average over the strictly negative and strictly positive samples (zeros count in neither, but
they do count in the mean-absolute and mean-square terms).
"""

from __future__ import annotations

import numpy as np
import scipy.special

from ddr.baselines.matlab import filter_same, gaussian_window

ALPHA_GRID = 0.2 + 0.001 * np.arange(9801)  # MATLAB's 0.2:0.001:10
_G1, _G2, _G3 = (scipy.special.gamma(k / ALPHA_GRID) for k in (1.0, 2.0, 3.0))
_AGGD_RHO = _G2**2 / (_G1 * _G3)  # r(alpha) of estimateaggdparam
_GGD_RHO = _G1 * _G3 / _G2**2  # its reciprocal, as estimateggdparam tabulates it


def mscn(image: np.ndarray, c: float = 1.0, padding: str = "replicate", size: int = 7, sigma: float = 7.0 / 6.0):
    """Mean-subtracted contrast-normalised coefficients (image - mu) / (sigma_local + c), and sigma_local.

    padding: "replicate" (NIQE's and PIQE's imfilter) or "zeros", see `matlab.filter_same`. BRISQUE does not use
    this: it needs filter2's exact round-off (`brisque_filter.brisque_mscn`).
    """
    w = gaussian_window(size, sigma)
    img = np.asarray(image, dtype=np.float64)
    mu = filter_same(img, w, padding)
    sd = np.sqrt(np.abs(filter_same(img * img, w, padding) - mu * mu))
    return (img - mu) / (sd + c), sd


def _nearest(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Index of the table entry nearest each value, first one on ties, 0 for NaN or inf: MATLAB's
    `[~, i] = min(abs(table - v))` for a monotonic table, without an (n, 9801) difference array."""
    ascending = table[0] < table[-1]
    t = table if ascending else table[::-1]
    v = np.asarray(values, dtype=np.float64)
    hi = np.clip(np.searchsorted(t, v), 1, len(t) - 1)
    lo = hi - 1
    pick_hi = np.abs(t[hi] - v) < np.abs(v - t[lo])
    tie = np.abs(t[hi] - v) == np.abs(v - t[lo])
    idx = np.where(pick_hi, hi, lo)
    if not ascending:  # in the original order, the first of two equally near entries is the higher index here
        idx = np.where(tie, hi, idx)
        idx = len(t) - 1 - idx
    return np.where(np.isfinite(v), idx, 0)


def ggd_fit(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`estimateggdparam` along the last axis: (alpha, sigma) with sigma = sqrt(mean(x^2))."""
    x = np.asarray(samples, dtype=np.float64)
    sigma_sq = (x * x).mean(axis=-1)
    e = np.abs(x).mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = sigma_sq / e**2
    alpha = ALPHA_GRID[_nearest(rho, _GGD_RHO)]
    return alpha, np.sqrt(sigma_sq)


def aggd_fit(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`estimateaggdparam` along the last axis: (alpha, left_std, right_std), the raw one-sided deviations.

    Flat inputs (no negative or no positive sample) give NaN deviations, as in MATLAB; callers drop such rows
    the way the releases do (nanmean / nancov) or let NaN propagate.
    """
    x = np.asarray(samples, dtype=np.float64)
    sq = x * x
    neg, pos = x < 0, x > 0
    with np.errstate(invalid="ignore", divide="ignore"):  # masked sums: no (n, samples) temporaries
        left = np.sqrt(np.add.reduce(sq, axis=-1, where=neg) / np.count_nonzero(neg, axis=-1))
        right = np.sqrt(np.add.reduce(sq, axis=-1, where=pos) / np.count_nonzero(pos, axis=-1))
        gamma_hat = left / right
        r_hat = np.abs(x).mean(axis=-1) ** 2 / sq.mean(axis=-1)
        r_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    alpha = ALPHA_GRID[_nearest(r_norm, _AGGD_RHO)]
    return alpha, left, right


def aggd_scale(alpha: np.ndarray) -> np.ndarray:
    """sqrt(Gamma(1/alpha) / Gamma(3/alpha)): turns a one-sided deviation into the AGGD scale beta."""
    return np.sqrt(scipy.special.gamma(1.0 / alpha) / scipy.special.gamma(3.0 / alpha))


def aggd_mean(alpha: np.ndarray, beta_l: np.ndarray, beta_r: np.ndarray) -> np.ndarray:
    """Mean of an AGGD with scales beta_l, beta_r: (beta_r - beta_l) Gamma(2/alpha) / Gamma(1/alpha)."""
    return (beta_r - beta_l) * scipy.special.gamma(2.0 / alpha) / scipy.special.gamma(1.0 / alpha)


# neighbour products of the releases, as circshift(structdis, shift) offsets (rows, cols)
NIQE_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))
BRISQUE_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))


def shifted_products(mscn_blocks: np.ndarray, shifts) -> list[np.ndarray]:
    """structdis .* circshift(structdis, shift) for each shift, over the last two axes (per block)."""
    return [mscn_blocks * np.roll(mscn_blocks, shift, axis=(-2, -1)) for shift in shifts]
