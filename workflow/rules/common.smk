# Shared names and helpers for every stage file.

import yaml

PROFILE = config["profile"]
DATA = config["data_dir"]
RESULTS = config["results_dir"]
LOGS = f"{RESULTS}/logs"

with open(config["datasets_registry"]) as _registry_file:
    REGISTRY = yaml.safe_load(_registry_file)["datasets"]

# Each stage file appends a function returning its final targets; `rule all` asks for all of them.
STAGE_TARGETS = []


def all_targets(wildcards):
    return [target for stage in STAGE_TARGETS for target in stage()]


def clip_encoder():
    """Encoder tag of the configured CLIP model, e.g. 'ViT-B-32+openai' (used in file names)."""
    return f"{config['clip']['arch']}+{config['clip']['pretrained']}"


def n_shards(dataset):
    shards = config["features"]["shards"]
    return int(shards.get(dataset, shards["default"]))


def feature_shards(dataset, encoder):
    n = n_shards(dataset)
    return [f"{RESULTS}/features/{dataset}/{encoder}/shard-{k}-of-{n}.pt" for k in range(n)]


def pixel_encoder():
    return f"pixel-{config['pixel']['backbone']}"


wildcard_constraints:
    dataset="[A-Za-z0-9_-]+",
    shard="[0-9]+",
    n="[0-9]+",
    arch="[^+/]+",
    tag="[^+/]+",
    backbone="[^+/]+",
