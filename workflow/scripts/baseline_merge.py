from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.baseline_scores import merge_shards  # noqa: E402

for baseline, files in snakemake.params.files.items():  # see the rule
    merge_shards(files["shards"], snakemake.input.labels, files["scores"])
