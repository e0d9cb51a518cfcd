from pathlib import Path

from ddr.pipeline.labels import download
from ddr.pipeline.runtime import setup

setup(snakemake)
download(snakemake.wildcards.dataset, Path(snakemake.output[0]).parent, snakemake.params.registry, snakemake.output[0])
