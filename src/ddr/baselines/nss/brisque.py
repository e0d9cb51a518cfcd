"""BRISQUE (Mittal, Moorthy & Bovik, IEEE TIP 2012) as LIVE's MATLAB release computes it (`brisquescore.m`).

Opinion-AWARE: the release's SVR (`data/brisque_allmodel`) was trained on the entire LIVE IQA database, so its
LIVE correlations are train-on-test (Table 3 flags that row). Our own implementation of the release's steps:
- grey = `rgb2gray(uint8(img))`; per scale (full, then `imresize(., 0.5)`): MSCN with the 7x7 Gaussian
  (sigma 7/6), `filter2(..., 'same')` = zero borders, C = 1, computed with MATLAB's round-off (see
  `brisque_filter`: flat regions decide BRISQUE by the sign of that round-off); GGD fit -> (alpha, sigma^2);
  for the products with the circshifts (0,1), (1,0), (1,1), (-1,1): AGGD fit -> (alpha, mean, left_std^2,
  right_std^2); 36 features;
- the release writes the features with `%f` (6 decimals), scales them to [-1, 1] with `svm-scale -r allrange`
  (whose output is `%g`, 6 significant digits), and `svm-predict` evaluates the epsilon-SVR:
  sum_i coef_i exp(-gamma ||x - sv_i||^2) - rho. We reproduce both roundings.
Lower = better (roughly 0..100).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ddr.baselines import data_files
from ddr.baselines.base import Metric
from ddr.baselines.matlab import imresize, rgb2gray_uint8
from ddr.baselines.nss.brisque_filter import brisque_mscn
from ddr.baselines.nss.statistics import BRISQUE_SHIFTS, aggd_fit, aggd_mean, aggd_scale, ggd_fit, shifted_products


def brisque_features(grey255: np.ndarray) -> np.ndarray:
    """The release's 36 features (`brisque_feature.m`) of a 0-255 grey image."""
    img = np.asarray(grey255, dtype=np.float64)
    feats: list[float] = []
    for scale in range(2):
        structdis = brisque_mscn(img)
        alpha, sigma = ggd_fit(structdis.ravel())
        feats += [float(alpha), float(sigma) ** 2]
        for product in shifted_products(structdis, BRISQUE_SHIFTS):
            alpha, left, right = aggd_fit(product.ravel())
            s = aggd_scale(alpha)
            feats += [float(alpha), float(aggd_mean(alpha, left * s, right * s)), float(left) ** 2, float(right) ** 2]
        if scale == 0:
            img = imresize(img, 0.5)
    return np.array(feats)


def _g6(values: np.ndarray) -> np.ndarray:
    """C's %g (6 significant digits), element-wise."""
    return np.array([float(f"{v:g}") for v in values])


@dataclass
class LibsvmRegressor:
    """An epsilon-SVR with an RBF kernel read from a LibSVM model file (`svm-predict` for one regression model)."""

    gamma: float
    rho: float
    coef: np.ndarray  # (n_sv,)
    support_vectors: np.ndarray  # (n_sv, n_features), dense (absent indices = 0)

    @classmethod
    def read(cls, path: str | Path, n_features: int) -> "LibsvmRegressor":
        header: dict[str, str] = {}
        coef, rows = [], []
        with open(path) as handle:
            lines = iter(handle)
            for line in lines:
                if line.strip() == "SV":
                    break
                key, _, value = line.strip().partition(" ")
                header[key] = value
            for line in lines:
                parts = line.split()
                if not parts:
                    continue
                coef.append(float(parts[0]))
                row = np.zeros(n_features)
                for item in parts[1:]:
                    index, _, value = item.partition(":")
                    row[int(index) - 1] = float(value)
                rows.append(row)
        if header.get("svm_type") != "epsilon_svr" or header.get("kernel_type") != "rbf":
            raise ValueError(f"{path}: expected an epsilon_svr model with an rbf kernel, got {header}")
        if len(coef) != int(header["total_sv"]):
            raise ValueError(f"{path}: header says {header['total_sv']} support vectors, file has {len(coef)}")
        return cls(float(header["gamma"]), float(header["rho"]), np.array(coef), np.vstack(rows))

    def predict(self, x: np.ndarray) -> float:
        sq = ((self.support_vectors - x[None, :]) ** 2).sum(axis=1)
        return float(self.coef @ np.exp(-self.gamma * sq) - self.rho)


def read_ranges(path: str | Path) -> tuple[tuple[float, float], np.ndarray]:
    """svm-scale's range file: ('x', 'lower upper', then 'index min max' lines) -> ((lower, upper), (n, 2))."""
    lines = Path(path).read_text().split("\n")
    if lines[0].strip() != "x":
        raise ValueError(f"{path}: not an svm-scale range file (first line must be 'x')")
    lower, upper = (float(v) for v in lines[1].split())
    rows = sorted((int(i), float(lo), float(hi)) for i, lo, hi in (ln.split() for ln in lines[2:] if ln.strip()))
    return (lower, upper), np.array([[lo, hi] for _, lo, hi in rows])


def svm_scale(x: np.ndarray, target: tuple[float, float], ranges: np.ndarray) -> np.ndarray:
    """svm-scale's mapping of each feature from [min, max] to [lower, upper] (ends map exactly; %g output)."""
    lower, upper = target
    lo, hi = ranges[:, 0], ranges[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        y = lower + (upper - lower) * (x - lo) / (hi - lo)
    y = np.where(x == lo, lower, np.where(x == hi, upper, y))
    y = np.where(hi == lo, x, y)  # svm-scale leaves constant features alone
    return _g6(y)


class BRISQUE(Metric):
    """BRISQUE with LIVE's release SVR and feature ranges. Lower = better. Opinion-aware (trained on LIVE)."""

    name = "BRISQUE"
    direction = "lower_better"

    def __init__(self):
        self.target, self.ranges = read_ranges(data_files.path_of(data_files.BRISQUE_RANGE))
        self.svr = LibsvmRegressor.read(data_files.path_of(data_files.BRISQUE_MODEL), len(self.ranges))
        self.parameters = ("BRISQUE, LIVE release algorithm (rgb2gray uint8, MSCN with filter2's SVD-separable "
                           "round-off, MATLAB imresize 0.5, "
                           f"%f features, svm-scale, svm-predict); SVR {data_files.describe(data_files.BRISQUE_MODEL)};"
                           f" ranges {data_files.describe(data_files.BRISQUE_RANGE)}; trained on LIVE IQA "
                           "(opinion-aware)")

    def features(self, rgb: np.ndarray) -> np.ndarray:
        return brisque_features(rgb2gray_uint8(rgb))

    def _score_one(self, rgb: np.ndarray) -> float:
        written = np.round(self.features(rgb), 6)  # fprintf('%d:%f ')
        return self.svr.predict(svm_scale(written, self.target, self.ranges))
