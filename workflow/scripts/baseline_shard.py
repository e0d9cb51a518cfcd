from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.baseline_scores import score_shard  # noqa: E402
from ddr.pipeline.runtime import device  # noqa: E402

wc, params = snakemake.wildcards, snakemake.params
score_shard(wc.baseline, snakemake.input.labels, int(wc.shard), int(wc.n), snakemake.output.scores,
            weights_json=snakemake.input.weights[0] if snakemake.input.weights else None,
            device=str(device(params.device)), batch_size=params.batch_size)
