from ddr.pipeline.runtime import setup
from ddr.pipeline.scores import score_feature_domain, score_pixel_domain

setup(snakemake)
if "backbone" in snakemake.wildcards.keys():
    score_pixel_domain(snakemake.input.shards, snakemake.input.labels, snakemake.output[0])
else:
    score_feature_domain(snakemake.input.shards, snakemake.input.weights, snakemake.input.labels, snakemake.output[0])
