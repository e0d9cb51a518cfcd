"""The official preprocessing (shorter side to the encoder size, bicubic, no antialias) and square-patch scheme."""

from __future__ import annotations

from dataclasses import dataclass

import torch

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Normalisation:
    """How a backbone wants its pixels: input size of the shorter side, channel mean and std."""

    size: int
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD


def shorter_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """Output (H, W) when the shorter side becomes `size`: torchvision's rule (long side truncated)."""
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def resize_shorter(x: torch.Tensor, size: int) -> torch.Tensor:
    """Shorter side -> `size`, aspect kept, bicubic without antialiasing, no clamping.

    Exactly what the official code's torchvision `Resize(size, BICUBIC, antialias=False)` does to float tensors
    (tested against it), without importing torchvision (seconds of start-up in every pipeline job).
    """
    squeeze = x.ndim == 3
    batch = x[None] if squeeze else x
    out_size = shorter_side_size(batch.shape[-2], batch.shape[-1], size)
    if tuple(batch.shape[-2:]) != out_size:
        batch = torch.nn.functional.interpolate(batch, size=out_size, mode="bicubic", align_corners=False,
                                                antialias=False)
    return batch[0] if squeeze else batch


def normalise(x: torch.Tensor, mean, std, in_place: bool = False) -> torch.Tensor:
    """(x - mean) / std per channel; `in_place` writes into x (same arithmetic, no temporaries)."""
    mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(-1, 1, 1)
    return x.sub_(mean).div_(std) if in_place else (x - mean) / std


def prepare(x: torch.Tensor, norm: Normalisation) -> torch.Tensor:
    """Resize then normalise a (B, 3, H, W) batch in [0, 1] for the encoder (in place in the resized copy; the
    caller's tensor is never written, and gradients keep the out-of-place path)."""
    resized = resize_shorter(x, norm.size)
    fresh = resized.shape[-2:] != x.shape[-2:] and not resized.requires_grad  # a new tensor, not a view of x
    return normalise(resized, norm.mean, norm.std, in_place=fresh)


@dataclass(frozen=True)
class Patch:
    """A square window: top-left corner and side."""

    top: int
    left: int
    side: int


def square_patches(height: int, width: int) -> list[Patch]:
    """The official BIQA windows: side P = min(H, W), N = max(H, W) // P + 1, stride (max - P) // (N - 1).

    A square image yields N = 2 identical windows; they are kept here (they weigh in the mean) and
    deduplicated only at encoding time.
    """
    if height < 1 or width < 1:
        raise ValueError(f"image has zero size ({height}x{width})")
    side = min(height, width)
    count = max(height, width) // side + 1
    stride = (max(height, width) - side) // (count - 1)
    if height > width:
        return [Patch(i * stride, 0, side) for i in range(count)]
    return [Patch(0, i * stride, side) for i in range(count)]


def crop(x: torch.Tensor, patch: Patch) -> torch.Tensor:
    return x[..., patch.top : patch.top + patch.side, patch.left : patch.left + patch.side]
