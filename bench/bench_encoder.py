"""An image tower alone (CLIP ViT-B/32 by default), eager NCHW float32 against each encoder speed-up that could
keep float32 results: compilation (torch.compile, Inductor), fusion (a frozen TorchScript graph optimised for
inference, which folds and fuses with oneDNN), channels-last memory, and the reduced precisions for comparison. Same
process, same weights, same inputs, runs taking turns; every variant reports its speed ratio over eager NCHW fp32 and
its largest feature and DDR deviation from it, so a speed-up is adopted only with its cost in accuracy in view.

    python bench/bench_encoder.py                              # ViT-B/32, batches 8 and 16, CPU
    python bench/bench_encoder.py --variants compile --batch-sizes 8,16,32 --out bench/results/bench_encoder_cpu.txt
    python bench/bench_encoder.py --backbone efficientnet-lite0       # the mini profile's pixel-domain encoder
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_quality import machine_line  # noqa: E402
from report import Report  # noqa: E402

from ddr import DDR  # noqa: E402
from ddr.backbones import load_backbone  # noqa: E402


class _Encoder(torch.nn.Module):
    """The backbone's encode_image as a module (what a scoring call runs), so every variant wraps the same thing."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone.encode_image(x)


def _ddr_diff(model, out: torch.Tensor, reference: torch.Tensor) -> float:
    return (model.scores_from_features(out.float()) - model.scores_from_features(reference)).abs().max().item()


def _channels_last(tower: torch.nn.Module, example: torch.Tensor):
    tower.backbone.set_memory_format(torch.channels_last)  # weights and each input NHWC
    return tower


def _compiled(tower: torch.nn.Module, example: torch.Tensor):
    return torch.compile(tower, dynamic=False)


def _frozen(tower: torch.nn.Module, example: torch.Tensor):
    with warnings.catch_warnings():  # TorchScript is deprecated upstream; it is still the way to freeze a graph
        warnings.simplefilter("ignore")
        return torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(tower, example).eval()))


def _reduced(name: str):
    def make(tower: torch.nn.Module, example: torch.Tensor):
        tower.backbone.set_precision(name)  # tower is the variant's own copy
        return tower
    return make


VARIANTS = {"compile": _compiled, "jit-freeze": _frozen, "channels-last": _channels_last, "bf16": _reduced("bf16")}


def timed(fns: dict, x: torch.Tensor, repeats: int, calls: int) -> dict:
    """{name: (output, best seconds per call)}; the variants take turns within each repeat, so a slow moment of a
    shared machine falls on all of them rather than on one."""
    best = {name: float("inf") for name in fns}
    out = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            with torch.inference_mode():
                for _ in range(calls):
                    out[name] = fn(x)
            best[name] = min(best[name], (time.perf_counter() - start) / calls)
    return {name: (out[name], best[name]) for name in fns}


def main(argv=None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="clip-random:ViT-B-32:0")
    parser.add_argument("--batch-sizes", default="8,16")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"any of {', '.join(VARIANTS)}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=4, help="encoder calls per timed run")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    backbone = load_backbone(args.backbone)
    model = DDR(backbone) if backbone.has_text else None  # DDR deviations need a text tower
    # The reference is plain eager NCHW float32, whatever the backbone's own default (EfficientNet loads NHWC).
    tower = _Encoder(backbone.set_memory_format(torch.contiguous_format)).eval()
    size = backbone.norm.size
    lines = Report([f"bench_encoder: {args.backbone} image tower at {size}x{size}, {machine_line()}, best of "
                    f"{args.repeats} x {args.calls} calls"])
    gen = torch.Generator().manual_seed(0)
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        x = torch.randn(batch, 3, size, size, generator=gen)
        variants = {"eager fp32": lambda t: t}
        variants.update({name: VARIANTS[name] for name in filter(None, args.variants.split(","))})
        runs = {}
        for name, make in variants.items():
            start = time.perf_counter()
            try:
                fn = make(copy.deepcopy(tower), x) if name != "eager fp32" else tower
                with torch.inference_mode():
                    fn(x)  # build / warm up
            except Exception as error:  # a variant this machine cannot build is reported, not fatal
                lines.say(f"batch {batch:3d}: {name:14s} unavailable: {type(error).__name__}: {str(error)[:160]}")
                continue
            runs[name] = (fn, time.perf_counter() - start)
        results = timed({name: fn for name, (fn, _) in runs.items()}, x, args.repeats, args.calls)
        reference, t_eager = results["eager fp32"]
        for name, (out, t) in results.items():
            feature_diff = (out.float() - reference).abs().max().item()
            ddr_diff = "-" if model is None else f"{_ddr_diff(model, out, reference):.1e}"
            lines.say(f"batch {batch:3d}: {name:14s} {batch / t:8.2f} patches/s  ratio {t_eager / t:5.2f}x  "
                      f"max|feature diff| {feature_diff:.1e}  max|DDR diff| {ddr_diff}  "
                      f"build+first call {runs[name][1]:6.1f} s")
    lines.write(args.out)
    return lines


if __name__ == "__main__":
    main()
