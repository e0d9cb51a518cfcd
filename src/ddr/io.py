"""Image reading: every input becomes RGB float in [0, 1]; bad files fail with their path and the reason."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm"}


class ImageReadError(ValueError):
    """An image that cannot be used, with the file it came from."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def _to_array(image: Image.Image) -> np.ndarray:
    """RGB float32 HxWx3 in [0, 1]; 16-bit and float modes keep their precision instead of being clipped to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        grey = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode == "I":  # 32-bit int, as PIL opens most 16-bit PNGs
        grey = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if grey.max(initial=0) > 255 else 255.0
        return np.repeat((np.clip(grey, 0, peak) / peak).astype(np.float32)[..., None], 3, axis=2)
    if image.mode == "F":
        grey = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode != "RGB":  # L, LA, P, PA, RGBA, CMYK, YCbCr, 1: alpha dropped as PIL's convert does
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.float32) / 255.0


def load_image(path: str | os.PathLike) -> torch.Tensor:
    """Read an image file as a (3, H, W) float32 tensor in [0, 1]."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(path, "no such file")
    if path.is_dir():
        raise ImageReadError(path, "is a directory, not an image")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    try:
        with Image.open(path) as image:
            image.load()
            if image.width == 0 or image.height == 0:
                raise ImageReadError(path, f"image has zero size ({image.width}x{image.height})")
            array = _to_array(image)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file (format not recognised)") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageReadError(path, f"unreadable or truncated image ({error})") from None
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def find_images(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand files and folders (recursively, sorted) into image paths; a missing input is an error."""
    found: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        elif item.exists():
            found.append(item)
        else:
            raise ImageReadError(item, "no such file or directory")
    return found


def _load_chunk(paths: list[Path], skip_bad: bool, on_skip) -> tuple[list[Path], list[torch.Tensor]]:
    kept, images = [], []
    for path in paths:
        try:
            images.append(load_image(path))
            kept.append(path)
        except ImageReadError as error:
            if not skip_bad:
                raise
            if on_skip is not None:
                on_skip(error)
    return kept, images


def iter_image_chunks(paths, chunk_size: int, skip_bad: bool = False, on_skip=None):
    """Yield (paths, images) chunks, decoding the next chunk in a background thread while the caller
    encodes the current one (PIL releases the GIL while decoding). Unreadable files raise ImageReadError,
    or are passed to `on_skip` and left out when `skip_bad`."""
    from concurrent.futures import ThreadPoolExecutor

    paths = list(paths)
    starts = range(0, len(paths), max(1, chunk_size))
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for start in starts:
            chunk = [Path(p) for p in paths[start : start + chunk_size]]
            future = pool.submit(_load_chunk, chunk, skip_bad, on_skip)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()
