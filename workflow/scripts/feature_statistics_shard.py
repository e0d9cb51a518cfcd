from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.biqa.descriptor_figures import feature_statistics_shard  # noqa: E402
from ddr.pipeline.runtime import device  # noqa: E402

wc, params = snakemake.wildcards, snakemake.params
feature_statistics_shard(snakemake.input.labels, int(wc.shard), int(wc.n), snakemake.output.stats, params.vgg,
                         params.vgg_layers, params.fallback_blocks, str(device(params.device)))
