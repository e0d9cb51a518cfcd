# DDR replication: dataset download -> features (cached, sharded) -> DDR scores -> attribute correlations ->
# BIQA evaluation -> restoration experiments -> every table and figure.
#   snakemake --cores all                                   # mini profile (default, offline)
#   snakemake --cores all --configfile config/paper.yaml    # full replication
# All logic lives in src/ddr; rules only wire files to library calls.

from snakemake.exceptions import WorkflowError

from ddr.data.registry import RegistryError, load_registry
from ddr.workflow.config import ConfigError, check_config, config_source


configfile: "config/config.yaml"


# `make report` (snakemake --report results/<profile>/report.html): this page, then every table and figure
report: "workflow/report/workflow.rst"


# the one place the configuration is checked (schema, dataset names, cross-key rules); errors name the files
_CONFIG_SOURCE = config_source(workflow.overwrite_configfiles, cli_overrides=bool(workflow.config_settings.config))
try:
    check_config(config, set(load_registry(config["datasets_registry"]).names()), source=_CONFIG_SOURCE)
except (ConfigError, RegistryError) as error:
    raise WorkflowError(str(error))


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/attributes.smk"
include: "workflow/rules/biqa.smk"
include: "workflow/rules/restoration.smk"
include: "workflow/rules/dvc.smk"
include: "workflow/rules/notebooks.smk"  # last: the notebooks read every stage's results


# One named input per stage: a stage waiting for the clip_weights checkpoint leaves the others planned (dry runs show
# every job that does not depend on which CLIP weights were used).
rule all:
    input:
        **{stage: stage_input(stage) for stage in STAGE_TARGETS},
    default_target: True


# One target rule per stage, e.g. `snakemake --cores all stage_biqa` (its inputs: that stage's final files).
for _stage in STAGE_TARGETS:

    rule:
        name:
            f"stage_{_stage}"
        input:
            stage_input(_stage),
        localrule: True


onsuccess:
    # the last lines of a run say whether its numbers came from stand-in weights (see README "Weights")
    from snakemake.logging import logger

    from ddr.pipeline.weights import stand_in_warning

    _warning = stand_in_warning(f"{RESULTS}/weights")
    if _warning:
        logger.warning(_warning)
