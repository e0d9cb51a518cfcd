from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa.tables import write_table3  # noqa: E402

params = snakemake.params
write_table3(snakemake.input.evaluations, Path(params.folders["tables"]), snakemake.input.paper, params.notes,
             params.n_boot, params.confidence)
