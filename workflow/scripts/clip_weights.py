from ddr.pipeline.runtime import setup
from ddr.pipeline.weights import resolve_clip_weights
from ddr.util.atomic import write_json

setup(snakemake)
record = resolve_clip_weights(snakemake.wildcards.arch, snakemake.wildcards.tag, snakemake.params.download,
                              snakemake.params.stand_in_seed, snakemake.params.checkpoint)
write_json(snakemake.output[0], record)
