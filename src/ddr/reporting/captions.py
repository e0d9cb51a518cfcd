"""Caption text shared by tables and figures: the stand-in warning comes first, always."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ddr.provenance import stand_in_note


def as_records(provenance: Mapping | Iterable[Mapping] | None) -> list[dict]:
    if provenance is None:
        return []
    if isinstance(provenance, Mapping):
        return [dict(provenance)]
    return [dict(p) for p in provenance]


def full_caption(caption: str, provenance) -> str:
    """'STAND-IN WEIGHTS ...' (when any source used stand-in weights) followed by the caption."""
    note = stand_in_note(as_records(provenance))
    return f"{note}. {caption}" if note else caption
