from pathlib import Path

from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.report import write_restoration_figure  # noqa: E402

for fig, job in snakemake.params.jobs.items():  # job["stem"]: the figure's files without suffix (the rule's outputs)
    write_restoration_figure(fig, job["figure"], job["runs"], job["summaries"], job["input"], job["pairs"],
                             Path(job["stem"]), snakemake.params.profile)
