"""Encode the official square patches of many images of any sizes, streaming, in full encoder batches.

Why: the official code encodes one image's patches per call. Here windows from many images share each encoder
call, and memory stays bounded whatever the image size: each window is cropped and resized to encoder size as
soon as its image is decoded (in the decoding worker), so only encoder-size tensors wait for the encoder; an
image whose windows would outweigh it (a 3x9000 strip has 3001) is kept instead and its windows are made one
batch at a time. A window at the same place as the one before it (a square image's two) is encoded once, and
in a strip, one equal to its neighbour too (a flat strip's thousands: seconds instead of minutes). The check is
left out for images of few windows: one device sync per window would cost a GPU more than it could save. Work is linear in the number of windows: each is prepared, compared and stacked once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Iterator

import torch

from ddr.backbones.base import Backbone
from ddr.preprocess import Normalisation, crop, prepare, shorter_side_size, square_patches

# Windows per encoder call, and the CLI's default on every device: on a quiet 2-core CPU (bench/bench_quality.py, fp32
# ViT-B/32, bench/results/bench_quality_cpu.txt) 16 was the fastest or within 2% of it at 500x500 and 1024x768 in
# two runs, where 8 and 32 each lost 5-20% in one. Larger calls amortise better on a GPU: `--batch-size 256` there.
DEFAULT_BATCH_SIZE = 16


class ImageWindows:
    """One image's official windows at encoder size (normalised), made at once or on demand.

    `distinct()` yields the crops that need encoding, in window order; afterwards `order` maps every official
    window to its distinct crop, so features[order] are the official windows' features.
    """

    def __init__(self, image: torch.Tensor, norm: Normalisation):
        self.windows = square_patches(image.shape[-2], image.shape[-1])
        self.norm = norm
        self.order: list[int] = []
        self._image: torch.Tensor | None = image
        self._next = 0  # next official window to look at
        self._count = 0  # distinct crops made so far
        self._last: tuple | None = None  # (window, pixels) of the last distinct crop, for the equality check
        self._ready: deque[torch.Tensor] = deque()
        side = self.windows[0].side
        if len(self.windows) * _area(shorter_side_size(side, side, norm.size)) <= image.shape[-2] * image.shape[-1]:
            self._ready.extend(self._make(len(self.windows), compare=False))  # smaller than the image: keep them
            self._image = None

    def _make(self, limit: int, compare: bool = True) -> Iterator[torch.Tensor]:
        """The next distinct crops (at most `limit`), extending `order` as it goes; `compare`: also skip a crop
        equal to the previous one (compared at image resolution: lazily made windows are the small ones)."""
        made = 0
        while self._next < len(self.windows) and made < limit:
            window = self.windows[self._next]
            self._next += 1
            if self._last is not None and window == self._last[0]:
                self.order.append(self._count - 1)
                continue
            pixels = crop(self._image, window)
            if compare and self._last is not None and torch.equal(pixels, self._last[1]):
                self.order.append(self._count - 1)  # same pixels, same crop: before any resizing
                continue
            prepared = prepare(pixels[None], self.norm)[0]
            self._last = (window, pixels)
            self.order.append(self._count)
            self._count += 1
            made += 1
            yield prepared

    def distinct(self, chunk: int = 64) -> Iterator[torch.Tensor]:
        """Every distinct (3, S, S') crop once, in window order; lazily made ones `chunk` at a time."""
        while self._ready:
            yield self._ready.popleft()
        while self._next < len(self.windows):
            yield from list(self._make(chunk))
        self._image = None

    @property
    def count(self) -> int:
        return len(self.windows)


def _area(size: tuple[int, int]) -> int:
    return size[0] * size[1]


class _Pending:
    """An image whose crops are (partly) with the encoder: features arrive batch by batch."""

    __slots__ = ("key", "windows", "features", "given", "complete")

    def __init__(self, key, windows: ImageWindows):
        self.key, self.windows = key, windows
        self.features: list[torch.Tensor] = []
        self.given = 0
        self.complete = False

    def done(self) -> bool:
        return self.complete and len(self.features) == self.given


def encode_stream(
    backbone: Backbone, items: Iterable[tuple[Hashable, ImageWindows]], batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[tuple[Hashable, torch.Tensor]]:
    """(key, features (N_i, C) of the image's official windows in window order), in input order.

    Crops of consecutive images fill encoder calls of exactly `batch_size` rows (the last may be smaller). If
    `items` raises (an unreadable file), the images before it are encoded and yielded first, then it re-raises.
    No gradients (scoring path).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    queue: deque[_Pending] = deque()
    rows: list[torch.Tensor] = []
    owners: list[_Pending] = []

    def encode() -> None:
        with torch.inference_mode():
            features = backbone.encode_image(torch.stack(rows).to(backbone.device)).float()
        for owner, feature in zip(owners, features):
            owner.features.append(feature)
        rows.clear()
        owners.clear()

    def finished() -> Iterator[tuple[Hashable, torch.Tensor]]:
        while queue and queue[0].done():
            entry = queue.popleft()
            features = torch.stack(entry.features)
            yield entry.key, features[torch.tensor(entry.windows.order, device=features.device)]

    source = iter(items)
    while True:
        try:
            item = next(source, None)
        except BaseException:
            if rows:
                encode()
            yield from finished()
            raise
        if item is None:
            break
        entry = _Pending(*item)
        queue.append(entry)
        for prepared in entry.windows.distinct(batch_size):
            rows.append(prepared)
            owners.append(entry)
            entry.given += 1
            if len(rows) == batch_size:
                encode()
                yield from finished()
        entry.complete = True
        yield from finished()
    if rows:
        encode()
    yield from finished()


def encode_patches(
    backbone: Backbone, images: Iterable[torch.Tensor], batch_size: int = DEFAULT_BATCH_SIZE
) -> list[torch.Tensor]:
    """Per image, the encoder features of its official windows, in window order: list of (N_i, C).

    `images` are (3, H, W) tensors in [0, 1] of any sizes, on any device. No gradients (scoring path).
    """
    windows = ((i, ImageWindows(image, backbone.norm)) for i, image in enumerate(images))
    return [features for _, features in encode_stream(backbone, windows, batch_size)]
