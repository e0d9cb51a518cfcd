from ddr.pipeline.image_directions import score
from ddr.pipeline.runtime import setup

setup(snakemake)
score(snakemake.input.shards, snakemake.input.directions, snakemake.input.labels, snakemake.output[0])
