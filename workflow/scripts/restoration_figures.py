from pathlib import Path

from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.report import write_restoration_figure  # noqa: E402

pngs = {Path(p).name.split("_", 1)[0]: Path(p) for p in snakemake.output if p.endswith(".png")}
for fig, job in snakemake.params.jobs.items():
    write_restoration_figure(fig, job["figure"], job["runs"], job["summaries"], job["input"], job["pairs"],
                             pngs[fig].with_suffix(""), snakemake.params.profile)
