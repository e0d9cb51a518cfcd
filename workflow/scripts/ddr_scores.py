from ddr.pipeline.runtime import setup
from ddr.pipeline.scores import score_feature_domain, score_pixel_domain
from ddr.workflow.encoders import check_encoder_name

setup(snakemake)
if "backbone" in snakemake.wildcards.keys():
    score_pixel_domain(snakemake.input.shards, snakemake.input.labels, snakemake.output[0])
else:
    check_encoder_name(snakemake.input.weights, f"{snakemake.wildcards.arch}+{snakemake.wildcards.tag}")
    score_feature_domain(snakemake.input.shards, snakemake.input.weights, snakemake.input.labels, snakemake.output[0])
