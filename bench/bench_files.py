"""File to score: JPEGs of real sizes (1024x768 as KonIQ-10k, 4000x3000 as SPAQ) through `ddr score`'s path.

Reports, per size: where one image's time goes when each stage runs alone (decode, crop+resize to encoder
size, encode), then end-to-end images/s with decoding overlapped by 1..N worker threads. With --memory, also
the peak RSS of a fresh `ddr score` process on the 4000x3000 set and on a 3x9000 strip, with its time.

    python bench/bench_files.py --small 32 --large 16 --memory
    python bench/bench_files.py --device cuda --workers 1,4,8 --batch-size 64
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ddr import DDR
from ddr.backbones import load_backbone
from ddr.io import load_image
from ddr.patches import ImageWindows, encode_stream
from ddr.util.prefetch import ordered_map
from report import Report  # bench/ is on the path: run as a script or imported by a sibling

SIZES = {"1024x768": (1024, 768), "4000x3000": (4000, 3000)}


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """Smooth random structure plus sensor-like noise: JPEG entropy near a photograph's (decode time depends
    on it), no dataset needed."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (height // 64 + 2, width // 64 + 2, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.BICUBIC), dtype=np.int16)
    noisy = smooth + rng.normal(0, 6, smooth.shape).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def make_jpegs(folder: Path, label: str, count: int) -> list[Path]:
    """`count` JPEGs of one size (quality 90), written once and reused."""
    width, height = SIZES[label]
    folder = folder / label
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{i:03d}.jpg" for i in range(count)]
    for i, path in enumerate(paths):
        if not path.exists():
            photo_like(width, height, seed=i).save(path, quality=90)
    return paths


def stage_times(model: DDR, paths: list[Path], batch_size: int) -> dict[str, float]:
    """Seconds per image in each stage alone (no overlap)."""
    total = {"decode": 0.0, "crop+resize": 0.0, "encode": 0.0}
    windows = []
    for path in paths:
        start = time.perf_counter()
        image = load_image(path)
        middle = time.perf_counter()
        windows.append((path, ImageWindows(image, model.backbone.norm)))
        del image
        total["decode"] += middle - start
        total["crop+resize"] += time.perf_counter() - middle
    start = time.perf_counter()
    for _ in encode_stream(model.backbone, windows, batch_size):
        pass
    _sync(model)
    total["encode"] = time.perf_counter() - start
    return {k: v / len(paths) for k, v in total.items()}


def _sync(model: DDR) -> None:
    if model.backbone.device.type == "cuda":
        torch.cuda.synchronize()


def end_to_end(model: DDR, paths: list[Path], batch_size: int, workers: int) -> float:
    """Images/s from files to per-image scores, decoding + windows in `workers` threads beside the encoder."""
    norm = model.backbone.norm
    start = time.perf_counter()
    decoded = ((p, f.result()) for p, f in ordered_map(lambda p: ImageWindows(load_image(p), norm), paths, workers))
    scores = [model.scores_from_features(f).mean(0) for _, f in encode_stream(model.backbone, decoded, batch_size)]
    _sync(model)
    assert len(scores) == len(paths)
    return len(paths) / (time.perf_counter() - start)


_PEAK_REPORTING_CLI = ("import resource, sys\nfrom ddr.cli import main\nrc = main(sys.argv[1:])\n"
                       "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
                       "sys.exit(rc)")


def cli_peak(args: list[str]) -> tuple[float, float]:
    """(peak RSS in GB, seconds) of a fresh `ddr score` process (it reports its own peak as it ends)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK_REPORTING_CLI, "score", "--quiet", *args], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    kb = int(done.stderr.split("maxrss_kb")[-1].split()[0])
    return kb / 2**20, seconds


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="clip-random:ViT-B-32:0")
    parser.add_argument("--small", type=int, default=32, help="number of 1024x768 JPEGs")
    parser.add_argument("--large", type=int, default=16, help="number of 4000x3000 JPEGs")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--memory", action="store_true", help="peak RSS of `ddr score` on the large set and strips")
    parser.add_argument("--strip", type=int, default=900, help="length of the textured 3-pixel strip (--memory)")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ddr-bench-jpegs"))
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    folder = Path(args.cache)
    lines = Report([f"bench_files: {args.backbone} {args.precision} on {args.device}, batch {args.batch_size}, "
                    f"torch {torch.__version__}, {torch.get_num_threads()} threads"])
    say = lines.say

    if args.memory:
        large = make_jpegs(folder, "4000x3000", args.large) if args.large else []
        flat, textured = folder / "strip-3x9000-flat.png", folder / f"strip-3x{args.strip}.png"
        Image.new("RGB", (9000, 3), (120, 140, 90)).save(flat)
        photo_like(args.strip, 64, seed=0).crop((0, 0, args.strip, 3)).save(textured)
        common = ["--backbone", args.backbone, "--batch-size", str(args.batch_size), "--device", args.device]
        if args.precision != "fp32":
            common += ["--precision", args.precision]
        if large:
            gb, seconds = cli_peak([*common, str(large[0].parent)])
            say(f"memory: ddr score on {len(large)} JPEGs 4000x3000: peak RSS {gb:.2f} GB, {seconds:.1f} s (with start-up)")
        gb, seconds = cli_peak([*common, str(flat)])
        say(f"memory: ddr score on a flat 3x9000 PNG (3001 equal windows): peak RSS {gb:.2f} GB, {seconds:.1f} s")
        gb, seconds = cli_peak([*common, str(textured)])
        windows = args.strip // 3 + 1
        say(f"memory: ddr score on a textured 3x{args.strip} PNG ({windows} distinct windows): peak RSS {gb:.2f} GB, "
            f"{seconds:.1f} s (time is linear in windows: 3x9000 has 3001)")
    backbone = load_backbone(args.backbone).set_precision(args.precision)
    model = DDR(backbone).to(args.device)
    for label, count in (("1024x768", args.small), ("4000x3000", args.large)):
        if count == 0:
            continue
        paths = make_jpegs(folder, label, count)
        stage_times(model, paths[:2], args.batch_size)  # warm-up
        per = stage_times(model, paths, args.batch_size)
        total = sum(per.values())
        say(f"{label} x{count} stages alone: " + ", ".join(
            f"{k} {1000 * v:.0f} ms/img ({100 * v / total:.0f}%)" for k, v in per.items())
            + f"; serial {1 / total:.2f} img/s")
        for workers in (int(w) for w in args.workers.split(",")):
            rate = max(end_to_end(model, paths, args.batch_size, workers) for _ in range(2))
            say(f"{label} x{count} end to end, {workers} decoding worker(s): {rate:.2f} img/s")
    lines.write(args.out)
    return lines


if __name__ == "__main__":
    main()
