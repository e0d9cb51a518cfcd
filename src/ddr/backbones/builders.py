"""One builder per backbone kind: a parsed BackboneSpec in, a frozen Backbone out (the targets of
ddr.backbones.spec.BACKBONES, imported only when a backbone is loaded)."""

from __future__ import annotations

from ddr.backbones import clip
from ddr.backbones.base import Backbone
from ddr.backbones.efficientnet import EfficientNetLiteBackbone
from ddr.backbones.spec import BackboneSpec


def clip_pretrained(spec: BackboneSpec) -> Backbone:
    return clip.from_pretrained(spec.arch, spec.pretrained)


def clip_random(spec: BackboneSpec) -> Backbone:
    return clip.random_stand_in(spec.arch, spec.seed)


def openai_checkpoint(spec: BackboneSpec) -> Backbone:
    return clip.from_openai_checkpoint(spec.path)


def open_clip_checkpoint(spec: BackboneSpec) -> Backbone:
    return clip.from_open_clip_checkpoint(spec.arch, spec.path)


def efficientnet_lite0(spec: BackboneSpec) -> Backbone:
    return EfficientNetLiteBackbone(pretrained=True)


def efficientnet_lite0_random(spec: BackboneSpec) -> Backbone:
    return EfficientNetLiteBackbone(pretrained=False, seed=spec.seed)
