"""Computed image attributes for the descriptor study (Table 2): colourfulness, sharpness, complexity proxies.

Why: Table 2 correlates DDR with image characteristics. Where a data set ships human attribute scores we use them;
these *computed* measures are the documented stand-ins, and `ATTRIBUTES` labels each one as computed so tables can
say so instead of passing them off as human ratings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ddr.util.arrays import to_hwc_float
import scipy.ndimage
from PIL import Image

# ITU-R BT.601 luma weights, the grey conversion used throughout classic IQA code
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class AttributeSpec:
    """What a computed attribute is, so result tables can label it honestly."""

    key: str
    label: str
    source: str  # always "computed" here (as opposed to "human" ratings from a data set)
    reference: str
    higher_means: str


ATTRIBUTES: dict[str, AttributeSpec] = {
    spec.key: spec
    for spec in (
        AttributeSpec(
            "colourfulness",
            "Colourfulness (computed, Hasler-Süsstrunk)",
            "computed",
            "Hasler & Süsstrunk, 'Measuring colourfulness in natural images', SPIE 2003; on 0-255 RGB",
            "more colourful",
        ),
        AttributeSpec(
            "sharpness",
            "Sharpness (computed, Laplacian variance)",
            "computed",
            "variance of the 4-neighbour Laplacian (scipy.ndimage.laplace, reflect) of BT.601 grey in [0,1]",
            "sharper",
        ),
        AttributeSpec(
            "spatial_information",
            "Complexity (computed, spatial information SI)",
            "computed",
            "ITU-T P.910 SI: std of the Sobel gradient magnitude of BT.601 grey on 0-255",
            "more complex",
        ),
        AttributeSpec(
            "mean_gradient",
            "Complexity (computed, mean gradient magnitude)",
            "computed",
            "mean Sobel gradient magnitude of BT.601 grey on 0-255",
            "more complex",
        ),
        AttributeSpec(
            "jpeg_bpp",
            "Complexity (computed, JPEG bits per pixel)",
            "computed",
            "bits per pixel of a Pillow baseline JPEG at quality 75, 4:2:0 (inverse compression ratio)",
            "more complex",
        ),
    )
}

JPEG_QUALITY = 75


def to_hwc(image) -> np.ndarray:
    """Accept numpy HxWx3 float in [0,1] or a torch (3,H,W) tensor; return float64 HxWx3 in [0,1]."""
    arr = to_hwc_float(image)
    if arr.shape[0] < 3 or arr.shape[1] < 3:
        raise ValueError(f"image too small for attribute measures: {arr.shape[0]}x{arr.shape[1]}")
    return arr


def grey(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an HxWx3 array (same scale as the input)."""
    return rgb @ _LUMA


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler-Süsstrunk M^(3) = sigma_rgyb + 0.3 * mu_rgyb on 0-255 RGB (0 for any grey image)."""
    r, g, b = (rgb[..., i] * 255.0 for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    sigma = np.sqrt(rg.var() + yb.var())
    mu = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(sigma + 0.3 * mu)


def sharpness(rgb: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image in [0,1]: blur removes high frequencies, so it falls."""
    return float(scipy.ndimage.laplace(grey(rgb), mode="reflect").var())


def _sobel_magnitude(g255: np.ndarray) -> np.ndarray:
    gx = scipy.ndimage.sobel(g255, axis=1, mode="reflect")
    gy = scipy.ndimage.sobel(g255, axis=0, mode="reflect")
    return np.hypot(gx, gy)


def spatial_information(rgb: np.ndarray) -> float:
    """ITU-T P.910 spatial information: std of the Sobel magnitude on 0-255 grey."""
    return float(_sobel_magnitude(grey(rgb) * 255.0).std())


def mean_gradient(rgb: np.ndarray) -> float:
    """Mean Sobel gradient magnitude on 0-255 grey (edge density proxy for complexity)."""
    return float(_sobel_magnitude(grey(rgb) * 255.0).mean())


def jpeg_bpp(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> float:
    """Bits per pixel of a JPEG encoding: complex images compress worse. Deterministic for a Pillow build."""
    u8 = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    return 8.0 * buf.tell() / (u8.shape[0] * u8.shape[1])


def compute_attributes(image) -> dict[str, float]:
    """All computed attributes of one image (numpy HxWx3 in [0,1] or torch (3,H,W)); keys as in `ATTRIBUTES`."""
    rgb = to_hwc(image)
    return {
        "colourfulness": colourfulness(rgb),
        "sharpness": sharpness(rgb),
        "spatial_information": spatial_information(rgb),
        "mean_gradient": mean_gradient(rgb),
        "jpeg_bpp": jpeg_bpp(rgb),
    }
