"""notebooks/biqa.ipynb runs top to bottom against the mini profile's results."""

from __future__ import annotations

import pytest

from conftest import REPO, execute_notebook, notebook_is_clean

NOTEBOOK = REPO / "notebooks" / "biqa.ipynb"


def test_notebook_is_committed_without_outputs():
    assert notebook_is_clean(NOTEBOOK)


@pytest.mark.slow
def test_notebook_executes_against_the_mini_results(mini_run):
    results = mini_run / "results" / "mini"
    outputs = execute_notebook(NOTEBOOK, mini_run, results)
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs)
    assert str(results) in text and "held-out choice: DDR_blur pixel" in text
    markdown = "\n".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    for title in ("Table 1", "Table 2", "Table 3", "Table 7"):
        assert f"### {title}" in markdown
    assert "STAND-IN WEIGHTS" in markdown  # the mini profile's CLIP is a stand-in offline
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) == 4  # Figures 1, 2, 4, 7
