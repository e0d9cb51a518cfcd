from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.biqa.tables import write_table7  # noqa: E402

params = snakemake.params
real = list(snakemake.input.real)  # (pddr, iddr) per ablation dataset, or nothing
inputs = iter([f for f in snakemake.input if f not in real])  # dataset by dataset, encoder by encoder (see the rule)
files = {d: {e: next(inputs) for e in params.encoders} for d in params.datasets}
write_table7(params.datasets, params.encoders[0], files, params.type_sets, params.default_types,
             Path(snakemake.output[0]).with_suffix(""), params.notes, params.n_boot, params.seed, params.confidence,
             real_weights={d: (real[2 * i], real[2 * i + 1]) for i, d in enumerate(params.datasets)} if real else None,
             heldout_fraction=params.heldout_fraction)
