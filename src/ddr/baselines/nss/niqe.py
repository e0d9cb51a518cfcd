"""NIQE (Mittal, Soundararajan & Bovik, IEEE SPL 2013) as LIVE's MATLAB release computes it (`computequality.m`).

Our own implementation of the release's steps, with the release's pristine model (`data/niqe_pris_params.npz`):
- grey = `rgb2gray(uint8(img))` (rounded to integers); crop to whole 96x96 blocks;
- per scale: MSCN with the 7x7 Gaussian (sigma 7/6), `imfilter(..., 'replicate')`, C = 1; non-overlapping blocks
  (96 px at scale 1, 48 px at scale 2); per block 18 features: AGGD fit of the MSCN block -> (alpha,
  (beta_l + beta_r) / 2), then for the products with its circshifts (0,1), (1,0), (1,1), (1,-1) ->
  (alpha, mean, beta_l, beta_r); scale 2 = `imresize(img, 0.5)` (bicubic, antialiased, no rounding);
- score = sqrt((mu_p - mu_d)^T pinv((Sigma_p + Sigma_d) / 2) (mu_p - mu_d)) with the image's nanmean / nancov.
Lower = better. The release computes a per-block sharpness but uses it only when fitting a model
(`fit_pristine_model`, threshold 0.75 of the sharpest block), not when scoring.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.linalg

from ddr.baselines import data_files
from ddr.baselines.base import Metric
from ddr.baselines.matlab import imresize, rgb2gray_uint8
from ddr.baselines.nss.statistics import NIQE_SHIFTS, aggd_fit, aggd_mean, aggd_scale, mscn, shifted_products

BLOCK = 96
SHARPNESS_THRESHOLD = 0.75  # estimatemodelparam.m: keep blocks with sharpness > 0.75 * max when fitting


def blocks(image: np.ndarray, size: int) -> np.ndarray:
    """Non-overlapping size x size blocks of a 2-D array whose sides are multiples of size; (P, size, size)."""
    h, w = image.shape
    return image.reshape(h // size, size, w // size, size).transpose(0, 2, 1, 3).reshape(-1, size, size)


def block_features(mscn_blocks: np.ndarray) -> np.ndarray:
    """The release's 18 features of each MSCN block (`computefeature.m`); shape (P, 18)."""
    flat = lambda a: a.reshape(a.shape[0], -1)  # noqa: E731
    alpha, left, right = aggd_fit(flat(mscn_blocks))
    scale = aggd_scale(alpha)
    feats = [alpha, (left + right) * scale / 2.0]
    for product in shifted_products(mscn_blocks, NIQE_SHIFTS):
        alpha, left, right = aggd_fit(flat(product))
        beta_l, beta_r = left * aggd_scale(alpha), right * aggd_scale(alpha)
        feats += [alpha, aggd_mean(alpha, beta_l, beta_r), beta_l, beta_r]
    return np.stack(feats, axis=1)


def crop_to_blocks(grey: np.ndarray, size: int = BLOCK) -> np.ndarray:
    h, w = grey.shape
    nh, nw = h // size, w // size
    if nh * nw < 2:
        raise ValueError(f"NIQE needs at least two {size}x{size} blocks to estimate a covariance; image is {h}x{w}")
    return grey[: nh * size, : nw * size]


def niqe_features(grey255: np.ndarray, size: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Per-block 36-D features of a 0-255 grey image and each block's sharpness (mean local sigma at scale 1)."""
    img = crop_to_blocks(np.asarray(grey255, dtype=np.float64), size)
    feats, sharpness = [], None
    for scale in (1, 2):
        structdis, sigma = mscn(img, c=1.0, padding="replicate")
        feats.append(block_features(blocks(structdis, size // scale)))
        if scale == 1:
            sharpness = blocks(sigma, size).mean(axis=(1, 2))
            img = imresize(img, 0.5)
    return np.hstack(feats), sharpness


def _nan_cov(features: np.ndarray) -> np.ndarray:
    """MATLAB's nancov default ('complete' rows: drop any row with a NaN)."""
    return np.cov(features[~np.isnan(features).any(axis=1)], rowvar=False)


def niqe_distance(features: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    """Distance between the image's feature MVG and the pristine MVG (the release's last three lines)."""
    d = mu - np.nanmean(features, axis=0)
    return float(np.sqrt(max(d @ scipy.linalg.pinv((cov + _nan_cov(features)) / 2.0) @ d, 0.0)))


def load_pristine_model(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(mu (36,), cov (36,36)) from an .npz with mu_pris_param/cov_pris_param (ours and basicsr's layout)."""
    try:
        with np.load(path) as data:
            mu, cov = np.ravel(data["mu_pris_param"]).astype(np.float64), np.asarray(data["cov_pris_param"], float)
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a NIQE model (.npz with mu_pris_param, cov_pris_param): {exc}") from exc
    if mu.shape != (36,) or cov.shape != (36, 36):
        raise ValueError(f"{path}: expected 36 features, got mu {mu.shape}, cov {cov.shape}")
    return mu, cov


def fit_pristine_model(grey_images: Iterable[np.ndarray], size: int = BLOCK,
                       threshold: float = SHARPNESS_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Fit (mu, cov) on pristine grey 0-255 images as `estimatemodelparam.m` does: per image, keep the blocks whose
    sharpness exceeds `threshold` times that image's sharpest block; pool them; mean and covariance."""
    kept = []
    for grey in grey_images:
        feats, sharpness = niqe_features(grey, size)
        kept.append(feats[sharpness > threshold * sharpness.max()])
    pooled = np.vstack(kept)
    return np.nanmean(pooled, axis=0), _nan_cov(pooled)


class NIQE(Metric):
    """NIQE as LIVE's release computes it, with the release's pristine model. Lower = better."""

    name = "NIQE"
    direction = "lower_better"

    def __init__(self, model_file: str | Path | None = None):
        path = Path(model_file) if model_file is not None else data_files.path_of(data_files.NIQE_PARAMS)
        self.mu, self.cov = load_pristine_model(path)
        origin = data_files.describe(data_files.NIQE_PARAMS) if model_file is None else f"user model {path}"
        self.parameters = (f"NIQE, LIVE release algorithm (rgb2gray uint8, replicate MSCN, {BLOCK}px blocks, "
                           f"MATLAB bicubic imresize 0.5); pristine model {origin}")

    def _score_one(self, rgb: np.ndarray) -> float:
        return niqe_distance(niqe_features(rgb2gray_uint8(rgb))[0], self.mu, self.cov)
