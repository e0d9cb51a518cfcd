from ddr.pipeline.labels import download
from ddr.pipeline.runtime import setup

setup(snakemake)
download(snakemake.wildcards.dataset, snakemake.params.root, snakemake.params.registry, snakemake.output[0])
