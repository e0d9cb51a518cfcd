"""BRISQUE (Mittal, Moorthy & Bovik 2012) through the `brisque` PyPI package, which ships its SVR model.

Why a wrapper: the package's `BRISQUE.score` takes one HxWx3 array as you would get from `np.array(PIL image)`;
we start from exactly that (uint8, rounded from our [0,1] floats). Its `score` breaks on numpy >= 2.x: one of its
AGGD statistics is a shape-(1,) array and `float()` of it is now an error. So we run the package's own steps
(skimage rgb2gray -> `calculate_brisque_features` at full and half size with cv2 bicubic resize ->
`calculate_image_quality_score` with its bundled SVR) and only turn each feature into a plain float in between.
Lower = better.
"""

from __future__ import annotations

import warnings
from itertools import chain
from importlib import metadata
from pathlib import Path

import numpy as np

from ddr.baselines.base import BaselineUnavailable, Metric


def _load_brisque():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from brisque import BRISQUE as _BRISQUE
            from brisque.models import MODEL_PATH
    except ImportError as exc:
        raise BaselineUnavailable(
            "BRISQUE needs the PyPI packages 'brisque' and 'opencv-python-headless' "
            f"(pip install brisque opencv-python-headless): {exc}"
        ) from exc
    return _BRISQUE, Path(MODEL_PATH)


class BRISQUE(Metric):
    """BRISQUE with the SVR model bundled in the `brisque` package. Lower = better."""

    name = "BRISQUE"
    direction = "lower_better"

    def __init__(self):
        cls, model_dir = _load_brisque()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._model = cls(url=False)
        version = metadata.version("brisque")
        self.parameters = (
            f"BRISQUE SVR model bundled with the PyPI package brisque {version} "
            f"({model_dir / 'svm.txt'}, {model_dir / 'normalize.pickle'})"
        )

    def features(self, rgb: np.ndarray) -> np.ndarray:
        """The 36 BRISQUE features the package computes (18 at full size, 18 at half size)."""
        import cv2
        import skimage.color

        u8 = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
        grey = skimage.color.rgb2gray(u8)
        half = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            feats = [self._model.calculate_brisque_features(g, kernel_size=7, sigma=7 / 6) for g in (grey, half)]
        return np.array([np.asarray(v, dtype=np.float64).item() for v in chain(*feats)])

    def _score_one(self, rgb: np.ndarray) -> float:
        return float(self._model.calculate_image_quality_score(self.features(rgb)))
