"""Pipeline side of the image-defined directions (extension of the paper; the arithmetic is in ddr.directions).

Directions are measured on a seeded choice of PRISTINE images among a set's held-out rows (the same held-out rows
that choose the pixel-domain "optimal" levels: ddr.evaluation.bootstrap.heldout_mask), cached as a file with its provenance, and
used to score only the other rows: the images that define the directions and every distorted copy of their
references are left out of the score file, so no scored image ever shares content with them.
Scoring reuses the pixel-domain feature cache (clean patch features of every image): no encoder re-run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ddr.backbones import Backbone
from ddr.directions import ImageDirections, compute, normalise_levels
from ddr.evaluation.bootstrap import heldout_mask
from ddr.io import load_image
from ddr.model import DDR
from ddr.pipeline.features import load_shards
from ddr.pipeline.scores import feature_domain_table, write_scores
from ddr.util.atomic import write_json
from ddr.util.provenance import provenance

SCORED_ROWS = "rows outside the held-out split (the directions' images and their references are not scored)"


def pristine(frame: pd.DataFrame) -> pd.DataFrame:
    """Undistorted rows when the set has references and distortion types; else every row (authentic sets)."""
    dist = frame["dist_type"].fillna("").astype(str) if "dist_type" in frame else pd.Series("", index=frame.index)
    return frame[dist.eq("")] if dist.ne("").any() and dist.eq("").any() else frame


def split_rows(labels: pd.DataFrame, heldout_fraction: float, seed: int, n_images: int, split_seed: int | None = None
               ) -> tuple[pd.DataFrame, pd.Series, str]:
    """(rows whose images define the directions, mask of every held-out row, how the held-out rows were chosen).

    The held-out rows are those that choose the pixel-domain levels (heldout_mask with `split_seed`, the pipeline's
    top-level seed; default `seed`); the direction images: a seeded choice (seed `seed`) of `n_images` pristine
    held-out rows (all when fewer)."""
    mask, how = heldout_mask(labels, heldout_fraction, seed if split_seed is None else split_seed)
    candidates = pristine(labels[mask])
    if candidates.empty:
        raise ValueError(f"no pristine held-out images to define directions ({how})")
    order = sorted(candidates["image"].astype(str))
    count = min(int(n_images), len(order))
    picked = set(np.random.default_rng(seed).choice(order, size=count, replace=False).tolist())
    return candidates[candidates["image"].astype(str).isin(picked)], mask, how


def build(backbone: Backbone, labels_csv: str | Path, out: str | Path, levels: Mapping[str, Any], n_images: int,
          seed: int, heldout_fraction: float, batch_size: int = 32, split_seed: int | None = None) -> ImageDirections:
    """Measure and cache one set's directions (out = .pt, with out.provenance.json)."""
    labels = pd.read_csv(labels_csv)
    split_seed = seed if split_seed is None else split_seed
    rows, mask, how = split_rows(labels, heldout_fraction, seed, n_images, split_seed)
    images = [load_image(path) for path in rows["image"]]
    record = {"dataset_labels": str(labels_csv), "images": rows["image"].tolist(), "heldout": how,
              "n_heldout_rows": int(mask.sum()), "scored": SCORED_ROWS, "heldout_fraction": heldout_fraction,
              "split_seed": split_seed}
    directions = compute(backbone, images, normalise_levels(levels), seed, batch_size, record)
    directions.record = provenance(**directions.record)
    directions.save(out)
    write_json(f"{out}.provenance.json", directions.record)
    return directions


def scored_labels(labels_csv: str | Path, directions: ImageDirections) -> pd.DataFrame:
    """The label rows image-direction DDR may score: outside the held-out split that produced the directions."""
    labels = pd.read_csv(labels_csv)
    record = directions.record
    mask, _ = heldout_mask(labels, float(record["heldout_fraction"]), int(record.get("split_seed", record["seed"])))
    used = set(record["images"])
    refs = set(labels.loc[labels["image"].isin(used), "ref"].dropna().astype(str)) if "ref" in labels else set()
    touching = labels["image"].isin(used) | (labels["ref"].astype(str).isin(refs) if "ref" in labels else False)
    return labels[~mask & ~touching]


def score(shards: Sequence[str | Path], directions_pt: str | Path, labels_csv: str | Path, out: str | Path) -> None:
    """iddr_<backbone>.csv: ddr, ddr_<type>, ddr_noadapt_<type> (as the text-driven score files) on the scored rows."""
    cached = load_shards(shards)
    directions = ImageDirections.load(directions_pt)
    model = DDR(_Frozen(), directions=directions)
    keep = scored_labels(labels_csv, directions)
    with torch.no_grad():
        table = feature_domain_table(model, cached)
    table = table[table["image"].isin(keep["image"])]
    facts = {k: v for k, v in model.provenance().items() if k in ("types", "adaptive", "eps", "directions")}
    info = {**cached["provenance"], **facts, "domain": "feature (image-defined directions)",
            "directions_file": str(directions_pt), "directions_sha256": directions.content_sha256(),
            "scored": SCORED_ROWS}
    write_scores(table, keep, out, info)


class _Frozen(Backbone):
    """No encoder: image-direction scores come from cached features (DDR only needs .freeze() and .info)."""

    def __init__(self):
        super().__init__()
        from ddr.backbones import WeightsInfo

        self.info = WeightsInfo(spec="cached features", weights="see the feature cache's provenance")
