"""Train a restoration network on paired crops: `train(cfg)` or `python -m ddr.restoration.train --config F.yaml`.

AdamW + cosine annealing (per iteration; optionally held constant first, as Restormer), seeded random crops
and flips, optional progressive patches (Restormer), mixed precision on CUDA only for the network (the loss
terms are always computed in fp32),
atomic checkpoints every `checkpoint_every` iterations with model / optimiser / scheduler / scaler / RNG
states, automatic resume from the newest checkpoint in `out_dir/checkpoints` (a resumed run logs exactly the
losses an uninterrupted run logs), a tqdm bar on stderr and `out_dir/log.csv` rewritten atomically at each
log step (columns: iter, loss, loss_<term>..., lr, val_psnr, val_ssim).

The defaults are NAFNet's GoPro recipe (AdamW lr 1e-3, betas (0.9, 0.9), cosine to 1e-7) at toy sizes;
configs set the paper-scale values (config/paper.yaml: the networks' official recipes). See DEFAULTS.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
import yaml
from torch.utils.data import DataLoader
from tqdm import tqdm

from .checkpoint import (atomic_torch_save, atomic_write_bytes, checkpoint_path, csv_text, latest_checkpoint,
                         prune_checkpoints, read_csv_rows, rng_states, seed_everything, set_rng_states)
from .data import PairedTrainingSamples, read_pairs
from .losses import build_loss
from .networks import build_network, resolve_network_config

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "network": "nafnet-tiny",
    "loss": {"psnr": 1.0},
    "feature_weights": "imagenet",   # perceptual backbones: "imagenet" (stand-in if unavailable) | "random"
    "feature_cache_dir": None,       # where torchvision's ImageNet weights are looked for (default: torch hub)
    "ddr": None,                     # for the ddr term: {"pretrained": "clip:ViT-B-32:openai"} or
                                     # {"checkpoint": PATH}, plus DDR keyword arguments (e.g. types)
    "data": {
        "pairs": None,               # path of pairs.csv
        "columns": {},               # role -> CSV column, e.g. {"input": "blur", "target": "sharp"}
        "train_split": "train",
        "val_split": "test",
        "crop_size": 64,
        "batch_size": 4,
        "flips": True,
        "num_workers": 0,
        "cache_images": "auto",      # keep decoded images in memory: true | false | "auto" (<= 500 pairs)
        "max_val_images": None,
        "accumulate": 1,             # micro-batches per iteration, gradients averaged: the official runs' GPU count
                                     # (8 x their per-GPU batch = our batch), so the losses see per-GPU batches
        "progressive": None,         # Restormer's progressive patches: [{iterations, crop_size, batch_size}, ...]
                                     # in order, iterations summing to `iterations`; crops of the largest size and
                                     # batches of the largest batch are loaded, each stage takes a random sub-crop
                                     # and a random subset (Restormer's basicsr/train.py); crop_size/batch_size unused
    },
    "optim": {"lr": 1e-3, "weight_decay": 0.0, "betas": [0.9, 0.9], "eta_min": 1e-7, "grad_clip": None,
              "constant_iterations": 0},  # lr held at `lr` this long, then cosine to eta_min (Restormer: 92k)
    "iterations": 100,
    "out_dir": "runs/restoration",
    "checkpoint_every": 50,
    "keep_checkpoints": 2,
    "log_every": 10,
    "eval_every": 50,                # 0: validate only at the end
    "eval": {"tile": None, "overlap": 32, "crop_border": 0, "quantize": True, "local_train_size": None},
    "device": "auto",
    "amp": "bf16",                   # CUDA only: "bf16" | "fp16" | "none"; always fp32 on CPU
    "deterministic": False,          # CUDA: deterministic kernels, needed for bit-identical resume on GPU
    "progress": True,
}
# Keys that may change between a run and its resumption without changing the numbers.
RESUME_FREE_KEYS = {"out_dir", "device", "progress", "data.num_workers", "data.cache_images"}


def merge_config(user: Mapping[str, Any] | None, defaults: Mapping[str, Any] = DEFAULTS, prefix: str = "") -> dict:
    """Defaults overlaid with the user's values; unknown keys are an error (they are usually typos)."""
    out = copy.deepcopy(dict(defaults))
    for k, v in (user or {}).items():
        if k not in defaults:
            raise ValueError(f"unknown config key {prefix + k!r}; known: {sorted(defaults)}")
        if isinstance(defaults[k], dict) and k not in ("loss", "columns") and isinstance(v, Mapping):
            out[k] = merge_config(v, defaults[k], prefix + k + ".")
        else:
            out[k] = copy.deepcopy(v)
    return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for k, v in d.items():
        if isinstance(v, Mapping) and k not in ("loss", "columns"):
            flat.update(_flatten(v, prefix + k + "."))
        else:
            flat[prefix + k] = v
    return flat


