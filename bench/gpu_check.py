"""The GPU path, proven: golden numbers on the device in fp32 and fp16, ours against the official call there,
file-to-score throughput with parallel decoding, and one training step of each restoration network with each
loss. Without CUDA it runs a reduced form on the CPU (small counts, tiny networks, 64-pixel crops).

    python bench/gpu_check.py --out bench/results/gpu_check.txt        # bench/gpu_check.sh wraps this
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import bench_files  # noqa: E402
import bench_quality  # noqa: E402

from ddr import DDR  # noqa: E402
from ddr.backbones import load_backbone  # noqa: E402
from ddr.io import load_image  # noqa: E402

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
ALL_TYPES = ["blur", "color", "noise", "exposure", "content"]
LOSSES = ["psnr", "l1", "pdl_pixel", "lpips", "contextual", "pdl", "fdl", "ddr"]


def golden_check(device: str, say) -> None:
    """Max |ours - official| over every golden image and type, per checkpoint and precision (fp16 on CUDA only:
    a CPU has no fast fp16 path)."""
    expected_all = json.loads((GOLDEN / "expected.json").read_text())["checkpoints"]
    for name, expected in expected_all.items():
        images = [load_image(GOLDEN / "images" / n) for n in expected["images"]]
        for precision in ("fp32", "fp16", "bf16") if device == "cuda" else ("fp32", "bf16"):
            model = DDR.from_checkpoint(GOLDEN / name, types=ALL_TYPES)
            model.backbone.set_precision(precision)
            model.to(device)
            per_type = model.quality_scores(images, batch_size=5).cpu()
            want = torch.tensor([[v["quality_per_type"][t] for t in ALL_TYPES] for v in expected["images"].values()])
            diff = (per_type - want).abs().max().item()
            verdict = "PASS (<= 1e-5)" if diff <= 1e-5 else ("reduced precision" if precision != "fp32" else "FAIL")
            say(f"golden {name} {precision} on {device}: max |DDR_d - official| {diff:.2e} over "
                f"{len(images)} images x {len(ALL_TYPES)} types  {verdict}")


def training_steps(device: str, full: bool, say) -> None:
    """One Adam step per (network, loss) on random crops: time, peak memory, finite loss and gradients."""
    from ddr.restoration.losses import build_loss
    from ddr.restoration.networks import build_network

    nets = ["nafnet-gopro", "restormer"] if full else ["nafnet-tiny", "restormer-tiny"]
    crop, batch = (256, 2) if full else (64, 1)
    ddr_model = DDR(load_backbone("clip-random:ViT-B-32:0")).to(device)
    gen = torch.Generator().manual_seed(0)
    target = torch.rand(batch, 3, crop, crop, generator=gen).to(device)
    blurred = (target + 0.05 * torch.randn(target.shape, generator=gen).to(device)).clamp(0, 1)
    for net_name in nets:
        for loss_name in LOSSES:
            try:
                net = build_network(net_name, seed=0).to(device)
                loss_fn = build_loss({loss_name: 1.0}, ddr_model=ddr_model, feature_weights="random").to(device)
                optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)
                if device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                    torch.cuda.synchronize()
                start = time.perf_counter()
                loss = loss_fn(net(blurred), target)
                loss.backward()
                grads_ok = all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)
                optimiser.step()
                if device == "cuda":
                    torch.cuda.synchronize()
                seconds = time.perf_counter() - start
                peak = f", peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if device == "cuda" else ""
                ok = "PASS" if torch.isfinite(loss).item() and grads_ok else "FAIL (non-finite)"
                say(f"train {net_name} {crop}x{crop} x{batch} loss {loss_name}: {loss.item():.4f}, "
                    f"step {seconds:.2f} s (first step, with warm-up){peak}  {ok}")
                del net, loss_fn, optimiser, loss
            except Exception as error:  # noqa: BLE001 - one failing pair must not hide the others' figures
                say(f"train {net_name} loss {loss_name}: FAIL {type(error).__name__}: {error}")
                traceback.print_exc()
            if device == "cuda":
                torch.cuda.empty_cache()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(BENCH / "results" / "gpu_check.txt"))
    parser.add_argument("--cpu", action="store_true", help="the reduced CPU form even when CUDA is there")
    parser.add_argument("--sections", default="golden,official vs ours,file to score,training",
                        help="comma-separated subset of the sections to run")
    args = parser.parse_args(argv)
    full = torch.cuda.is_available() and not args.cpu
    device = "cuda" if full else "cpu"
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    gpu = torch.cuda.get_device_name() if full else "none (reduced CPU form)"
    say(f"gpu_check: {gpu}; torch {torch.__version__}; started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    sections = [
        ("golden", lambda: golden_check(device, say)),
        ("official vs ours", lambda: lines.extend(bench_quality.main(
            ["--device", device, "--official-dtype", "fp16" if full else "fp32",
             "--precisions", "fp16,bf16" if full else "bf16",
             "--batch-sizes", "64,256" if full else "8",
             "--square", "128" if full else "4", "--wide", "64" if full else "2", "--repeats", "2" if full else "1"]))),
        ("file to score", lambda: lines.extend(bench_files.main(
            ["--device", device, "--precision", "fp16" if full else "fp32", "--batch-size", "128" if full else "8",
             "--workers", "1,4,8,14" if full else "1,2", "--small", "64" if full else "2",
             "--large", "12" if full else "1"]))),
        ("training", lambda: training_steps(device, full, say)),
    ]
    wanted = set(args.sections.split(","))
    for name, run in (section for section in sections if section[0] in wanted):
        start = time.perf_counter()
        try:
            run()
        except Exception as error:  # noqa: BLE001 - report and go on to the next section
            say(f"{name}: FAIL {type(error).__name__}: {error}")
            traceback.print_exc()
        say(f"[{name}: {time.perf_counter() - start:.0f} s]")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n")  # after each section: a timeout keeps what ran
    return 1 if any("FAIL" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
