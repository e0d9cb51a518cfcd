"""What the Python API accepts as images, checked once at the boundary so mistakes fail with a clear message.

Why: the encoder silently gives NaN on uint8 tensors and plausible but wrong numbers on 0-255 floats. Scoring
accepts (3, H, W) / (B, 3, H, W) torch tensors, lists of them, and numpy arrays (HWC as from PIL, or CHW), float
in [0, 1] or uint8 in [0, 255]. The differentiable `response` takes torch batches only (it is a loss).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch

RANGE_SLACK = 1e-3  # resampling overshoot tolerated silently
LOOKS_8BIT = 2.0  # floats above this are 0-255 data, not [0, 1] data that overshoots


def _layout_hint(shape: tuple[int, ...]) -> str:
    if len(shape) >= 3 and shape[-1] == 3 and shape[-3] != 3:
        return " (this looks like channels-last HWC: use x.permute(2, 0, 1), or x.permute(0, 3, 1, 2) for a batch)"
    return ""


def _as_float(x: torch.Tensor, where: str) -> torch.Tensor:
    if x.dtype == torch.uint8:
        return x.float() / 255.0
    if not x.is_floating_point():
        raise ValueError(f"{where}: dtype {x.dtype} is not supported; pass float in [0, 1] or uint8 in [0, 255]")
    return x.float()


def _check_values(x: torch.Tensor, where: str, warn_outside: bool) -> None:
    # one pass over the image (min and max propagate NaN and inf): a camera-size image costs milliseconds, not the
    # tens that isfinite().all(), min() and max() took as three passes
    low, high = (float(v) for v in torch.aminmax(x.detach()))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{where}: contains NaN or inf values")
    if high > LOOKS_8BIT:
        raise ValueError(f"{where}: values up to {high:g} look like 0-255 data; DDR expects floats in [0, 1] "
                         "(divide by 255, or pass a uint8 tensor)")
    if warn_outside and (low < -RANGE_SLACK or high > 1 + RANGE_SLACK):
        warnings.warn(f"{where}: values span [{low:.4g}, {high:.4g}], outside [0, 1]; scored as given", stacklevel=4)


def _one_image(item, where: str) -> torch.Tensor:
    if isinstance(item, np.ndarray):
        array = item[..., None].repeat(3, axis=-1) if item.ndim == 2 else item
        if array.ndim == 3 and array.shape[-1] == 3 and array.shape[0] != 3:
            array = array.transpose(2, 0, 1)  # numpy images are HWC (as np.asarray(PIL image) gives)
        item = torch.from_numpy(np.ascontiguousarray(array))
    if not isinstance(item, torch.Tensor):
        raise ValueError(f"{where}: expected a torch tensor or numpy array, got {type(item).__name__}")
    if item.ndim != 3 or item.shape[0] != 3:
        raise ValueError(f"{where}: expected an RGB image of shape (3, H, W), got {tuple(item.shape)}"
                         + _layout_hint(tuple(item.shape)))
    if item.shape[1] == 0 or item.shape[2] == 0:
        raise ValueError(f"{where}: image has zero size {tuple(item.shape)}")
    image = _as_float(item, where)
    _check_values(image, where, warn_outside=True)
    return image


def as_image_list(x) -> list[torch.Tensor]:
    """Images for scoring, as float32 (3, H, W) tensors in [0, 1]; a clear ValueError for anything else."""
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.ndim == 4:
        items: Sequence = list(x)
    elif isinstance(x, (torch.Tensor, np.ndarray)):
        items = [x]
    elif isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
        items = list(x)
    else:
        raise ValueError(f"images: expected a tensor, array or list of them, got {type(x).__name__}")
    if not items:
        raise ValueError("images: no images given (empty list)")
    return [_one_image(item, f"image {i}") for i, item in enumerate(items)]


def as_response_batch(x: torch.Tensor, square: bool) -> torch.Tensor:
    """A (B, 3, H, W) float batch for the differentiable response; gradients flow through the dtype cast.

    `square`: the encoder takes square inputs only (CLIP's fixed position grid); the paper's loss uses square crops.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"response: expected a torch tensor (B, 3, H, W), got {type(x).__name__}")
    batch = x[None] if x.ndim == 3 else x
    if batch.ndim != 4 or batch.shape[1] != 3:
        raise ValueError(f"response: expected images (B, 3, H, W) or (3, H, W), got {tuple(x.shape)}"
                         + _layout_hint(tuple(x.shape)))
    if batch.shape[0] == 0 or batch.shape[2] == 0 or batch.shape[3] == 0:
        raise ValueError(f"response: empty batch {tuple(batch.shape)}")
    if square and batch.shape[2] != batch.shape[3]:
        raise ValueError(f"response: this encoder takes square images (the paper's loss uses square training crops), "
                         f"got {batch.shape[2]}x{batch.shape[3]}; crop first, or use quality_score for any size")
    batch = _as_float(batch, "response")
    _check_values(batch, "response", warn_outside=False)  # network outputs overshoot [0, 1] while training
    return batch
