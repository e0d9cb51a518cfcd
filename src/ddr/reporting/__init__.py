"""Tables (CSV, Markdown, LaTeX) and figures (PNG, PDF), each stamped with what produced it."""

from ddr.reporting.figures import save_figure
from ddr.reporting.machine_paths import portable_frame
from ddr.reporting.tables import paper_vs_ours, write_table

__all__ = ["paper_vs_ours", "portable_frame", "save_figure", "write_table"]
