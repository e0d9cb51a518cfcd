# Attributes (Table 2 and its appendix version): computed image measures cached per shard, merged per dataset by the
# table rule (which also writes the merged table), correlated with the cached DDR_d scores. Label columns named in
# config attributes.label_columns are the sets' own attribute scores (human; synthetic for mini).

from ddr.workflow import biqa_plan

ATTRIBUTES_CONFIG = config["attributes"]
ATTRIBUTE_DATASETS = biqa_plan.attribute_datasets(config)


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
    input:  # dataset by dataset, in the order of params.datasets (the script relies on it)
        ddr=[LAYOUT.ddr(d, clip_encoder()) for d in ATTRIBUTE_DATASETS],
        shards=[LAYOUT.attribute_shard(d, k, n_shards(d)) for d in ATTRIBUTE_DATASETS
                for k in range(n_shards(d))],
        labels=[LAYOUT.labels(d) for d in ATTRIBUTE_DATASETS],
    output:
        table2=[
            report(LAYOUT.table(biqa_plan.TABLE2)[0], caption="../report/biqa_tables.rst",
                   category="BIQA and descriptor"),
            *LAYOUT.table(biqa_plan.TABLE2)[1:],
        ],
        appendix=reported_tables(LAYOUT.table(biqa_plan.TABLE2_APPENDIX)),
        long=reported_tables(LAYOUT.table(biqa_plan.TABLE2_LONG)),
        attributes=[LAYOUT.attributes(d) for d in ATTRIBUTE_DATASETS],
        attribute_provenance=[provenance(LAYOUT.attributes(d)) for d in ATTRIBUTE_DATASETS],
    params:
        datasets=ATTRIBUTE_DATASETS,
        n_shards=[n_shards(d) for d in ATTRIBUTE_DATASETS],
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


STAGE_TARGETS.append(lambda: biqa_plan.attribute_targets(config))
