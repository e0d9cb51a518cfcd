"""Each restoration dataset's pairs and measuring protocol.

Pairs: every dataset becomes one pairs.csv (columns input, target, split, paths relative to the CSV's folder), the
form ddr.restoration reads. The mini set's deblur/sr tables are renamed; GoPro and RealBlur come from the label
tables (RealBlur filtered to one variant, J or R); RealSR's LR images are bicubically upsampled to the HR size
first ("LR pre-upsampled to HR size", as the paper trains its SR networks) and written beside the CSV.

Measuring (ddr.restoration.metrics.measure: PSNR / SSIM on RGB, both images rounded to 8 bits, i.e. the saved PNGs):
- alignment 'none' (GoPro, RealSR, mini): `crop_border` pixels removed per side, then ddr.restoration.metrics.
- alignment 'ecc' (RealBlur's official protocol, Rim et al. 2020): the output's intensity is matched to the
  target by one least-squares gain, an ECC homography (grey images, 100 iterations, Gaussian pre-filter 5) maps
  it onto the target, it is warped back (bicubic, reflected border) and both images are multiplied by the mask of
  pixels the warp covers; PSNR over the mask, SSIM map averaged over the mask (after cutting the SSIM window's
  half width from each side). An image where ECC does not converge is measured unaligned and flagged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

# Mini tables name their columns by role; real label tables use lq / gt.
MINI_COLUMNS = {"deblur": {"blur": "input", "sharp": "target"}, "sr": {"lr": "input", "hr": "target"}}
LABEL_COLUMNS = {"lq": "input", "gt": "target"}


# ---------------------------------------------------------------------------------------------------------------
# pairs
def _relative(path: str | Path, folder: Path) -> str:
    return os.path.relpath(Path(path), folder)


def pairs_from_mini(task: str, mini_root: str | Path) -> pd.DataFrame:
    """The mini set's pairs of one task, paths as stored (relative to mini_root/<task>)."""
    table = pd.read_csv(Path(mini_root) / task / "pairs.csv", dtype=str, keep_default_na=False)
    missing = [c for c in (*MINI_COLUMNS[task], "split") if c not in table]
    if missing:
        raise ValueError(f"{Path(mini_root) / task / 'pairs.csv'}: missing column(s) {missing}")
    out = table.rename(columns=MINI_COLUMNS[task])
    base = Path(mini_root) / task
    out["input"] = [str(base / p) for p in out["input"]]
    out["target"] = [str(base / p) for p in out["target"]]
    return out[["input", "target", "split"]]


def pairs_from_labels(labels_csv: str | Path, options: Mapping[str, Any]) -> pd.DataFrame:
    """GoPro / RealBlur / RealSR label table -> input, target, split (+ scale), filtered by the protocol."""
    table = pd.read_csv(labels_csv, keep_default_na=False)
    missing = [c for c in ("lq", "gt", "split") if c not in table]
    if missing:
        raise ValueError(f"{labels_csv}: missing column(s) {missing}; expected a restoration pair table")
    if options.get("variant"):
        if "variant" not in table:
            raise ValueError(f"{labels_csv}: restoration.datasets sets variant={options['variant']!r} "
                             f"but the table has no variant column")
        table = table[table["variant"].astype(str).str.upper() == str(options["variant"]).upper()]
    if options.get("scale"):
        if "scale" not in table:
            raise ValueError(f"{labels_csv}: restoration.datasets sets scale={options['scale']} "
                             f"but the table has no scale column")
        table = table[table["scale"].astype(int) == int(options["scale"])]
    if table.empty:
        raise ValueError(f"{labels_csv}: no pairs left after filtering by {dict(options)}")
    keep = ["lq", "gt", "split", *[c for c in ("group", "scale") if c in table]]
    return table[keep].rename(columns=LABEL_COLUMNS).reset_index(drop=True)


def upsample_to(lq: str | Path, gt: str | Path, out: Path) -> None:
    """Bicubic upsampling of an LR image to its HR image's size (PIL, upright as ddr.io reads it), written as PNG."""
    from PIL import Image, ImageOps

    from ddr.util.atomic import atomic_path

    with Image.open(gt) as hr_image:
        size = ImageOps.exif_transpose(hr_image).size
    with Image.open(lq) as lr_image:
        up = ImageOps.exif_transpose(lr_image).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    with atomic_path(out) as temporary:
        up.save(temporary, format="PNG")


