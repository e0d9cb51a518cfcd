from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.attributes import merge_attribute_shards, write_table2  # noqa: E402

params = snakemake.params
files = params.files  # dataset -> {"ddr", "labels", "merged", "shards"} (see the rule)
for dataset in params.datasets:
    merge_attribute_shards(files[dataset]["shards"], files[dataset]["labels"], files[dataset]["merged"])
stems = tuple(Path(stem) for stem in params.stems)  # the main table and the appendix
write_table2(params.datasets, {d: files[d]["ddr"] for d in params.datasets},
             {d: files[d]["merged"] for d in params.datasets},
             params.label_columns, params.synthetic, params.main, params.computed, params.main_types, stems,
             params.n_boot, params.seed, params.confidence)
