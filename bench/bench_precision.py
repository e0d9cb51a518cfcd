"""How far reduced precision (bf16, fp16) moves DDR from float32: per-type DDR_d on a few hundred generated images
of mixed sizes, and DDR's SRCC against the mini set's quality labels (the mini profile's images, built here).

    python bench/bench_precision.py --precisions bf16 --generated 300        # CPU (fp16 on a CPU is slow)
    python bench/bench_precision.py --device cuda --precisions fp16,bf16

The CLIP weights are the seeded random stand-in here (the released weights need a download); the figures measure
the arithmetic, not the paper's numbers.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Report  # noqa: E402

from bench_files import photo_like  # noqa: E402

from ddr import DDR  # noqa: E402
from ddr.backbones import load_backbone  # noqa: E402
from ddr.io import load_image  # noqa: E402


def generated_images(count: int, seed: int = 0) -> list[torch.Tensor]:
    """Photo-like images, sides 64..480 px, landscape and portrait (1 to 4 windows each)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(count):
        w, h = (int(v) for v in torch.randint(64, 481, (2,), generator=gen))
        out.append(torch.from_numpy(np.asarray(photo_like(w, h, seed + i))).permute(2, 0, 1).float().div(255))
    return out


def mini_quality_set(folder: Path) -> tuple[list[torch.Tensor], pd.Series]:
    """The mini profile's quality images and their labels (built from scikit-image/scikit-learn photographs)."""
    from ddr.data.mini import build_mini

    build_mini(folder / "mini")
    labels = pd.read_csv(folder / "mini" / "quality" / "labels.csv")
    images = [load_image(folder / "mini" / "quality" / p) for p in labels["image"]]
    return images, labels["score"]


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="clip-random:ViT-B-32:0")
    parser.add_argument("--precisions", default="bf16")
    parser.add_argument("--generated", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    model = DDR(load_backbone(args.backbone)).to(args.device)
    lines = Report([f"bench_precision: {args.backbone} (stand-in weights) on {args.device}, torch {torch.__version__}"])
    say = lines.say

    with tempfile.TemporaryDirectory() as tmp:
        mini_images, mini_scores = mini_quality_set(Path(tmp))
    sets = {f"{args.generated} generated images": (generated_images(args.generated), None),
            f"mini quality set ({len(mini_images)} images)": (mini_images, mini_scores)}
    for label, (images, scores) in sets.items():
        reference = model.quality_scores(images, args.batch_size).cpu()
        srcc32 = spearmanr(reference.mean(1), scores)[0] if scores is not None else None
        if srcc32 is not None:
            say(f"{label}: fp32 SRCC(DDR, label) {srcc32:.4f}")
        for name in filter(None, args.precisions.split(",")):
            reduced = DDR(copy.deepcopy(model.backbone).set_precision(name)).to(args.device)
            moved = reduced.quality_scores(images, args.batch_size).cpu()
            text = (f"{label}: {name} max |DDR_d - fp32| {(moved - reference).abs().max().item():.1e}, "
                    f"max |DDR - fp32| {(moved.mean(1) - reference.mean(1)).abs().max().item():.1e}, "
                    f"SRCC(DDR_{name}, DDR_fp32) {spearmanr(moved.mean(1), reference.mean(1))[0]:.5f}")
            if srcc32 is not None:
                srcc = spearmanr(moved.mean(1), scores)[0]
                text += f", SRCC(DDR, label) {srcc:.4f} (change {srcc - srcc32:+.4f})"
            say(text)
    lines.write(args.out)
    return lines


if __name__ == "__main__":
    main()
