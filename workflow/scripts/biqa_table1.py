from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa.tables import write_table1  # noqa: E402

params = snakemake.params
write_table1(snakemake.input.pddr, snakemake.input.ddr, snakemake.input.baselines, params.dist_type,
             Path(params.stems["table1"]),
             params.notes, params.heldout_fraction, params.n_boot, params.seed, params.confidence, params.types,
             iddr_csv=(snakemake.input.real or [None, None])[1])
