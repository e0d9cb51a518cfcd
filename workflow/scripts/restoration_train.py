from ddr.pipeline.runtime import setup

setup(snakemake)

from ddr.pipeline.restoration.jobs import train_run  # noqa: E402
from ddr.workflow.restoration_plan import Run  # noqa: E402

weights = snakemake.input.weights  # the CLIP weights record, only for runs with a DDR term
weights = [weights] if isinstance(weights, str) else list(weights)
train_run(Run(**snakemake.params.run), snakemake.params.cfg, snakemake.params.settings, snakemake.output.summary,
          weights_json=weights[0] if weights else None, recipe_info=snakemake.params.recipe)
