"""BIQA evaluation stage: per-dataset evaluation of DDR and the baselines, and Tables 1, 3 and 7.

Inputs are the per-image score files of the feature stage (ddr_<encoder>.csv, pddr_<backbone>.csv) and of the
baseline rules (baseline_<name>.csv), each with a .provenance.json sidecar saying which weights produced it. Nothing
here runs an encoder: changing a statistic or a table's layout recomputes no features.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ddr.baselines import PUBLISHED_ONLY_TEXT, UNAVAILABLE_TABLE_TEXT, list_metrics
from ddr.evaluation.bootstrap import (PLCC_CI_NOTE, evaluate_scores, has_references, heldout_mask, label_direction,
                                     level_columns, oriented, select_level, within_reference_srcc)
from ddr.prompts import DEFAULT_TYPES
from ddr.reporting import paper_vs_ours, portable_frame, write_table
from ddr.util.atomic import write_csv, write_json
from ddr.util.provenance import provenance as base_provenance
from ddr.workflow import biqa_plan

# the paper's row names (config/paper_numbers/table3_biqa_srcc.csv) for our dataset names
PAPER_DATASETS = {"csiq": "CSIQ", "live": "LIVE", "tid2013": "TID2013", "kadid10k": "KADID", "koniq10k": "KonIQ",
                  "liveitw": "LIVEitw", "cid2013": "CID2013", "spaq": "SPAQ"}
# our method names -> the paper's column names (every Table 3 column; from the metric registry)
PAPER_METHODS = {name: m.paper_column for m in list_metrics() if m.paper_column
                 for name in (m.display_name, *m.variants)}
# the paper's columns we do not rerun (no offline definition/parameters): shown with the published value only
PUBLISHED_ONLY = {m.paper_column for m in list_metrics() if m.paper_column and not m.runnable}
OPINION_AWARE = {m.display_name: m for m in list_metrics() if m.opinion_aware}
METRIC_COLUMNS = ("srcc", "krcc", "plcc", "plcc_raw")


def read_scores(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A per-image score table and its provenance sidecar."""
    frame = pd.read_csv(path, keep_default_na=True)
    sidecar = Path(f"{path}.provenance.json")
    record = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    return frame, record


def weights_text(record: Mapping[str, Any]) -> str:
    """Short 'which weights' label for a table cell."""
    if record.get("available") is False:
        return "n/a"
    if record.get("stand_in"):
        return f"STAND-IN ({record.get('backbone', '?')})"
    if record.get("backbone"):
        return f"{record['backbone']} ({record.get('weights', 'pretrained')})"
    return "hand-crafted / bundled model"


@dataclass
class Method:
    """One column of predictions to correlate with the labels."""

    name: str
    column: str
    frame: pd.DataFrame
    record: dict[str, Any]
    direction: str = "higher_better"
    domain: str = ""
    available: bool = True
    reason: str = ""
    parameters: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def weights(self) -> str:
        return weights_text(self.record)


