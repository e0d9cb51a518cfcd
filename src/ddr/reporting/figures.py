"""Save a matplotlib figure as PNG and PDF, with the stand-in warning drawn on the figure itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ddr.reporting.captions import as_records, full_caption, stand_in_note
from ddr.util.atomic import atomic_path, write_json
from ddr.util.provenance import provenance as base_provenance


def save_figure(fig, stem: str | Path, caption: str, provenance: Mapping | Sequence[Mapping] | None = None,
                dpi: int = 150) -> list[Path]:
    """stem.png, stem.pdf, stem.provenance.json (caption included). Deterministic PNG/PDF metadata."""
    stem = Path(stem)
    records = as_records(provenance)
    note = stand_in_note(records)
    if note:
        fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=7, color="crimson", wrap=True)
    outputs = []
    for suffix, metadata in ((".png", {"Software": None}), (".pdf", {"CreationDate": None, "Producer": None})):
        target = stem.with_suffix(suffix)
        with atomic_path(target) as temporary:
            fig.savefig(temporary, format=suffix[1:], dpi=dpi, bbox_inches="tight", metadata=metadata)
        outputs.append(target)
    write_json(stem.with_suffix(".provenance.json"),
               base_provenance(caption=full_caption(caption, records), sources=records))
    return [*outputs, stem.with_suffix(".provenance.json")]
