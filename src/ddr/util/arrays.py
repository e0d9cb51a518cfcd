"""One conversion from the image layouts callers use (torch CHW, numpy HWC/CHW, grey HW) to float64 HWC."""

from __future__ import annotations

import numpy as np


def to_hwc_float(image, where: str = "image", check_range: bool = True) -> np.ndarray:
    """float64 HxWx3 from a torch (3,H,W) tensor, a numpy (H,W,3)/(3,H,W) array, or a grey (H,W) array.

    `check_range` rejects values outside [0, 1] (inputs to metrics); network outputs skip it.
    """
    if hasattr(image, "detach"):  # torch, without importing it for numpy users
        arr = image.detach().cpu().double().numpy()
        if arr.ndim != 3 or arr.shape[0] != 3:
            raise ValueError(f"{where}: torch images must have shape (3,H,W), got {tuple(arr.shape)}")
        arr = np.transpose(arr, (1, 2, 0))
    else:
        arr = np.asarray(image, dtype=np.float64)
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        elif arr.ndim == 3 and arr.shape[0] == 3 and arr.shape[2] != 3:
            arr = np.transpose(arr, (1, 2, 0))
        elif not (arr.ndim == 3 and arr.shape[2] == 3):
            raise ValueError(f"{where}: expected shape (3,H,W), (H,W,3) or (H,W), got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{where}: empty image")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: contains NaN/inf values")
    if check_range and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{where}: values must lie in [0,1], got range [{arr.min():.4g}, {arr.max():.4g}]")
    return np.ascontiguousarray(arr)
