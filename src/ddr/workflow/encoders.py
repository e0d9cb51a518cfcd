"""The name feature and score files carry for a CLIP encoder: honest about the weights that were used.

Why: whether the released weights or a stand-in ends up behind a CLIP request is known only when the clip_weights
job has run (a failed download falls back to a seeded random CLIP, DESIGN.md). Files computed on a stand-in must not
be called `ddr_ViT-B-32+openai.csv`; they are `ddr_ViT-B-32+standin-for-openai.csv`, and the DAG names them from
the weights record (a Snakemake checkpoint). The record itself keeps the requested name (`weights/ARCH+TAG.json`):
it is the answer to that request. Light: no torch, no Snakemake.
"""

from __future__ import annotations

import json
from pathlib import Path

STAND_IN_PREFIX = "standin-for-"  # ARCH+standin-for-TAG: computed on a stand-in for the requested ARCH+TAG


class EncoderNameError(ValueError):
    """A file named for one kind of weights was asked to hold results of another."""


def _split(encoder: str) -> tuple[str, str, str]:
    from ddr.backbones.spec import TAG_SEPARATOR  # the spec module's package imports torch: only when called

    arch, _, tag = encoder.partition(TAG_SEPARATOR)
    return arch, TAG_SEPARATOR, tag


def files_encoder(requested: str, stand_in: bool) -> str:
    """'ViT-B-32+openai' -> itself for the released weights, 'ViT-B-32+standin-for-openai' for a stand-in."""
    arch, plus, tag = _split(requested)
    return f"{arch}{plus}{STAND_IN_PREFIX}{tag}" if stand_in else requested


def requested_encoder(encoder: str) -> str:
    """The inverse of files_encoder: the request whose weights record a files' encoder name comes from."""
    arch, plus, tag = _split(encoder)
    return f"{arch}{plus}{tag.removeprefix(STAND_IN_PREFIX)}"


def is_stand_in_name(encoder: str) -> bool:
    return _split(encoder)[2].startswith(STAND_IN_PREFIX)


def read_record(record_path: str | Path) -> dict:
    return json.loads(Path(record_path).read_text())


def encoder_of_record(record_path: str | Path) -> str:
    """The files' encoder name a weights record (results/<profile>/weights/ARCH+TAG.json) stands for."""
    return files_encoder(Path(record_path).name.removesuffix(".json"), bool(read_record(record_path).get("stand_in")))


def check_encoder_name(record_path: str | Path, encoder: str) -> None:
    """Refuse to write results under a name that claims other weights than the record's (e.g. a record redone
    with the real weights after the DAG was planned on a stand-in): the job fails and a rerun plans anew."""
    expected = encoder_of_record(record_path)
    if expected != encoder:
        raise EncoderNameError(f"{record_path}: the weights record is for {expected!r}, not {encoder!r} (the record "
                               "changed after the run was planned); run snakemake again")
