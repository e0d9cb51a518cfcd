"""CLIP weights for the pipeline, under the stand-in policy of DESIGN.md.

The configured release is fetched into the cache with its checksum; when that is impossible (offline, or
downloads disabled) the run goes on with a seeded random CLIP and the record says so, with the reason, so every
downstream table and figure carries the stand-in warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ddr.backbones import Backbone, BackboneSpec, WeightsUnavailable, load_backbone
from ddr.backbones import clip
from ddr.util.hashing import sha256_file


def _checkpoint(path: str | Path) -> str:
    return BackboneSpec("openai-checkpoint", path=str(path)).format()


def _obtain(requested: BackboneSpec, download: bool) -> dict[str, Any]:
    if requested.pretrained == "openai" and clip.openai_weights_url(requested.arch):
        path = clip.fetch_openai_weights(requested.arch, allow_download=download)  # cache first, then verified
        return {"spec": _checkpoint(path), "sha256": sha256_file(path)}
    if not download:
        raise WeightsUnavailable("clip.download is false")
    load_backbone(requested)  # open_clip's own cache
    return {"spec": requested.format(), "sha256": None}


def resolve_clip_weights(arch: str, pretrained: str, download: bool, stand_in_seed: int,
                         checkpoint: str | None = None) -> dict[str, Any]:
    """A record {spec, requested, stand_in, reason, sha256} naming the backbone every CLIP rule loads.

    `checkpoint` (config clip.checkpoints, e.g. a tiny test checkpoint for the release-replica run) replaces the
    release: it is used as is and labelled a stand-in, since it is not the released weights.
    """
    spec = BackboneSpec.from_config(arch, pretrained)
    requested = spec.format()
    if checkpoint:
        return {"spec": _checkpoint(checkpoint), "requested": requested, "stand_in": True,
                "reason": f"{requested} replaced by the checkpoint {Path(checkpoint).name} (clip.checkpoints)",
                "sha256": sha256_file(checkpoint)}
    try:
        return {**_obtain(spec, download), "requested": requested, "stand_in": False, "reason": ""}
    except WeightsUnavailable as error:
        return {"spec": BackboneSpec("clip-random", arch=arch, seed=stand_in_seed).format(), "requested": requested,
                "stand_in": True,
                "reason": f"{requested} unavailable ({error}); seeded random {arch} used instead", "sha256": None}


def backbone_from_record(record: dict[str, Any] | str | Path) -> Backbone:
    """Load the backbone a weights record names, carrying its stand-in flag and reason into the provenance."""
    if not isinstance(record, dict):
        record = json.loads(Path(record).read_text())
    backbone = load_backbone(record["spec"])
    if record.get("stand_in"):
        backbone.info.stand_in = True
        backbone.info.reason = record.get("reason", "")
    else:
        backbone.info.spec = record.get("requested", backbone.info.spec)
    return backbone


def stand_in_warning(records_dir: str | Path) -> str:
    """The end-of-run warning when any weights record in `records_dir` (<results>/weights) is a stand-in ("" when
    none is): in plain words first, then each record's exact reason (it says where to place the real weights)."""
    from ddr.reporting.captions import stand_in_words
    from ddr.workflow.encoders import files_encoder

    records = [(path.stem, record) for path in sorted(Path(records_dir).glob("*.json"))
               if (record := json.loads(path.read_text())).get("stand_in")]
    if not records:
        return ""
    used = "; ".join(stand_in_words({"backbone": r.get("spec"), "stand_in_reason": r.get("reason")})
                     for _, r in records)
    details = "; ".join(f"{stem}: {r.get('reason', '')}" for stem, r in records)
    names = ", ".join(files_encoder(stem, stand_in=True) for stem, _ in records)
    return (f"WARNING: {Path(records_dir).parent} were computed with STAND-IN WEIGHTS ({used}): not replication "
            f"results. Their feature and score files say so ({names}). Details: {details}")
