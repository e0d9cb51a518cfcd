# Attributes (Table 2 and its appendix version): computed image measures cached per shard, merged per dataset by the
# table rule (which also writes the merged table), correlated with the cached DDR_d scores. Label columns named in
# config attributes.label_columns are the sets' own attribute scores (human; synthetic for mini).

from ddr.workflow import biqa_plan

ATTRIBUTES_CONFIG = config["attributes"]
ATTRIBUTE_DATASETS = biqa_plan.attribute_datasets(config)
# per Table 2 set: its attribute shards, labels and the merged attribute table the rule writes (+ its DDR scores,
# named once the clip_weights checkpoint has run)
TABLE2_FILES = {
    d: {"labels": LAYOUT.labels(d), "merged": LAYOUT.attributes(d),
        "shards": [LAYOUT.attribute_shard(d, k, n_shards(d)) for k in range(n_shards(d))]}
    for d in ATTRIBUTE_DATASETS
}

rule attribute_shard:
    input:
        labels=LAYOUT.labels("{dataset}"),
    output:
        LAYOUT.attribute_shard("{dataset}", "{shard}", "{n}"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/attributes/{{dataset}}_{{shard}}-of-{{n}}.tsv",
    log:
        f"{LOGS}/attributes/{{dataset}}_{{shard}}-of-{{n}}.log",
    script:
        "../scripts/attribute_shard.py"


rule attributes_table2:
    input:
        ddr=lambda wc: [clip_ddr(d) for d in TABLE2_FILES],
        shards=[f for files in TABLE2_FILES.values() for f in files["shards"]],
        labels=[files["labels"] for files in TABLE2_FILES.values()],
    output:
        tables=reported_tables(artifact("table2").files(LAYOUT)),
        attributes=[files["merged"] for files in TABLE2_FILES.values()],
        attribute_provenance=[provenance(files["merged"]) for files in TABLE2_FILES.values()],
    params:
        files=lambda wc: {d: {"ddr": clip_ddr(d), **files} for d, files in TABLE2_FILES.items()},
        stems=artifact("table2").stem_paths(LAYOUT)[:2],  # the main table and the appendix (+ its _long copy)
        datasets=ATTRIBUTE_DATASETS,
        label_columns=ATTRIBUTES_CONFIG["label_columns"],
        synthetic=[d for d in ATTRIBUTE_DATASETS if REGISTRY.get(d, {}).get("access") == "builtin"],
        main=ATTRIBUTES_CONFIG["main"],
        computed=ATTRIBUTES_CONFIG["computed"],
        main_types=config["ddr"]["types"],
        n_boot=config["biqa"]["bootstrap"],
        confidence=config["biqa"]["confidence"],
        seed=config["seed"],
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/ddr.yaml"
    benchmark:
        f"{RESULTS}/benchmarks/attributes/table2.tsv",
    log:
        f"{LOGS}/attributes/table2.log",
    script:
        "../scripts/attributes_table2.py"


STAGE_TARGETS["attributes"] = lambda: biqa_plan.attribute_targets(config)
