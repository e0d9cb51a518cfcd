"""Tables 4, 5 and 6 (and the list of runs) from the evaluation summaries; paper-vs-ours companions.

Every number is the mean over the test images of one run, then the mean over seeds. Table 4 and 5 keep the
paper's layout (Table 4: model, loss, <dataset>_psnr, <dataset>_ssim; Table 5: loss, <model>_psnr, <model>_ssim)
so the published CSVs line up with ours; a network is matched to the paper's model only through
`restoration.paper_models` (the mini profile maps none, so its companion shows the paper's numbers beside n/a).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ddr.workflow.restoration_plan import (MAIN, backbones_line, loss_label, loss_slug, loss_weights, merge_records,
                                      protocol, recipe, schedule, variant_settings)

RUN_COLUMNS = ["task", "dataset", "network", "loss", "variant", "seed"]


def collect(summary_paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per evaluated run (or input): run fields, loss label, psnr, ssim, images, stand-in records."""
    rows = []
    for path in summary_paths:
        s = json.loads(Path(path).read_text())
        rows.append({**{k: s["run"][k] for k in RUN_COLUMNS}, "loss_label": s["loss_label"], "psnr": s["psnr"],
                     "ssim": s["ssim"], "images": s["images"], "recipe": s.get("recipe", {}).get("name"),
                     "iterations": s.get("iterations"),
                     "train_wall_s": s.get("train_wall_s"), "alignment_failures": s.get("alignment_failures", 0),
                     "records": s.get("stand_in_records", [])})
    return pd.DataFrame(rows, columns=[*RUN_COLUMNS, "loss_label", "psnr", "ssim", "images", "recipe", "iterations",
                                       "train_wall_s", "alignment_failures", "records"])


