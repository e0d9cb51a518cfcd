from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.dvc_view import write_dvc_view  # noqa: E402

write_dvc_view(snakemake.params.tables, snakemake.params.runs, snakemake.output.metrics, snakemake.output.curves)
