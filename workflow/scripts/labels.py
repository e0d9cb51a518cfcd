from ddr.pipeline.labels import write_labels
from ddr.pipeline.runtime import setup

setup(snakemake)
write_labels(snakemake.wildcards.dataset, snakemake.input[0], snakemake.params.registry, snakemake.output[0])
