"""Caption text shared by tables and figures: the stand-in warning comes first, always, in plain words.

The weights code records why a stand-in was used in its own terms (an exception's class, a cache path); a caption or a
figure footer says only which weights were used, in place of which, and the cause in words a reader of the paper
understands. The exact reason stays in the provenance record (`stand_in_reason`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# (markers in a recorded reason, the cause in plain words); the first match wins
_CAUSES = (
    (("URLError", "HTTPError", "ConnectionError", "TimeoutError", "timed out", "gaierror"),
     "no network to download the released weights"),
    (("downloads are disabled", "forbids it"), "downloads turned off for this run (DDR_OFFLINE=1 or clip.download: false)"),
    (("replaced by the checkpoint",), "a checkpoint given in clip.checkpoints"),
    (("download",), "the download of the released weights failed"),
    (("no OpenAI release known",), "no released weights are known for this architecture"),
)
# what the weights code writes when it cannot use what was asked for: '<requested spec> unavailable (...)'
_REQUESTED = re.compile(r"^(\S+:\S+) (?:unavailable|replaced)\b")


def as_records(provenance: Mapping | Iterable[Mapping] | None) -> list[dict]:
    if provenance is None:
        return []
    if isinstance(provenance, Mapping):
        return [dict(provenance)]
    return [dict(p) for p in provenance]


def stand_in_cause(reason: str | None) -> str:
    """Plain words for a recorded stand-in reason."""
    text = str(reason or "")
    for markers, words in _CAUSES:
        if any(marker in text for marker in markers):
            return words
    if text in ("", "requested"):
        return "requested"
    if text.startswith("stand-in"):
        return "randomly initialised"
    return "the released weights could not be loaded (reason in the provenance)"


def stand_in_words(record: Mapping) -> str:
    """'<used> in place of <requested> (<cause>)' for one stand-in record."""
    reason = str(record.get("stand_in_reason") or "")
    requested = _REQUESTED.match(reason)
    instead = f" in place of {requested.group(1)}" if requested else ""
    return f"{record.get('backbone')}{instead} ({stand_in_cause(reason)})"


def stand_in_note(records: Iterable[Mapping]) -> str:
    """The line every table and figure carries when any input came from stand-in weights ('' otherwise)."""
    used = sorted({stand_in_words(r) for r in records if r.get("stand_in")})
    return "STAND-IN WEIGHTS (not replication results): " + "; ".join(used) if used else ""


def full_caption(caption: str, provenance) -> str:
    """'STAND-IN WEIGHTS ...' (when any source used stand-in weights) followed by the caption."""
    note = stand_in_note(as_records(provenance))
    return f"{note}. {caption}" if note else caption
