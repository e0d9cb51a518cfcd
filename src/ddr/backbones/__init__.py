"""Backbones by spec, so configs and the CLI name encoders the same way.

The accepted specs (clip:ARCH:TAG, clip-random:ARCH[:SEED], openai-checkpoint:PATH or a bare checkpoint path,
open_clip-checkpoint:ARCH:PATH, efficientnet-lite0, efficientnet-lite0-random[:SEED]) are declared once, in
`ddr.backbones.spec.BACKBONES`; `list_backbones()` lists them with what each loads.
"""

from __future__ import annotations

from ddr.backbones.base import Backbone, NoTextTower, WeightsInfo, WeightsUnavailable
from ddr.backbones.spec import DEFAULT_BACKBONE, DEFAULT_PIXEL_BACKBONE, BACKBONES, BackboneSpec, list_backbones

__all__ = ["Backbone", "BackboneSpec", "DEFAULT_BACKBONE", "DEFAULT_PIXEL_BACKBONE", "NoTextTower", "WeightsInfo",
           "WeightsUnavailable", "list_backbones", "load_backbone"]


def load_backbone(spec: str | BackboneSpec) -> Backbone:
    """Build the encoder a spec names (a string in any accepted form, or a parsed BackboneSpec)."""
    parsed = BackboneSpec.parse(spec)
    return BACKBONES[parsed.kind](parsed)
