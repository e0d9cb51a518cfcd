"""Per-image scores of the BIQA baselines (NIQE, PIQE, BRISQUE, CLIP-IQA variant, IL-NIQE), cached per shard.

Why shards: the baselines run on every image of every BIQA set; sharded like the feature cache (image i goes to
shard i mod n), their jobs run in parallel and a killed run resumes from the shards already written. A baseline that
cannot run here (IL-NIQE: no model file offline) still writes its shards, with empty scores and the reason in the
provenance, so every table can say "n/a (...)" instead of silently dropping a column.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ddr.baselines import UNAVAILABLE_TABLE_TEXT, BaselineUnavailable, Metric, create_metric, metric_info
from ddr.io import load_image
from ddr.pipeline.features import shard_of
from ddr.util.atomic import write_csv, write_json
from ddr.util.provenance import provenance

LOG = logging.getLogger(__name__)

def sidecar(path: str | Path) -> Path:
    return Path(f"{path}.provenance.json")


def read_provenance(path: str | Path) -> dict[str, Any]:
    return json.loads(sidecar(path).read_text())


def model_state(name: str) -> str:
    """What a baseline's scores depend on outside the code, as a Snakemake param: for IL-NIQE the template it
    would load (path and sha256, or 'none'), so placing or refitting one reruns its shards."""
    if name != "ilniqe":
        return ""
    from ddr.baselines.nss.ilniqe import find_template
    from ddr.util.hashing import sha256_file

    path = find_template()
    return f"{path} sha256 {sha256_file(path)}" if path else "none"


def build_metric(name: str, weights_json: str | Path | None = None, device: str = "cpu",
                 batch_size: int = 16) -> Metric:
    """The baseline `name`; CLIP-IQA is built on the CLIP backbone of the weights record DDR uses."""
    if name != "clipiqa":
        return create_metric(name)
    if weights_json is None:
        raise ValueError("CLIP-IQA needs the CLIP weights record (the same one as DDR)")
    from ddr.baselines.clip_iqa import ClipIQA
    from ddr.pipeline.weights import backbone_from_record

    backbone = backbone_from_record(weights_json).to(device)
    info = backbone.info
    weights = "STAND-IN weights (see the caption)" if info.stand_in else f"weights {info.weights}"
    metric = ClipIQA(backbone.model, backbone.tokenizer, device=device, batch_size=batch_size)
    metric.parameters = f"zero-shot on the DDR backbone {info.spec}, {weights}; {metric.parameters}"
    metric.backbone_info = info.as_dict()
    return metric


def score_paths(metric: Metric, paths: Sequence[str], batch_size: int) -> np.ndarray:
    """Scores of the images at `paths`, loaded `batch_size` at a time; errors name the file."""
    scores = np.empty(len(paths), dtype=np.float64)
    for start in range(0, len(paths), batch_size):
        chunk = list(paths[start : start + batch_size])
        images = [load_image(p) for p in chunk]
        try:
            scores[start : start + len(chunk)] = metric.score_images(images, progress=False)
        except RuntimeError:
            for path, image in zip(chunk, images):  # find which file failed, then re-raise naming it
                try:
                    metric.score_images([image], progress=False)
                except RuntimeError as error:
                    raise RuntimeError(f"{metric.name} failed on {path}: {error}") from error
            raise
        LOG.info("%s: %d/%d images", metric.name, min(start + batch_size, len(paths)), len(paths))
    return scores


def score_shard(name: str, labels_csv: str | Path, shard: int, n_shards: int, out: str | Path,
                weights_json: str | Path | None = None, device: str = "cpu", batch_size: int = 16) -> None:
    """Write out (image, score) for one shard and out.provenance.json (metric, direction, parameters, availability)."""
    paths = shard_of(pd.read_csv(labels_csv), shard, n_shards)["image"].tolist()
    info = metric_info(name)
    record: dict[str, Any] = {"baseline": name, "name": info.display_name, "shard": shard, "n_shards": n_shards,
                              "labels": str(labels_csv), "stand_in": False, "opinion_aware": info.opinion_aware,
                              "paper_column": info.paper_column}
    try:
        metric = build_metric(name, weights_json, device, batch_size)
    except BaselineUnavailable as error:
        LOG.warning("%s unavailable: %s", name, error)
        scores = np.full(len(paths), np.nan)
        record.update(available=False, reason=str(error), table_text=UNAVAILABLE_TABLE_TEXT,
                      direction=info.direction, parameters="")
    else:
        scores = score_paths(metric, paths, batch_size)
        record.update(available=True, reason="", direction=metric.direction, parameters=metric.parameters)
        record.update(getattr(metric, "backbone_info", {}))
    write_csv(out, pd.DataFrame({"image": paths, "score": scores}))
    write_json(sidecar(out), provenance(**record))


def merge_shards(shards: Sequence[str | Path], labels_csv: str | Path, out: str | Path) -> None:
    """One per-image table per (dataset, baseline): the labels joined with column `prediction`, + provenance."""
    name = read_provenance(shards[0])["baseline"]
    parts = pd.concat([pd.read_csv(s) for s in shards], ignore_index=True)
    labels = pd.read_csv(labels_csv)
    merged = labels.merge(parts.rename(columns={"score": "prediction"}), on="image", how="left", validate="one_to_one")
    missing = merged["image"][~merged["image"].isin(parts["image"])]
    if len(missing):
        raise ValueError(f"{out}: {len(missing)} labelled image(s) have no {name} score in the shards, "
                         f"e.g. {missing.tolist()[:3]}")
    records = [read_provenance(s) for s in shards]
    names = {r["baseline"] for r in records}
    if names != {name} or Path(out).stem != f"baseline_{name}":
        raise ValueError(f"{out}: shards of baselines {sorted(names)} cannot make this file ({list(shards)})")
    record = {k: v for k, v in records[0].items() if k not in ("shard", "git_commit", "versions")}
    record["shards"] = [str(s) for s in shards]
    if not all(r.get("available") for r in records) and any(r.get("available") for r in records):
        raise ValueError(f"{out}: {name} is available in some shards and not in others; rerun its shards")
    merged["stand_in"] = bool(record.get("stand_in"))
    write_csv(out, merged)
    write_json(sidecar(out), provenance(**record))
