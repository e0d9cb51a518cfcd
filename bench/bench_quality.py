"""Throughput of `DDR.quality_scores` (batched, deduplicated patches) against a baseline that mirrors the
official code's loop (one image per call, patches resized one by one, DDR scored patch by patch and type by
type). Same process, same model, same images; prints images/s for each and the ratio last.

    python bench/bench_quality.py --square 200 --wide 100            # random-weight ViT-B/32 (timing only)
"""

from __future__ import annotations

import argparse
import time

import torch

from ddr import DDR
from ddr.backbones import load_backbone
from ddr.preprocess import crop, prepare, square_patches


def official_loop_scores(model: DDR, image: torch.Tensor) -> torch.Tensor:
    """Per-type scores of one image the way the official DDR_quality_score computes them."""
    norm, backbone = model.backbone.norm, model.backbone
    patches = [prepare(crop(image[None], w), norm) for w in square_patches(*image.shape[-2:])]
    with torch.inference_mode():
        features = backbone.encode_image(torch.cat(patches))
        per_patch = []
        for feature in features:  # one patch at a time, one type at a time
            per_type = [model.scores_from_features(feature[None])[0, t] for t in range(len(model.types))]
            per_patch.append(torch.stack(per_type))
    return torch.stack(per_patch).mean(dim=0)


def images_of(size: tuple[int, int], count: int, seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.rand(3, *size, generator=gen) for _ in range(count)]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="clip-random:ViT-B-32:0")
    parser.add_argument("--square", type=int, default=200, help="number of 500x500 images")
    parser.add_argument("--wide", type=int, default=100, help="number of 1024x768 images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = DDR(load_backbone(args.backbone))
    print(f"backbone {args.backbone}, {args.threads} threads, torch {torch.__version__}")
    for label, size, count in (("500x500", (500, 500), args.square), ("1024x768", (768, 1024), args.wide)):
        if count == 0:
            continue
        images = images_of(size, count, seed=0)
        model.quality_scores(images[:2], args.batch_size)  # warm-up
        baseline, t_base = timed(lambda: torch.stack([official_loop_scores(model, im) for im in images]))
        batched, t_fast = timed(lambda: model.quality_scores(images, args.batch_size))
        diff = (baseline - batched).abs().max().item()
        print(f"{label:>9} x{count}: baseline {count / t_base:7.2f} img/s | batched {count / t_fast:7.2f} img/s"
              f" | max |diff| {diff:.2e}")
        print(f"{label:>9} ratio batched/baseline: {t_base / t_fast:.2f}x")


if __name__ == "__main__":
    main()
