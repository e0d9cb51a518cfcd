# Shared names and helpers for every stage file.

import yaml

from ddr.workflow.artifacts import artifact
from ddr.workflow.encoders import encoder_of_record, requested_encoder
from ddr.workflow.layout import Layout, provenance

PROFILE = config["profile"]
DATA = config["data_dir"]
RESULTS = config["results_dir"]
LAYOUT = Layout(RESULTS, DATA)  # every path of the DAG (ddr.workflow.layout)
LOGS = LAYOUT.logs

with open(config["datasets_registry"]) as _registry_file:
    REGISTRY = yaml.safe_load(_registry_file)["datasets"]

# Each stage file adds a function returning its final targets under the stage's name; `rule all` asks for all of
# them and `snakemake stage_<name>` for one stage (the Snakefile defines those rules). Call them in input functions
# only: the CLIP score files are named once the clip_weights checkpoint has run.
STAGE_TARGETS = {}


def stage_input(name):
    """The input function of rule stage_<name>."""
    return lambda wildcards: STAGE_TARGETS[name]()


def clip_encoder():
    """Encoder tag of the configured CLIP model, e.g. 'ViT-B-32+openai' (its weights record's name)."""
    from ddr.backbones.spec import BackboneSpec

    return BackboneSpec.from_config(config["clip"]["arch"], config["clip"]["pretrained"]).tag


def clip_ddr(dataset, requested=None):
    """The DDR score file of `dataset` for a CLIP request (default: the configured model), named for the weights that
    were used: 'ddr_ViT-B-32+openai.csv', or 'ddr_ViT-B-32+standin-for-openai.csv' when the clip_weights checkpoint
    fell back to a stand-in (ddr.workflow.encoders). Call it inside input/params functions: before the checkpoint
    has run, Snakemake plans it first and re-evaluates the caller afterwards."""
    from ddr.backbones.spec import BackboneSpec

    spec = BackboneSpec.from_tag(requested or clip_encoder())
    record = checkpoints.clip_weights.get(arch=spec.arch, tag=spec.pretrained).output[0]
    return LAYOUT.ddr(dataset, encoder_of_record(record))


def clip_ddr_files(datasets, encoders):
    """dataset -> requested encoder -> its DDR score file (clip_ddr), in the order given."""
    return {d: {e: clip_ddr(d, e) for e in encoders} for d in datasets}


def requested_weights(wildcards):
    """The weights record behind a feature or score file's encoder name ('ARCH+standin-for-TAG' -> ARCH+TAG.json)."""
    return LAYOUT.weights(requested_encoder(f"{wildcards.arch}+{wildcards.tag}"))


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
    targets = [clip_ddr(d) for d in sorted(datasets)]
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
