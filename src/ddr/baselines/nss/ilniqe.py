"""IL-NIQE (Zhang, Zhang & Bovik, IEEE TIP 2015): per-patch distance of 468 quality-aware features (PCA-reduced)
to a pristine multivariate Gaussian, averaged over patches.

The scorer needs a template (pristine model): mu, cov (in PCA space), the feature mean and the PCA basis.
- The official one (`templatemodel.mat` of the authors' IL-NIQE.zip, cell `templateModel` = {mu_prisparam,
  cov_prisparam, meanOfSampleData, principleVectors}) has no offline source; place it at
  `$DDR_CACHE/ilniqe/templatemodel.mat` (default `~/.cache/ddr/ilniqe/`) or pass `template=PATH`.
- Otherwise `fit_ilniqe(DIR)` fits one on a pristine image folder you supply, with the published procedure
  (the same features, patch selection by sharpness, PCA, MVG fit) and saves it as
  `$DDR_CACHE/ilniqe/refitted_template.npz`; scores made with it are labelled "IL-NIQE (refitted)".
Without either, building the metric raises `BaselineUnavailable` saying both ways out; tables show that reason.

Feature extraction follows the release as ported in pyiqa (github.com/chaofengc/IQA-PyTorch, niqe_arch.py),
whose authors checked it against the MATLAB outputs (within 4% on their calibration images); we write it in numpy
with MATLAB's conventions (constants below). Image -> 524x524 (MATLAB bicubic) -> crop to 84-px patches; opponent
colour O1..O3; at two scales (the second = 6x6 Gaussian (sigma 0.9) filter, replicate, then every 2nd pixel):
MSCN of O3 (5x5, sigma 5/6) -> NIQE's 18 features; gradient magnitudes of O1..O3 -> Weibull (scale, shape); log
opponent intensity/BY/RG -> (mean, var); Gaussian-derivative responses and 3x4 log-Gabor responses of O3 (real,
imag, their derivatives) -> AGGD (alpha, mean beta); log-Gabor gradient magnitudes -> Weibull. 234 per scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import scipy.io
import scipy.linalg
import scipy.ndimage

from ddr.baselines.base import BaselineUnavailable, Metric
from ddr.baselines.matlab import imresize, round_half_away
from ddr.baselines.nss.niqe import block_features, blocks
from ddr.baselines.nss.statistics import aggd_fit, aggd_scale, mscn
from ddr.util.cache import cache_dir

UNAVAILABLE_TABLE_TEXT = "n/a (model not available offline)"

NORMALIZED_WIDTH = 524
BLOCK = 84
SIGMA_GAU_DERIVATIVE = 1.66
K_FOR_LOG = 1e-5
MIN_WAVELENGTH = 2.4
SIGMA_ON_F = 0.55
MULT = 1.31
D_THETA_ON_SIGMA = 1.10
SCALE_FACTOR_LOG = 0.87
SCALE_FACTOR_GAUSSIAN_DER = 0.28
SIGMA_DOWNSAMPLE = 0.9
SCALES, ORIENTATIONS = 3, 4
INF_CONST = 10000.0
EPS = 1e-8
PCA_DIMS = 430
SHARPNESS_THRESHOLD = 0.75  # as NIQE's estimatemodelparam.m (see docs/baselines.md)
OPPONENT = np.array([[0.3, 0.04, -0.35], [0.34, -0.6, 0.17], [0.06, 0.63, 0.27]])  # rows: O1, O2, O3


def template_dir() -> Path:
    return cache_dir() / "ilniqe"


OFFICIAL_NAME, REFITTED_NAME = "templatemodel.mat", "refitted_template.npz"


@dataclass
class Template:
    mu: np.ndarray  # (k,)
    cov: np.ndarray  # (k, k)
    mean: np.ndarray  # (468,)
    basis: np.ndarray  # (468, k)
    origin: str  # "official" or "refitted"
    source: str  # file, and for a refit the image folder and count

    def save(self, path: str | Path) -> None:
        from ddr.util.atomic import atomic_path

        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, mu=self.mu, cov=self.cov, mean=self.mean, basis=self.basis,
                     origin=self.origin, source=self.source)


def load_template(path: str | Path) -> Template:
    """The official .mat (cell templateModel) or our refitted .npz; errors name the file."""
    path = Path(path)
    try:
        if path.suffix == ".npz":
            with np.load(path) as d:
                return Template(d["mu"].ravel(), d["cov"], d["mean"].ravel(), d["basis"], str(d["origin"]),
                                str(d["source"]))
        cells = scipy.io.loadmat(str(path))["templateModel"].ravel()
        mu, cov, mean, basis = (np.asarray(c, dtype=np.float64) for c in cells[:4])
    except (OSError, KeyError, ValueError, IndexError, scipy.io.matlab.MatReadError) as exc:
        raise ValueError(f"{path}: not an IL-NIQE template (cell templateModel = {{mu, cov, meanOfSampleData, "
                         f"principleVectors}}): {exc}") from exc
    mean = mean.ravel()
    basis = basis if basis.shape[0] == mean.size else basis.T
    return Template(mu.ravel(), cov, mean, basis, "official", str(path))


# ---------------------------------------------------------------------------------------------- filters


def gaussian_derivative_1d(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The release's Gaussian-derivative kernel x*exp(-(x^2+y^2)/(2 sigma^2)) (unnormalised, half length
    ceil(3 sigma)) as its separable factors: (x e^{-x^2/2s^2}, e^{-y^2/2s^2})."""
    half = int(np.ceil(3 * sigma))
    t = np.arange(-half, half + 1, dtype=np.float64)
    g = np.exp(-(t**2) / (2 * sigma**2))
    return t * g, g


