"""Seconds per training iteration of the restoration recipes on this machine's GPU, split into the network's
step (forward, backward, AdamW) and each perceptual loss term's extra cost (forward and backward in fp32), and
the GPU-hours of one run that follow. Synthetic inputs; feature backbones are seeded stand-ins (same compute).

    PYTHONPATH=src python bench/bench_restoration_recipes.py --out timings.json [--deadline 420]

The GPU-hour estimates in config/paper.yaml and config/restoration_budget.yaml come from this script.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

os.environ.setdefault("DDR_OFFLINE", "1")

from ddr.restoration.losses import build_loss  # noqa: E402
from ddr.restoration.networks import build_network  # noqa: E402

TERMS = {"lpips": {"lpips": 1.0}, "ctx": {"contextual": 1.0}, "pdl": {"pdl": 1.0}, "fdl": {"fdl": 1.0},
         "ddr": {"ddr": 0.1}}
# (network, amp, micro-batches, [(crop, batch, iterations)]): the reference recipes' stages (8 micro-batches =
# the official 8 GPUs) and the budget recipe
RECIPES = {
    "reference": {"nafnet-gopro": ("none", 8, [(256, 64, 400_000)]),
                  "restormer": ("none", 8, [(128, 64, 92_000), (160, 40, 64_000), (192, 32, 48_000),
                                            (256, 16, 36_000), (320, 8, 36_000), (384, 8, 24_000)])},
    "budget": {"nafnet-gopro": ("bf16", 1, [(256, 8, 100_000)]), "restormer": ("bf16", 1, [(256, 8, 100_000)])},
}


def timed(fn, warm: int = 2, reps: int = 4) -> float:
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / reps


def network_step(name: str, crop: int, batch: int, amp: str, micro: int) -> float:
    net = build_network(name, seed=0).cuda().train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, crop, crop, device="cuda")
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if amp == "bf16" else torch.autocast("cuda", enabled=False)

    def step():
        opt.zero_grad(set_to_none=True)
        for xk in x.chunk(micro):
            with ctx:
                out = net(xk)
            ((out.float() - xk).pow(2).mean() / micro).backward()
        opt.step()
    try:
        return timed(step)
    finally:
        del net, opt
        torch.cuda.empty_cache()


def loss_step(term: str, crop: int, batch: int, ddr_model) -> float:
    crit = build_loss(TERMS[term], ddr_model=ddr_model, feature_weights="random").cuda()
    pred = torch.rand(batch, 3, crop, crop, device="cuda", requires_grad=True)
    tgt = torch.rand(batch, 3, crop, crop, device="cuda")

    def step():
        crit(pred, tgt).backward()
    try:
        return timed(step)
    finally:
        del crit
        torch.cuda.empty_cache()


def guarded(fn, *args):
    try:
        return {"s": fn(*args), "peak_gib": torch.cuda.max_memory_allocated() / 2 ** 30}
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        return {"s": None, "error": "out of memory"}
    finally:
        torch.cuda.reset_peak_memory_stats()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, default=420.0, help="seconds; stop measuring after this")
    args = ap.parse_args()
    from ddr import DDR
    from ddr.backbones import load_backbone

    ddr_model = DDR(load_backbone("clip-random:ViT-B-32:0")).cuda()
    t0 = time.perf_counter()
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "net": {}, "loss": {}}
    shapes = sorted({(c, b // m) for r in RECIPES.values() for _, m, stages in r.values() for c, b, _ in stages})
    for recipe, nets in RECIPES.items():
        for name, (amp, micro, stages) in nets.items():
            for crop, batch, _ in stages:
                if time.perf_counter() - t0 < args.deadline:
                    key = f"{recipe}/{name}/{crop}x{batch}/{amp}"
                    result["net"][key] = guarded(network_step, name, crop, batch, amp, micro)
                    print(key, result["net"][key], flush=True)
    for crop, batch in shapes:
        for term in TERMS:
            if time.perf_counter() - t0 < args.deadline:
                result["loss"][f"{term}/{crop}x{batch}"] = guarded(loss_step, term, crop, batch, ddr_model)
                print(term, crop, batch, result["loss"][f"{term}/{crop}x{batch}"], flush=True)
    hours = {}
    for recipe, nets in RECIPES.items():
        for name, (amp, micro, stages) in nets.items():
            for term in ["psnr", *TERMS]:
                total = 0.0
                for crop, batch, iters in stages:
                    net = result["net"].get(f"{recipe}/{name}/{crop}x{batch}/{amp}", {}).get("s")
                    extra = 0.0 if term == "psnr" else result["loss"].get(f"{term}/{crop}x{batch // micro}", {}).get("s")
                    if net is None or extra is None or total is None:
                        total = None
                    else:
                        total += iters * (net + micro * extra)
                hours[f"{recipe}/{name}/psnr{'' if term == 'psnr' else '+' + term}"] = (
                    None if total is None else round(total / 3600, 1))
    result["gpu_hours_per_run"] = hours
    result["wall_s"] = time.perf_counter() - t0
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(hours, indent=1))


if __name__ == "__main__":
    main()
