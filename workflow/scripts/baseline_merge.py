from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.baseline_scores import merge_shards  # noqa: E402

n = len(snakemake.input.shards) // len(snakemake.params.baselines)
for i, out in enumerate(snakemake.output.scores):  # shards are listed baseline by baseline
    merge_shards(snakemake.input.shards[i * n : (i + 1) * n], snakemake.input.labels, out)