def prepare_pairs(task: str, dataset: str, out_csv: str | Path, options: Mapping[str, Any],
                  labels_csv: str | Path | None = None, mini_root: str | Path | None = None) -> pd.DataFrame:
    """Write out_csv (input, target, split, paths relative to its folder); upsample SR inputs if asked."""
    from ddr.util.atomic import write_csv

    out_csv = Path(out_csv)
    folder = out_csv.parent
    if dataset == "mini":
        table = pairs_from_mini(task, mini_root)
    else:
        table = pairs_from_labels(labels_csv, options)
        if task == "sr" and options.get("upsample", "bicubic") == "bicubic":
            from tqdm import tqdm

            upsampled = []
            common = Path(os.path.commonpath([str(Path(p).resolve()) for p in table["input"]]))
            for lq, gt in tqdm(list(zip(table["input"], table["target"])), desc=f"upsample {dataset}"):
                rel = Path(lq).resolve().relative_to(common) if len(table) > 1 else Path(Path(lq).name)
                target = folder / "lq_upsampled" / ("__".join(rel.with_suffix("").parts) + ".png")
                if not target.exists():  # a killed job keeps the images it finished (each written atomically)
                    upsample_to(lq, gt, target)
                upsampled.append(str(target))
            table["input"] = upsampled
    for column in ("input", "target"):
        table[column] = [_relative(p, folder) for p in table[column]]
    if not {"train", "test"} <= set(table["split"]):
        raise ValueError(f"{dataset} ({task}): pairs need both a train and a test split, "
                         f"got {sorted(set(table['split']))}")
    write_csv(out_csv, table)
    return table


def measure_split(pairs_csv: str | Path, out_dir: str | Path, options: Mapping[str, Any],
                  restore: Callable[[torch.Tensor], torch.Tensor] | None, save_indices: Sequence[int] = (),
                  max_images: int | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Measure every test pair (restored by `restore`, or the input itself when None); write
    out_dir/metrics.csv (index, image, psnr, ssim, aligned), out_dir/summary.json and the PNGs of save_indices."""
    import sys

    from tqdm import tqdm

    from ddr.util.atomic import write_csv, write_json
    from ddr.util.provenance import provenance
    from ddr.restoration.data import load_rgb, read_pairs
    from ddr.restoration.evaluate import image_name, save_png
    from ddr.restoration.metrics import measure

    out_dir = Path(out_dir)
    pairs = read_pairs(pairs_csv, "test")[: max_images or None]
    root = Path(pairs_csv).parent
    wanted = set(int(i) for i in save_indices)
    rows = []
    for index, (inp_path, tgt_path) in enumerate(tqdm(pairs, desc=f"measure {out_dir.name}", file=sys.stderr)):
        inp, tgt = load_rgb(inp_path), load_rgb(tgt_path)
        if inp.shape != tgt.shape:
            raise ValueError(f"{inp_path} {tuple(inp.shape[1:])} and {tgt_path} {tuple(tgt.shape[1:])} differ in size")
        out = inp if restore is None else restore(inp).clamp(0, 1)
        name = image_name(Path(tgt_path), root)
        if index in wanted:
            save_png(out, out_dir / "images" / f"{index:04d}.png")
        rows.append({"index": index, "image": name, **measure(out, tgt, options)})
    frame = pd.DataFrame(rows, columns=["index", "image", "psnr", "ssim", "aligned"])
    write_csv(out_dir / "metrics.csv", frame)
    summary = {**dict(extra or {}), "images": len(frame), "psnr": float(frame["psnr"].mean()),
               "ssim": float(frame["ssim"].mean()), "protocol": dict(options),
               "alignment_failures": int((~frame["aligned"]).sum()) if options.get("alignment") == "ecc" else 0,
               "pairs": str(pairs_csv), "saved_images": sorted(wanted & set(range(len(frame)))),
               "provenance": provenance(stage="restoration-eval")}
    write_json(out_dir / "summary.json", summary)
    return summary


def read_summary(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())
