from ddr.pipeline.runtime import setup

setup(snakemake)

from pathlib import Path  # noqa: E402

from ddr.pipeline.attributes import merge_attribute_shards, write_table2  # noqa: E402

params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
shards = iter(inputs.shards)  # dataset by dataset (see the rule)
for dataset, n, labels, merged in zip(params.datasets, params.n_shards, inputs.labels, outputs.attributes):
    merge_attribute_shards([next(shards) for _ in range(n)], labels, merged)
stems = (Path(outputs.table2[0]).with_suffix(""), Path(outputs.appendix[0]).with_suffix(""))  # the CSVs come first
write_table2(params.datasets, dict(zip(params.datasets, inputs.ddr)), dict(zip(params.datasets, outputs.attributes)),
             params.label_columns, params.synthetic, params.main, params.computed, params.main_types, stems,
             params.n_boot, params.seed, params.confidence)