def over_seeds(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean psnr / ssim over seeds for each (task, dataset, network, loss, variant); n_seeds kept."""
    keys = ["task", "dataset", "network", "loss", "variant", "loss_label"]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "psnr", "ssim", "n_seeds"])
    return (frame.groupby(keys, sort=False, dropna=False)
            .agg(psnr=("psnr", "mean"), ssim=("ssim", "mean"), n_seeds=("seed", "nunique")).reset_index())


def records_of(frame: pd.DataFrame) -> list[dict]:
    return merge_records(list(frame["records"])) if len(frame) else []


def _value(agg: pd.DataFrame, metric: str, **where) -> float:
    mask = np.ones(len(agg), dtype=bool)
    for k, v in where.items():
        mask &= (agg[k] == v).to_numpy()
    hit = agg[mask]
    if len(hit) > 1:
        raise ValueError(f"several results for {where}: {hit[['network', 'loss', 'variant']].to_dict('records')}")
    return float(hit[metric].iloc[0]) if len(hit) else float("nan")


def model_name(network: str, paper_models: Mapping[str, str]) -> str:
    return paper_models.get(network, network)


def table4(agg: pd.DataFrame, inputs: pd.DataFrame, datasets: Sequence[str], networks: Sequence[str],
           losses: Sequence[str], paper_models: Mapping[str, str]) -> pd.DataFrame:
    """Deblurring: one row per (network, loss) plus the unrestored input; columns <dataset>_psnr/_ssim."""
    rows = [{"model": "Input", "network": "-", "loss": "no restoration",
             **{f"{d}_{m}": _value(inputs, m, task="deblur", dataset=d) for d in datasets for m in ("psnr", "ssim")}}]
    for network in networks:
        for loss in losses:
            rows.append({"model": model_name(network, paper_models), "network": network, "loss": loss_label(loss),
                         **{f"{d}_{m}": _value(agg, m, task="deblur", dataset=d, network=network,
                                               loss=loss_slug(loss), variant=MAIN)
                            for d in datasets for m in ("psnr", "ssim")}})
    return pd.DataFrame(rows)


def table5_column(network: str, dataset: str, paper_models: Mapping[str, str], several_datasets: bool) -> str:
    key = model_name(network, paper_models).lower()
    return f"{dataset}_{key}" if several_datasets else key


def table5(agg: pd.DataFrame, inputs: pd.DataFrame, datasets: Sequence[str], networks: Sequence[str],
           losses: Sequence[str], paper_models: Mapping[str, str]) -> pd.DataFrame:
    """Real-world SR: one row per loss plus the input; columns <model>_psnr/_ssim (prefixed by the dataset when
    more than one SR dataset is configured)."""
    several = len(datasets) > 1
    columns = [(d, n, table5_column(n, d, paper_models, several)) for d in datasets for n in networks]
    keys = [c for _, _, c in columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Table 5 columns collide ({keys}): map the networks to distinct paper_models")
    rows = [{"loss": "Input", **{f"{c}_{m}": _value(inputs, m, task="sr", dataset=d)
                                 for d, _, c in columns for m in ("psnr", "ssim")}}]
    for loss in losses:
        rows.append({"loss": loss_label(loss),
                     **{f"{c}_{m}": _value(agg, m, task="sr", dataset=d, network=n, loss=loss_slug(loss),
                                           variant=MAIN)
                        for d, n, c in columns for m in ("psnr", "ssim")}})
    return pd.DataFrame(rows)


def companion(ours: pd.DataFrame, paper: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """paper, ours and ours - paper for every number the paper published (ours n/a where not run)."""
    from ddr.reporting import paper_vs_ours

    values = [c for c in paper.columns if c not in keys]
    ours = ours[[c for c in ours.columns if c in (*keys, *values)]].copy()
    for column in values:
        if column not in ours:
            ours[column] = np.nan
    duplicated = ours[ours.duplicated(list(keys), keep=False)]
    if len(duplicated):
        raise ValueError(f"several of our rows match the same paper row: {duplicated[list(keys)].to_dict('records')}")
    return paper_vs_ours(ours[[*keys, *values]], paper, keys, values)


def format_types(types: Sequence[str]) -> str:
    return ", ".join(types)


def table6(agg: pd.DataFrame, rcfg: Mapping[str, Any], clip_encoder: str) -> pd.DataFrame:
    """Ablation on (ablation dataset, NAFNet, PSNR+DDR): references PSNR alone and PSNR+DDR with the default
    settings, then one row per variant with the setting it changes."""
    ab = rcfg.get("ablation") or {}
    columns = ["variant", "lambda_d", "degradations", "backbone", "adaptation", "psnr", "ssim"]
    if not ab.get("enabled"):
        return pd.DataFrame([{"variant": "ablation disabled in this profile (restoration.ablation.enabled: false)",
                              "lambda_d": np.nan, "degradations": "-", "backbone": "-", "adaptation": "-",
                              "psnr": np.nan, "ssim": np.nan}], columns=columns)
    where = {"task": ab["task"], "dataset": ab["dataset"], "network": ab["network"]}

    def row(label: str, loss: str, variant: str) -> dict:
        s = variant_settings(rcfg, variant)
        ddr = loss == "psnr+ddr"
        return {"variant": label, "lambda_d": s["lambda_d"] if ddr else np.nan,
                "degradations": format_types(s["types"]) if ddr else "-",
                "backbone": (s["backbone"] or clip_encoder) if ddr else "-",
                "adaptation": ("on" if s["adaptive"] else "off") if ddr else "-",
                "psnr": _value(agg, "psnr", **where, loss=loss, variant=MAIN if variant == MAIN else variant),
                "ssim": _value(agg, "ssim", **where, loss=loss, variant=MAIN if variant == MAIN else variant)}

    rows = [row("PSNR only", "psnr", MAIN), row("PSNR+DDR (default)", "psnr+ddr", MAIN)]
    rows += [row(v["name"], "psnr+ddr", v["name"]) for v in ab.get("variants", [])]
    return pd.DataFrame(rows, columns=columns)


def runs_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every run: its metrics, iterations, training wall time and which loss backbones were stand-ins."""
    out = frame[frame["network"] != "input"].copy()
    out["stand_in_backbones"] = [", ".join(sorted(r["backbone"] for r in recs if r["stand_in"])) or "-"
                                 for recs in out["records"]]
    return out.drop(columns=["records"]).sort_values(RUN_COLUMNS).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# captions
def protocol_text(rcfg: Mapping[str, Any], datasets: Sequence[str]) -> str:
    parts = []
    for d in datasets:
        p = protocol(rcfg, d)
        extra = [f"{k} {p[k]}" for k in ("variant", "scale") if p.get(k)]
        parts.append(f"{d}: crop border {p['crop_border']} px, alignment {p['alignment']}"
                     + (f", {', '.join(extra)}" if extra else ""))
    return ("PSNR/SSIM on RGB of the 8-bit outputs (SSIM: 11x11 Gaussian window, sigma 1.5); "
            + "; ".join(parts) + ".")


def schedule_text(rcfg: Mapping[str, Any], networks: Sequence[str]) -> str:
    r = recipe(rcfg)
    parts = []
    for n in networks:
        s = schedule(rcfg, n)
        if s.get("progressive"):
            crops = "progressive " + ", ".join(f"{st['crop_size']}px x{st['batch_size']} for {st['iterations']}"
                                                for st in s["progressive"])
        else:
            crops = f"{s['crop_size']}px crops, batch {s['batch_size']}"
        hold = int(s.get("constant_iterations") or 0)
        lr = (f"AdamW lr {s['lr']} (wd {s['weight_decay']}, betas {list(s['betas'])}), "
              + (f"constant for {hold} iterations then " if hold else "") + f"cosine to {s['eta_min']}")
        amp = s.get("amp", "none")
        precision = ("fp32" if amp == "none"
                     else f"{amp} autocast for the network on a GPU (fp32 on a CPU), loss terms in fp32")
        accumulate = int(s.get("accumulate") or 1)
        micro = f" ({accumulate} micro-batches, as the official {accumulate} GPUs)" if accumulate > 1 else ""
        hours = (r.get("gpu_hours") or {}).get(n)
        cost = f", about {hours:g} GPU-hours per PSNR+DDR run" if hours else ""
        parts.append(f"{n}: {s['iterations']} iterations, {crops}{micro}, {lr}, {precision}{cost}")
    return f"Training recipe '{r['name']}': " + "; ".join(parts) + "."


def weights_text(rcfg: Mapping[str, Any]) -> str:
    terms = ", ".join(f"{k} {w:g}" for k, w in loss_weights(rcfg).items())
    return (f"Loss weights (not published; ours): {terms}; DDR types {format_types(rcfg['ddr']['types'])}, "
            f"adaptation {'on' if rcfg['ddr']['adaptive'] else 'off'}.")


def caption(base: str, rcfg: Mapping[str, Any], datasets: Sequence[str], networks: Sequence[str],
            records: Sequence[Mapping[str, Any]], seeds: int) -> str:
    return " ".join([base, protocol_text(rcfg, datasets), schedule_text(rcfg, networks), weights_text(rcfg),
                     f"Mean over {seeds} seed(s).", backbones_line(records)])
