"""The one interface every opinion-unaware BIQA baseline implements, plus input normalisation.

Why: the BIQA tables treat NIQE, BRISQUE, PIQE, CLIP-IQA (and DDR) the same way: a list of images in, one score per
image out, a direction to orient the score, and a record of which parameters produced it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

from ddr.util import arrays
from tqdm.auto import tqdm

DIRECTIONS = ("higher_better", "lower_better")


class BaselineUnavailable(RuntimeError):
    """A baseline cannot run in this environment (e.g. its model file is not available offline)."""


def to_hwc_float(image, index: int | None = None) -> np.ndarray:
    """One image as float64 HxWx3 in [0,1]; errors name the image's position in the batch."""
    return arrays.to_hwc_float(image, f"image #{index}" if index is not None else "image")


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
