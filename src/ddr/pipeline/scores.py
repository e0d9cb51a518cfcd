"""Per-image DDR scores from the feature cache (no encoder call), joined with the labels.

Feature domain: DDR_d for every prompt pair, with and without adaptation (the ablations read these columns).
Pixel domain: one column per cached (kind, level).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

from ddr import descriptor
from ddr.model import DDR
from ddr.pipeline.features import load_shards
from ddr.pipeline.weights import backbone_from_record
from ddr.prompts import DEFAULT_TYPES, PROMPTS
from ddr.util.atomic import write_csv, write_json


def feature_domain_table(model: DDR, cached: dict) -> pd.DataFrame:
    """image, ddr (mean of the default types), ddr_<type> and ddr_noadapt_<type> for every type of `model`."""
    directions = model.directions
    rows = []
    for image, features in zip(cached["images"], cached["features"]):
        adaptive = descriptor.response(features, directions, adaptive=True).mean(0)
        raw = descriptor.response(features, directions, adaptive=False).mean(0)
        row = {"image": image}
        row.update({f"ddr_{t}": v for t, v in zip(model.types, adaptive.tolist())})
        row.update({f"ddr_noadapt_{t}": v for t, v in zip(model.types, raw.tolist())})
        rows.append(row)
    table = pd.DataFrame(rows)
    default = [t for t in DEFAULT_TYPES if t in model.types] or model.types  # image directions may have fewer types
    table.insert(1, "ddr", table[[f"ddr_{t}" for t in default]].mean(axis=1))
    return table


def pixel_domain_table(cached: dict) -> pd.DataFrame:
    """image and pddr_<kind@level> = mean over patches of 1 - cos(clean, degraded)."""
    table = pd.DataFrame({"image": cached["images"]})
    for name, degraded in cached["degraded"].items():
        table[f"pddr_{name}"] = [descriptor.feature_response(c, d).mean().item()
                                 for c, d in zip(cached["features"], degraded)]
    return table


def write_scores(table: pd.DataFrame, labels_csv: str | Path | pd.DataFrame, out: str | Path,
                 provenance: dict) -> None:
    """Join with the labels (a file, or the label rows to score; keeping their order), stamp stand-in status, write
    CSV + provenance sidecar."""
    labels = labels_csv if isinstance(labels_csv, pd.DataFrame) else pd.read_csv(labels_csv)
    merged = labels.merge(table, on="image", how="inner", validate="one_to_one")
    if len(merged) != len(labels):
        missing = sorted(set(labels["image"]) - set(table["image"]))[:5]
        raise ValueError(f"{out}: {len(labels) - len(merged)} labelled image(s) have no cached features, e.g. {missing}")
    merged["stand_in"] = bool(provenance.get("stand_in"))
    write_csv(out, merged)
    write_json(f"{out}.provenance.json", provenance)


def score_feature_domain(shards: Sequence[str | Path], weights_json: str | Path, labels_csv: str | Path,
                         out: str | Path) -> None:
    cached = load_shards(shards)
    model = DDR(backbone_from_record(weights_json), types=list(PROMPTS))
    with torch.no_grad():
        table = feature_domain_table(model, cached)
    write_scores(table, labels_csv, out, {**cached["provenance"], **model.provenance(), "domain": "feature"})


def score_pixel_domain(shards: Sequence[str | Path], labels_csv: str | Path, out: str | Path) -> None:
    cached = load_shards(shards)
    write_scores(pixel_domain_table(cached), labels_csv, out, {**cached["provenance"], "domain": "pixel"})