def resume_mismatch(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    a, b = _flatten(saved), _flatten(current)
    return sorted(k for k in set(a) | set(b) if k not in RESUME_FREE_KEYS and a.get(k) != b.get(k))


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_ddr_model(spec: Mapping[str, Any] | None, device: torch.device):
    """The DDR model for the ddr loss term, from the package's DDR class (never built for other losses)."""
    if not spec:
        raise ValueError("loss has a 'ddr' term but the config has no 'ddr' section "
                         "(e.g. ddr: {pretrained: 'clip:ViT-B-32:openai'} or ddr: {checkpoint: PATH})")
    from ddr import DDR

    spec = dict(spec)
    if "checkpoint" in spec:
        model = DDR.from_checkpoint(spec.pop("checkpoint"), **spec)
    elif "pretrained" in spec:
        model = DDR.from_pretrained(spec.pop("pretrained"), **spec)
    else:
        raise ValueError(f"ddr section needs 'checkpoint' or 'pretrained', got {sorted(spec)}")
    return model.to(device)


def _package_provenance(**extra) -> dict:
    try:
        from ddr.util.provenance import provenance
        return provenance(**extra)
    except Exception as exc:  # noqa: BLE001 - provenance must never stop a run
        return {**extra, "provenance_error": f"{type(exc).__name__}: {exc}"}


def progressive_stages(data_cfg: Mapping[str, Any], iterations: int) -> list[tuple[int, int, int]] | None:
    """[(last iteration, crop, batch)] of the progressive schedule, or None; checked against `iterations`."""
    stages = data_cfg.get("progressive")
    if not stages:
        return None
    out, end = [], 0
    for k, st in enumerate(stages):
        try:
            n, crop, batch = int(st["iterations"]), int(st["crop_size"]), int(st["batch_size"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"data.progressive[{k}] needs iterations, crop_size and batch_size, got {st!r}") from exc
        if n < 1 or crop < 8 or batch < 1:
            raise ValueError(f"data.progressive[{k}]: iterations, crop_size and batch_size must be positive, got {st!r}")
        end += n
        out.append((end, crop, batch))
    if end != iterations:
        raise ValueError(f"data.progressive stages sum to {end} iterations, but iterations = {iterations}")
    return out


def progressive_batch(inp: torch.Tensor, tgt: torch.Tensor, it: int, stages: list[tuple[int, int, int]],
                      seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The stage of iteration `it`: a random subset of the loaded batch, cropped at one random offset (a pure
    function of (seed, it), so a resumed run sees the same crops)."""
    import numpy as np

    _, crop, batch = next(s for s in stages if it <= s[0])
    rng = np.random.default_rng([seed, 3, it])
    if batch < inp.shape[0]:
        keep = torch.from_numpy(np.sort(rng.choice(inp.shape[0], size=batch, replace=False)))
        inp, tgt = inp[keep], tgt[keep]
    h, w = inp.shape[-2:]
    if crop < min(h, w):
        y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        inp, tgt = inp[..., y:y + crop, x:x + crop], tgt[..., y:y + crop, x:x + crop]
    return inp.contiguous(), tgt.contiguous()


def lr_schedule(opt: torch.optim.Optimizer, ocfg: Mapping[str, Any], iterations: int):
    """Cosine from lr to eta_min over the run, or (constant_iterations > 0) lr held constant that long and
    then a cosine to eta_min over the rest (Restormer's CosineAnnealingRestartCyclicLR, periods [c, T - c])."""
    hold = int(ocfg.get("constant_iterations") or 0)
    if hold <= 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=iterations, eta_min=ocfg["eta_min"])
    if hold >= iterations:
        raise ValueError(f"optim.constant_iterations = {hold} must be below iterations = {iterations}")
    base, low = float(ocfg["lr"]), float(ocfg["eta_min"])

    def factor(step: int) -> float:
        if step < hold:
            return 1.0
        t = min(1.0, (step - hold) / (iterations - hold))
        return (low + (base - low) * 0.5 * (1.0 + math.cos(math.pi * t))) / base

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _cycle(loader):
    while True:  # the sampler covers exactly the remaining iterations; this only guards against miscounts
        yield from loader


def validate(net: torch.nn.Module, pairs, device: torch.device, eval_cfg: Mapping[str, Any]) -> tuple[float, float]:
    """Mean PSNR / SSIM over validation pairs, full images (tiled when eval.tile is set)."""
    from .evaluate import restore_pairs
    df = restore_pairs(net, pairs, device=device, tile=eval_cfg["tile"], overlap=eval_cfg["overlap"],
                       crop_border=eval_cfg["crop_border"], quantize=eval_cfg["quantize"],
                       local_train_size=eval_cfg["local_train_size"], progress=False)
    return float(df["psnr"].mean()), float(df["ssim"].mean())


def forward_and_loss(net, criterion, inp: torch.Tensor, tgt: torch.Tensor, autocast, device_type: str):
    """The network under `autocast` (reduced precision when asked), the loss terms and their backbones in fp32:
    perceptual and distribution losses (sorting, Gram-like sums, cosine) lose too much in fp16/bf16."""
    with autocast:
        pred = net(inp)
    with torch.autocast(device_type, enabled=False):
        return criterion.compute(pred.float(), tgt.float())


def train(cfg: Mapping[str, Any], ddr_model=None,
          on_iteration: Callable[[int], None] | None = None) -> dict:
    """Run (or resume) training; returns a summary dict. `ddr_model` overrides the config's ddr section;
    `on_iteration(it)` is called after each finished iteration (logging and checkpointing included)."""
    cfg = merge_config(cfg)
    out_dir = Path(cfg["out_dir"])
    ckpt_dir = out_dir / "checkpoints"
    log_path = out_dir / "log.csv"
    device = pick_device(cfg["device"])
    dcfg, ocfg = cfg["data"], cfg["optim"]
    if not dcfg["pairs"]:
        raise ValueError("config data.pairs (path of pairs.csv) is required")
    iterations = int(cfg["iterations"])
    stages = progressive_stages(dcfg, iterations)
    accumulate = int(dcfg["accumulate"])
    for b in [b for _, _, b in stages] if stages else [int(dcfg["batch_size"])]:
        if accumulate < 1 or b % accumulate:
            raise ValueError(f"data.accumulate = {accumulate} must be a positive divisor of every batch size ({b})")

    seed_everything(cfg["seed"])
    if cfg["deterministic"]:
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.use_deterministic_algorithms(True, warn_only=True)
    net = build_network(cfg["network"], seed=cfg["seed"]).to(device)
    if "ddr" in {k.lower() for k in cfg["loss"]} and ddr_model is None:
        ddr_model = build_ddr_model(cfg["ddr"], device)
    criterion = build_loss(cfg["loss"], ddr_model=ddr_model, feature_weights=cfg["feature_weights"],
                           cache_dir=cfg["feature_cache_dir"]).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=ocfg["lr"], betas=tuple(ocfg["betas"]),
                            weight_decay=ocfg["weight_decay"])
    sched = lr_schedule(opt, ocfg, iterations)
    loss_fingerprint = criterion.fingerprint()
    amp = cfg["amp"] if device.type == "cuda" else "none"
    if amp not in ("bf16", "fp16", "none"):
        raise ValueError(f"amp must be 'bf16', 'fp16' or 'none', got {amp!r}")
    scaler = torch.amp.GradScaler("cuda", enabled=(amp == "fp16"))

    start, rows = 0, []
    latest = latest_checkpoint(ckpt_dir)
    if latest is not None:
        state = torch.load(latest, map_location="cpu", weights_only=False)
        diff = resume_mismatch(state["config"], cfg)
        if diff:
            raise ValueError(f"{latest} was written with a different config (keys {diff}); "
                             f"use a new out_dir or delete {ckpt_dir}")
        if state.get("loss_fingerprint", loss_fingerprint) != loss_fingerprint:
            raise ValueError(f"{latest} was trained with other fixed loss projections (fingerprint "
                             f"{state['loss_fingerprint'][:12]}, now {loss_fingerprint[:12]}); delete {ckpt_dir}")
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        set_rng_states(state["rng"])
        start = int(state["iteration"])
        _, old = read_csv_rows(log_path)
        rows = [r for r in old if int(r["iter"]) <= start]  # drop rows logged after the checkpoint

    term_names = list(criterion.terms.keys())
    header = ["iter", "loss", *[f"loss_{n}" for n in term_names], "lr", "val_psnr", "val_ssim"]
    provenance = _package_provenance(stage="restoration-train", network=resolve_network_config(cfg["network"]),
                                     loss=criterion.provenance, stand_in=criterion.uses_stand_in,
                                     loss_fingerprint=loss_fingerprint, loss_precision="fp32",
                                     amp=amp, device=str(device))
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / "provenance.json", json.dumps(provenance, indent=2, default=str).encode())

    train_pairs = read_pairs(dcfg["pairs"], dcfg["train_split"], dcfg["columns"])
    val_pairs = read_pairs(dcfg["pairs"], dcfg["val_split"], dcfg["columns"]) if dcfg["val_split"] else []
    if dcfg["max_val_images"]:
        val_pairs = val_pairs[: int(dcfg["max_val_images"])]
    cache = dcfg["cache_images"]
    cache = len(train_pairs) <= 500 if cache == "auto" else bool(cache)
    crop = max(c for _, c, _ in stages) if stages else dcfg["crop_size"]
    samples = PairedTrainingSamples(train_pairs, crop, cfg["seed"], dcfg["flips"], cache)
    bs = max(b for _, _, b in stages) if stages else int(dcfg["batch_size"])
    loader = DataLoader(samples, batch_size=bs, sampler=range(start * bs, iterations * bs),
                        num_workers=int(dcfg["num_workers"]), pin_memory=device.type == "cuda")
    batches = _cycle(loader)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16 if amp == "bf16" else torch.float16)
                if amp != "none" else nullcontext())

    net.train()
    criterion.train()
    last_val = (math.nan, math.nan)
    bar = tqdm(total=iterations, initial=start, desc=f"train {out_dir.name}", file=sys.stderr,
               disable=not cfg["progress"], dynamic_ncols=True)
    for it in range(start + 1, iterations + 1):
        inp, tgt = next(batches)
        if stages:
            inp, tgt = progressive_batch(inp, tgt, it, stages, cfg["seed"])
        inp, tgt = inp.to(device, non_blocking=True), tgt.to(device, non_blocking=True)
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad(set_to_none=True)
        total_value, terms = 0.0, {}
        for inp_k, tgt_k in zip(inp.chunk(accumulate), tgt.chunk(accumulate)):  # as `accumulate` GPUs under DDP
            total, terms_k = forward_and_loss(net, criterion, inp_k, tgt_k, autocast, device.type)
            value = float(total.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"non-finite loss {value} at iteration {it} "
                                         f"(terms { {k: float(v.detach()) for k, v in terms_k.items()} })")
            scaler.scale(total / accumulate).backward()
            total_value += value / accumulate
            for k, v in terms_k.items():
                terms[k] = terms.get(k, 0.0) + float(v.detach()) / accumulate
        if ocfg["grad_clip"]:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(net.parameters(), float(ocfg["grad_clip"]))
        scaler.step(opt)
        scaler.update()
        sched.step()

        is_last = it == iterations
        do_eval = bool(val_pairs) and (is_last or (cfg["eval_every"] and it % cfg["eval_every"] == 0))
        if do_eval:
            net.eval()
            last_val = validate(net, val_pairs, device, cfg["eval"])
            net.train()
        if do_eval or is_last or it % int(cfg["log_every"]) == 0:
            row = {"iter": it, "loss": repr(total_value), "lr": repr(lr),
                   **{f"loss_{k}": repr(v) for k, v in terms.items()},
                   "val_psnr": repr(last_val[0]) if do_eval else "",
                   "val_ssim": repr(last_val[1]) if do_eval else ""}
            rows.append(row)
            atomic_write_bytes(log_path, csv_text(header, rows).encode())
        if is_last or it % int(cfg["checkpoint_every"]) == 0:
            atomic_torch_save({"iteration": it, "model": net.state_dict(), "optimizer": opt.state_dict(),
                               "scheduler": sched.state_dict(), "scaler": scaler.state_dict(),
                               "rng": rng_states(), "config": cfg, "provenance": provenance,
                               "loss_fingerprint": loss_fingerprint},
                              checkpoint_path(ckpt_dir, it))
            prune_checkpoints(ckpt_dir, int(cfg["keep_checkpoints"]))
        bar.update(1)
        bar.set_postfix(loss=f"{total_value:.4f}", refresh=False)
        if on_iteration is not None:
            on_iteration(it)
    bar.close()

    final = out_dir / "model_final.pt"
    if start < iterations or not final.exists():
        atomic_torch_save({"model": net.state_dict(), "network": resolve_network_config(cfg["network"]),
                           "iterations": iterations, "config": cfg, "provenance": provenance}, final)
    return {"out_dir": str(out_dir), "iterations": iterations, "resumed_from": start, "log": str(log_path),
            "model": str(final), "val_psnr": last_val[0], "val_ssim": last_val[1],
            "stand_in": criterion.uses_stand_in}


def load_config(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config file not found: {path}")
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _apply_override(cfg: dict, assignment: str) -> None:
    """--set data.batch_size=8 (value parsed as YAML)."""
    if "=" not in assignment:
        raise ValueError(f"--set expects KEY=VALUE, got {assignment!r}")
    key, value = assignment.split("=", 1)
    node = cfg
    parts = key.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = yaml.safe_load(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ddr.restoration.train", description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="YAML file with the keys of ddr.restoration.train.DEFAULTS")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config value (dotted key, YAML value); repeatable")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config)
        for a in args.set:
            _apply_override(cfg, a)
        summary = train(cfg)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
