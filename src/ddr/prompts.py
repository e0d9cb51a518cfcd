"""The paper's prompt pairs, verbatim (grammar included: they are part of the method)."""

from __future__ import annotations

# type -> (clean prompt P+, degraded prompt P-)
PROMPTS: dict[str, tuple[str, str]] = {
    "blur": ("A sharp photo with high-quality.", "A blurry photo with low-quality."),
    "color": ("A real color photo with high-quality.", "A unnatural color photo with low-quality."),
    "noise": ("A clean photo with high-quality.", "A noise degraded photo with low-quality."),
    "exposure": ("A natural exposure photo with high-quality.", "A unnatural exposure photo with low-quality."),
    "content": ("A clear content photo with high-quality.", "A bad content photo with low-quality."),
}

DEFAULT_TYPES: tuple[str, ...] = ("blur", "color", "noise", "exposure")


def resolve_prompts(
    types: list[str] | tuple[str, ...] | None = None,
    custom: dict[str, tuple[str, str]] | None = None,
) -> dict[str, tuple[str, str]]:
    """Return the ordered {type: (clean, degraded)} pairs to use.

    `custom` adds or overrides pairs so users can try their own degradation vocabulary.
    """
    table = dict(PROMPTS)
    for name, pair in (custom or {}).items():
        if len(pair) != 2 or not all(isinstance(p, str) and p for p in pair):
            raise ValueError(f"prompt pair for {name!r} must be two non-empty strings (clean, degraded)")
        table[name] = (pair[0], pair[1])
    if types is None:
        types = list(DEFAULT_TYPES) + [t for t in (custom or {}) if t not in DEFAULT_TYPES]
    unknown = [t for t in types if t not in table]
    if unknown:
        raise ValueError(f"unknown degradation type(s) {unknown}; known: {sorted(table)}")
    if not types:
        raise ValueError("at least one degradation type is required")
    return {t: table[t] for t in types}
