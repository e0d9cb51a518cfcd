"""Image reading: every input becomes RGB float in [0, 1], upright; bad files fail with their path and the reason.

Why these rules: a phone JPEG tagged "rotate 90" must be scored as it is seen (EXIF orientation applied), a 16-bit
PNG or TIFF keeps its precision (PIL alone would cut RGB to 8 bits), and an image too large to hold is bad input
(a clear error, skippable), not a crash that loses the images scored before it.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm"}

# Images above this many pixels are refused as bad input (a float32 RGB copy of 100 MP is 1.2 GB). Camera images
# (SPAQ: 12 MP) and 108 MP phone sensors' binned outputs fit; raise it with `max_pixels=` / `ddr score --max-pixels`.
DEFAULT_MAX_PIXELS = 100_000_000
_PIL_LIMIT = threading.Lock()

# EXIF orientation -> the numpy operation PIL's exif_transpose applies (for arrays PIL cannot hold: 16-bit RGB)
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


class ImageReadError(ValueError):
    """An image that cannot be used, with the file it came from."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def _to_array(image: Image.Image) -> np.ndarray:
    """RGB HxWx3: uint8 for 8-bit images, else float32 in [0, 1] (16-bit and float modes keep their precision
    instead of being clipped to 8 bits)."""
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
    return np.asarray(image)  # uint8: scaled to [0, 1] by load_image after the layout change (one float copy)


def _is_deep_colour(image: Image.Image) -> bool:
    """16 bits per channel in colour: PIL would decode it to 8-bit RGB."""
    if image.format == "PNG":
        return image.info.get("ddr_bitdepth", 8) == 16 and image.mode in ("RGB", "RGBA")
    if image.format == "TIFF":
        bits = image.tag_v2.get(258, (8,))
        return image.mode in ("RGB", "RGBA") and max(bits if isinstance(bits, tuple) else (bits,)) == 16
    return False


def _read_deep_colour(path: Path, image: Image.Image) -> np.ndarray:
    """16-bit RGB(A) PNG (pypng) or TIFF (tifffile) at full precision, alpha dropped."""
    if image.format == "PNG":
        import png

        width, height, rows, info = png.Reader(filename=str(path)).asDirect()
        array = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(height, width, info["planes"])
    else:
        import tifffile

        array = tifffile.imread(path)
    return np.ascontiguousarray(array[..., :3], dtype=np.float32) / 65535.0


def _png_bitdepth(path: Path) -> int:
    with open(path, "rb") as handle:
        header = handle.read(26)
    return header[24] if len(header) == 26 and header[12:16] == b"IHDR" else 8


