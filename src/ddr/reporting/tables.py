"""Write a table three ways: CSV for machines, Markdown for the README and notebooks, LaTeX for the paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ddr.atomic import write_csv, write_json, write_text
from ddr.provenance import provenance as base_provenance
from ddr.reporting.captions import as_records, full_caption


def _bold_best(frame: pd.DataFrame, columns: Sequence[str], higher_is_better: bool, fmt: str, latex: bool):
    """String copy of `frame` with the best value of each column in bold (per column)."""
    shown = frame.copy().astype(object)
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        best = values.max() if higher_is_better else values.min()
        shown[column] = [
            ("" if pd.isna(v) else (f"\\textbf{{{fmt.format(v)}}}" if latex else f"**{fmt.format(v)}**")
             if v == best else fmt.format(v)) if not pd.isna(v) else "n/a"
            for v in values
        ]
    return shown


def write_table(
    frame: pd.DataFrame,
    stem: str | Path,
    title: str,
    caption: str,
    provenance: Mapping | Sequence[Mapping] | None = None,
    number_format: str = "{:.4f}",
    bold_columns: Sequence[str] = (),
    higher_is_better: bool = True,
) -> list[Path]:
    """stem.csv, stem.md, stem.tex and stem.provenance.json; the caption carries the stand-in warning if any."""
    stem = Path(stem)
    records = as_records(provenance)
    text = full_caption(caption, records)
    write_csv(stem.with_suffix(".csv"), frame)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    md_frame = _bold_best(frame, bold_columns, higher_is_better, number_format, latex=False) if bold_columns else frame
    md_frame = md_frame.copy()
    for column in numeric:
        if column not in bold_columns:
            md_frame[column] = [("n/a" if pd.isna(v) else number_format.format(v)) for v in frame[column]]
    write_text(stem.with_suffix(".md"), f"### {title}\n\n{md_frame.to_markdown(index=False)}\n\n{text}\n")
    tex_frame = _bold_best(frame, bold_columns, higher_is_better, number_format, latex=True) if bold_columns else frame
    tex_frame = tex_frame.copy()
    for column in numeric:
        if column not in bold_columns:
            tex_frame[column] = [("n/a" if pd.isna(v) else number_format.format(v)) for v in frame[column]]
    latex = tex_frame.to_latex(index=False, escape=False, caption=_latex_escape(f"{title}. {text}"),
                               label=f"tab:{stem.name}")
    write_text(stem.with_suffix(".tex"), latex)
    write_json(stem.with_suffix(".provenance.json"), base_provenance(title=title, caption=text, sources=records))
    return [stem.with_suffix(s) for s in (".csv", ".md", ".tex", ".provenance.json")]


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#")):
        text = text.replace(char, escaped)
    return text


def paper_vs_ours(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Long table: keys, quantity, paper, ours, ours - paper (only rows the paper published)."""
    ours_long = ours.melt(id_vars=list(keys), value_vars=list(values), var_name="quantity", value_name="ours")
    paper_long = paper.melt(id_vars=list(keys), value_vars=list(values), var_name="quantity", value_name="paper")
    merged = paper_long.merge(ours_long, on=[*keys, "quantity"], how="left")
    merged["ours - paper"] = merged["ours"] - merged["paper"]
    return merged[[*keys, "quantity", "paper", "ours", "ours - paper"]]
