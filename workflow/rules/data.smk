# Data: the embedded mini set (built offline, byte-reproducible) and the real sets (download, verify, extract),
# each reduced to one normalised label table data/labels/<dataset>.csv with paths relative to the repository.

REAL_DATASETS = [name for name, entry in REGISTRY.items() if entry.get("access") != "builtin"]


def dataset_ready_marker(wildcards):
    if wildcards.dataset == "mini":
        return f"{DATA}/mini/manifest.json"
    return f"{DATA}/raw/{wildcards.dataset}.ready.json"


rule build_mini:
    output:
        f"{DATA}/mini/manifest.json",
    params:
        mini=config.get("mini", {}),
        root=f"{DATA}/mini",
    log:
        f"{LOGS}/build_mini.log",
    script:
        "../scripts/build_mini.py"


rule download_dataset:
    output:
        f"{DATA}/raw/{{dataset}}.ready.json",
    params:
        root=f"{DATA}/raw",
        registry=config["datasets_registry"],
    wildcard_constraints:
        dataset="|".join(REAL_DATASETS),
    log:
        f"{LOGS}/download_{{dataset}}.log",
    script:
        "../scripts/download_dataset.py"


rule labels:
    input:
        dataset_ready_marker,
    output:
        f"{DATA}/labels/{{dataset}}.csv",
    params:
        registry=config["datasets_registry"],
        data_dir=DATA,
    log:
        f"{LOGS}/labels_{{dataset}}.log",
    script:
        "../scripts/labels.py"
