# Data: the embedded mini set (built offline, byte-reproducible) and the real sets (download, verify, extract),
# each reduced to one normalised label table data/labels/<dataset>.csv with paths relative to the repository.


rule build_mini:
    output:
        LAYOUT.mini_manifest(),
    params:
        mini=config.get("mini", {}),
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/build_mini.tsv",
    log:
        f"{LOGS}/build_mini.log",
    script:
        "../scripts/build_mini.py"


localrules:
    download_dataset,


rule download_dataset:
    output:
        LAYOUT.download_record("{dataset}"),
    params:
        registry=config["datasets_registry"],
    wildcard_constraints:
        dataset="|".join(REAL_DATASETS),
    resources:
        mem_mb=2000,
        runtime=480,  # minutes: the largest archives are tens of GB
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/download_{{dataset}}.tsv",
    log:
        f"{LOGS}/download_{{dataset}}.log",
    script:
        "../scripts/download_dataset.py"


rule labels:
    input:
        dataset_ready_marker,
    output:
        LAYOUT.labels("{dataset}"),
    params:
        registry=config["datasets_registry"],
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/labels_{{dataset}}.tsv",
    log:
        f"{LOGS}/labels_{{dataset}}.log",
    script:
        "../scripts/labels.py"
