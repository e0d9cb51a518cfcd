# BIQA evaluation and DDR as a descriptor (Tables 1, 3, 7; Figures 1, 2, 4, 7).
#   baselines: one job per (dataset, baseline, shard), sharded like the features, merged per dataset
#   -> per-dataset evaluation (SRCC/KRCC/PLCC + bootstrap CIs) -> Table 3 (+ paper vs ours)
#   blur subset -> Table 1; cached DDR_d columns of one or more encoders -> Table 7; cached scores -> figures.
# Every path comes from ddr.workflow.layout (a function of the config alone: the paper profile plans without data).

from ddr.workflow import biqa_plan
from ddr.pipeline.baseline_scores import model_state as baseline_model_state

BIQA = config["biqa"]
BIQA_NOTES = biqa_plan.label_notes(
    sorted({*BIQA["datasets"], BIQA["blur_subset"]["dataset"], *BIQA["ablation_datasets"]}), REGISTRY
)
ABLATION_ENCODERS = [clip_encoder(), *[e for e in BIQA["ablation_backbones"] if e != clip_encoder()]]
TABLE7_REAL = {d: LAYOUT.real_weights(config, d) for d in BIQA["ablation_datasets"]}


wildcard_constraints:
    baseline="niqe|piqe|brisque|clipiqa|clipiqarn50|ilniqe",


rule baseline_shard:
    input:
        labels=LAYOUT.labels("{dataset}"),
        weights=lambda wc: [LAYOUT.weights(clip_encoder())] if wc.baseline == "clipiqa" else [],
    output:
        scores=LAYOUT.baseline_shard("{dataset}", "{baseline}", "{shard}", "{n}"),
        provenance=provenance(LAYOUT.baseline_shard("{dataset}", "{baseline}", "{shard}", "{n}")),
    params:
        batch_size=BIQA["baseline_batch_size"],
        device=config["features"]["device"],
        model=lambda wc: baseline_model_state(wc.baseline),  # a placed or refitted IL-NIQE template reruns it
    threads: 1
    resources:
        mem_mb=lambda wc: 8000 if wc.baseline.startswith("clipiqa") else 4000,
        runtime=lambda wc: 240 if wc.baseline.startswith("clipiqa") else 120,
        gpu=lambda wc: ENCODER_GPUS if wc.baseline.startswith("clipiqa") else 0,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/baselines/{{dataset}}_{{baseline}}_{{shard}}-of-{{n}}.tsv",
    log:
        f"{LOGS}/baselines/{{dataset}}_{{baseline}}_{{shard}}-of-{{n}}.log",
    script:
        "../scripts/baseline_shard.py"


rule baseline_scores:
    input:
        shards=lambda wc: [f for files in baseline_merge_files(wc).values() for f in files["shards"]],
        labels=LAYOUT.labels("{dataset}"),
    output:
        scores=[LAYOUT.baseline("{dataset}", b) for b in BIQA["baselines"]],
        provenance=[provenance(LAYOUT.baseline("{dataset}", b)) for b in BIQA["baselines"]],
    params:
        files=baseline_merge_files,  # baseline -> {"shards": [...], "scores": merged file}
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/baselines/{{dataset}}_merge.tsv",
    log:
        f"{LOGS}/baselines/{{dataset}}_merge.log",
    script:
        "../scripts/baseline_merge.py"


rule biqa_evaluation:
    input:
        ddr=lambda wc: clip_ddr(wc.dataset),
        real=lambda wc: LAYOUT.real_weights(config, wc.dataset),  # [pddr, iddr] or []
        baselines=lambda wc: [LAYOUT.baseline(wc.dataset, b) for b in BIQA["baselines"]],
    output:
        evaluation=LAYOUT.evaluation("{dataset}"),
        provenance=provenance(LAYOUT.evaluation("{dataset}")),
    params:
        types=config["ddr"]["types"],
        n_boot=BIQA["bootstrap"],
        confidence=BIQA["confidence"],
        seed=config["seed"],
        heldout_fraction=BIQA["heldout_fraction"],
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/{{dataset}}_evaluation.tsv",
    log:
        f"{LOGS}/biqa/{{dataset}}_evaluation.log",
    script:
        "../scripts/biqa_evaluation.py"


rule biqa_table3:
    input:
        evaluations=[LAYOUT.evaluation(d) for d in BIQA["datasets"]],
        paper=artifact("table3").paper,
    output:
        reported_tables(artifact("table3").files(LAYOUT)),
    params:
        folders={"tables": LAYOUT.tables},  # the writer names the five tables as ddr.workflow.artifacts declares
        notes=BIQA_NOTES,
        n_boot=BIQA["bootstrap"],
        confidence=BIQA["confidence"],
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/table3.tsv",
    log:
        f"{LOGS}/biqa/table3.log",
    script:
        "../scripts/biqa_table3.py"


