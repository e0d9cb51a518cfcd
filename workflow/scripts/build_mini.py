from ddr.data.mini import build_mini
from ddr.pipeline.runtime import setup

setup(snakemake)
build_mini(snakemake.params.root, snakemake.params.mini)
