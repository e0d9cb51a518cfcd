# Restoration: DDR as a training loss (Tables 4, 5, 6; Figures 5, 6, 8, 9, 10).
#   pairs (per task and dataset) -> one training per (task, dataset, network, loss, variant, seed), resumable from
#   its checkpoints -> one evaluation per trained model (the dataset's protocol) -> tables and crop figures.
# Which runs exist is a pure function of config["restoration"] (ddr.workflow.restoration_plan, file names in
# ddr.workflow.restoration_dag), so the paper profile is planned without its data.

from ddr.workflow.config import restoration_section
from ddr.workflow.restoration_dag import RestorationDAG

# checked with the rest of the config in the Snakefile; its DDR term takes the shared ddr.types
RDAG = RestorationDAG(restoration_section(config), config["clip"], RESULTS, DATA)

RUN_PATH = "{task}/{dataset}/{network}/{loss}/{variant}/seed{seed}"


wildcard_constraints:
    task="deblur|sr",
    network="[A-Za-z0-9_.-]+",
    loss=r"[a-z0-9_]+(?:\+[a-z0-9_]+)*",
    variant="[A-Za-z0-9_.-]+",
    seed="[0-9]+",


rule restoration_pairs:
    input:
        RDAG.pairs_source,
    output:
        LAYOUT.restoration_pairs("{task}", "{dataset}"),
    params:
        options=RDAG.pair_options,
        mini_root=LAYOUT.mini_root,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/pairs_{{task}}_{{dataset}}.tsv",
    log:
        f"{LOGS}/restoration/pairs_{{task}}_{{dataset}}.log",
    script:
        "../scripts/restoration_pairs.py"


# One training run; resumable: a killed job restarts from the newest checkpoint in <run>/checkpoints/ (not a
# declared output, so Snakemake keeps it), and a run whose parameters changed starts afresh.
rule restoration_train:
    input:
        pairs=RDAG.pairs_of,
        weights=RDAG.ddr_weights,
    output:
        model=f"{LAYOUT.restoration_train_dir(RUN_PATH)}/model_final.pt",
        summary=f"{LAYOUT.restoration_train_dir(RUN_PATH)}/train.json",
    params:
        run=RDAG.run_dict,
        settings=RDAG.settings,
        schedule=RDAG.schedule,
        recipe=RDAG.recipe,
        cfg=RDAG.train_config,
    threads: RDAG.resource("train", "threads", 1)
    resources:
        gpu=RDAG.resource("train", "gpu", 0),
        mem_mb=RDAG.resource("train", "mem_mb", 4000),
        runtime=RDAG.resource("train", "runtime", 60),
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/train/{RUN_PATH}.tsv",
    log:
        f"{LOGS}/restoration/train/{RUN_PATH}.log",
    script:
        "../scripts/restoration_train.py"


rule restoration_eval:
    input:
        model=rules.restoration_train.output.model,
        summary=rules.restoration_train.output.summary,
        pairs=RDAG.pairs_of,
    output:
        metrics=f"{LAYOUT.restoration_eval_dir(RUN_PATH)}/metrics.csv",
        summary=f"{LAYOUT.restoration_eval_dir(RUN_PATH)}/summary.json",
    params:
        run=RDAG.run_dict,
        options=RDAG.eval_options,
        protocol=RDAG.protocol,
        save=RDAG.saved_images,
    threads: RDAG.resource("eval", "threads", 1)
    resources:
        gpu=RDAG.resource("eval", "gpu", 0),
        mem_mb=RDAG.resource("eval", "mem_mb", 4000),
        runtime=RDAG.resource("eval", "runtime", 60),
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/eval/{RUN_PATH}.tsv",
    log:
        f"{LOGS}/restoration/eval/{RUN_PATH}.log",
    script:
        "../scripts/restoration_eval.py"


rule restoration_input_metrics:
    input:
        pairs=RDAG.pairs_of,
    output:
        metrics=f"{LAYOUT.restoration_input_dir('{task}', '{dataset}')}/metrics.csv",
        summary=LAYOUT.restoration_input_summary("{task}", "{dataset}"),
    params:
        protocol=RDAG.protocol,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/input_{{task}}_{{dataset}}.tsv",
    log:
        f"{LOGS}/restoration/input_{{task}}_{{dataset}}.log",
    script:
        "../scripts/restoration_eval.py"


# One job writes every table, one draws every figure: each is cheap, a job apiece would mostly pay Python's start-up.
rule restoration_tables:
    input:
        runs=RDAG.all_eval_summaries(),
        inputs=RDAG.all_input_summaries(),
        table6=RDAG.table6_summaries(),
        paper4=artifact("table4").paper,
        paper5=artifact("table5").paper,
    output:
        report(RDAG.table_outputs(), caption="../report/restoration_tables.rst", category="Restoration"),
    params:
        tables=RDAG.table_jobs(),  # table key -> the stem its files are written to
        restoration=RDAG.cfg,
        clip=config["clip"],
        profile=PROFILE,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/tables.tsv",
    log:
        f"{LOGS}/restoration/tables.log",
    script:
        "../scripts/restoration_tables.py"


rule restoration_figures:
    input:
        runs=RDAG.figure_inputs("summaries"),
        inputs=RDAG.figure_inputs("input"),
        pairs=RDAG.figure_inputs("pairs"),
    output:
        report(RDAG.figure_outputs(), caption="../report/restoration_figures.rst", category="Restoration"),
    params:
        jobs=RDAG.figure_jobs(),
        profile=PROFILE,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/restoration/figures.tsv",
    log:
        f"{LOGS}/restoration/figures.log",
    script:
        "../scripts/restoration_figures.py"


STAGE_TARGETS["restoration"] = RDAG.stage_targets
