"""The restoration stage's table and figure jobs: summaries in, CSV/Markdown/LaTeX tables and PNG/PDF figures out,
each with a caption that states the protocol, the schedule, the loss weights and which backbones were stand-ins."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ddr.backbones.spec import BackboneSpec
from ddr.workflow import restoration_plan as plan
from ddr.pipeline.restoration import tables

TITLES = {
    "table4": "Table 4: deblurring PSNR/SSIM of networks trained with each loss",
    "table5": "Table 5: real-world SR PSNR/SSIM of networks trained with each loss",
    "table6": "Table 6: ablation of the DDR loss (lambda_d, degradation set, backbone, adaptation)",
    "runs": "Restoration runs: per-run metrics, schedule and wall time",
}


def profile_note(rcfg: Mapping[str, Any], profile: str) -> str:
    if rcfg.get("paper_models"):
        return f"Profile {profile}."
    return (f"Profile {profile}: small networks on small data, no network is mapped to the paper's models; "
            f"the numbers check the pipeline and are not comparable to the paper.")


def _provenance(profile: str, table: str, records: Sequence[Mapping[str, Any]], runs: int,
                rcfg: Mapping[str, Any] | None = None) -> list[dict]:
    head = {"stage": "restoration", "profile": profile, "table": table, "runs": runs}
    if rcfg is not None:  # what produced the numbers: the recipe and the (unpublished, ours) loss weights
        head.update(recipe=plan.recipe(rcfg), loss_weights=plan.loss_weights(rcfg))
    return [head, *map(dict, records)]


def write_restoration_table(table: str, rcfg: Mapping[str, Any], clip_cfg: Mapping[str, Any], profile: str,
                            run_summaries: Sequence[str | Path], input_summaries: Sequence[str | Path],
                            paper_csv: str | Path | None, stem: str | Path) -> list[Path]:
    """Write one of table4 / table5 / table6 / runs (and the paper-vs-ours companion of 4 and 5) at `stem`."""
    from ddr.reporting import write_table

    stem = Path(stem)
    frame = tables.collect(run_summaries)
    if table in ("table4", "table5"):  # only the runs this table shows (and whose backbones its caption names)
        task = "deblur" if table == "table4" else "sr"
        frame = frame[(frame["task"] == task) & (frame["variant"] == plan.MAIN)].reset_index(drop=True)
    inputs = tables.over_seeds(tables.collect(input_summaries))
    agg = tables.over_seeds(frame)
    records = tables.records_of(frame)
    clip_encoder = BackboneSpec.from_config(clip_cfg["arch"], clip_cfg["pretrained"]).tag
    seeds = len(rcfg["seeds"])
    note = profile_note(rcfg, profile)
    written: list[Path] = []
    if table in ("table4", "table5"):
        task = "deblur" if table == "table4" else "sr"
        datasets = [d for t, d in plan.task_datasets(rcfg) if t == task]
        build = tables.table4 if table == "table4" else tables.table5
        ours = build(agg, inputs, datasets, rcfg["networks"], rcfg["losses"], rcfg.get("paper_models", {}))
        metric_columns = [c for c in ours.columns if c.endswith(("_psnr", "_ssim"))]
        text = tables.caption(f"{note} Each network trained on each dataset's train split with the loss named; "
                              f"'Input' is the unrestored input.", rcfg, datasets, rcfg["networks"], records, seeds)
        written += write_table(ours, stem, TITLES[table], text, _provenance(profile, table, records, len(frame), rcfg),
                               bold_columns=metric_columns)
        paper = pd.read_csv(paper_csv)
        keys = ["model", "loss"] if table == "table4" else ["loss"]
        both = tables.companion(ours, paper, keys)
        mapped = ", ".join(f"{k} -> {v}" for k, v in rcfg.get("paper_models", {}).items()) or "none"
        text = (f"{note} Published numbers (Wu et al., NeurIPS 2024, {TITLES[table].split(':')[0]}) beside ours; "
                f"networks mapped to the paper's models: {mapped}; n/a: not run in this profile. "
                + " ".join([tables.protocol_text(rcfg, datasets), tables.schedule_text(rcfg, rcfg["networks"]),
                            tables.weights_text(rcfg), plan.backbones_line(records)]))
        written += write_table(both, stem.with_name(stem.name + "_paper_vs_ours"), TITLES[table] + " (paper vs ours)",
                               text, _provenance(profile, table, records, len(frame), rcfg), number_format="{:.4f}")
    elif table == "table6":
        ours = tables.table6(agg, rcfg, clip_encoder)
        ab = rcfg.get("ablation") or {}
        where = (f"{ab.get('network')} on {ab.get('dataset')} ({ab.get('task')})" if ab.get("enabled")
                 else "disabled")
        datasets = [ab["dataset"]] if ab.get("enabled") else []
        networks = [ab["network"]] if ab.get("enabled") else []
        text = tables.caption(f"{note} Ablation: {where}; each variant trains PSNR+DDR with one setting changed "
                              f"(the paper publishes no numbers for this table).", rcfg, datasets, networks,
                              records, seeds)
        written += write_table(ours, stem, TITLES[table], text, _provenance(profile, table, records, len(frame), rcfg),
                               bold_columns=["psnr", "ssim"])
    elif table == "runs":
        ours = tables.runs_table(frame)
        text = (f"{note} One row per trained model: mean test PSNR/SSIM, recipe, iterations, training wall time in "
                f"seconds and the loss backbones that were stand-ins. "
                + " ".join([tables.weights_text(rcfg), plan.backbones_line(records)]))
        written += write_table(ours, stem, TITLES[table], text, _provenance(profile, table, records, len(frame), rcfg))
    else:
        raise ValueError(f"unknown restoration table {table!r}")
    return written


def write_restoration_figure(fig_id: str, fig_cfg: Mapping[str, Any], runs: Sequence[Mapping[str, Any]],
                             run_summaries: Sequence[str | Path], input_summary: str | Path,
                             pairs_csv: str | Path, stem: str | Path, profile: str) -> list[Path]:
    """One crop-comparison figure: input, every loss's output and the ground truth on one test image."""
    from ddr.pipeline.restoration.figures import crop_figure

    frame = tables.collect(run_summaries)
    records = tables.records_of(frame)
    outputs = [(plan.loss_label(r["loss"]), Path(s).parent) for r, s in zip(runs, run_summaries)]
    network = runs[0]["network"] if runs else "?"
    task = "deblurring" if fig_cfg["task"] == "deblur" else "super-resolution"
    title = f"{fig_id}: {task} on {fig_cfg['dataset']}, {network}, one crop per loss"
    trained = [json.loads(Path(p).read_text()) for p in run_summaries]
    made_by = {"recipe": trained[0].get("recipe", {}) if trained else {},
               "loss_weights": {k: v for t in trained for k, v in t.get("loss_weights", {}).items()}}
    weights = ", ".join(f"{k} {v:g}" for k, v in made_by["loss_weights"].items()) or "n/a"
    caption = (f"Profile {profile}. {task.capitalize()} results of {network} trained with each loss on "
               f"{fig_cfg['dataset']} test image {fig_cfg['image']}; panel titles give the whole-image PSNR under the "
               f"dataset's protocol (as in the tables). Training recipe '{made_by['recipe'].get('name', 'n/a')}'; "
               f"loss weights (not published; ours) of the runs shown: {weights}. " + plan.backbones_line(records))
    provenance = _provenance(profile, fig_id, records, len(frame))
    provenance[0].update(made_by)
    return crop_figure(fig_cfg, pairs_csv, Path(input_summary).parent, outputs, stem, caption, provenance, title)


def write_restoration_tables(tables: Mapping[str, str | Path], rcfg: Mapping[str, Any], clip_cfg: Mapping[str, Any],
                             profile: str, run_summaries: Sequence[str | Path],
                             input_summaries: Sequence[str | Path], table6_summaries: Sequence[str | Path],
                             paper_csvs: Mapping[str, str | Path]) -> list[Path]:
    """Every restoration table of the profile: `tables` maps each table ('table4', 'table5', 'table6', 'runs') to
    the stem its files are written to (ddr.workflow.restoration_dag.RestorationDAG.table_jobs)."""
    written: list[Path] = []
    for table, stem in tables.items():
        runs = table6_summaries if table == "table6" else run_summaries
        written += write_restoration_table(table, rcfg, clip_cfg, profile, runs, input_summaries,
                                           paper_csvs.get(table), Path(stem))
    return written
