from pathlib import Path

from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.report import write_restoration_tables  # noqa: E402

outputs = [Path(p) for p in snakemake.output if p.endswith(".csv")]
stems = [p.stem for p in outputs if not p.stem.endswith("_paper_vs_ours")]
write_restoration_tables(stems, snakemake.params.restoration, snakemake.params.clip, snakemake.params.profile,
                         list(snakemake.input.runs), list(snakemake.input.inputs), list(snakemake.input.table6),
                         {"table4": snakemake.input.paper4, "table5": snakemake.input.paper5},
                         outputs[0].parent if outputs else ".")
