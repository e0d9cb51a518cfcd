"""Paired image data from a pairs.csv, with deterministic random crops and flips.

pairs.csv has one row per pair: an input image, a target image and a split, as paths relative to the CSV.
Column names differ between sets (deblur: blur, sharp; SR: lr, hr), so `columns` maps the roles
{"input", "target", "split"} to the CSV's names. SR inputs are expected at the target's size (LR
pre-upsampled), as the paper does for RealSR.

Training samples are a pure function of (seed, sample index): sample k of the run is item
perm_e[k mod n] of epoch e = k // n (perm_e drawn from seed and e), with a crop and flips drawn from
(seed, k). Nothing hidden has to be checkpointed, so a resumed run sees exactly the samples an
uninterrupted run would have seen, whatever the number of loader workers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

DEFAULT_COLUMNS = {"input": "input", "target": "target", "split": "split"}


def load_rgb(path: str | Path) -> torch.Tensor:
    """(3, H, W) float in [0, 1]; the package's reader (clear errors with the file name)."""
    from ddr.io import load_image
    return load_image(path)


def read_pairs(csv_path: str | Path, split: str | None, columns: Mapping[str, str] | None = None) -> list[tuple[Path, Path]]:
    """[(input_path, target_path)] of one split (all rows when split is None), paths resolved."""
    csv_path = Path(csv_path)
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    if not csv_path.exists():
        raise FileNotFoundError(f"pairs file not found: {csv_path}")
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    missing = [cols[r] for r in ("input", "target") if cols[r] not in df.columns]
    if split is not None and cols["split"] not in df.columns:
        missing.append(cols["split"])
    if missing:
        raise ValueError(f"{csv_path}: missing column(s) {missing}; has {list(df.columns)} "
                         f"(map them with data.columns, e.g. {{input: blur, target: sharp}})")
    if split is not None:
        df = df[df[cols["split"]] == split]
    if df.empty:
        raise ValueError(f"{csv_path}: no rows with {cols['split']} == {split!r}")
    root = csv_path.parent
    return [(root / a, root / b) for a, b in zip(df[cols["input"]], df[cols["target"]])]


def random_crop_flip(inp: torch.Tensor, tgt: torch.Tensor, crop: int | None, rng: np.random.Generator,
                     flips: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random crop (and horizontal / vertical flips, 90-degree transpose) of a pair."""
    if inp.shape != tgt.shape:
        raise ValueError(f"input and target differ in size: {tuple(inp.shape)} vs {tuple(tgt.shape)}")
    h, w = inp.shape[-2:]
    if crop is not None:
        if h < crop or w < crop:
            raise ValueError(f"image of {h}x{w} is smaller than the crop size {crop}")
        y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        inp, tgt = inp[:, y:y + crop, x:x + crop], tgt[:, y:y + crop, x:x + crop]
    if flips:
        hflip, vflip, transpose = (bool(b) for b in rng.integers(0, 2, size=3))
        if transpose and inp.shape[-1] != inp.shape[-2]:
            transpose = False
        for flag, op in ((hflip, lambda t: t.flip(-1)), (vflip, lambda t: t.flip(-2)),
                         (transpose, lambda t: t.transpose(-1, -2))):
            if flag:
                inp, tgt = op(inp), op(tgt)
    return inp.contiguous(), tgt.contiguous()


class PairedTrainingSamples(Dataset):
    """Index k (the k-th sample of the whole run) -> (input crop, target crop), deterministic in (seed, k)."""

    def __init__(self, pairs: list[tuple[Path, Path]], crop: int | None, seed: int, flips: bool = True,
                 cache: bool = True):
        if not pairs:
            raise ValueError("no training pairs")
        self.pairs, self.crop, self.seed, self.flips = pairs, crop, seed, flips
        self.cache: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = {} if cache else None
        self._perms: dict[int, np.ndarray] = {}

    def __len__(self) -> int:  # effectively unbounded; the sampler decides which indices are drawn
        return 2 ** 62

    def _item_of(self, k: int) -> int:
        n = len(self.pairs)
        epoch = k // n
        if epoch not in self._perms:
            self._perms = {epoch: np.random.default_rng([self.seed, 1, epoch]).permutation(n)}
        return int(self._perms[epoch][k % n])

    def load_pair(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cache is not None and i in self.cache:
            return self.cache[i]
        a, b = self.pairs[i]
        pair = (load_rgb(a), load_rgb(b))
        if pair[0].shape != pair[1].shape:
            raise ValueError(f"{a} ({tuple(pair[0].shape[1:])}) and {b} ({tuple(pair[1].shape[1:])}) differ in size")
        if self.cache is not None:
            self.cache[i] = pair
        return pair

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        inp, tgt = self.load_pair(self._item_of(k))
        return random_crop_flip(inp, tgt, self.crop, np.random.default_rng([self.seed, 2, k]), self.flips)
