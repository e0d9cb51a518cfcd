from ddr.backbones import load_backbone
from ddr.pipeline.image_directions import build
from ddr.pipeline.runtime import device, setup

setup(snakemake)
params = snakemake.params
build(load_backbone(snakemake.wildcards.backbone).to(device(params.device)), snakemake.input.labels,
      snakemake.output[0], params.levels, params.n_images, params.seed, params.heldout_fraction, params.batch_size,
      params.split_seed)
