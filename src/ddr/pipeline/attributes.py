"""Attribute stage: computed image attributes (cached per shard) and Table 2 with its appendix version.

Table 2 correlates each DDR_d (feature domain, from the cached scores) with image characteristics. Where a set ships
attribute scores (SPAQ's colourfulness/sharpness/..., IC9600's complexity, a quality MOS) the configuration names the
label column and the table uses it, labelled with its source; computed measures (ddr.evaluation.ATTRIBUTES:
Hasler-Susstrunk colourfulness, Laplacian-variance sharpness, spatial information, ...) are always shown too and are
labelled "computed".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ddr.evaluation import ATTRIBUTES, compute_attributes
from ddr.evaluation.bootstrap import label_direction, oriented, srcc_with_ci
from ddr.io import load_image
from ddr.pipeline.biqa.tables import read_scores, weights_text
from ddr.pipeline.features import shard_of
from ddr.prompts import PROMPTS
from ddr.reporting import write_table
from ddr.util.atomic import write_csv, write_json
from ddr.util.provenance import provenance

LOG = logging.getLogger(__name__)


def attribute_shard(labels_csv: str | Path, shard: int, n_shards: int, out: str | Path) -> None:
    """Computed attributes (one column per ddr.evaluation.ATTRIBUTES key) of one shard's images."""
    paths = shard_of(pd.read_csv(labels_csv), shard, n_shards)["image"].tolist()
    rows = []
    for i, path in enumerate(paths):
        try:
            rows.append({"image": path, **compute_attributes(load_image(path))})
        except ValueError as error:
            raise ValueError(f"{path}: cannot compute attributes: {error}") from error
        if (i + 1) % 100 == 0:
            LOG.info("attributes: %d/%d", i + 1, len(paths))
    columns = ["image", *ATTRIBUTES]
    write_csv(out, pd.DataFrame(rows, columns=columns))


def computed_column(measure: str) -> str:
    """Column of a computed measure in merged tables: prefixed, because label files carry human ratings under the
    same names (SPAQ's `sharpness`)."""
    return f"computed_{measure}"


COMPUTED_COLUMNS = [computed_column(measure) for measure in ATTRIBUTES]


def merge_attribute_shards(shards: Sequence[str | Path], labels_csv: str | Path, out: str | Path) -> None:
    """All images' computed attributes (as computed_<measure>) joined with the labels (labels' order), + a
    provenance sidecar."""
    parts = pd.concat([pd.read_csv(s) for s in shards], ignore_index=True)
    parts = parts.rename(columns={measure: computed_column(measure) for measure in ATTRIBUTES})
    labels = pd.read_csv(labels_csv)
    merged = labels.merge(parts, on="image", how="left", validate="one_to_one")
    missing = merged.loc[merged[COMPUTED_COLUMNS].isna().any(axis=1), "image"]
    if len(missing):
        raise ValueError(f"{out}: {len(missing)} image(s) have no computed attributes, e.g. {missing.tolist()[:3]}")
    write_csv(out, merged)
    write_json(f"{out}.provenance.json", provenance(
        labels=str(labels_csv), shards=[str(s) for s in shards], stand_in=False,
        attributes={k: {"label": s.label, "reference": s.reference, "higher_means": s.higher_means}
                    for k, s in ATTRIBUTES.items()}))


def _computed_name(measure: str) -> str:
    label = ATTRIBUTES[measure].label  # e.g. "Colourfulness (computed, Hasler-Süsstrunk)"
    return label[label.index("(") + 1 : label.rindex(")")]


def attribute_columns(dataset: str, label_columns: Mapping[str, str], synthetic: bool) -> list[dict]:
    """Attribute columns of one set: its label columns (human / synthetic) then every computed measure."""
    source = "synthetic ordering" if synthetic else "human labels"
    out = [{"attribute": attribute, "column": column, "source": f"{dataset} {source}", "dataset": dataset,
            "kind": "label"} for attribute, column in label_columns.items()]
    out += [{"attribute": measure, "column": computed_column(measure), "source": f"{dataset}, {_computed_name(measure)}",
             "dataset": dataset, "kind": "computed"} for measure in ATTRIBUTES]
    for spec in out:
        spec["header"] = f"{spec['attribute']} ({spec['source']})"
    return out


