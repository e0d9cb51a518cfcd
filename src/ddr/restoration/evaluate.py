"""Evaluate a trained restoration network on full images: per-image PSNR / SSIM CSV and restored PNGs.

    python -m ddr.restoration.evaluate --weights RUN/model_final.pt --pairs data/deblur/pairs.csv \
        --columns input=blur,target=sharp --split test --out-dir results/eval [--tile 512 --overlap 32]

Metric conventions (see ddr.restoration.metrics): RGB in [0, 1], output clamped to [0, 1] and rounded to
8 bits (the saved PNG is what is measured), `--crop-border` pixels removed per side (default 0), no
alignment (RealBlur's official protocol aligns with ECC first; not done here, so RealBlur numbers are on
unaligned pairs). Images larger than `--tile` are restored by overlapping tiles (ddr.restoration.tiling).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from PIL import Image
from tqdm import tqdm

from .checkpoint import atomic_write_bytes
from .data import load_rgb, read_pairs
from .metrics import psnr, ssim
from .nafnet import NAFNet, set_local_pooling
from .networks import build_network
from .tiling import infer_tiled


def image_name(target: Path, root: Path | None) -> str:
    """Unique output name: the target's path relative to the pairs file, folders joined by '__'."""
    try:
        rel = target.relative_to(root) if root is not None else Path(target.name)
    except ValueError:
        rel = Path(target.name)
    return "__".join(rel.with_suffix("").parts) + ".png"


def save_png(x: torch.Tensor, path: Path) -> None:
    arr = np.round(x.detach().clamp(0, 1).cpu().permute(1, 2, 0).double().numpy() * 255.0).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(arr).save(tmp, format="PNG")
    tmp.replace(path)


def restore_pairs(net: torch.nn.Module, pairs: Sequence[tuple[Path, Path]], device: torch.device | str = "cpu",
                  tile: int | None = None, overlap: int = 32, crop_border: int = 0, quantize: bool = True,
                  local_train_size: int | None = None, image_dir: Path | None = None,
                  root: Path | None = None, progress: bool = True) -> pd.DataFrame:
    """Restore each input, measure against its target; one row per pair (image, input, target, psnr, ssim).

    `local_train_size` switches a NAFNet to NAFNet-Local for this call only.
    """
    device = torch.device(device)
    was_training = net.training
    net.eval()
    is_nafnet = isinstance(net, NAFNet)
    if local_train_size and not is_nafnet:
        raise ValueError("local_train_size (NAFNet-Local) applies to NAFNet only")
    if local_train_size:
        set_local_pooling(net, local_train_size)
    rows = []
    try:
        for inp_path, tgt_path in tqdm(pairs, desc="evaluate", file=sys.stderr, disable=not progress):
            inp, tgt = load_rgb(inp_path), load_rgb(tgt_path)
            if inp.shape != tgt.shape:
                raise ValueError(f"{inp_path} ({tuple(inp.shape[1:])}) and {tgt_path} ({tuple(tgt.shape[1:])}) "
                                 f"differ in size")
            with torch.no_grad():
                out = infer_tiled(net, inp[None].to(device), tile, overlap)[0].float().clamp(0, 1).cpu()
            name = image_name(Path(tgt_path), root)
            if image_dir is not None:
                save_png(out, Path(image_dir) / name)
            rows.append({"image": name, "input": str(inp_path), "target": str(tgt_path),
                         "psnr": psnr(out, tgt, crop_border, quantize), "ssim": ssim(out, tgt, crop_border, quantize)})
    finally:
        if local_train_size:
            set_local_pooling(net, None)
        net.train(was_training)
    return pd.DataFrame(rows, columns=["image", "input", "target", "psnr", "ssim"])


def load_trained(path: str | Path, device: torch.device | str = "cpu") -> tuple[torch.nn.Module, dict]:
    """A network from model_final.pt or a training checkpoint (the network config travels inside)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"weights file not found: {path}")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: not a ddr.restoration checkpoint (no 'model' entry)")
    spec = state.get("network") or state.get("config", {}).get("network")
    if spec is None:
        raise ValueError(f"{path}: no network configuration stored")
    net = build_network(spec)
    net.load_state_dict(state["model"])
    return net.to(device), state


def evaluate(weights: str | Path, pairs_csv: str | Path, out_dir: str | Path, split: str | None = "test",
             columns: Mapping[str, str] | None = None, tile: int | None = None, overlap: int = 32,
             crop_border: int = 0, quantize: bool = True, local_train_size: int | None = None,
             save_images: bool = True, device: str = "auto", max_images: int | None = None) -> pd.DataFrame:
    """Evaluate `weights` on a split of `pairs_csv`; writes metrics.csv, summary.json and images/ in out_dir."""
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                       ("cpu" if device == "auto" else device))
    net, state = load_trained(weights, dev)
    pairs = read_pairs(pairs_csv, split, columns)[: max_images or None]
    out_dir = Path(out_dir)
    df = restore_pairs(net, pairs, dev, tile, overlap, crop_border, quantize, local_train_size,
                       image_dir=out_dir / "images" if save_images else None, root=Path(pairs_csv).parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / "metrics.csv", df.to_csv(index=False).encode())
    summary = {"weights": str(weights), "pairs": str(pairs_csv), "split": split, "images": len(df),
               "psnr": float(df["psnr"].mean()) if len(df) else math.nan,
               "ssim": float(df["ssim"].mean()) if len(df) else math.nan,
               "tile": tile, "overlap": overlap, "crop_border": crop_border, "quantize": quantize,
               "local_train_size": local_train_size, "alignment": "none",
               "training_provenance": state.get("provenance")}
    atomic_write_bytes(out_dir / "summary.json", json.dumps(summary, indent=2, default=str).encode())
    return df


def _columns(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        if "=" not in item:
            raise ValueError(f"--columns expects role=column pairs, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ddr.restoration.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("--weights", required=True, help="model_final.pt or a training checkpoint")
    ap.add_argument("--pairs", required=True, help="pairs.csv (paths relative to it)")
    ap.add_argument("--split", default="test", help="split to evaluate ('' for all rows)")
    ap.add_argument("--columns", default="", help="role=column mapping, e.g. input=blur,target=sharp")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--tile", type=int, default=None, help="tile size for images larger than it")
    ap.add_argument("--overlap", type=int, default=32)
    ap.add_argument("--crop-border", type=int, default=0)
    ap.add_argument("--no-quantize", action="store_true", help="measure float outputs, not 8-bit PNGs")
    ap.add_argument("--local-train-size", type=int, default=None, help="NAFNet-Local with this training crop")
    ap.add_argument("--no-images", action="store_true", help="do not write restored PNGs")
    ap.add_argument("--max-images", type=int, default=None)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    try:
        df = evaluate(args.weights, args.pairs, args.out_dir, args.split or None, _columns(args.columns),
                      args.tile, args.overlap, args.crop_border, not args.no_quantize, args.local_train_size,
                      not args.no_images, args.device, args.max_images)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"images": len(df), "psnr": float(df["psnr"].mean()), "ssim": float(df["ssim"].mean())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
