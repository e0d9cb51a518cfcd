from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.notebooks import execute_notebook  # noqa: E402

execute_notebook(snakemake.input.notebook, snakemake.output[0], snakemake.params.results)