def correlate(types: Sequence[str], columns: Sequence[dict], tables: Mapping[str, pd.DataFrame], n_boot: int,
              seed: int, confidence: float) -> pd.DataFrame:
    """Long table: SRCC (and CI) of every DDR_d with every attribute column, on that column's set.

    Only a quality label is oriented (DMOS negated: positive = DDR agrees with quality); attributes are correlated
    as they are (positive = DDR_d rises with the attribute).
    """
    rows = []
    for spec in columns:
        frame = tables[spec["dataset"]]
        values = frame[spec["column"]].astype(float)
        if spec["attribute"] == "quality":
            values = pd.Series(oriented(values, label_direction(frame)), index=frame.index)
        valid = values.notna()
        for t in types:
            value, lo, hi = srcc_with_ci(frame.loc[valid, f"ddr_{t}"], values[valid], n_boot, seed, confidence)
            rows.append({"type": t, **spec, "n": int(valid.sum()), "srcc": value, "srcc_ci_low": lo,
                         "srcc_ci_high": hi})
    return pd.DataFrame(rows)


def main_columns(main: Sequence[str], computed: Mapping[str, str], columns: Sequence[dict]) -> list[tuple[str, dict]]:
    """Table 2's columns: per attribute, its label column(s) and its configured computed measure."""
    out = []
    for attribute in main:
        for spec in columns:
            if spec["kind"] == "label" and spec["attribute"] == attribute:
                out.append((f"{attribute} ({spec['source']})", spec))
        if attribute in computed:  # computed on the main set (the first one)
            for spec in columns:
                if spec["kind"] == "computed" and spec["attribute"] == computed[attribute] \
                        and spec["dataset"] == columns[0]["dataset"]:
                    out.append((f"{attribute} ({spec['source']})", spec))
    return out


def write_table2(datasets: Sequence[str], ddr_csvs: Mapping[str, str | Path], attribute_csvs: Mapping[str, str | Path],
                 label_columns: Mapping[str, Mapping[str, str]], synthetic: Sequence[str], main: Sequence[str],
                 computed: Mapping[str, str], main_types: Sequence[str], stems: tuple[str | Path, str | Path],
                 n_boot: int, seed: int, confidence: float) -> pd.DataFrame:
    """Table 2 (main types x main attributes) and the appendix version (all five types x every attribute)."""
    tables, sources, columns = {}, [], []
    for dataset in datasets:
        scores, record = read_scores(ddr_csvs[dataset])
        attributes, attribute_record = read_scores(attribute_csvs[dataset])
        keep = ["image", *COMPUTED_COLUMNS]
        tables[dataset] = scores.merge(attributes[keep], on="image", how="inner", validate="one_to_one")
        sources += [record, attribute_record]
        missing = [c for c in label_columns.get(dataset, {}).values() if c not in tables[dataset]]
        if missing:
            raise ValueError(f"attributes.label_columns.{dataset}: no column(s) {missing} in {ddr_csvs[dataset]}")
        columns += attribute_columns(dataset, label_columns.get(dataset, {}), dataset in synthetic)
    all_types = list(PROMPTS)
    long = correlate(all_types, columns, tables, n_boot, seed, confidence)
    weights = weights_text(sources[0])
    stand_in = (" STAND-IN CLIP weights: these DDR_d values are not replication numbers."
                if sources[0].get("stand_in") else "")
    sizes = ", ".join(f"{d}: {len(t)} images" for d, t in tables.items())
    synthetic_note = ("; 'synthetic ordering' = the known degradation order of a generated set, not an opinion score"
                      if any(d in synthetic for d in datasets) else "")
    common = (f"SRCC between DDR_d (feature domain, adaptive, {weights}) and each attribute on the set that provides "
              f"it ({sizes}). 'computed' columns are measures we compute from the pixels "
              "(ddr.evaluation.attributes), not human ratings; 'human labels' are the set's own attribute scores"
              f"{synthetic_note}. "
              "Positive = DDR_d rises with the attribute (a quality label in DMOS form is negated first). "
              f"95% CIs ({n_boot} paired bootstrap resamples) in the _long companion.{stand_in}")
    wide_main = pd.DataFrame({"type": list(main_types)})
    for header, spec in main_columns(main, computed, columns):
        sel = long[long["header"] == spec["header"]].set_index("type")
        wide_main[header] = [sel.loc[t, "srcc"] for t in main_types]
    write_table(wide_main, stems[0], "Table 2: DDR_d vs image characteristics (SRCC)", common, sources)
    appendix = long.pivot_table(index="type", columns="header", values="srcc", sort=False)
    appendix = appendix.reindex(index=all_types, columns=[s["header"] for s in columns]).reset_index()
    appendix.columns.name = None
    write_table(appendix, stems[1], "Table 2 (appendix): all DDR types vs all attributes (SRCC)", common, sources)
    long_shown = long.drop(columns=["kind", "header"]).copy()
    long_shown["n"] = long_shown["n"].astype(str)
    write_table(long_shown, f"{stems[1]}_long", "Table 2 (long): SRCC with 95% CIs", common, sources)
    return long
