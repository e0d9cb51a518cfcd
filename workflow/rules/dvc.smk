# The files dvc.yaml declares, so that `dvc metrics diff` / `dvc plots diff` compare two runs: every result
# table's numbers as one JSON metrics file, and the restoration training curves as one CSV.

DVC_VIEW_STAGES = list(STAGE_TARGETS.values())  # the stages included before this file


rule dvc_view:
    input:
        lambda wildcards: [target for stage in DVC_VIEW_STAGES for target in stage()],
    output:
        metrics=LAYOUT.dvc_metrics(),
        curves=LAYOUT.dvc_curves(),
    params:
        tables=LAYOUT.tables,
        runs=f"{LAYOUT.restoration}/runs",
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/dvc_view.tsv",
    log:
        f"{LOGS}/dvc_view.log",
    script:
        "../scripts/dvc_view.py"


STAGE_TARGETS["dvc"] = lambda: [LAYOUT.dvc_metrics(), LAYOUT.dvc_curves()]
