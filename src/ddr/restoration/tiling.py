"""Full-image inference by tiles, for images too large for one forward pass.

Tiles of `tile` x `tile` pixels overlap by `overlap`; each output pixel is taken from the tile in which it
lies farthest from a seam (the tile's interior minus overlap/2 on every inner side), not averaged. So for a
fully convolutional network whose receptive-field radius is <= overlap/2 the result equals untiled
inference exactly. The image is first padded to the network's `size_multiple` (with its own `pad_mode`) and
tile positions are multiples of it, so down-sampling grids line up with the untiled pass. Networks with
global operations (NAFNet's channel attention, Restormer's transposed attention) see per-tile statistics;
NAFNet-Local reduces that difference.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return starts


@torch.no_grad()
def infer_tiled(net: nn.Module, x: torch.Tensor, tile: int | None = None, overlap: int = 32) -> torch.Tensor:
    """net(x) for (B, C, H, W) x, by tiles when `tile` is set and smaller than the image."""
    h, w = x.shape[-2:]
    if tile is None or (h <= tile and w <= tile):
        return net(x)
    m = int(getattr(net, "size_multiple", 1))
    if tile % m or overlap % m:
        raise ValueError(f"tile ({tile}) and overlap ({overlap}) must be multiples of the network's "
                         f"size multiple {m}")
    if overlap >= tile:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile ({tile})")
    ph, pw = (m - h % m) % m, (m - w % m) % m
    mode = getattr(net, "pad_mode", "constant")
    if mode == "reflect" and (ph >= h or pw >= w):
        mode = "replicate"
    xp = F.pad(x, (0, pw, 0, ph), mode=mode) if (ph or pw) else x
    hp, wp = xp.shape[-2:]
    step = tile - overlap
    ys, xs = _starts(hp, tile, step), _starts(wp, tile, step)
    out = None
    for i, y0 in enumerate(ys):
        for j, x0 in enumerate(xs):
            y1, x1 = min(y0 + tile, hp), min(x0 + tile, wp)
            pred = net(xp[..., y0:y1, x0:x1])
            if out is None:
                out = pred.new_zeros(pred.shape[0], pred.shape[1], hp, wp)
            # keep from the midpoint of the overlap with the previous tile to the midpoint with the next
            top = 0 if i == 0 else (ys[i - 1] + tile + y0) // 2 - y0
            bottom = (y1 - y0) if i == len(ys) - 1 else (y0 + tile + ys[i + 1]) // 2 - y0
            left = 0 if j == 0 else (xs[j - 1] + tile + x0) // 2 - x0
            right = (x1 - x0) if j == len(xs) - 1 else (x0 + tile + xs[j + 1]) // 2 - x0
            out[..., y0 + top:y0 + bottom, x0 + left:x0 + right] = pred[..., top:bottom, left:right]
    return out[..., :h, :w]
