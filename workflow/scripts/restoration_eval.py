from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.jobs import evaluate_input, evaluate_run  # noqa: E402
from ddr.workflow.restoration_plan import Run  # noqa: E402

out_dir = snakemake.output.summary.rsplit("/", 1)[0]
if snakemake.rule == "restoration_input_metrics":
    evaluate_input(snakemake.wildcards.task, snakemake.wildcards.dataset, snakemake.input.pairs, out_dir,
                   snakemake.params.protocol)
else:
    evaluate_run(Run(**snakemake.params.run), snakemake.input.model, snakemake.input.summary, snakemake.input.pairs,
                 out_dir, snakemake.params.options, snakemake.params.protocol, snakemake.params.save)
