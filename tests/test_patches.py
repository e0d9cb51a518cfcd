"""Streaming patch encoder: same features as encoding each official window alone, full batches across images,
bounded memory (only encoder-size crops wait, strips made lazily), linear work, ordered bounded prefetch."""

from __future__ import annotations

import threading

import pytest
import torch

from ddr.io import load_image
import ddr.patches as patches
from ddr.patches import ImageWindows, encode_patches, encode_stream
from ddr.preprocess import crop, prepare, square_patches
from ddr.util.prefetch import ordered_map


def naive_features(backbone, image: torch.Tensor) -> torch.Tensor:
    """Every official window prepared and encoded alone: the reference."""
    with torch.inference_mode():
        return torch.cat([backbone.encode_image(prepare(crop(image[None], w), backbone.norm))
                          for w in square_patches(*image.shape[-2:])])


class Recorder:
    """Wraps a backbone: records each encoder call's rows, and how many crops had been made but not yet encoded."""

    def __init__(self, backbone, sources=()):
        self.backbone, self.sources = backbone, list(sources)
        self.calls: list[int] = []
        self.encoded = 0
        self.waiting: list[int] = []
        self.norm, self.device = backbone.norm, backbone.device

    def encode_image(self, pixels):
        made = sum(s._count for s in self.sources)
        self.waiting.append(made - self.encoded)
        self.calls.append(pixels.shape[0])
        self.encoded += pixels.shape[0]
        return self.backbone.encode_image(pixels)


def images(golden_dir):
    names = ["astronaut.png", "tall.png", "tiny.png", "chelsea.png"]
    return [load_image(golden_dir / "images" / n) for n in names]


@pytest.mark.parametrize("batch_size", [1, 3, 7])
def test_streamed_features_equal_windows_encoded_alone(tiny_vit, golden_dir, batch_size):
    backbone = tiny_vit.backbone
    pictures = images(golden_dir) + [torch.rand(3, 5, 90, generator=torch.Generator().manual_seed(1))]
    streamed = encode_patches(backbone, pictures, batch_size)
    assert len(streamed) == len(pictures)
    for image, features in zip(pictures, streamed):
        expected = naive_features(backbone, image)
        assert features.shape == expected.shape
        assert torch.allclose(features, expected, atol=1e-5)


def test_batches_are_full_across_images(tiny_vit, golden_dir):
    pictures = images(golden_dir)
    distinct = sum(len(list(ImageWindows(im, tiny_vit.backbone.norm).distinct())) for im in pictures)
    recorder = Recorder(tiny_vit.backbone)
    encode_patches(recorder, pictures, batch_size=4)
    assert sum(recorder.calls) == distinct
    assert all(c == 4 for c in recorder.calls[:-1]) and 1 <= recorder.calls[-1] <= 4


def test_strip_is_made_lazily_with_bounded_memory_and_linear_work(tiny_vit, monkeypatch):
    strip = torch.rand(3, 3, 240, generator=torch.Generator().manual_seed(0))  # 80 windows of 3x3, all distinct
    windows = ImageWindows(strip, tiny_vit.backbone.norm)
    assert windows._image is not None and not windows._ready  # encoder-size crops would outweigh the strip
    calls = []
    real_prepare = patches.prepare
    monkeypatch.setattr(patches, "prepare", lambda x, norm: calls.append(1) or real_prepare(x, norm))
    recorder = Recorder(tiny_vit.backbone, [windows])
    (key, features), = encode_stream(recorder, [("strip", windows)], batch_size=8)
    assert key == "strip" and features.shape[0] == len(square_patches(3, 240)) == 81
    assert len(calls) == 81  # each window prepared once: no re-preparation, no quadratic work
    assert max(recorder.waiting) <= 8  # never more than one batch of crops made ahead of the encoder
    assert windows._image is None  # released once its windows are made
    assert torch.allclose(features, naive_features(tiny_vit.backbone, strip), atol=1e-5)


def test_large_image_keeps_only_encoder_size_crops(tiny_vit):
    image = torch.rand(3, 300, 420, generator=torch.Generator().manual_seed(2))
    windows = ImageWindows(image, tiny_vit.backbone.norm)
    size = tiny_vit.backbone.norm.size
    assert windows._image is None
    assert [tuple(c.shape) for c in windows._ready] == [(3, size, size)] * 2


def test_equal_neighbouring_windows_are_encoded_once(tiny_vit):
    norm = tiny_vit.backbone.norm
    square = ImageWindows(torch.rand(3, 40, 40), norm)
    assert len(list(square.distinct())) == 1 and square.order == [0, 0]
    flat = ImageWindows(torch.full((3, 2, 50), 0.3), norm)  # 26 windows, all equal
    assert len(list(flat.distinct())) == 1 and flat.order == [0] * 26
    features = encode_patches(tiny_vit.backbone, [torch.full((3, 2, 50), 0.3)])[0]
    assert features.shape[0] == 26 and torch.equal(features, features[:1].expand(26, -1))


def test_images_before_a_failing_source_are_still_encoded(tiny_vit, golden_dir):
    pictures = images(golden_dir)[:2]

    def source():
        for i, image in enumerate(pictures):
            yield i, ImageWindows(image, tiny_vit.backbone.norm)
        raise OSError("bad file")

    got = []
    with pytest.raises(OSError, match="bad file"):
        for key, _ in encode_stream(tiny_vit.backbone, source(), batch_size=64):
            got.append(key)
    assert got == [0, 1]


def test_batch_size_must_be_positive(tiny_vit):
    with pytest.raises(ValueError, match="at least 1"):
        encode_patches(tiny_vit.backbone, [torch.rand(3, 8, 8)], batch_size=0)


def test_ordered_map_keeps_order_isolates_errors_and_stays_bounded():
    started, lock = [], threading.Lock()

    def work(i):
        with lock:
            started.append(i)
        if i == 5:
            raise ValueError("five")
        return i * i

    seen = []
    for item, future in ordered_map(work, range(20), workers=2, ahead=1):
        assert len(started) <= item + 1 + 3  # at most workers + ahead started beyond the one consumed
        if item == 5:
            with pytest.raises(ValueError, match="five"):
                future.result()
        else:
            seen.append(future.result())
    assert seen == [i * i for i in range(20) if i != 5]
    with pytest.raises(ValueError, match="workers"):
        next(ordered_map(work, range(3), workers=0))
