"""notebooks/restoration.ipynb runs top to bottom against the mini profile's results."""

from __future__ import annotations

import pytest

from conftest import REPO, execute_notebook, notebook_is_clean

NOTEBOOK = REPO / "notebooks" / "restoration.ipynb"


def test_notebook_is_committed_without_outputs():
    assert notebook_is_clean(NOTEBOOK)


@pytest.mark.slow
def test_notebook_executes_against_the_mini_results(mini_run):
    results = mini_run / "results" / "mini"
    outputs = execute_notebook(NOTEBOOK, mini_run, results)
    text = "\n".join(o.get("text", "") for o in outputs)
    assert str(results) in text
    assert "training wall time, all runs" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6  # the training curves and the five crop figures
