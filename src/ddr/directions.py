"""Image-defined degradation directions: an EXTENSION of the paper for encoders without a text tower.

The paper's feature-domain DDR moves an image feature along a text direction T_d = Psi(degraded prompt) - Psi(clean
prompt). An encoder with no text tower (ImageNet EfficientNet-Lite0, whose real weights ship offline) has no Psi;
here the direction is measured instead, on a seeded held-out set of pristine images degraded with the pixel-domain
operators of ddr.degrade at configured levels:

    d_t = mean over held-out images of ( mean over patches of Phi(deg_t(x)) - Phi(x) )

Everything after the direction (adaptation to each image's statistics, 1 - cos, mean over types) is the paper's
feature-domain machinery, unchanged (ddr.descriptor). The images that define the directions must not be scored
with them: callers keep the two sets disjoint (the pipeline holds out whole references).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ddr.backbones import Backbone
from ddr.patches import encode_patches

METHOD = ("image-defined directions (extension of the paper): mean feature shift Phi(deg(x)) - Phi(x) over held-out "
          "pristine images")
# One level per type, the pixel-domain defaults (ddr.pixel.DEFAULT_LEVELS): mid-range, as the text prompts are.
DEFAULT_LEVELS: dict[str, tuple[str, float]] = {
    "blur": ("blur", 2.0),
    "color": ("color", 0.5),
    "noise": ("noise", 0.05),
    "exposure": ("exposure", 1.0),
}
# How many of the bundled pristine photographs (ddr.data.mini.SOURCES) `ddr score --directions images` uses when no
# held-out folder is given (the pipeline uses each set's own held-out split instead).
DEFAULT_N_IMAGES = 8


@dataclass
class ImageDirections:
    """(T, C) directions, their type names, and what produced them (stamped into provenance)."""

    types: list[str]
    vectors: torch.Tensor
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.types):
            raise ValueError(f"directions must be (T, C) with T = {len(self.types)} types; got "
                             f"{tuple(self.vectors.shape)}")
        if not torch.isfinite(self.vectors).all():
            raise ValueError("image-defined directions contain non-finite values")

    def content_sha256(self) -> str:
        """sha256 of the type names and the float32 vectors: names the directions themselves, unlike the file's hash,
        which also covers the provenance record (commit, versions) saved beside them."""
        import hashlib

        digest = hashlib.sha256("\n".join(self.types).encode())
        digest.update(self.vectors.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return digest.hexdigest()

    def save(self, path: str | Path) -> None:
        from ddr.util.atomic import torch_save

        torch_save(path, {"types": self.types, "vectors": self.vectors.cpu(), "record": self.record})

    @classmethod
    def load(cls, path: str | Path) -> "ImageDirections":
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
            return cls(list(data["types"]), data["vectors"].float(), dict(data["record"]))
        except (KeyError, TypeError, RuntimeError, EOFError) as error:
            raise ValueError(f"{path}: not an image-directions file ({error})") from error


def normalise_levels(levels: Mapping[str, Any] | None) -> dict[str, tuple[str, float]]:
    """{type: level} or {type: (kind, level)} -> {type: (kind, level)}; a bare level uses the type as its kind."""
    out = {}
    for name, value in (levels or DEFAULT_LEVELS).items():
        kind, level = (value if isinstance(value, (tuple, list)) else (name, value))
        out[str(name)] = (str(kind), float(level))
    if not out:
        raise ValueError("image-defined directions need at least one degradation level")
    return out


def mean_shift(clean: Sequence[torch.Tensor], degraded: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """clean[i] (P_i, C) and degraded[t][i] (P_i, C) -> (T, C): per image the mean patch shift, then the mean over
    images (each image weighs the same whatever its patch count). float64 sums: the order of images cannot change
    the float32 result beyond rounding of the final cast."""
    if not clean:
        raise ValueError("image-defined directions need at least one held-out image")
    rows = []
    for per_type in degraded:
        if len(per_type) != len(clean):
            raise ValueError(f"{len(per_type)} degraded feature sets for {len(clean)} clean images")
        shifts = [(d.double() - c.double()).mean(dim=0) for c, d in zip(clean, per_type)]
        rows.append(torch.stack(shifts).mean(dim=0))
    return torch.stack(rows).float()


def compute(backbone: Backbone, images: Sequence[torch.Tensor], levels: Mapping[str, Any] | None = None,
            seed: int = 0, batch_size: int = 32, record: Mapping[str, Any] | None = None) -> ImageDirections:
    """Directions from (3, H, W) pristine images in [0, 1]: each image and its degraded copies go through the
    official square patches (as every scored image does), with the pixel-domain operators and seeds of PixelDDR."""
    from ddr.pixel import PixelDDR

    pixel = PixelDDR(backbone, normalise_levels(levels), seed)
    clean, degraded = [], [[] for _ in pixel.types]
    with torch.no_grad():
        for image in images:
            first, *moved = encode_patches(backbone, [image, *pixel.degraded(image)], batch_size)
            clean.append(first.cpu())
            for t, features in enumerate(moved):
                degraded[t].append(features.cpu())
    info = {**backbone.info.as_dict(), "method": METHOD, "seed": seed, "n_images": len(clean),
            "degradations": {n: {"kind": k, "level": lv} for n, (k, lv) in pixel.degradations.items()},
            **dict(record or {})}
    return ImageDirections(pixel.types, mean_shift(clean, degraded), info)


def cache_key(backbone: Backbone, levels: Mapping[str, Any], seed: int, image_ids: Sequence[str]) -> str:
    """What determines the directions: weights, degradations, noise seed, and the held-out images (by content)."""
    facts = {"backbone": backbone.info.spec, "weights": backbone.info.weights, "sha256": backbone.info.sha256,
             "stand_in": backbone.info.stand_in, "levels": {k: list(v) for k, v in normalise_levels(levels).items()},
             "seed": seed, "images": list(image_ids)}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def _tensor_digest(image: torch.Tensor) -> str:
    return hashlib.sha256(image.detach().cpu().float().contiguous().numpy().tobytes()).hexdigest()


def cached(backbone: Backbone, images: Sequence[torch.Tensor], levels: Mapping[str, Any] | None = None,
           seed: int = 0, cache_dir: str | Path | None = None, names: Sequence[str] | None = None) -> ImageDirections:
    """compute(), remembered under cache_dir (default $DDR_CACHE/directions) by cache_key(); the file name and the
    held-out image names are recorded in the directions' provenance."""
    from ddr.util.cache import cache_dir as default_cache

    levels = normalise_levels(levels)
    digests = [_tensor_digest(image) for image in images]
    key = cache_key(backbone, levels, seed, digests)
    path = Path(cache_dir or default_cache() / "directions") / f"{backbone.info.spec.replace(':', '_')}-{key}.pt"
    if path.exists():
        return ImageDirections.load(path)
    names = list(names) if names is not None else [f"image {i}" for i in range(len(images))]
    directions = compute(backbone, images, levels, seed, record={"images": names, "image_sha256": digests,
                                                                 "cache_key": key, "cache_file": path.name})
    directions.save(path)
    return directions


def bundled_pristine_images(n_images: int = DEFAULT_N_IMAGES, seed: int = 0,
                            size: tuple[int, int] = (320, 240)) -> tuple[list[str], list[torch.Tensor]]:
    """A seeded choice of the photographs shipped with scikit-image / scikit-learn (ddr.data.mini.SOURCES),
    centre-cropped to `size` (width, height): the offline default held-out set of `ddr score --directions images`."""
    import numpy as np

    from ddr.data.mini import SOURCES, centre_crop_resize

    names = sorted(SOURCES)
    if not 1 <= n_images <= len(names):
        raise ValueError(f"n_images must be in [1, {len(names)}] (bundled photographs), got {n_images}")
    picked = sorted(np.random.default_rng(seed).choice(names, size=n_images, replace=False).tolist())
    images = []
    for name in picked:
        array = centre_crop_resize(SOURCES[name][1](), *size)
        images.append(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float() / 255.0)
    return [SOURCES[name][0] for name in picked], images
