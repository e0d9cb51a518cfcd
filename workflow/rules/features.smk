# Features: encoder outputs of every image's patches, cached per (dataset, encoder) and shard; DDR scores are
# computed from this cache and never re-run the encoder. CLIP files are named ARCH+TAG for the released weights and
# ARCH+standin-for-TAG when a stand-in was used; the weights record keeps the requested ARCH+TAG.


# Jobs that need the internet run on the submitting machine (cluster compute nodes often have none).
localrules:
    clip_weights,


# A checkpoint: whether the released weights or a stand-in stands behind a request is known once it has run, and the
# feature and score files are named for what was used (clip_ddr in common.smk, ddr.workflow.encoders).
checkpoint clip_weights:
    output:
        LAYOUT.weights("{arch}+{tag}"),
    params:
        download=config["clip"]["download"],
        stand_in_seed=config["clip"]["stand_in_seed"],
        checkpoint=lambda wc: config["clip"].get("checkpoints", {}).get(f"{wc.arch}+{wc.tag}"),
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/clip_weights_{{arch}}+{{tag}}.tsv",
    log:
        f"{LOGS}/clip_weights_{{arch}}+{{tag}}.log",
    script:
        "../scripts/clip_weights.py"


rule clip_features:
    input:
        labels=LAYOUT.labels("{dataset}"),
        weights=requested_weights,
    output:
        LAYOUT.feature_shard("{dataset}", "{arch}+{tag}", "{shard}", "{n}"),
    params:
        batch_size=config["features"]["batch_size"],
        device=config["features"]["device"],
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
        gpu=ENCODER_GPUS,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/features/{{dataset}}_{{arch}}+{{tag}}_{{shard}}-of-{{n}}.tsv",
    log:
        f"{LOGS}/features/{{dataset}}_{{arch}}+{{tag}}_{{shard}}-of-{{n}}.log",
    script:
        "../scripts/encode_features.py"


rule pixel_features:
    input:
        labels=LAYOUT.labels("{dataset}"),
        # pixel.backbone 'clip': the feature domain's CLIP weights record (ddr.pixel.pipeline_backbone)
        weights=lambda wc: [LAYOUT.weights(clip_encoder())] if wc.backbone == "clip" else [],
    output:
        LAYOUT.feature_shard("{dataset}", "pixel-{backbone}", "{shard}", "{n}"),
    params:
        levels=config["pixel"]["levels"],
        seed=config["pixel"]["seed"],
        batch_size=config["features"]["batch_size"],
        device=config["features"]["device"],
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=ENCODER_GPUS,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/features/{{dataset}}_pixel-{{backbone}}_{{shard}}-of-{{n}}.tsv",
    log:
        f"{LOGS}/features/{{dataset}}_pixel-{{backbone}}_{{shard}}-of-{{n}}.log",
    script:
        "../scripts/encode_features.py"


rule ddr_scores:
    input:
        shards=lambda wc: feature_shards(wc.dataset, f"{wc.arch}+{wc.tag}"),
        weights=requested_weights,
        labels=LAYOUT.labels("{dataset}"),
    output:
        LAYOUT.ddr("{dataset}", "{arch}+{tag}"),
        provenance(LAYOUT.ddr("{dataset}", "{arch}+{tag}")),
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/scores/{{dataset}}_ddr_{{arch}}+{{tag}}.tsv",
    log:
        f"{LOGS}/scores/{{dataset}}_ddr_{{arch}}+{{tag}}.log",
    script:
        "../scripts/ddr_scores.py"


rule pixel_scores:
    input:
        shards=lambda wc: feature_shards(wc.dataset, f"pixel-{wc.backbone}"),
        labels=LAYOUT.labels("{dataset}"),
    output:
        LAYOUT.pddr("{dataset}", "{backbone}"),
        provenance(LAYOUT.pddr("{dataset}", "{backbone}")),
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/scores/{{dataset}}_pddr_{{backbone}}.tsv",
    log:
        f"{LOGS}/scores/{{dataset}}_pddr_{{backbone}}.log",
    script:
        "../scripts/ddr_scores.py"


# Image-defined directions (an extension of the paper, ddr.directions): for an encoder without a text tower, measured
# on a seeded choice of pristine held-out images, then used on the clean features of the pixel-domain cache.
rule image_directions:
    input:
        labels=LAYOUT.labels("{dataset}"),
    output:
        LAYOUT.directions("{dataset}", "{backbone}"),
        provenance(LAYOUT.directions("{dataset}", "{backbone}")),
    params:
        levels=config["directions"]["levels"],
        n_images=config["directions"]["n_images"],
        seed=config["directions"]["seed"],
        heldout_fraction=config["biqa"]["heldout_fraction"],
        split_seed=config["seed"],  # the held-out rows are those that choose the pixel-domain levels
        batch_size=config["features"]["batch_size"],
        device=config["features"]["device"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=ENCODER_GPUS,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/directions/{{dataset}}_{{backbone}}.tsv",
    log:
        f"{LOGS}/directions/{{dataset}}_{{backbone}}.log",
    script:
        "../scripts/image_directions.py"


rule image_direction_scores:
    input:
        shards=lambda wc: feature_shards(wc.dataset, f"pixel-{wc.backbone}"),
        directions=LAYOUT.directions("{dataset}", "{backbone}"),
        labels=LAYOUT.labels("{dataset}"),
    output:
        LAYOUT.iddr("{dataset}", "{backbone}"),
        provenance(LAYOUT.iddr("{dataset}", "{backbone}")),
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/scores/{{dataset}}_iddr_{{backbone}}.tsv",
    log:
        f"{LOGS}/scores/{{dataset}}_iddr_{{backbone}}.log",
    script:
        "../scripts/image_direction_scores.py"


STAGE_TARGETS["features"] = feature_stage_targets
