from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.report import write_restoration_tables  # noqa: E402

write_restoration_tables(snakemake.params.tables, snakemake.params.restoration, snakemake.params.clip,
                         snakemake.params.profile, list(snakemake.input.runs), list(snakemake.input.inputs),
                         list(snakemake.input.table6),
                         {"table4": snakemake.input.paper4, "table5": snakemake.input.paper5})
