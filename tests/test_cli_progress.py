"""`ddr score` on a CPU: the progress bar is updated image by image, each right after the encoder call that finished
the image; a CPU's default call holds few windows, so the bar never stands still for a batch of images."""

from __future__ import annotations

import pytest

import ddr.cli
from ddr.backbones.clip import ClipBackbone
from ddr.cli import CPU_BATCH_SIZE, main


class _Recorder:
    """Stands in for tqdm: records each update in the shared event list."""

    events: list = []

    def __init__(self, *args, **kwargs):
        self.total = kwargs.get("total")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        if n:
            self.events.append(("update", n))


@pytest.mark.parametrize("extra, per_image", [([], True), (["--batch-size", "16"], False)])
def test_bar_moves_after_every_few_images(monkeypatch, capsys, golden_dir, extra, per_image):
    events: list = []
    _Recorder.events = events
    monkeypatch.setattr(ddr.cli, "tqdm", _Recorder)
    encode = ClipBackbone.encode_image

    def recorded(self, x):
        events.append(("encode", len(x)))
        return encode(self, x)

    monkeypatch.setattr(ClipBackbone, "encode_image", recorded)
    images = sorted((golden_dir / "images").iterdir())
    rc = main(["score", "--checkpoint", str(golden_dir / "tiny-vit-0.pt"), "--device", "cpu", *extra,
               *map(str, images)])
    assert rc == 0 and len(capsys.readouterr().out.splitlines()) == len(images) + 1
    updates = [e for e in events if e[0] == "update"]
    assert len(updates) == len(images) and all(n == 1 for _, n in updates)
    # the longest stretch of images finished by one encoder call
    runs, run = [], 0
    for kind, _ in events:
        run = run + 1 if kind == "update" else 0
        runs.append(run)
    if per_image:  # default on a CPU: calls of at most CPU_BATCH_SIZE windows, so at most that many images per step
        assert events[0][0] == "encode" and all(n <= CPU_BATCH_SIZE for kind, n in events if kind == "encode")
        assert 1 <= max(runs) <= CPU_BATCH_SIZE
        assert sum(kind == "encode" for kind, _ in events) >= len(images) / CPU_BATCH_SIZE
    else:  # 16 windows per call: many images finish at once, the bar stands still in between
        assert max(runs) > CPU_BATCH_SIZE