rule biqa_table1:
    input:
        pddr=LAYOUT.pddr(BIQA["blur_subset"]["dataset"], config["pixel"]["backbone"]),
        ddr=lambda wc: clip_ddr(BIQA["blur_subset"]["dataset"]),
        real=LAYOUT.real_weights(config, BIQA["blur_subset"]["dataset"]),  # [pddr, iddr] or []
        baselines=[LAYOUT.baseline(BIQA["blur_subset"]["dataset"], b) for b in BIQA["baselines"]],
    output:
        reported_tables(artifact("table1").files(LAYOUT)),
    params:
        stems={"table1": artifact("table1").stem_paths(LAYOUT)[0]},
        types=config["ddr"]["types"],
        dist_type=BIQA["blur_subset"]["dist_type"],
        notes=BIQA_NOTES[BIQA["blur_subset"]["dataset"]],
        heldout_fraction=BIQA["heldout_fraction"],
        n_boot=BIQA["bootstrap"],
        confidence=BIQA["confidence"],
        seed=config["seed"],
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/table1.tsv",
    log:
        f"{LOGS}/biqa/table1.log",
    script:
        "../scripts/biqa_table1.py"


rule biqa_table7:
    input:
        ddr=lambda wc: [f for files in clip_ddr_files(BIQA["ablation_datasets"], ABLATION_ENCODERS).values()
                        for f in files.values()],
        real=[f for files in TABLE7_REAL.values() for f in files],
    output:
        reported_tables(artifact("table7").files(LAYOUT)),
    params:
        stems={"table7": artifact("table7").stem_paths(LAYOUT)[0]},
        # dataset -> encoder -> DDR score file (the default encoder first)
        ddr=lambda wc: clip_ddr_files(BIQA["ablation_datasets"], ABLATION_ENCODERS),
        real=TABLE7_REAL,  # dataset -> [pddr, iddr] of the real-weights rows, or [] (CLIP pixel backbone)
        datasets=BIQA["ablation_datasets"],
        encoders=ABLATION_ENCODERS,
        type_sets=BIQA["ablation_type_sets"],
        heldout_fraction=BIQA["heldout_fraction"],
        default_types=config["ddr"]["types"],
        notes=BIQA_NOTES,
        n_boot=BIQA["bootstrap"],
        confidence=BIQA["confidence"],
        seed=config["seed"],
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/table7.tsv",
    log:
        f"{LOGS}/biqa/table7.log",
    script:
        "../scripts/biqa_table7.py"


# ----------------------------------------------------------------------------------------------------------------
# descriptor figures


rule descriptor_figures:
    input:
        fig1_pddr=LAYOUT.pddr(BIQA["fig1"]["dataset"], config["pixel"]["backbone"]),
        fig2_pddr=LAYOUT.pddr(BIQA["distribution"]["dataset"], config["pixel"]["backbone"]),
        fig2_ddr=lambda wc: clip_ddr(BIQA["distribution"]["dataset"]),
        fig2_real=LAYOUT.real_weights(config, BIQA["distribution"]["dataset"])[1:],  # [iddr] or []
        fig4_ddr=lambda wc: clip_ddr(BIQA["fig4"]["dataset"]),
    output:
        fig1=reported_figures(artifact("fig1").files(LAYOUT)),
        fig2=reported_figures(artifact("fig2").files(LAYOUT)),
        fig4=reported_figures(artifact("fig4").files(LAYOUT)),
    params:
        stems={fig: artifact(fig).stem_paths(LAYOUT)[0] for fig in ("fig1", "fig2", "fig4")},
        fig1=BIQA["fig1"],
        fig2={**BIQA["distribution"], "heldout_fraction": BIQA["heldout_fraction"], "seed": config["seed"],
              "types": config["ddr"]["types"]},
        fig4=BIQA["fig4"],
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/figures.tsv",
    log:
        f"{LOGS}/biqa/figures.log",
    script:
        "../scripts/descriptor_figures.py"


rule feature_statistics_shard:
    input:
        labels=LAYOUT.labels("{dataset}"),
    output:
        stats=LAYOUT.featstats_shard("{dataset}", "{shard}", "{n}"),
        provenance=provenance(LAYOUT.featstats_shard("{dataset}", "{shard}", "{n}")),
    params:
        vgg=BIQA["fig7"]["vgg"],
        vgg_layers=BIQA["fig7"]["vgg_layers"],
        fallback_blocks=BIQA["fig7"]["fallback_blocks"],
        device=config["features"]["device"],
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=ENCODER_GPUS,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/featstats/{{dataset}}_{{shard}}-of-{{n}}.tsv",
    log:
        f"{LOGS}/featstats/{{dataset}}_{{shard}}-of-{{n}}.log",
    script:
        "../scripts/feature_statistics_shard.py"


rule descriptor_figure7:
    input:
        shards=[
            LAYOUT.featstats_shard(BIQA["fig7"]["dataset"], k, n_shards(BIQA["fig7"]["dataset"]))
            for k in range(n_shards(BIQA["fig7"]["dataset"]))
        ],
        provenance=[
            provenance(LAYOUT.featstats_shard(BIQA["fig7"]["dataset"], k, n_shards(BIQA["fig7"]["dataset"])))
            for k in range(n_shards(BIQA["fig7"]["dataset"]))
        ],
        ddr=lambda wc: clip_ddr(BIQA["fig7"]["dataset"]),
    output:
        reported_figures(artifact("fig7").files(LAYOUT)),
    params:
        stems={"fig7": artifact("fig7").stem_paths(LAYOUT)[0]},
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/biqa/fig7.tsv",
    log:
        f"{LOGS}/biqa/fig7.log",
    script:
        "../scripts/descriptor_figures.py"


STAGE_TARGETS["biqa"] = lambda: biqa_plan.stage_targets(config)
