# Notebooks: executed against this profile's results after every other stage, saved with their outputs in
# results/<profile>/notebooks (open them with `make lab`). Include this file last: it waits for every stage.

NOTEBOOK_STAGES = list(STAGE_TARGETS.values())  # the stages included before this file
NOTEBOOKS = ["biqa"] + (["restoration"] if RDAG.enabled else [])


rule notebook:
    input:
        notebook="notebooks/{name}.ipynb",
        results=lambda wildcards: [target for stage in NOTEBOOK_STAGES for target in stage()],
    output:
        report(LAYOUT.notebook("{name}"), caption="../report/notebooks.rst", category="Notebooks"),
    params:
        results=lambda wildcards: LAYOUT.results,  # a function: the linter takes a plain prefix for a file path
    wildcard_constraints:
        name="|".join(NOTEBOOKS),
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/notebooks/{{name}}.tsv",
    log:
        f"{LOGS}/notebooks/{{name}}.log",
    script:
        "../scripts/execute_notebook.py"


STAGE_TARGETS["notebooks"] = lambda: [LAYOUT.notebook(name) for name in NOTEBOOKS]
