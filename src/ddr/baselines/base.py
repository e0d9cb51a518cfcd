"""The one interface every opinion-unaware BIQA baseline implements, plus input normalisation.

Why: the BIQA tables treat NIQE, BRISQUE, PIQE, CLIP-IQA (and DDR) the same way: a list of images in, one score per
image out, a direction to orient the score, and a record of which parameters produced it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

DIRECTIONS = ("higher_better", "lower_better")


class BaselineUnavailable(RuntimeError):
    """A baseline cannot run in this environment (e.g. its model file is not available offline)."""


def to_hwc_float(image, index: int | None = None) -> np.ndarray:
    """Normalise one image to float64 HxWx3 in [0,1].

    Accepts a torch tensor (3,H,W), a numpy array (3,H,W) or (H,W,3), or a grey (H,W) array (replicated).
    """
    where = f"image #{index}" if index is not None else "image"
    if hasattr(image, "detach"):
        arr = image.detach().cpu().double().numpy()
        if arr.ndim != 3 or arr.shape[0] != 3:
            raise ValueError(f"{where}: torch images must have shape (3,H,W), got {tuple(arr.shape)}")
        arr = np.transpose(arr, (1, 2, 0))
    else:
        arr = np.asarray(image, dtype=np.float64)
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        elif arr.ndim == 3 and arr.shape[2] == 3:
            pass
        elif arr.ndim == 3 and arr.shape[0] == 3:
            arr = np.transpose(arr, (1, 2, 0))
        else:
            raise ValueError(f"{where}: expected shape (3,H,W), (H,W,3) or (H,W), got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{where}: empty image")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: contains NaN/inf values")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{where}: values must lie in [0,1], got range [{lo:.4g}, {hi:.4g}]")
    return np.ascontiguousarray(arr)


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of HxWx3 (same scale as the input)."""
    return rgb @ np.array([0.299, 0.587, 0.114])


class Metric(ABC):
    """A no-reference quality metric.

    Attributes:
        name: short identifier used in tables.
        direction: "higher_better" or "lower_better" (how to orient the score before correlating).
        parameters: which parameter/model file produced the scores (goes into result provenance).
    """

    name: str = ""
    direction: str = "higher_better"
    parameters: str = ""

    def score_images(self, images: Sequence, progress: bool = True) -> np.ndarray:
        """Score each image (torch (3,H,W) or numpy array in [0,1]); returns float64 array, one value per image."""
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.name}: direction must be one of {DIRECTIONS}, got {self.direction!r}")
        images = list(images)
        scores = np.empty(len(images), dtype=np.float64)
        for i, image in enumerate(tqdm(images, desc=self.name, disable=not progress, leave=False)):
            rgb = to_hwc_float(image, i)
            try:
                scores[i] = float(self._score_one(rgb))
            except BaselineUnavailable:
                raise
            except Exception as exc:  # add which image failed; keep the original as the cause
                raise RuntimeError(f"{self.name}: scoring image #{i} ({rgb.shape[0]}x{rgb.shape[1]}) failed: {exc}") from exc
        return scores

    @abstractmethod
    def _score_one(self, rgb: np.ndarray) -> float:
        """Score one float64 HxWx3 image in [0,1]."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, direction={self.direction!r})"
