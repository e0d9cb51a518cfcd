"""Encode the official square patches of many images of any sizes in a few large encoder calls.

Why: the official code encodes one image's patches per call and scores them one by one. Here patches
from many images share each encoder call, and identical windows (a square image has two) are encoded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import torch

from ddr.backbones.base import Backbone
from ddr.preprocess import crop, prepare, square_patches


def _unique_windows(image: torch.Tensor):
    """(unique prepared-later crops, index of each official window into the unique list)."""
    windows = square_patches(image.shape[-2], image.shape[-1])
    unique: dict = {}
    order = [unique.setdefault(w, len(unique)) for w in windows]
    return list(unique), order


def _chunks(items: Sequence[torch.Tensor], size: int) -> Iterator[torch.Tensor]:
    buffer: list[torch.Tensor] = []
    count = 0
    for item in items:
        buffer.append(item)
        count += item.shape[0]
        while count >= size:
            joined = torch.cat(buffer)
            yield joined[:size]
            rest = joined[size:]
            buffer, count = ([rest] if rest.shape[0] else []), rest.shape[0]
    if count:
        yield torch.cat(buffer)


def encode_patches(
    backbone: Backbone, images: Iterable[torch.Tensor], batch_size: int = 64
) -> list[torch.Tensor]:
    """Per image, the encoder features of its official windows, in window order: list of (N_i, C).

    `images` are (3, H, W) tensors in [0, 1] of any sizes. No gradients (scoring path).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    device = backbone.device
    prepared: list[torch.Tensor] = []
    orders: list[list[int]] = []
    for image in images:
        windows, order = _unique_windows(image)
        crops = torch.stack([crop(image, w) for w in windows]).to(device)
        prepared.append(prepare(crops, backbone.norm))  # same-size crops: one resize call per image
        orders.append(order)
    if not prepared:
        return []
    with torch.inference_mode():
        features = torch.cat([backbone.encode_image(batch) for batch in _chunks(prepared, batch_size)])
    out, start = [], 0
    for crops, order in zip(prepared, orders):
        unique_features = features[start : start + crops.shape[0]]
        start += crops.shape[0]
        out.append(unique_features[torch.tensor(order, device=unique_features.device)])
    return out
