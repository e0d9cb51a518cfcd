from pathlib import Path

from ddr.data.mini import build_mini
from ddr.pipeline.runtime import setup

setup(snakemake)
build_mini(Path(snakemake.output[0]).parent, snakemake.params.mini)
