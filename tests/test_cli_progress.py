"""`ddr score` on a CPU: the progress bar is updated image by image, each right after the encoder call that finished
the image, so it never stands still for more images than one call holds (`--batch-size` windows)."""

from __future__ import annotations

import pytest

import ddr.cli
from ddr.backbones.clip import ClipBackbone
from ddr.cli import main
from ddr.patches import DEFAULT_BATCH_SIZE


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


@pytest.mark.parametrize("batch", [None, 2, 4])
def test_bar_moves_after_each_call_image_by_image(monkeypatch, capsys, golden_dir, batch):
    events: list = []
    _Recorder.events = events
    monkeypatch.setattr(ddr.cli, "tqdm", _Recorder)
    encode = ClipBackbone.encode_image

    def recorded(self, x):
        events.append(("encode", len(x)))
        return encode(self, x)

    monkeypatch.setattr(ClipBackbone, "encode_image", recorded)
    images = sorted((golden_dir / "images").iterdir())
    extra = ["--batch-size", str(batch)] if batch else []
    rc = main(["score", "--checkpoint", str(golden_dir / "tiny-vit-0.pt"), "--device", "cpu", *extra,
               *map(str, images)])
    assert rc == 0 and len(capsys.readouterr().out.splitlines()) == len(images) + 1
    updates = [e for e in events if e[0] == "update"]
    assert len(updates) == len(images) and all(n == 1 for _, n in updates)
    limit = batch or DEFAULT_BATCH_SIZE
    calls = [n for kind, n in events if kind == "encode"]
    assert events[0][0] == "encode" and all(n <= limit for n in calls)
    # the longest stretch of images finished by one encoder call: at most the windows it held
    runs, run = [], 0
    for kind, _ in events:
        run = run + 1 if kind == "update" else 0
        runs.append(run)
    assert 1 <= max(runs) <= limit
    if len(images) > limit:  # the images needed several calls, and the bar moved between them
        assert len(calls) > 1 and events[-1][0] == "update" and runs.count(0) == len(calls)