def _open(path: Path, max_pixels: int | None) -> Image.Image:
    """PIL's lazy open (header only) with our pixel limit instead of PIL's decompression-bomb limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except Image.DecompressionBombError:
            if max_pixels is not None and max_pixels <= 2 * (Image.MAX_IMAGE_PIXELS or 0):
                raise
            with _PIL_LIMIT:  # the user raised our limit past PIL's: open with PIL's check off
                previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
                try:
                    image = Image.open(path)
                finally:
                    Image.MAX_IMAGE_PIXELS = previous
    if image.format == "PNG":
        image.info["ddr_bitdepth"] = _png_bitdepth(path)
    return image


def _check_size(path: Path, width: int, height: int, max_pixels: int | None) -> None:
    if width == 0 or height == 0:
        raise ImageReadError(path, f"image has zero size ({width}x{height})")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageReadError(
            path, f"{width}x{height} = {width * height / 1e6:.0f} megapixels, above the limit of "
                  f"{max_pixels / 1e6:g} (raise it with --max-pixels / max_pixels=)")


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise ImageReadError(path, "no such file")
    if path.is_dir():
        raise ImageReadError(path, "is a directory, not an image")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "empty file (0 bytes)")


def check_image(path: str | os.PathLike, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """Cheap check from the header alone (no decoding): the file exists, is an image, and is within the pixel
    limit. Returns its (width, height) as stored. Truncated data is found only by `load_image`."""
    path = Path(path)
    _check_exists(path)
    try:
        with _open(path, max_pixels) as image:
            size = image.size
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file (format not recognised)") from None
    except Image.DecompressionBombError:
        raise ImageReadError(path, f"larger than the limit of {max_pixels / 1e6:g} megapixels "
                                   "(raise it with --max-pixels / max_pixels=)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(path, f"unreadable image header ({error})") from None
    _check_size(path, *size, max_pixels)
    return size


def load_image(path: str | os.PathLike, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> torch.Tensor:
    """Read an image file as an upright (3, H, W) float32 tensor in [0, 1] (EXIF orientation applied).

    Images above `max_pixels` (None: no limit) are refused with an ImageReadError, like unreadable ones.
    """
    path = Path(path)
    _check_exists(path)
    try:
        with _open(path, max_pixels) as image:
            _check_size(path, image.width, image.height, max_pixels)
            if _is_deep_colour(image):
                orientation = image.getexif().get(0x0112, 1)
                array = _ORIENT.get(orientation, lambda a: a)(_read_deep_colour(path, image))
            else:
                image.load()
                array = _to_array(ImageOps.exif_transpose(image))
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file (format not recognised)") from None
    except Image.DecompressionBombError:
        raise ImageReadError(path, f"larger than the limit of {max_pixels / 1e6:g} megapixels "
                                   "(raise it with --max-pixels / max_pixels=)") from None
    except MemoryError:
        raise ImageReadError(path, "not enough memory to decode this image") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageReadError(path, f"unreadable or truncated image ({error})") from None
    tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    # 8-bit: the same float32 x / 255 as numpy's, made once (a camera JPEG's float copy is 144 MB)
    return tensor.float().div_(255.0) if tensor.dtype == torch.uint8 else tensor


def _walk_images(folder: Path, seen: set[str]):
    """Image files under `folder`, sorted, following symlinked folders (each real folder visited once)."""
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    for entry in entries:
        if entry.is_dir():
            yield from _walk_images(entry, seen)
        elif entry.is_file() and entry.suffix.lower() in IMAGE_SUFFIXES:
            yield entry


def find_images(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand files and folders (recursively, sorted, symlinked folders followed once) into image paths;
    a missing input is an error."""
    found: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found.extend(_walk_images(item, set()))
        elif item.exists():
            found.append(item)
        else:
            raise ImageReadError(item, "no such file or directory")
    return found


def _load_chunk(paths: list[Path], skip_bad: bool, on_skip, max_pixels) -> tuple[list[Path], list[torch.Tensor]]:
    kept, images = [], []
    for path in paths:
        try:
            images.append(load_image(path, max_pixels))
            kept.append(path)
        except ImageReadError as error:
            if not skip_bad:
                raise
            if on_skip is not None:
                on_skip(error)
    return kept, images


def iter_image_chunks(paths, chunk_size: int, skip_bad: bool = False, on_skip=None,
                      max_pixels: int | None = DEFAULT_MAX_PIXELS):
    """Yield (paths, images) chunks, decoding the next chunk in a background thread while the caller
    encodes the current one (PIL releases the GIL while decoding). Unreadable files raise ImageReadError,
    or are passed to `on_skip` and left out when `skip_bad`."""
    from concurrent.futures import ThreadPoolExecutor

    if chunk_size < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
    paths = list(paths)
    starts = range(0, len(paths), chunk_size)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for start in starts:
            chunk = [Path(p) for p in paths[start : start + chunk_size]]
            future = pool.submit(_load_chunk, chunk, skip_bad, on_skip, max_pixels)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


def iter_decoded(paths, transform=None, workers: int = 2, skip_bad: bool = False, on_skip=None,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS):
    """Yield (path, transform(image)) in input order, `workers` files decoded (and transformed: cropped and
    resized to encoder size, say) at a time in threads ahead of the caller, so decoding overlaps encoding and at
    most a few decoded images are held. Unreadable files raise ImageReadError, or go to `on_skip` (called in
    order, in the caller's thread) and are left out when `skip_bad`."""
    from ddr.util.prefetch import ordered_map

    def decode(path: Path):
        image = load_image(path, max_pixels)
        return image if transform is None else transform(image)

    for path, future in ordered_map(decode, (Path(p) for p in paths), workers):
        try:
            item = future.result()
        except ImageReadError as error:
            if not skip_bad:
                raise
            if on_skip is not None:
                on_skip(error)
            continue
        yield path, item