def ddr_of_types(frame: pd.DataFrame, types: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """(frame, column) holding DDR over `types` (config ddr.types): the scores file's `ddr` column for the default
    four types, else their mean added as `ddr_mean`. The one definition the tables and Fig. 2 share."""
    types = list(types)
    if types == list(DEFAULT_TYPES):
        return frame, "ddr"
    return frame.assign(ddr_mean=frame[[f"ddr_{t}" for t in types]].mean(axis=1)), "ddr_mean"


def ddr_methods(path: str | Path, types: Sequence[str] = DEFAULT_TYPES, per_type: Sequence[str] = ()) -> list[Method]:
    """Feature-domain DDR (mean of `types`) and, optionally, single DDR_d columns, from ddr_<encoder>.csv."""
    frame, record = read_scores(path)
    types = list(types)
    frame, column = ddr_of_types(frame, types)
    parameters = (f"text-driven DDR, types {','.join(types)}, adaptive, official square patches; "
                  f"backbone {record.get('backbone')}")
    out = [Method("DDR", column, frame, record, domain="feature (text-driven)", parameters=parameters)]
    for t in per_type:
        out.append(Method(f"DDR_{t}", f"ddr_{t}", frame, record, domain="feature (text-driven)",
                          parameters=f"text-driven DDR_{t}, adaptive; backbone {record.get('backbone')}"))
    return out


def baseline_method(path: str | Path) -> Method:
    frame, record = read_scores(path)
    return Method(record.get("name", Path(path).stem), "prediction", frame, record,
                  direction=record.get("direction", "higher_better"), domain="baseline",
                  available=bool(record.get("available", True)), reason=record.get("reason", ""),
                  parameters=record.get("parameters", ""))


REAL_WEIGHTS_NOTE = ("Real-weights rows ([<encoder>, ...]): pixel-domain DDR at the held-out optimal level of each "
                     "type and their mean, and DDR with image-defined directions (an extension of the paper for "
                     "encoders without a text tower: direction = mean feature shift of held-out pristine images under "
                     "the pixel-domain operators); both are evaluated on the rows outside the held-out split only "
                     "(n in the full table). ")
WITHIN_NOTE = ("'within ref & type' = SRCC among the images of one reference and one distortion type (with its "
               "pristine image), mean and minimum over those groups: the number to read on sets whose labels order "
               "images only within a reference and type (the mini set); pooled SRCC mixes references and types. ")


def pixel_optimal_methods(pddr_csv: str | Path, heldout_fraction: float, seed: int) -> list[Method]:
    """Pixel-domain DDR (real weights) at each type's held-out optimal level, and their mean, on the other rows."""
    frame, record = read_scores(pddr_csv)
    mask, how = heldout_mask(frame, heldout_fraction, seed)
    encoder = record.get("backbone")
    kinds = sorted({c[len("pddr_"):].split("@")[0] for c in frame.columns if c.startswith("pddr_") and "@" in c})
    test = frame[~mask].copy()
    methods, chosen_columns = [], []
    for kind in kinds:
        chosen, _ = select_level(frame, kind, mask)
        column = level_columns(frame, kind)[chosen]
        chosen_columns.append(column)
        methods.append(Method(f"pixel DDR_{kind} [{encoder}, {kind} {chosen:g}]", column, test, record, domain="pixel",
                              parameters=f"1 - cos(F(x), F({kind}_{chosen:g}(x))), level chosen on held-out rows "
                                         f"({how}); scored on the other rows"))
    if len(chosen_columns) > 1:
        test["pddr_optimal_mean"] = test[chosen_columns].mean(axis=1)
        methods.append(Method(f"pixel DDR [{encoder}, mean of optimal levels]", "pddr_optimal_mean", test, record,
                              domain="pixel", parameters="mean of " + ", ".join(chosen_columns)))
    return methods


def image_direction_methods(iddr_csv: str | Path, per_type: Sequence[str] = ()) -> list[Method]:
    """DDR with image-defined directions (extension of the paper) from iddr_<backbone>.csv (held-out rows absent)."""
    frame, record = read_scores(iddr_csv)
    encoder = record.get("backbone")
    directions = record.get("directions") or {}
    levels = ", ".join(f"{t} {v['level']:g}" for t, v in (directions.get("degradations") or {}).items())
    text = (f"image-defined directions (extension): mean shift over {directions.get('n_images')} held-out pristine "
            f"images at {levels}; adaptive; {record.get('scored', '')}")
    out = [Method(f"DDR [{encoder}, image directions]", "ddr", frame, record,
                  domain="feature (image-defined directions, extension)", parameters=text)]
    for t in per_type:
        out.append(Method(f"DDR_{t} [{encoder}, image directions]", f"ddr_{t}", frame, record,
                          domain="feature (image-defined directions, extension)", parameters=text))
    return out


def real_weights_methods(pddr_csv: str | Path | None, iddr_csv: str | Path | None, heldout_fraction: float,
                         seed: int, per_type: Sequence[str] = ()) -> list[Method]:
    return ((pixel_optimal_methods(pddr_csv, heldout_fraction, seed) if pddr_csv else [])
            + (image_direction_methods(iddr_csv, per_type) if iddr_csv else []))


def within_groups_srcc(frame: pd.DataFrame, column: str, pred_direction: str = "higher_better") -> dict:
    """Oriented SRCC inside every (reference, distortion type) group with the reference's pristine image:
    {within_srcc_mean, within_srcc_min, n_groups}; empty without references."""
    if not has_references(frame) or "dist_type" not in frame:
        return {}
    dist = frame["dist_type"].fillna("").astype(str)
    parts = []
    for kind in sorted(set(dist) - {""}):
        part = frame[dist.isin([kind, ""])].assign(_group=lambda f: f["ref"].astype(str) + "|" + kind)
        parts.append(part)
    if not parts:
        return {}
    within = within_reference_srcc(pd.concat(parts), column, pred_direction=pred_direction, group="_group")
    if within.empty:
        return {}
    return {"within_srcc_mean": float(within.mean()), "within_srcc_min": float(within.min()),
            "n_groups": int(len(within))}


def evaluate_method(method: Method, rows: pd.DataFrame | None, n_boot: int, seed: int, confidence: float,
                    ci_metrics: Sequence[str] = METRIC_COLUMNS) -> dict:
    """Evaluation row of one method on `rows` (default: all its rows); unavailable methods give an n/a row."""
    frame = method.frame if rows is None else method.frame[method.frame["image"].isin(rows["image"])]
    base = {"method": method.name, "domain": method.domain, "weights": method.weights,
            "stand_in": bool(method.record.get("stand_in")), "available": method.available,
            "parameters": method.parameters, **method.extra}
    if not method.available:
        return {**base, "n": len(frame), "reason": method.reason, "table_text": UNAVAILABLE_TABLE_TEXT}
    row = evaluate_scores(frame[method.column], frame["score"], label_direction(frame), method.direction,
                          n_boot, seed, confidence, ci_metrics)
    return {**base, **row, "reason": "", "table_text": ""}


# ---------------------------------------------------------------------------------------------------------------
# per-dataset evaluation (Table 3's numbers)


def evaluate_dataset(dataset: str, ddr_csv: str | Path, baseline_csvs: Sequence[str | Path], out: str | Path,
                     n_boot: int, seed: int, confidence: float, types: Sequence[str] = DEFAULT_TYPES,
                     pddr_csv: str | Path | None = None, iddr_csv: str | Path | None = None,
                     heldout_fraction: float = 0.3) -> pd.DataFrame:
    """evaluation.csv: one row per method (DDR over `types`, the real-weights rows when their score files are given,
    baselines) with SRCC/KRCC/PLCC and CIs, and within-reference-and-type SRCC; sources in the sidecar."""
    methods = (ddr_methods(ddr_csv, types) + real_weights_methods(pddr_csv, iddr_csv, heldout_fraction, seed)
               + [baseline_method(p) for p in baseline_csvs])
    rows = [{"dataset": dataset, **evaluate_method(m, None, n_boot, seed, confidence),
             **(within_groups_srcc(m.frame, m.column, m.direction) if m.available else {})} for m in methods]
    table = pd.DataFrame(rows)
    write_csv(out, table)
    write_json(f"{out}.provenance.json", base_provenance(dataset=dataset, n_boot=n_boot, seed=seed,
                                                         confidence=confidence, plcc_ci=PLCC_CI_NOTE,
                                                         sources=[m.record for m in methods]))
    return table


def _sources(paths: Sequence[str | Path]) -> list[dict]:
    records = []
    for path in paths:
        records.extend(json.loads(Path(f"{path}.provenance.json").read_text()).get("sources", []))
    return records


def _stand_in_methods(table: pd.DataFrame) -> list[str]:
    return sorted(set(table.loc[table["stand_in"].astype(bool), "method"]))


def _direction_sentence(table: pd.DataFrame) -> str:
    dmos = sorted(set(table.loc[table.get("label_direction", pd.Series(dtype=str)) == "lower_better", "dataset"]))
    text = ("Signs: every correlation is signed so that positive = agrees with quality; lower-is-better labels "
            "(DMOS) and lower-is-better predictions (NIQE, PIQE, BRISQUE) are negated before correlating, "
            "DDR and CLIP-IQA (higher = better) are used as they are.")
    if dmos:
        text += f" DMOS sets (negated): {', '.join(dmos)}."
    return text


def write_table3(evaluations: Sequence[str | Path], tables_dir: str | Path, paper_csv: str | Path,
                 notes: Mapping[str, str], n_boot: int, confidence: float) -> None:
    """Table 3: SRCC (primary), PLCC and KRCC wide tables, the full long table, and paper vs ours."""
    tables_dir = Path(tables_dir)
    table = pd.concat([pd.read_csv(p, keep_default_na=True) for p in evaluations], ignore_index=True)
    sources = _sources(evaluations)
    datasets = list(dict.fromkeys(table["dataset"]))
    methods = list(dict.fromkeys(table["method"]))
    stand_in = _stand_in_methods(table)
    unavailable = table.loc[~table["available"].astype(bool)].drop_duplicates("method")
    common = (f"{_direction_sentence(table)} Labels: {'; '.join(notes[d] for d in datasets if d in notes)}. "
              f"95% CIs ({n_boot} paired bootstrap resamples) are in {biqa_plan.TABLE3['full']}. ")
    if stand_in:
        common += f"Methods computed with STAND-IN weights (not replication numbers): {', '.join(stand_in)}. "
    for _, row in unavailable.iterrows():
        common += f"{row['method']}: {UNAVAILABLE_TABLE_TEXT} ({row['reason']}). "
    within_sets = [d for d in datasets if "within_srcc_mean" in table
                   and table.loc[table["dataset"] == d, "within_srcc_mean"].notna().any()]
    if table["method"].str.contains(r"\[", regex=True).any():  # real-weights rows are named '... [<encoder>, ...]'
        common += REAL_WEIGHTS_NOTE
    if within_sets:
        common += WITHIN_NOTE
    for method in [m for m in methods if m in OPINION_AWARE]:
        common += (f"{method} is opinion-AWARE (trained on LIVE IQA): its LIVE value is train-on-test, not a "
                   "blind result. ")
    for metric, label in (("srcc", "SRCC"), ("plcc", "PLCC after the 4-parameter logistic fit"), ("krcc", "KRCC")):
        wide = []
        for method in methods:
            rows = table[table["method"] == method].set_index("dataset")
            first = rows.iloc[0]
            entry = {"method": method, "weights": first["weights"]}
            for dataset in datasets:
                if dataset not in rows.index:
                    entry[dataset] = np.nan
                elif not bool(rows.loc[dataset, "available"]):
                    entry[dataset] = UNAVAILABLE_TABLE_TEXT
                else:
                    entry[dataset] = float(rows.loc[dataset, metric])
                if metric == "srcc" and dataset in within_sets:  # beside the pooled value (see WITHIN_NOTE)
                    for stat in ("mean", "min"):
                        value = rows.loc[dataset, f"within_srcc_{stat}"] if dataset in rows.index else np.nan
                        entry[f"{dataset} within ref & type ({stat})"] = float(value)
            entry["parameters"] = first["parameters"] if bool(first["available"]) else (
                f"{UNAVAILABLE_TABLE_TEXT}: {first['reason']}")
            wide.append(entry)
        wide += published_only_rows(methods, datasets)
        write_table(pd.DataFrame(wide), tables_dir / biqa_plan.TABLE3[metric],
                    f"Table 3: opinion-unaware BIQA, {label}",
                    f"{label} of each method (rows) with the labels of each set (columns); best per set in bold. "
                    + common, sources, bold_columns=datasets)
    full = table[["dataset", "method", "domain", "weights", "n", *[c for m in METRIC_COLUMNS for c in
                                                                    (m, f"{m}_ci_low", f"{m}_ci_high")],
                  "plcc_method", "label_direction", "pred_direction", "available", "table_text", "parameters"]
                 + [c for c in ("within_srcc_mean", "within_srcc_min", "n_groups") if c in table]].copy()
    full["n"] = full["n"].astype("Int64").astype(str)
    full["available"] = full["available"].map({True: "yes", False: "no"})
    write_table(full, tables_dir / biqa_plan.TABLE3["full"], "Table 3 (full): SRCC, KRCC, PLCC with 95% CIs",
                f"Every statistic with its {confidence:.0%} paired-bootstrap CI ({n_boot} resamples, percentile). "
                f"{PLCC_CI_NOTE}. plcc_raw = Pearson without the logistic mapping. " + common, sources)
    write_paper_vs_ours(table, paper_csv, tables_dir / biqa_plan.TABLE3["paper"], sources, common)


def published_only_rows(methods: Sequence[str], datasets: Sequence[str]) -> list[dict]:
    """A row for each of the paper's Table 3 columns that no evaluated method covers, saying why it was not rerun;
    its published SRCC is in the paper-vs-ours companion."""
    covered = {PAPER_METHODS[m] for m in methods if m in PAPER_METHODS}
    rows = []
    for info in list_metrics():
        if info.paper_column and info.paper_column not in covered:
            text = PUBLISHED_ONLY_TEXT if not info.runnable else "not run (not in biqa.baselines)"
            rows.append({"method": info.display_name, "weights": "", **{d: text for d in datasets},
                         "parameters": f"{text}: {info.note}; the paper's SRCC is in {biqa_plan.TABLE3['paper']}"})
    return rows


def write_paper_vs_ours(table: pd.DataFrame, paper_csv: str | Path, stem: Path, sources, common: str) -> None:
    paper = pd.read_csv(paper_csv)
    ours = table[table["available"].astype(bool)].copy()
    ours["dataset"] = ours["dataset"].map(PAPER_DATASETS)
    ours = ours.dropna(subset=["dataset"])
    values = [c for c in paper.columns if c != "dataset"]
    wide = ours.pivot_table(index="dataset", columns="method", values="srcc", aggfunc="first")
    wide = wide.rename(columns=PAPER_METHODS).reindex(columns=values).reset_index()
    if wide.empty:
        wide = pd.DataFrame(columns=["dataset", *values])
    comparison = paper_vs_ours(wide, paper[["dataset", *values]], keys=["dataset"], values=values)
    comparison[["ours", "ours - paper"]] = comparison[["ours", "ours - paper"]].astype(float)
    refitted = {PAPER_METHODS[m] for m in ours["method"].unique() if m in PAPER_METHODS and "refitted" in m}
    comparison["status"] = np.where(comparison["quantity"].isin(PUBLISHED_ONLY), PUBLISHED_ONLY_TEXT,
                                    np.where(comparison["ours"].isna(), "not available in this run",
                                             np.where(comparison["quantity"].isin(refitted),
                                                      "rerun with a REFITTED template", "rerun")))
    evaluated = sorted(set(table["dataset"]))
    note = ("" if set(evaluated) & set(PAPER_DATASETS) else
            f"None of the evaluated sets ({', '.join(evaluated)}) is one of the paper's, so 'ours' is empty here: "
            "this profile shows the layout that the paper profile fills. ")
    write_table(comparison, stem, "Table 3: paper vs ours (SRCC)",
                f"{note}Published SRCC (Table 3 of the paper; copied in {biqa_plan.PAPER_TABLE3}) next to ours for the "
                f"methods both ran; every column of the paper is listed. status '{PUBLISHED_ONLY_TEXT}' = no public "
                "definition with its parameters is obtainable offline (see docs/baselines.md), so only the paper's "
                "number is shown; IL-NIQE needs its template (docs/baselines.md). Our values are signed "
                "(positive = agrees with quality), the paper's are magnitudes. " + common, sources)


# ---------------------------------------------------------------------------------------------------------------
# Table 1: pixel-domain DDR_blur per level on the blur subset


def blur_subset(frame: pd.DataFrame, dist_type: str) -> pd.DataFrame:
    subset = frame[frame["dist_type"].astype(str) == str(dist_type)]
    if subset.empty:
        values = sorted(frame["dist_type"].dropna().astype(str).unique())
        raise ValueError(f"no images with dist_type == {dist_type!r} (values: {values})")
    return subset


def write_table1(pddr_csv: str | Path, ddr_csv: str | Path, baseline_csvs: Sequence[str | Path], dist_type: str,
                 out_stem: str | Path, notes: str, heldout_fraction: float, n_boot: int, seed: int,
                 confidence: float, types: Sequence[str] = DEFAULT_TYPES, iddr_csv: str | Path | None = None
                 ) -> pd.DataFrame:
    """SRCC of pixel-domain DDR_blur at every level vs DDR (text; and with image-defined directions when `iddr_csv`
    is given) and the baselines, on the blur subset."""
    pixel_frame, pixel_record = read_scores(pddr_csv)
    subset = blur_subset(pixel_frame, dist_type)
    mask, how = heldout_mask(subset, heldout_fraction, seed)
    chosen, heldout = select_level(subset, "blur", mask)
    methods = []
    for level, column in level_columns(subset, "blur").items():
        methods.append(Method(f"DDR_blur pixel, sigma={level:g}", column, pixel_frame, pixel_record, domain="pixel",
                              parameters=f"{pixel_record.get('backbone')}: 1 - cos(F(x), F(blur_sigma(x)))",
                              extra={"level": level, "heldout_srcc": float(heldout[level]),
                                     "optimal": "yes" if level == chosen else ""}))
    methods += ddr_methods(ddr_csv, types, per_type=["blur"])
    methods += image_direction_methods(iddr_csv, per_type=["blur"]) if iddr_csv else []
    methods += [baseline_method(p) for p in baseline_csvs]
    rows = []
    for method in methods:
        row = evaluate_method(method, subset, n_boot, seed, confidence, ci_metrics=("srcc",))
        if method.available and has_references(subset):
            frame = method.frame[method.frame["image"].isin(subset["image"])]
            within = within_reference_srcc(frame, method.column, pred_direction=method.direction)
            row.update(within_srcc_mean=within.mean() if len(within) else np.nan,
                       within_srcc_min=within.min() if len(within) else np.nan, n_refs=len(within))
        rows.append(row)
    result = pd.DataFrame(rows)
    shown = pd.DataFrame({
        "measure": result["method"], "weights": result["weights"],
        "SRCC": pd.to_numeric(result.get("srcc"), errors="coerce"),
        "SRCC 95% CI": [f"[{lo:.3f}, {hi:.3f}]" if pd.notna(lo) else "n/a"
                        for lo, hi in zip(result.get("srcc_ci_low", np.nan), result.get("srcc_ci_high", np.nan))],
        "SRCC within ref (mean)": result.get("within_srcc_mean"),
        "SRCC within ref (min)": result.get("within_srcc_min"),
        "KRCC": result.get("krcc"), "PLCC": result.get("plcc"),
        "held-out SRCC": result.get("heldout_srcc"), "optimal (held-out)": result.get("optimal", "").fillna(""),
    })
    shown.loc[~result["available"].astype(bool), ["SRCC 95% CI"]] = UNAVAILABLE_TABLE_TEXT
    sources = [pixel_record] + [m.record for m in methods if m.record is not pixel_record]
    stand_in = sorted(set(result.loc[result["stand_in"].astype(bool), "method"]))
    refs = f", {subset['ref'].nunique()} references" if has_references(subset) else ", no reference column"
    caption = (f"Blur subset (dist_type == {dist_type!r}, {len(subset)} images{refs}): "
               f"pixel-domain DDR_blur with {pixel_record.get('backbone')} ({pixel_record.get('weights')}) at every "
               f"configured sigma vs text-driven DDR and the baselines; best in bold. 'Optimal' = highest pooled SRCC "
               f"on held-out rows ({how}): sigma = {chosen:g}; all SRCCs are over the whole subset. 'Within ref' = "
               "SRCC among the images of one reference (mean and minimum over references). SRCC 95% CI: "
               f"{n_boot} paired bootstrap resamples (CIs of all statistics: Table 3). "
               f"{_direction_sentence(result.assign(dataset='subset'))} Labels: {notes}. ")
    if iddr_csv:
        caption += ("Rows '[<encoder>, image directions]': DDR with image-defined directions (an extension of the "
                    "paper), scored on the rows outside the held-out split only. Read the within-ref columns: the "
                    "labels order images only within a reference. ")
    if stand_in:
        caption += f"STAND-IN weights (not replication numbers): {', '.join(stand_in)}. "
    caption += ' '.join(f"{r['method']}: {UNAVAILABLE_TABLE_TEXT}." for _, r in result.iterrows() if not r["available"])
    write_table(shown, out_stem, "Table 1: SRCC on the blur subset", caption, sources,
                bold_columns=["SRCC", "SRCC within ref (mean)"])
    write_csv(f"{out_stem}_full.csv", portable_frame(result))  # no machine paths in a table
    return result


# ---------------------------------------------------------------------------------------------------------------
# Table 7: ablation over degradation sets, backbones and adaptation (no encoder call: cached DDR_d columns)


def ablation_rows(frame: pd.DataFrame, type_sets: Sequence[Sequence[str]],
                  default_types: Sequence[str]) -> list[tuple[str, str, pd.Series]]:
    """(factor, setting, DDR per image) of the degradation-set and adaptation variants of one encoder's scores."""
    default = list(default_types)
    rows = []
    for types in type_sets:
        mark = " (default)" if list(types) == default else ""
        rows.append(("degradation set", "{" + ", ".join(types) + "}" + mark,
                     frame[[f"ddr_{t}" for t in types]].mean(axis=1)))
    rows.append(("adaptation", "on (default)", frame[[f"ddr_{t}" for t in default]].mean(axis=1)))
    rows.append(("adaptation", "off", frame[[f"ddr_noadapt_{t}" for t in default]].mean(axis=1)))
    return rows


def write_table7(datasets: Sequence[str], main_encoder: str, score_files: Mapping[str, Mapping[str, str]],
                 type_sets: Sequence[Sequence[str]], default_types: Sequence[str], out_stem: str | Path,
                 notes: Mapping[str, str], n_boot: int, seed: int, confidence: float,
                 real_weights: Mapping[str, tuple[str, str]] | None = None, heldout_fraction: float = 0.3
                 ) -> pd.DataFrame:
    """score_files[dataset][encoder] = ddr_<encoder>.csv. SRCC (oriented) of every variant on every dataset.
    real_weights[dataset] = (pddr_<backbone>.csv, iddr_<backbone>.csv): the real-weights rows (pixel-domain optimal
    levels; image-defined directions with adaptation on and off), on the rows outside the held-out split."""
    from ddr.evaluation.bootstrap import srcc_with_ci

    long, sources = [], []
    for dataset, (pddr_csv, iddr_csv) in (real_weights or {}).items():
        methods = real_weights_methods(pddr_csv, iddr_csv, heldout_fraction, seed)
        frame, record = read_scores(iddr_csv)
        off = frame.assign(ddr_noadapt=frame[[f"ddr_noadapt_{t}" for t in default_types]].mean(axis=1))
        methods.append(Method(f"DDR [{record.get('backbone')}, image directions, adaptation off]", "ddr_noadapt",
                              off, record))
        for method in methods:
            direction = label_direction(method.frame, str(iddr_csv))
            values, labels = method.frame[method.column], oriented(method.frame["score"], direction)
            value, lo, hi = srcc_with_ci(values, labels, n_boot, seed, confidence)
            long.append({"factor": "real weights (offline)", "setting": method.name, "dataset": dataset, "srcc": value,
                         "srcc_ci_low": lo, "srcc_ci_high": hi, "weights": weights_text(method.record),
                         "stand_in": bool(method.record.get("stand_in")),
                         **within_groups_srcc(method.frame, method.column)})
            sources.append(method.record)
    for dataset in datasets:
        for encoder, path in score_files[dataset].items():
            frame, record = read_scores(path)
            sources.append(record)
            direction = label_direction(frame, str(path))
            variants = ablation_rows(frame, type_sets, default_types) if encoder == main_encoder else []
            variants.append(("backbone", encoder + (" (default)" if encoder == main_encoder else ""),
                             frame[[f"ddr_{t}" for t in default_types]].mean(axis=1)))
            for factor, setting, values in variants:
                value, lo, hi = srcc_with_ci(values, oriented(frame["score"], direction), n_boot, seed, confidence)
                long.append({"factor": factor, "setting": setting, "dataset": dataset, "srcc": value,
                             "srcc_ci_low": lo, "srcc_ci_high": hi, "weights": weights_text(record),
                             "stand_in": bool(record.get("stand_in")),
                             **within_groups_srcc(frame.assign(_v=values), "_v")})
    long = pd.DataFrame(long)
    real = long["factor"] == "real weights (offline)"
    long = pd.concat([long[~real], long[real]], ignore_index=True)  # the paper's factors first
    wide = long.pivot_table(index=["factor", "setting"], columns="dataset", values="srcc", sort=False).reset_index()
    if "within_srcc_mean" in long:  # beside the pooled SRCC (see WITHIN_NOTE)
        for stat in ("mean", "min"):
            extra = long.pivot_table(index=["factor", "setting"], columns="dataset", values=f"within_srcc_{stat}",
                                     sort=False)
            for dataset in extra.columns:
                wide[f"{dataset} within ref & type ({stat})"] = [extra[dataset].get((f, s_), np.nan)
                                                                  for f, s_ in zip(wide["factor"], wide["setting"])]
    weights = long.drop_duplicates(["factor", "setting"]).set_index(["factor", "setting"])["weights"]
    wide.insert(2, "weights", [weights[(f, s)] for f, s in zip(wide["factor"], wide["setting"])])
    wide.columns.name = None
    stand_in = sorted(set(long.loc[long["stand_in"], "weights"]))
    caption = ("DDR (mean of DDR_d over the set; adaptive unless stated) on each set, SRCC with the labels "
               "(positive = agrees with quality; DMOS negated); best per set in bold. All variants rescore the cached "
               "features (no encoder re-run): degradation sets and adaptation from the default backbone's DDR_d "
               "columns, other backbones from their own feature caches. "
               f"Labels: {'; '.join(notes[d] for d in datasets if d in notes)}. 95% CIs ({n_boot} resamples) in "
               f"{Path(out_stem).name}_full. ")
    if real_weights:
        caption += REAL_WEIGHTS_NOTE
    if "within_srcc_mean" in long:
        caption += WITHIN_NOTE
    if stand_in:
        caption += f"STAND-IN weights (not replication numbers): {', '.join(stand_in)}. "
    write_table(wide, out_stem, "Table 7: BIQA ablation (SRCC)", caption, sources, bold_columns=list(datasets))
    write_table(long.drop(columns="stand_in"), f"{out_stem}_full", "Table 7 (full): SRCC with 95% CIs", caption,
                sources)
    return long
