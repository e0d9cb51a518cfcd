# Shared names and helpers for every stage file.

import yaml

from ddr.workflow.artifacts import artifact
from ddr.workflow.layout import Layout, provenance

PROFILE = config["profile"]
DATA = config["data_dir"]
RESULTS = config["results_dir"]
LAYOUT = Layout(RESULTS, DATA)  # every path of the DAG (ddr.workflow.layout)
LOGS = LAYOUT.logs

with open(config["datasets_registry"]) as _registry_file:
    REGISTRY = yaml.safe_load(_registry_file)["datasets"]

# Each stage file appends a function returning its final targets; `rule all` asks for all of them.
STAGE_TARGETS = []


def all_targets(wildcards):
    return [target for stage in STAGE_TARGETS for target in stage()]


def clip_encoder():
    """Encoder tag of the configured CLIP model, e.g. 'ViT-B-32+openai' (used in file names)."""
    from ddr.backbones.spec import BackboneSpec

    return BackboneSpec.from_config(config["clip"]["arch"], config["clip"]["pretrained"]).tag


def reported_tables(files, caption="../report/biqa_tables.rst", category="BIQA and descriptor"):
    """A table's files with its CSV flagged for the Snakemake report (`make report` lists every table; the Markdown
    and LaTeX copies carry the same numbers)."""
    return [report(f, caption=caption, category=category) if f.endswith(".csv") else f for f in files]


def baseline_merge_files(wildcards):
    """Per baseline of the config: its shards of one dataset and the merged score file they make."""
    n = n_shards(wildcards.dataset)
    return {b: {"shards": [LAYOUT.baseline_shard(wildcards.dataset, b, k, n) for k in range(n)],
                "scores": LAYOUT.baseline(wildcards.dataset, b)} for b in config["biqa"]["baselines"]}


def reported_figures(files, caption="../report/biqa_figures.rst", category="BIQA and descriptor"):
    """A figure's files with its PNG flagged for the Snakemake report."""
    return [report(f, caption=caption, category=category) if f.endswith(".png") else f for f in files]


def n_shards(dataset):
    shards = config["features"]["shards"]
    return int(shards.get(dataset, shards["default"]))


def feature_shards(dataset, encoder):
    n = n_shards(dataset)
    return [LAYOUT.feature_shard(dataset, encoder, k, n) for k in range(n)]


# Encoder jobs ask the cluster for a GPU unless the config pins them to the CPU ("auto" runs on one when present).
ENCODER_GPUS = 0 if config["features"]["device"] == "cpu" else 1


def pixel_encoder():
    return f"pixel-{config['pixel']['backbone']}"


REAL_DATASETS = [name for name, entry in REGISTRY.items() if entry.get("access") != "builtin"]


def dataset_ready_marker(wildcards):
    """What proves a dataset is complete: the mini manifest, or the download rule's record."""
    return LAYOUT.ready_marker(wildcards.dataset)


def feature_stage_targets():
    """Per-image DDR scores of every dataset a later stage reads."""
    datasets = set(config["biqa"]["datasets"])
    if "attributes" in config:
        datasets.add(config["attributes"]["dataset"])
    targets = [LAYOUT.ddr(d, clip_encoder()) for d in sorted(datasets)]
    blur = config["biqa"].get("blur_subset", {}).get("dataset")
    if blur:
        targets.append(LAYOUT.pddr(blur, config["pixel"]["backbone"]))
    return targets



wildcard_constraints:
    dataset="[A-Za-z0-9_-]+",
    shard="[0-9]+",
    n="[0-9]+",
    arch="[^+/]+",
    tag="[^+/]+",
    backbone="[^+/]+",
