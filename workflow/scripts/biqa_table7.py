from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa.tables import write_table7  # noqa: E402

params = snakemake.params
real = {d: tuple(files) for d, files in params.real.items() if files}  # dataset -> (pddr, iddr), or none at all
write_table7(params.datasets, params.encoders[0], params.ddr, params.type_sets, params.default_types,
             Path(params.stems["table7"]), params.notes, params.n_boot, params.seed, params.confidence,
             real_weights=real or None, heldout_fraction=params.heldout_fraction)
