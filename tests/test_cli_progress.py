"""`ddr score` on a CPU: the progress bar moves image by image, each step right after that image's encoder calls
(not once per batch of images)."""

from __future__ import annotations

import pytest

import ddr.cli
from ddr.backbones.clip import ClipBackbone
from ddr.cli import main


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
def test_bar_moves_once_per_image_after_its_encoder_calls(monkeypatch, capsys, golden_dir, extra, per_image):
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
    after_a_call = [events[i - 1][0] == "encode" for i, e in enumerate(events) if e[0] == "update"]
    if per_image:  # default on a CPU: one window per call; every step comes right after that image's calls
        assert events[0][0] == "encode" and all(n == 1 for kind, n in events if kind == "encode")
        assert all(after_a_call)
    else:  # 16 windows per call: images finish together, several steps at once (what the CPU default avoids)
        assert not all(after_a_call)
