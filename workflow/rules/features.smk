# Features: encoder outputs of every image's patches, cached per (dataset, encoder) and shard; DDR scores are
# computed from this cache and never re-run the encoder.


# Jobs that need the internet run on the submitting machine (cluster compute nodes often have none).
localrules:
    clip_weights,


rule clip_weights:
    output:
        f"{RESULTS}/weights/{{arch}}+{{tag}}.json",
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
        labels=f"{DATA}/labels/{{dataset}}.csv",
        weights=f"{RESULTS}/weights/{{arch}}+{{tag}}.json",
    output:
        f"{RESULTS}/features/{{dataset}}/{{arch}}+{{tag}}/shard-{{shard}}-of-{{n}}.pt",
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
        labels=f"{DATA}/labels/{{dataset}}.csv",
        # pixel.backbone 'clip': the feature domain's CLIP weights record (ddr.pixel.pipeline_backbone)
        weights=lambda wc: [f"{RESULTS}/weights/{clip_encoder()}.json"] if wc.backbone == "clip" else [],
    output:
        f"{RESULTS}/features/{{dataset}}/pixel-{{backbone}}/shard-{{shard}}-of-{{n}}.pt",
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
        weights=f"{RESULTS}/weights/{{arch}}+{{tag}}.json",
        labels=f"{DATA}/labels/{{dataset}}.csv",
    output:
        f"{RESULTS}/scores/{{dataset}}/ddr_{{arch}}+{{tag}}.csv",
        f"{RESULTS}/scores/{{dataset}}/ddr_{{arch}}+{{tag}}.csv.provenance.json",
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
        labels=f"{DATA}/labels/{{dataset}}.csv",
    output:
        f"{RESULTS}/scores/{{dataset}}/pddr_{{backbone}}.csv",
        f"{RESULTS}/scores/{{dataset}}/pddr_{{backbone}}.csv.provenance.json",
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
        labels=f"{DATA}/labels/{{dataset}}.csv",
    output:
        f"{RESULTS}/directions/{{dataset}}/{{backbone}}.pt",
        f"{RESULTS}/directions/{{dataset}}/{{backbone}}.pt.provenance.json",
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
        directions=f"{RESULTS}/directions/{{dataset}}/{{backbone}}.pt",
        labels=f"{DATA}/labels/{{dataset}}.csv",
    output:
        f"{RESULTS}/scores/{{dataset}}/iddr_{{backbone}}.csv",
        f"{RESULTS}/scores/{{dataset}}/iddr_{{backbone}}.csv.provenance.json",
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


STAGE_TARGETS.append(feature_stage_targets)
