from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.attributes import attribute_shard  # noqa: E402

wc = snakemake.wildcards
attribute_shard(snakemake.input.labels, int(wc.shard), int(wc.n), snakemake.output[0])
