"""Write a table three ways: CSV for machines, Markdown for the README and notebooks, LaTeX for the paper.

The LaTeX copy is the one pasted into a paper: booktabs rules, numbers right-aligned, and only short cells. Text
columns with prose (parameter descriptions, reasons) stay in the CSV and Markdown and are listed, row by row, in the
provenance JSON under `latex_omitted`. No copy shows a machine path (`ddr.reporting.machine_paths`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ddr.reporting.captions import as_records, full_caption
from ddr.reporting.machine_paths import portable_frame, without_machine_paths
from ddr.util.atomic import write_csv, write_json, write_text
from ddr.util.provenance import provenance as base_provenance

# characters: a text column with a longer cell is prose, left out of the LaTeX table (kept in CSV/Markdown/provenance)
LATEX_MAX_CELL = 40
# columns that name a row (the first column always does): kept in the LaTeX table however long their cells
ROW_KEYS = ("dataset", "method", "measure", "factor", "setting", "quantity", "task", "network", "loss")
MISSING = "n/a"
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Plain text as LaTeX source (the ten special characters escaped)."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in str(text))


def _shown(frame: pd.DataFrame, bold_columns: Sequence[str], higher_is_better: bool, fmt: str,
           bold: Callable[[str], str]) -> pd.DataFrame:
    """Copy of `frame` with numbers formatted, missing numbers as n/a, missing text empty, and the best value of
    each bold column marked by `bold` (per column)."""
    shown = frame.copy().astype(object)
    for column in frame.columns:
        if column in bold_columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            best = values.max() if higher_is_better else values.min()
            shown[column] = [MISSING if pd.isna(v) else bold(fmt.format(v)) if v == best else fmt.format(v)
                             for v in values]
        elif pd.api.types.is_numeric_dtype(frame[column]):
            shown[column] = [MISSING if pd.isna(v) else fmt.format(v) for v in frame[column]]
        else:  # an empty text cell (no weights for a hand-crafted method) reads empty, not "nan"
            shown[column] = ["" if not isinstance(v, str) and pd.isna(v) else v for v in frame[column]]
    return shown


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell == MISSING
    return True


def latex_table(frame: pd.DataFrame, title: str, caption: str, label: str, bold_columns: Sequence[str] = (),
                higher_is_better: bool = True, number_format: str = "{:.4f}") -> tuple[str, list[str]]:
    """(booktabs LaTeX source, the prose columns left out of it). Row labels (the first column and ROW_KEYS) are
    always kept; number columns are right-aligned."""
    shown = _shown(frame, bold_columns, higher_is_better, number_format, bold=lambda s: f"\\textbf{{{s}}}")
    cells = {column: [str(v) for v in shown[column]] for column in shown.columns}  # _shown leaves no NaN
    prose = [c for c in list(shown.columns)[1:]
             if c not in ROW_KEYS and any(len(v) > LATEX_MAX_CELL for v in cells[c])]
    kept = [c for c in shown.columns if c not in prose]
    numeric = {c: bool(cells[c]) and all(_is_number(v.removeprefix("\\textbf{").removesuffix("}"))
                                         for v in cells[c] if v) for c in kept}
    body = pd.DataFrame({latex_escape(c): [v if c in bold_columns else latex_escape(v) for v in cells[c]]
                         for c in kept})
    note = (f" Not shown here (text; see {label.removeprefix('tab:')}.csv): {', '.join(prose)}." if prose else "")
    source = body.to_latex(index=False, escape=False, column_format="".join("r" if numeric[c] else "l" for c in kept),
                           caption=latex_escape(f"{title}. {caption}{note}"), label=label)
    return source, prose


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
    text = without_machine_paths(full_caption(caption, records))
    frame = portable_frame(frame)
    write_csv(stem.with_suffix(".csv"), frame)
    md_frame = _shown(frame, bold_columns, higher_is_better, number_format, bold=lambda s: f"**{s}**")
    write_text(stem.with_suffix(".md"), f"### {title}\n\n{md_frame.to_markdown(index=False)}\n\n{text}\n")
    latex, prose = latex_table(frame, title, text, f"tab:{stem.name}", bold_columns, higher_is_better, number_format)
    write_text(stem.with_suffix(".tex"), latex)
    keys = [c for c in frame.columns if c == frame.columns[0] or c in ROW_KEYS]
    cells = frame[[*keys, *prose]].astype(object)
    omitted = cells.where(cells.notna(), None).to_dict(orient="records") if prose else []  # JSON null, not NaN
    write_json(stem.with_suffix(".provenance.json"),
               base_provenance(title=title, caption=text, sources=records,
                               **({"latex_omitted": omitted} if omitted else {})))
    return [stem.with_suffix(s) for s in (".csv", ".md", ".tex", ".provenance.json")]


def paper_vs_ours(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Long table: keys, quantity, paper, ours, ours - paper (only rows the paper published)."""
    ours_long = ours.melt(id_vars=list(keys), value_vars=list(values), var_name="quantity", value_name="ours")
    paper_long = paper.melt(id_vars=list(keys), value_vars=list(values), var_name="quantity", value_name="paper")
    merged = paper_long.merge(ours_long, on=[*keys, "quantity"], how="left")
    merged["ours - paper"] = merged["ours"] - merged["paper"]
    return merged[[*keys, "quantity", "paper", "ours", "ours - paper"]]
