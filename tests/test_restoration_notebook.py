"""notebooks/restoration.ipynb runs top to bottom against the mini profile's results."""

from __future__ import annotations

import json

import pytest

from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "restoration.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c.get("execution_count") is None for c in code)


@pytest.mark.slow
def test_notebook_executes_against_the_mini_results(mini_run, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("DDR_RESULTS", str(mini_run / "results" / "mini"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(mini_run)}}).execute()
    text = "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert str(mini_run / "results" / "mini") in text
    assert "training wall time, all runs" in text
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) >= 6  # the training curves and the five crop figures
