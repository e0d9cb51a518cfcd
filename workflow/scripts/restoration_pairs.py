from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.protocols import prepare_pairs  # noqa: E402

wc = snakemake.wildcards
prepare_pairs(wc.task, wc.dataset, snakemake.output[0], snakemake.params.options,
              labels_csv=None if wc.dataset == "mini" else snakemake.input[0], mini_root=snakemake.params.mini_root)
