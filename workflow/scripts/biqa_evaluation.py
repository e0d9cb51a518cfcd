from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.biqa.tables import evaluate_dataset  # noqa: E402

params = snakemake.params
evaluate_dataset(snakemake.wildcards.dataset, snakemake.input.ddr, snakemake.input.baselines,
                 snakemake.output.evaluation, n_boot=params.n_boot, seed=params.seed, confidence=params.confidence,
                 types=params.types, pddr_csv=(snakemake.input.real or [None])[0],
                 iddr_csv=(snakemake.input.real or [None, None])[1], heldout_fraction=params.heldout_fraction)
