"""`make report` on the mini profile: results/mini/report.html has every table, figure and executed notebook of
the run, each with a rendered caption, and the overview page includes the restoration choices (workflow/report/*.rst)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def _embedded(page: str, name: str):
    """The `var <name> = <json>;` of Snakemake's report page (searched after the data scripts begin: the bundled
    JavaScript libraries use such names too)."""
    start = page.index(f"var {name} = ", page.index('<script id="workflow-desc">')) + len(f"var {name} = ")
    return json.JSONDecoder().raw_decode(page, start)[0]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.slow
def test_make_report_lists_every_output_with_a_caption(mini_run):
    venv = Path(sys.executable).parents[1]  # the environment running the tests, never reinstalled here (-o)
    env = {**os.environ, "DDR_OFFLINE": "1", "DDR_CACHE": str(mini_run / ".cache")}
    completed = subprocess.run(["make", "-o", str(venv / ".installed"), "report", f"VENV={venv}", "CORES=2"],
                               cwd=mini_run, env=env, capture_output=True, text=True, timeout=1800)
    assert completed.returncode == 0, completed.stderr[-5000:]
    results = mini_run / "results" / "mini"
    page = (results / "report.html").read_text()
    reported = _embedded(page, "results")
    # one entry per table (its CSV; the .md/.tex copies hold the same numbers), per figure (its PNG), per notebook
    produced = {str(p.relative_to(mini_run)) for pattern in ("tables/*.csv", "figures/*.png", "notebooks/*.ipynb")
                for p in results.glob(pattern)}
    assert any("/tables/" in p for p in produced) and any("/figures/" in p for p in produced)
    assert any("/notebooks/" in p for p in produced)
    missing = sorted(produced - set(reported))
    assert not missing, f"not in the report: {missing}"
    for path, entry in reported.items():
        caption = _text(entry["caption"])
        assert len(caption) > 40, f"{path}: caption {caption!r}"
        assert "()" not in caption and "{{" not in caption, f"{path}: unrendered caption {caption!r}"
    overview = _text(_embedded(page, "workflow_desc"))
    assert "profile mini" in overview
    assert "Restoration experiments: choices the paper does not publish" in overview  # restoration.rst included
    # the run's own log ends with the stand-in warning (the mini profile runs offline on a stand-in CLIP)
    assert "STAND-IN WEIGHTS" in completed.stderr + completed.stdout or _stand_in_logged(mini_run)


def _stand_in_logged(root: Path) -> bool:
    logs = sorted((root / ".snakemake" / "log").glob("*.snakemake.log"))
    return any("STAND-IN WEIGHTS" in log.read_text() for log in logs)


@pytest.mark.slow
def test_dag_executes_the_notebooks_with_outputs(mini_run):
    import nbformat

    executed = sorted((mini_run / "results" / "mini" / "notebooks").glob("*.ipynb"))
    assert [p.name for p in executed] == ["biqa.ipynb", "restoration.ipynb"]
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code and all(c.execution_count for c in code), f"{path.name}: not every cell ran"
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], path.name
        tables = [o for o in outputs if "text/html" in o.get("data", {}) and "<table" in o["data"]["text/html"]]
        assert tables, f"{path.name}: no table drawn from the result tables"
        assert notebook.metadata["ddr_provenance"]["results"].endswith("results/mini")
