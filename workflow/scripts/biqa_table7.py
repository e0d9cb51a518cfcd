from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa import write_table7  # noqa: E402

params = snakemake.params
inputs = iter(snakemake.input)  # dataset by dataset, encoder by encoder (see the rule)
files = {d: {e: next(inputs) for e in params.encoders} for d in params.datasets}
write_table7(params.datasets, params.encoders[0], files, params.type_sets, params.default_types,
             Path(snakemake.output[0]).with_suffix(""), params.notes, params.n_boot, params.seed, params.confidence)
