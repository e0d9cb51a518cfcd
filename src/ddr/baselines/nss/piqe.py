"""PIQE (Venkatanath et al., NCC 2015): block-wise perception-based quality evaluator, no learned parameters.

Our own vectorised implementation of MATLAB's `piqe` (Image Processing Toolbox), the code the paper's numbers come from:
- grey = `rgb2gray(uint8(img))`, then round(255 * grey / max(grey)) (MATLAB rescales to the image maximum);
  padded at the bottom/right by mirror reflection (`padarray(..., 'symmetric', 'post')`) to a multiple of 16;
- MSCN coefficients (7x7 Gaussian, sigma 7/6, C = 1, replicate borders);
- 16x16 non-overlapping blocks; a block is spatially active if the variance of its MSCN coefficients > 0.1;
- noticeable-artifact criterion: some 6-pixel segment (11 per edge, sliding) on one of the four block edges has a
  standard deviation < 0.1 (a flat run on the boundary of an otherwise active block: blocking/blur);
- noise criterion: with sigma the block std and r = std(centre) / std(surround), beta = |sigma - r| / max(sigma, r);
  noisy if sigma > 2 * beta. Centre = columns 8 and 9 (1-based); surround = the block without columns 8 and 10:
  MATLAB deletes column 8 and then "column 9" of what is left (an index shift the paper's text does not have);
  we follow MATLAB, since the published PIQE numbers come from it;
- score = 100 * (sum_active [artifact * (1 - var) + noise * var] + 1) / (n_active + 1). Lower = better.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ddr.baselines.base import Metric
from ddr.baselines.matlab import rgb2gray_uint8, round_half_away
from ddr.baselines.nss.statistics import mscn

BLOCK = 16
ACTIVITY_THRESHOLD = 0.1
IMPAIRED_THRESHOLD = 0.1
SEGMENT = 6


def _blocks(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    return img.reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK, BLOCK)


def _impaired(blocks: np.ndarray) -> np.ndarray:
    edges = np.stack([blocks[:, 0, :], blocks[:, :, -1], blocks[:, -1, :], blocks[:, :, 0]], axis=1)  # (B,4,16)
    seg_std = sliding_window_view(edges, SEGMENT, axis=2).std(axis=-1, ddof=1)  # (B,4,11)
    return (seg_std < IMPAIRED_THRESHOLD).any(axis=(1, 2))


def centre_surround_ratio(blocks: np.ndarray) -> np.ndarray:
    """std(centre) / std(surround) per block with MATLAB's columns (centre: 0-based 7, 8; surround: all but 7, 9);
    0 where undefined."""
    mid = BLOCK // 2
    centre = blocks[:, :, mid - 1 : mid + 1].reshape(len(blocks), -1)
    keep = np.setdiff1d(np.arange(BLOCK), [mid - 1, mid + 1])
    surround = blocks[:, :, keep].reshape(len(blocks), -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = centre.std(axis=1, ddof=1) / surround.std(axis=1, ddof=1)
    return np.where(np.isfinite(ratio), ratio, 0.0)


def _noisy(blocks: np.ndarray, var: np.ndarray) -> np.ndarray:
    ratio = centre_surround_ratio(blocks)
    sigma = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.abs(sigma - ratio) / np.maximum(sigma, ratio)
    return sigma > 2.0 * beta


def piqe_score(rgb: np.ndarray) -> float:
    """PIQE of a float HxWx3 image in [0,1]."""
    grey = rgb2gray_uint8(rgb)
    if grey.max() == 0:  # an all-black image: nothing is active (MATLAB would divide by zero)
        return 100.0
    g = round_half_away(255.0 * grey / grey.max())
    h, w = g.shape
    g = np.pad(g, ((0, (-h) % BLOCK), (0, (-w) % BLOCK)), mode="symmetric")
    blocks = _blocks(mscn(g, c=1.0, padding="replicate")[0])
    var = blocks.reshape(len(blocks), -1).var(axis=1, ddof=1)
    active = var > ACTIVITY_THRESHOLD
    if not active.any():  # a flat image: the formula gives 100 * (0 + 1) / (0 + 1), the worst score
        return 100.0
    b, v = blocks[active], var[active]
    dist = np.sum(_impaired(b) * (1.0 - v) + _noisy(b, v) * v)
    return float(100.0 * (dist + 1.0) / (active.sum() + 1.0))


class PIQE(Metric):
    """PIQE; parameter-free. Lower = better."""

    name = "PIQE"
    direction = "lower_better"
    parameters = ("none (PIQE has no learned parameters); MATLAB piqe algorithm: thresholds 0.1/0.1, 16x16 blocks, "
                  "6-pixel segments, MATLAB surround columns")

    def _score_one(self, rgb: np.ndarray) -> float:
        return piqe_score(rgb)
