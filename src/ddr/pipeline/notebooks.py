"""Notebooks run by the DAG: each committed notebook (no outputs) is executed against a profile's results and saved
with its outputs under results/<profile>/notebooks, so the browsed figures and tables are part of the run."""

from __future__ import annotations

import os
from pathlib import Path

from ddr.util.atomic import write_text
from ddr.util.provenance import provenance


def execute_notebook(source: str | os.PathLike, target: str | os.PathLike, results: str | os.PathLike,
                     workdir: str | os.PathLike = ".", timeout: int = 600) -> None:
    """Run `source` top to bottom with DDR_RESULTS=`results` (the notebooks' one input), working directory
    `workdir`; write the executed copy to `target` atomically, its provenance in the notebook metadata."""
    import nbclient
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    previous = os.environ.get("DDR_RESULTS")
    os.environ["DDR_RESULTS"] = str(Path(results).resolve())  # the kernel inherits the environment
    try:
        nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(Path(workdir).resolve())}}).execute()
    finally:
        if previous is None:
            os.environ.pop("DDR_RESULTS", None)
        else:
            os.environ["DDR_RESULTS"] = previous
    notebook.metadata["ddr_provenance"] = provenance(notebook=str(source), results=str(results))
    write_text(target, nbformat.writes(notebook))
