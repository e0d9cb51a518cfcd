from ddr.pipeline.labels import write_labels
from ddr.pipeline.runtime import setup

setup(snakemake)
write_labels(snakemake.wildcards.dataset, snakemake.params.data_dir, snakemake.params.registry, snakemake.output[0])
