"""The feature cache: encoder features of every image's official patches, computed once per
(dataset, encoder, weights, preprocessing) and shard, and reused by every analysis.

Changing prompts, degradation sets, adaptation, statistics or plots rescores these tensors; it never re-runs
the encoder. Shards (image i goes to shard i mod n) let jobs run in parallel and a killed run resume from the
shards already written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm import tqdm

from ddr.backbones import Backbone
from ddr.io import iter_image_chunks
from ddr.patches import encode_patches
from ddr.util.atomic import torch_save
from ddr.util.provenance import provenance


def shard_of(labels: pd.DataFrame, shard: int, n_shards: int) -> pd.DataFrame:
    """Rows i with i mod n_shards == shard (stable: the labels' order defines the shards)."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} out of range for {n_shards} shards")
    return labels.iloc[shard::n_shards]


def encode_shard(
    backbone: Backbone,
    labels_csv: str | Path,
    shard: int,
    n_shards: int,
    out: str | Path,
    batch_size: int = 32,
    degradations: Mapping[str, tuple[str, float]] | None = None,
    seed: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write {images, features[, degraded], provenance} for one shard.

    features: list of (N_i, C) patch features per image. With `degradations` ({name: (kind, level)}), also
    degraded: {name: list of (N_i, C)} for pixel-domain DDR (each degraded copy encoded with the same patches).
    """
    from ddr.pixel import PixelDDR

    labels = pd.read_csv(labels_csv)
    paths = shard_of(labels, shard, n_shards)["image"].tolist()
    pixel = PixelDDR(backbone, degradations, seed) if degradations else None
    features: list[torch.Tensor] = []
    degraded: dict[str, list[torch.Tensor]] = {name: [] for name in (degradations or {})}
    desc = f"features {Path(labels_csv).stem} {shard + 1}/{n_shards}"
    with tqdm(total=len(paths), desc=desc, unit="img") as bar:
        for _, images in iter_image_chunks(paths, batch_size):
            features.extend(encode_patches(backbone, images, batch_size))
            if pixel is not None:  # every degraded copy of the whole chunk shares the encoder calls
                copies = [copy for image in images for copy in pixel.degraded(image)]
                moved = encode_patches(backbone, copies, batch_size)
                for i, name in enumerate(degraded):
                    degraded[name].extend(moved[i :: len(degraded)])
            bar.update(len(images))
    record = {
        "images": paths,
        "features": [f.cpu() for f in features],
        "provenance": provenance(**backbone.info.as_dict(), shard=shard, n_shards=n_shards, labels=str(labels_csv),
                                 preprocessing={"size": backbone.norm.size, "mean": backbone.norm.mean,
                                                "std": backbone.norm.std, "resize": "bicubic, no antialias",
                                                "patches": "official square patches"},
                                 **(dict(extra or {}))),
    }
    if pixel is not None:
        record["degraded"] = {name: [f.cpu() for f in fs] for name, fs in degraded.items()}
        record["provenance"]["degradations"] = {n: {"kind": k, "level": lv} for n, (k, lv) in pixel.degradations.items()}
        record["provenance"]["seed"] = seed
    torch_save(out, record)


def load_shards(paths: Sequence[str | Path]) -> dict[str, Any]:
    """Concatenate shard records back into one (image order: shard by shard)."""
    merged: dict[str, Any] = {"images": [], "features": [], "degraded": {}, "provenance": None}
    for path in paths:
        record = torch.load(path, map_location="cpu", weights_only=False)
        merged["images"].extend(record["images"])
        merged["features"].extend(record["features"])
        for name, fs in record.get("degraded", {}).items():
            merged["degraded"].setdefault(name, []).extend(fs)
        merged["provenance"] = merged["provenance"] or record["provenance"]
    return merged
