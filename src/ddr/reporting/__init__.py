"""Tables (CSV, Markdown, LaTeX) and figures (PNG, PDF), each stamped with what produced it."""

from ddr.reporting.figures import save_figure
from ddr.reporting.tables import paper_vs_ours, write_table

__all__ = ["paper_vs_ours", "save_figure", "write_table"]
