"""The restoration stage's plan (Tables 4-6, Figures 5, 6, 8, 9, 10): which runs the config asks for and each run's
training config; the jobs that run them are in ddr.pipeline.restoration.jobs.

A run is one training of one network with one loss on one dataset for one seed:
    (task, dataset, network, loss, variant, seed)
task is 'deblur' or 'sr'; loss is a name such as 'psnr+ddr' (terms joined by '+', weights from
`restoration.loss_terms`, λ_d for the DDR term); variant is 'main' for the Table 4/5 grid or the name of a Table 6
ablation variant (which changes λ_d, the degradation set, the CLIP backbone or the adaptation of the DDR term).
Everything here is a pure function of the config, so the DAG (and `snakemake -n` on the paper profile, without
data) is planned from it alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddr.workflow.config import ConfigError
from ddr.restoration.loss_terms import list_losses
from ddr.workflow.layout import Layout

MAIN = "main"
TASKS = ("deblur", "sr")
# From the library's one loss-term table (ddr.restoration.loss_terms.LOSS_TERMS): every name or alias -> the short
# name used in file names, short name -> the label the paper prints, short name -> the library's name.
_LOSS_TERMS = list_losses()
TERM_ALIASES = {n: e.meta.short for e in _LOSS_TERMS for n in (e.name, *e.aliases)}
TERM_LABELS = {e.meta.short: e.meta.label for e in _LOSS_TERMS}
LIBRARY_TERM = {e.meta.short: e.name for e in _LOSS_TERMS}


class RestorationConfigError(ConfigError):
    """The restoration section names something that cannot be run; the message says which key."""


# ---------------------------------------------------------------------------------------------------------------
# loss names
def parse_loss_name(name: str) -> list[str]:
    """'psnr+ctx' -> ['psnr', 'ctx'] (canonical term names, order kept); unknown or repeated terms are errors."""
    if not isinstance(name, str) or not name.strip():
        raise RestorationConfigError(f"loss name must be a non-empty string, got {name!r}")
    terms = []
    for part in name.lower().split("+"):
        part = part.strip()
        term = TERM_ALIASES.get(part, part)
        if term not in TERM_LABELS:
            raise RestorationConfigError(f"loss {name!r}: unknown term {part!r}; known: {sorted(TERM_LABELS)}")
        if term in terms:
            raise RestorationConfigError(f"loss {name!r}: term {term!r} appears twice")
        terms.append(term)
    return terms


def loss_slug(name: str) -> str:
    """Canonical spelling used in file names: 'PSNR + contextual' -> 'psnr+ctx'."""
    return "+".join(parse_loss_name(name))


def loss_label(name: str) -> str:
    """The label the paper's tables use: 'psnr+ddr' -> 'PSNR+DDR'."""
    return "+".join(TERM_LABELS[t] for t in parse_loss_name(name))


def loss_spec(name: str, terms: Mapping[str, Any], lambda_d: float | None = None) -> dict[str, Any]:
    """The `ddr.restoration.build_loss` spec of a loss name: {library term: weight or {weight, **options}}.

    `terms` is `restoration.loss_terms` (a weight, or a dict with 'weight' and the term's options);
    `lambda_d` overrides the DDR weight (ablation variants).
    """
    spec: dict[str, Any] = {}
    for term in parse_loss_name(name):
        if term not in terms:
            raise RestorationConfigError(f"loss {name!r}: no weight for term {term!r} in restoration.loss_terms")
        value = copy.deepcopy(terms[term])
        if term == "ddr" and lambda_d is not None:
            value = {**value, "weight": float(lambda_d)} if isinstance(value, Mapping) else float(lambda_d)
        spec[LIBRARY_TERM.get(term, term)] = value
    return spec


def term_weight(value: Any) -> float:
    return float(value.get("weight", 1.0)) if isinstance(value, Mapping) else float(value)


# ---------------------------------------------------------------------------------------------------------------
# runs
@dataclass(frozen=True, order=True)
class Run:
    task: str
    dataset: str
    network: str
    loss: str
    variant: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.task}/{self.dataset}/{self.network}/{self.loss}/{self.variant}/seed{self.seed}"

    def train_dir(self, results: str) -> str:
        return Layout(results).restoration_train_dir(self.key)

    def eval_dir(self, results: str) -> str:
        return Layout(results).restoration_eval_dir(self.key)


