"""Our batched BIQA scoring (`DDR.quality_scores`) against the official call as released (`bench/official.py`):
same process, same full-size CLIP model (random weights: timing only), same images, outputs compared.

For each image set: the official call image by image, ours at each batch size asked, and ours at each reduced
precision at the best batch; every timing is the best of --repeats interleaved runs (others share the cores).

    python bench/bench_quality.py                                  # 500x500 and 1024x768, CPU
    python bench/bench_quality.py --device cuda --precisions fp16,bf16 --square 256 --wide 128
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402

from official import OfficialDDR  # noqa: E402

from ddr import DDR  # noqa: E402
from ddr.backbones import load_backbone  # noqa: E402
from ddr.backbones.base import PRECISIONS  # noqa: E402

SETS = {"500x500": (500, 500), "1024x768": (768, 1024)}


def images_of(size: tuple[int, int], count: int, seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.rand(3, *size, generator=gen) for _ in range(count)]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def best_time(fn, repeats: int, device: torch.device):
    """(output of the last run, best wall time over `repeats` runs)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        out = fn()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return out, best


def official_scores(official: OfficialDDR, images) -> torch.Tensor:
    with torch.no_grad():  # the released code runs under the caller's no_grad
        return torch.stack([official.DDR_quality_score(im[None]).float() for im in images]).cpu()


def machine_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return (f"torch {torch.__version__}, {platform.processor() or platform.machine()}{gpu}, "
            f"{torch.get_num_threads()} threads, load average {load[0]:.2f} at start")


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="clip-random:ViT-B-32:0")
    parser.add_argument("--square", type=int, default=48, help="number of 500x500 images")
    parser.add_argument("--wide", type=int, default=32, help="number of 1024x768 images")
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--precisions", default="bf16", help="reduced precisions to time at the best batch ('' none)")
    parser.add_argument("--official-dtype", default="fp32", choices=list(PRECISIONS),
                        help="the released code runs CLIP in fp16 on CUDA (clip.load), fp32 on CPU")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = DDR(load_backbone(args.backbone)).to(device)
    official_model = copy.deepcopy(model.backbone.model)
    if args.official_dtype != "fp32":  # OpenAI's CLIP casts its input to the model's dtype inside encode_image
        official_model.to(PRECISIONS[args.official_dtype])
    official = OfficialDDR(official_model, model.backbone.tokenizer, model.types, device=device)
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    lines = Report([f"bench_quality: {args.backbone}, {machine_line()}, best of {args.repeats}",
                    f"baseline: official DDR_quality_score as released, CLIP in {args.official_dtype}"])
    say = lines.say

    for label, size in SETS.items():
        count = args.square if label == "500x500" else args.wide
        if count == 0:
            continue
        images = [im.to(device) for im in images_of(size, count, seed=0)]  # both start from the device
        official_scores(official, images[:2])  # warm-up
        model.quality_scores(images[:2], sizes[0])
        reference, t_official = best_time(lambda: official_scores(official, images), args.repeats,
                                          device)
        say(f"{label} x{count}: official {count / t_official:8.2f} img/s")
        timings = {}
        for batch in sizes:
            ours, t = best_time(lambda: model.quality_score(images, batch).cpu(), args.repeats, device)
            timings[batch] = t
            diff = (ours - reference).abs().max().item()
            say(f"{label} x{count}: ours fp32 batch {batch:3d} {count / t:8.2f} img/s  ratio {t_official / t:6.2f}x"
                f"  max|score diff| {diff:.1e}")
        best = min(timings, key=timings.get)
        say(f"{label}: best fp32 batch {best}, ratio {t_official / timings[best]:.2f}x")
        fp32_scores = model.quality_scores(images, best).cpu()
        for name in filter(None, args.precisions.split(",")):
            reduced = DDR(copy.deepcopy(model.backbone).set_precision(name)).to(device)
            reduced.quality_scores(images[:2], best)
            ours, t = best_time(lambda: reduced.quality_scores(images, best).cpu(), args.repeats, device)
            say(f"{label} x{count}: ours {name} batch {best:3d} {count / t:8.2f} img/s  ratio {t_official / t:6.2f}x"
                f"  max|DDR_d - fp32| {(ours - fp32_scores).abs().max().item():.1e}"
                f"  max|score - official| {(ours.mean(1) - reference).abs().max().item():.1e}")
    lines.write(args.out)
    return lines


if __name__ == "__main__":
    main()