def conv2_same(image: np.ndarray, along_x: np.ndarray, along_y: np.ndarray) -> np.ndarray:
    """MATLAB `conv2(img, along_y' * along_x, 'same')`: true convolution, zero borders, separable kernel."""
    out = scipy.ndimage.convolve1d(image, along_x, axis=-1, mode="constant")
    return scipy.ndimage.convolve1d(out, along_y, axis=-2, mode="constant")


def derivatives(image: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(Ix, Iy): conv2 with the release's dx (varies along columns) and dy = dx' kernels."""
    d, g = gaussian_derivative_1d(sigma)
    return conv2_same(image, d, g), conv2_same(image, g, d)


def log_gabor_filters(rows: int, cols: int, min_wavelength: float) -> np.ndarray:
    """Frequency-domain log-Gabor filters (scale-major: index s * ORIENTATIONS + o), built as in Kovesi's
    phase-congruency code that the release adapts (meshgrid of normalised frequencies, 0 frequency moved to the
    corner, no low-pass)."""

    def axis_range(n: int) -> np.ndarray:
        return (np.arange(n) - (n - 1) / 2) / (n - 1) if n % 2 else (np.arange(n) - n / 2) / n

    x, y = np.meshgrid(axis_range(cols), axis_range(rows))
    radius = np.fft.ifftshift(np.sqrt(x**2 + y**2))
    theta = np.fft.ifftshift(np.arctan2(-y, x))
    radius[0, 0] = 1.0
    sin_t, cos_t = np.sin(theta), np.cos(theta)
    theta_sigma = np.pi / ORIENTATIONS / D_THETA_ON_SIGMA
    out = []
    for s in range(SCALES):
        fo = 1.0 / (min_wavelength * MULT**s)
        radial = np.exp(-(np.log(radius / fo) ** 2) / (2 * np.log(SIGMA_ON_F) ** 2))
        radial[0, 0] = 0.0
        for o in range(ORIENTATIONS):
            angle = o * np.pi / ORIENTATIONS
            ds = sin_t * np.cos(angle) - cos_t * np.sin(angle)
            dc = cos_t * np.cos(angle) + sin_t * np.sin(angle)
            out.append(radial * np.exp(-(np.arctan2(ds, dc) ** 2) / (2 * theta_sigma**2)))
    return np.stack(out)


def downsample(channels: np.ndarray) -> np.ndarray:
    """`imfilter(x, fspecial('gaussian', 6, 0.9), 'replicate')` then x(1:2:end, 1:2:end), per channel."""
    size = int(np.ceil(6 * SIGMA_DOWNSAMPLE))
    t = np.arange(size) - (size - 1) / 2.0
    w = np.exp(-(t**2) / (2 * SIGMA_DOWNSAMPLE**2))
    w /= w.sum()
    origin = -1 if size % 2 == 0 else 0  # MATLAB centres an even kernel at element size/2 (1-based)
    out = scipy.ndimage.correlate1d(channels, w, axis=-2, mode="nearest", origin=origin)
    out = scipy.ndimage.correlate1d(out, w, axis=-1, mode="nearest", origin=origin)
    return out[..., ::2, ::2]


# ---------------------------------------------------------------------------------------------- statistics


def weibull_fit(samples: np.ndarray, iterations: int = 100, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood (scale, shape) of a 2-parameter Weibull along the last axis (MATLAB's `wblfit`), by
    Newton's method on the shape's likelihood equation; samples must be > 0."""
    x = np.asarray(samples, dtype=np.float64)
    log_x = np.log(x)
    shift = log_x.max(axis=-1, keepdims=True)  # scale-free: work with x / max(x)
    z = log_x - shift
    mean_log = z.mean(axis=-1, keepdims=True)
    k = 1.2 / np.maximum(z.std(axis=-1, keepdims=True, ddof=1), 1e-12)
    for _ in range(iterations):
        xk = np.exp(k * z)
        s0, s1, s2 = xk.sum(-1, keepdims=True), (xk * z).sum(-1, keepdims=True), (xk * z * z).sum(-1, keepdims=True)
        f = s1 / s0 - 1.0 / k - mean_log
        df = s2 / s0 - (s1 / s0) ** 2 + 1.0 / k**2
        step = f / df
        k = np.maximum(k - step, k / 10)
        if np.all(np.abs(step) < tol * k):
            break
    scale = np.exp(shift + np.log(np.exp(k * z).mean(axis=-1, keepdims=True)) / k)
    return scale[..., 0], k[..., 0]


def _per_block(maps: np.ndarray, size: int) -> np.ndarray:
    """(C, H, W) maps -> (P, C, size*size) samples of each non-overlapping block (NIQE's block order)."""
    return np.stack([blocks(m, size).reshape(-1, size * size) for m in maps], axis=1)


def _aggd_alpha_beta(samples: np.ndarray) -> np.ndarray:
    alpha, left, right = aggd_fit(samples)
    return np.stack([alpha, (left + right) * aggd_scale(alpha) / 2.0], axis=-1)


def scale_features(rgb: np.ndarray, opp: np.ndarray, scale: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The 234 per-block features at one scale, and each block's sharpness (mean local sigma of O3)."""
    o3 = opp[2]
    struct_dis, sigma = mscn(o3, c=1.0, padding="replicate", size=5, sigma=5.0 / 6.0)
    sd = SIGMA_GAU_DERIVATIVE / scale**SCALE_FACTOR_GAUSSIAN_DER
    ix, iy = zip(*(derivatives(channel, sd) for channel in opp))
    gm = np.sqrt(np.square(ix) + np.square(iy) + EPS)
    ixy = np.stack([d for pair in zip(ix, iy) for d in pair])
    log_rgb = np.log(np.moveaxis(rgb, -1, 0) + K_FOR_LOG)
    log_rgb -= log_rgb.mean(axis=(1, 2), keepdims=True)
    colour = np.stack([log_rgb.sum(0) / np.sqrt(3), (log_rgb[0] + log_rgb[1] - 2 * log_rgb[2]) / np.sqrt(6),
                       (log_rgb[0] - log_rgb[1]) / np.sqrt(2)])
    spectrum = np.fft.fft2(o3)
    responses, partial, gabor_gm = [], [], []
    for filt in log_gabor_filters(*o3.shape, MIN_WAVELENGTH / scale**SCALE_FACTOR_LOG):
        response = np.fft.ifft2(filt * spectrum)
        for part in (response.real, response.imag):
            dx, dy = derivatives(part, sd)
            responses.append(part)
            partial += [dx, dy]  # per filter: dxRe, dyRe, dxIm, dyIm
            gabor_gm.append(np.sqrt(dx**2 + dy**2 + EPS))
    n = len(blocks(o3, size))
    feats = [block_features(blocks(struct_dis, size))]
    scale_w, shape_w = weibull_fit(_per_block(gm, size))
    feats.append(np.stack([scale_w, shape_w], axis=-1).reshape(n, -1))
    colour_blocks = _per_block(colour, size)
    feats.append(np.stack([colour_blocks.mean(-1), colour_blocks.var(-1, ddof=1)], axis=-1).reshape(n, -1))
    aggd_maps = np.concatenate([ixy, np.stack(responses), np.stack(partial)])
    feats.append(_aggd_alpha_beta(_per_block(aggd_maps, size)).reshape(n, -1))
    scale_g, shape_g = weibull_fit(_per_block(np.stack(gabor_gm), size))
    feats.append(np.stack([scale_g, shape_g], axis=-1).reshape(n, -1))
    return np.hstack(feats), blocks(sigma, size).mean(axis=(1, 2))


def ilniqe_features(rgb01: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, 468) features of an RGB image in [0,1] (rounded to 8 bits as the release reads it) and the blocks'
    sharpness at scale 1."""
    rgb = round_half_away(np.clip(rgb01, 0, 1) * 255.0)
    rgb = np.clip(imresize(rgb, output_shape=(NORMALIZED_WIDTH, NORMALIZED_WIDTH)), 0.0, 255.0)
    n = NORMALIZED_WIDTH // BLOCK * BLOCK
    rgb = rgb[:n, :n]
    opp = np.moveaxis(rgb @ OPPONENT.T, -1, 0)
    feats, sharpness = [], None
    for scale in (1, 2):
        f, sharp = scale_features(rgb, opp, scale, BLOCK // scale)
        feats.append(f)
        sharpness = sharp if sharpness is None else sharpness
        opp = downsample(opp)
        rgb = np.moveaxis(downsample(np.moveaxis(rgb, -1, 0)), 0, -1)
    out = np.hstack(feats)
    return np.minimum(out, INF_CONST), sharpness


# ---------------------------------------------------------------------------------------------- model


def _nan_cov(x: np.ndarray) -> np.ndarray:
    return np.cov(x[~np.isnan(x).any(axis=1)], rowvar=False)


def ilniqe_distance(features: np.ndarray, template: Template) -> float:
    """Mean over patches of sqrt((f - mu)^T pinv((cov_p + cov_d) / 2) (f - mu)) in PCA space; NaN -> column mean."""
    coeffs = (features - template.mean) @ template.basis
    cov = _nan_cov(coeffs)
    coeffs = np.where(np.isnan(coeffs), np.nanmean(coeffs, axis=0), coeffs)
    inv = scipy.linalg.pinv((template.cov + cov) / 2.0)
    d = coeffs - template.mu
    return float(np.mean(np.sqrt(np.maximum(np.einsum("pi,ij,pj->p", d, inv, d), 0.0))))


def fit_template(images: Iterable[np.ndarray], source: str, dims: int = PCA_DIMS,
                 threshold: float = SHARPNESS_THRESHOLD) -> Template:
    """Fit a template on pristine RGB images in [0,1]: per image the blocks sharper than `threshold` x its
    sharpest; PCA of the pooled features to `dims` components (fewer if there are fewer blocks); MVG in PCA space."""
    kept, count = [], 0
    for rgb in images:
        feats, sharpness = ilniqe_features(rgb)
        kept.append(feats[sharpness > threshold * sharpness.max()])
        count += 1
    pooled = np.vstack(kept)
    pooled = pooled[~np.isnan(pooled).any(axis=1)]
    if len(pooled) < 3:
        raise ValueError(f"IL-NIQE fit: only {len(pooled)} usable patches from {count} image(s) in {source}")
    mean = pooled.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(pooled, rowvar=False))
    k = min(dims, len(pooled) - 1, pooled.shape[1])
    basis = vectors[:, np.argsort(values)[::-1][:k]]
    basis *= np.where(basis[np.abs(basis).argmax(axis=0), np.arange(k)] < 0, -1.0, 1.0)  # deterministic signs
    coeffs = (pooled - mean) @ basis
    return Template(coeffs.mean(axis=0), np.cov(coeffs, rowvar=False), mean, basis, "refitted",
                    f"refitted on {count} pristine image(s) ({len(pooled)} patches) in {source}, {k} PCA dims")


def fit_ilniqe(directory: str | Path, out: str | Path | None = None, dims: int = PCA_DIMS) -> Path:
    """Fit an IL-NIQE template on the pristine images in `directory` and save it (default: the refitted template
    path the metric looks for); returns the path. The lead wires this as `ddr fit-ilniqe DIR`."""
    from ddr.io import find_images, load_image

    paths = find_images([Path(directory)])
    if not paths:
        raise ValueError(f"{directory}: no images to fit IL-NIQE on")
    template = fit_template((load_image(p).permute(1, 2, 0).double().numpy() for p in paths), str(directory), dims)
    out = Path(out) if out else template_dir() / REFITTED_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    template.save(out)
    return out


class ILNIQE(Metric):
    """IL-NIQE with the official template or a refitted one (named "IL-NIQE (refitted)"). Lower = better."""

    direction = "lower_better"

    def __init__(self, template: str | Path | Template | None = None):
        self.template = template if isinstance(template, Template) else load_template(template)
        refitted = self.template.origin == "refitted"
        self.name = "IL-NIQE (refitted)" if refitted else "IL-NIQE"
        self.parameters = (f"IL-NIQE ({BLOCK}px patches of the {NORMALIZED_WIDTH}px image, 468 features, "
                           f"{self.template.basis.shape[1]} PCA dims); {self.template.origin.upper()} template: "
                           f"{self.template.source}")

    def _score_one(self, rgb: np.ndarray) -> float:
        return ilniqe_distance(ilniqe_features(rgb)[0], self.template)


def find_template() -> Path | None:
    for name in (OFFICIAL_NAME, REFITTED_NAME):
        if (template_dir() / name).is_file():
            return template_dir() / name
    return None


def build_ilniqe(template: str | Path | Template | None = None, **_: object) -> ILNIQE:
    """The metric with `template`, else the official template, else a refitted one; else BaselineUnavailable."""
    if template is None:
        template = find_template()
    if template is None:
        raise BaselineUnavailable(
            f"IL-NIQE needs a template: place the authors' templatemodel.mat (from their IL-NIQE.zip; no offline "
            f"source) at {template_dir() / OFFICIAL_NAME}, or fit one on pristine images with "
            f"ddr.baselines.fit_ilniqe(DIR) (saved as {template_dir() / REFITTED_NAME}, scores labelled refitted)")
    return ILNIQE(template)


__all__: Sequence[str] = ("ILNIQE", "Template", "build_ilniqe", "fit_ilniqe", "fit_template", "load_template",
                          "UNAVAILABLE_TABLE_TEXT")
