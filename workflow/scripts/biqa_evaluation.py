from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.biqa import evaluate_dataset  # noqa: E402

params = snakemake.params
evaluate_dataset(snakemake.wildcards.dataset, snakemake.input.ddr, snakemake.input.baselines,
                 snakemake.output.evaluation, n_boot=params.n_boot, seed=params.seed, confidence=params.confidence,
                 types=params.types)