def task_datasets(rcfg: Mapping[str, Any]) -> list[tuple[str, str]]:
    """[(task, dataset)] in config order."""
    pairs = []
    for task, datasets in rcfg["tasks"].items():
        if task not in TASKS:
            raise RestorationConfigError(f"restoration.tasks: unknown task {task!r}; known: {list(TASKS)}")
        pairs.extend((task, d) for d in datasets)
    return pairs


def main_runs(rcfg: Mapping[str, Any]) -> list[Run]:
    """The Table 4 / Table 5 grid: every (task, dataset) x network x loss x seed."""
    return [Run(task, dataset, network, loss_slug(loss), MAIN, int(seed))
            for task, dataset in task_datasets(rcfg) for network in rcfg["networks"]
            for loss in rcfg["losses"] for seed in rcfg["seeds"]]


def ablation_variants(rcfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    ab = rcfg.get("ablation") or {}
    if not ab.get("enabled"):
        return []
    names = [v["name"] for v in ab.get("variants", [])]
    for name in names:
        if name == MAIN:
            raise RestorationConfigError("restoration.ablation.variants: 'main' is reserved for the main grid")
    if len(set(names)) != len(names):
        raise RestorationConfigError(f"restoration.ablation.variants: repeated names in {names}")
    return list(ab.get("variants", []))


def ablation_reference_runs(rcfg: Mapping[str, Any]) -> dict[str, Run]:
    """The Table 6 reference rows: PSNR alone and PSNR+DDR with the default DDR settings (main-grid runs)."""
    ab = rcfg["ablation"]
    seed = int(ab.get("seed", rcfg["seeds"][0]))
    return {name: Run(ab["task"], ab["dataset"], ab["network"], loss, MAIN, seed)
            for name, loss in (("psnr", "psnr"), ("default", "psnr+ddr"))}


def ablation_runs(rcfg: Mapping[str, Any]) -> list[Run]:
    """Table 6: NAFNet with PSNR+DDR on the ablation dataset, one run per variant (references not included)."""
    variants = ablation_variants(rcfg)
    if not variants:
        return []
    ab = rcfg["ablation"]
    seed = int(ab.get("seed", rcfg["seeds"][0]))
    return [Run(ab["task"], ab["dataset"], ab["network"], "psnr+ddr", v["name"], seed) for v in variants]


def all_runs(rcfg: Mapping[str, Any]) -> list[Run]:
    runs = set(main_runs(rcfg)) | set(ablation_runs(rcfg))
    if ablation_variants(rcfg):
        runs |= set(ablation_reference_runs(rcfg).values())
    return sorted(runs)


def variant_settings(rcfg: Mapping[str, Any], variant: str) -> dict[str, Any]:
    """DDR settings of a run: λ_d, degradation types, adaptation, CLIP backbone ('<arch>+<tag>' or None)."""
    ddr = rcfg["ddr"]
    base = {"lambda_d": term_weight(rcfg["loss_terms"]["ddr"]) if "ddr" in rcfg["loss_terms"] else None,
            "types": list(ddr["types"]), "adaptive": bool(ddr["adaptive"]), "backbone": ddr.get("backbone")}
    if variant == MAIN:
        return base
    for v in ablation_variants(rcfg):
        if v["name"] == variant:
            return {**base, **{k: (list(val) if k == "types" else val) for k, val in v.items()
                               if k in ("lambda_d", "types", "adaptive", "backbone")}}
    raise RestorationConfigError(f"unknown ablation variant {variant!r}; configured: "
                                 f"{[v['name'] for v in ablation_variants(rcfg)]}")


def ddr_encoder(rcfg: Mapping[str, Any], variant: str, clip_cfg: Mapping[str, Any]) -> str:
    """'<arch>+<tag>' of the CLIP model behind the DDR term (the clip section's unless the run overrides it)."""
    from ddr.backbones.spec import BackboneSpec

    backbone = variant_settings(rcfg, variant)["backbone"]
    try:
        spec = BackboneSpec.from_tag(backbone) if backbone else BackboneSpec.from_config(clip_cfg["arch"],
                                                                                          clip_cfg["pretrained"])
    except ValueError as error:
        raise RestorationConfigError(f"DDR backbone: {error}") from None
    return spec.tag


def uses_ddr(run: Run) -> bool:
    return "ddr" in parse_loss_name(run.loss)


def schedule(rcfg: Mapping[str, Any], network: str) -> dict[str, Any]:
    """Training schedule of a network: restoration.train.default overlaid with restoration.train.<network>."""
    return {**rcfg["train"]["default"], **rcfg["train"].get(network, {})}


def recipe(rcfg: Mapping[str, Any]) -> dict[str, Any]:
    """The named recipe the schedules implement ({name, note, gpu_hours}); stated in captions and provenance."""
    return {"name": "unnamed", "note": "", "gpu_hours": {}, **(rcfg.get("recipe") or {})}


def loss_weights(rcfg: Mapping[str, Any]) -> dict[str, float]:
    """Weight of every configured loss term (the paper publishes none: ours, stated in every output)."""
    return {term: term_weight(value) for term, value in rcfg["loss_terms"].items()}


def eval_options(rcfg: Mapping[str, Any], network: str) -> dict[str, Any]:
    return {**rcfg["eval"]["default"], **rcfg["eval"].get(network, {})}


def protocol(rcfg: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """How a dataset is measured: crop_border, alignment ('none' | 'ecc'), and its pair options."""
    if dataset not in rcfg["datasets"]:
        raise RestorationConfigError(f"restoration.datasets has no entry for {dataset!r} "
                                     f"(needed for its crop border and alignment)")
    return {"crop_border": 0, "alignment": "none", **rcfg["datasets"][dataset]}


def figure_image_indices(rcfg: Mapping[str, Any], task: str, dataset: str) -> list[int]:
    """Test-image indices whose restored PNGs the evaluation keeps (the figures' images)."""
    return sorted({int(f["image"]) for f in rcfg.get("figures", {}).values()
                   if f["task"] == task and f["dataset"] == dataset})


def figure_network(rcfg: Mapping[str, Any], fig: Mapping[str, Any]) -> str:
    return fig.get("network", rcfg["networks"][0])


def figure_runs(rcfg: Mapping[str, Any], fig_id: str) -> list[Run]:
    """The runs a figure compares: every configured loss, same network, first seed, main variant."""
    fig = rcfg["figures"][fig_id]
    seed = int(fig.get("seed", rcfg["seeds"][0]))
    return [Run(fig["task"], fig["dataset"], figure_network(rcfg, fig), loss_slug(loss), MAIN, seed)
            for loss in rcfg["losses"]]


def check_config(rcfg: Mapping[str, Any]) -> None:
    """Errors the schema cannot express: unknown networks, losses, datasets without a protocol, figures and
    ablation pointing outside the grid."""
    from ddr.restoration.networks import NAMED_CONFIGS

    for network in rcfg["networks"]:
        if network not in NAMED_CONFIGS:
            raise RestorationConfigError(f"restoration.networks: unknown network {network!r}; "
                                         f"known: {sorted(NAMED_CONFIGS)}")
    for loss in rcfg["losses"]:
        loss_spec(loss, rcfg["loss_terms"])
    slugs = [loss_slug(loss) for loss in rcfg["losses"]]
    if len(set(slugs)) != len(slugs):
        raise RestorationConfigError(f"restoration.losses: the same loss appears twice in {rcfg['losses']}")
    for _, dataset in task_datasets(rcfg):
        protocol(rcfg, dataset)
    grid = set(task_datasets(rcfg))
    for fig_id, fig in rcfg.get("figures", {}).items():
        if (fig["task"], fig["dataset"]) not in grid:
            raise RestorationConfigError(f"restoration.figures.{fig_id}: ({fig['task']}, {fig['dataset']}) "
                                         f"is not in restoration.tasks")
        if figure_network(rcfg, fig) not in rcfg["networks"]:
            raise RestorationConfigError(f"restoration.figures.{fig_id}: network {fig.get('network')!r} "
                                         f"is not in restoration.networks")
    if ablation_variants(rcfg):
        ab = rcfg["ablation"]
        if ab["network"] not in NAMED_CONFIGS:
            raise RestorationConfigError(f"restoration.ablation.network: unknown network {ab['network']!r}")
        if "ddr" not in rcfg["loss_terms"]:
            raise RestorationConfigError("restoration.ablation needs a 'ddr' entry in restoration.loss_terms")
        protocol(rcfg, ab["dataset"])


# ---------------------------------------------------------------------------------------------------------------
# provenance of the losses: which backbones were stand-ins
def stand_in_records(loss_provenance: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One record per backbone a loss used, {backbone, stand_in, stand_in_reason, term}, in the form
    ddr.reporting.captions.stand_in_note reads (so every table and figure carries the warning)."""
    records = []
    for term, info in loss_provenance.items():
        if term == "ddr":
            records.append({"term": "ddr", "backbone": f"DDR/CLIP {info.get('backbone')}",
                            "stand_in": bool(info.get("stand_in")),
                            "stand_in_reason": info.get("stand_in_reason") or ""})
        elif "weights" in info:
            weights = str(info["weights"])
            stand_in = weights.startswith("stand-in")
            records.append({"term": term, "backbone": f"{term}/{info.get('backbone')}", "stand_in": stand_in,
                            "stand_in_reason": weights if stand_in else "",
                            "weights": weights})
    return records


def merge_records(groups: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Unique records (by backbone and status), sorted, for a table or figure that mixes runs."""
    seen: dict[tuple, dict] = {}
    for group in groups:
        for r in group:
            seen.setdefault((r["backbone"], r["stand_in"], r.get("stand_in_reason", "")), dict(r))
    return [seen[k] for k in sorted(seen)]


def backbones_line(records: Sequence[Mapping[str, Any]]) -> str:
    """'Loss backbones: lpips/vgg16 stand-in, DDR/CLIP ... real, ...' for captions (also when nothing is a stand-in)."""
    if not records:
        return "Loss backbones: none (pixel losses only)."
    parts = sorted({f"{r['backbone']} ({'STAND-IN' if r['stand_in'] else 'real weights'})" for r in records})
    return "Loss backbones: " + ", ".join(parts) + "."


# ---------------------------------------------------------------------------------------------------------------
# train configs
def train_config(rcfg: Mapping[str, Any], run: Run, pairs_csv: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """The `ddr.restoration.train.train` config of a run. Every value the numbers depend on is in it (the DDR
    term's settings under 'ddr'; `train_run` adds the CLIP weights record), so the library refuses to resume a
    checkpoint written under another config."""
    s = schedule(rcfg, run.network)
    settings = variant_settings(rcfg, run.variant)
    ev = eval_options(rcfg, run.network)
    ddr_section = None
    if uses_ddr(run):
        ddr_section = {"types": settings["types"], "adaptive": settings["adaptive"],
                       "lambda_d": settings["lambda_d"]}
    return {
        "seed": run.seed,
        "network": run.network,
        "loss": loss_spec(run.loss, rcfg["loss_terms"], settings["lambda_d"] if uses_ddr(run) else None),
        "feature_weights": rcfg["feature_weights"],
        "ddr": ddr_section,
        "data": {"pairs": str(pairs_csv), "columns": {}, "train_split": "train", "val_split": "test",
                 "crop_size": int(s["crop_size"]), "batch_size": int(s["batch_size"]), "flips": True,
                 "num_workers": int(s.get("num_workers", 0)), "max_val_images": s.get("max_val_images"),
                 "accumulate": int(s.get("accumulate") or 1), "progressive": copy.deepcopy(s.get("progressive"))},
        "optim": {"lr": float(s["lr"]), "weight_decay": float(s["weight_decay"]), "betas": list(s["betas"]),
                  "eta_min": float(s["eta_min"]), "grad_clip": s.get("grad_clip"),
                  "constant_iterations": int(s.get("constant_iterations") or 0)},
        "iterations": int(s["iterations"]),
        "out_dir": str(out_dir),
        "checkpoint_every": int(s["checkpoint_every"]),
        "keep_checkpoints": int(s.get("keep_checkpoints", 2)),
        "log_every": int(s["log_every"]),
        "eval_every": int(s["eval_every"]),
        "eval": {"tile": ev.get("tile"), "overlap": int(ev.get("overlap", 32)),
                 "crop_border": int(protocol(rcfg, run.dataset)["crop_border"]), "quantize": True,
                 "local_train_size": ev.get("local_train_size")},
        "device": s.get("device", "auto"),
        "amp": s.get("amp", "bf16"),
        "deterministic": bool(s.get("deterministic", False)),
        "progress": True,
    }
