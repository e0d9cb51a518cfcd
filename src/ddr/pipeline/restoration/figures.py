"""Figures 5, 6, 8, 9, 10: the same crop of one test image restored with each loss, beside input and ground truth.

Layout: the whole input with the crop outlined, then the crops of the input, of every loss's output and of the
ground truth; each title gives the whole-image PSNR under the dataset's protocol (the numbers of Tables 4/5).
The crop is chosen by content: the window of the ground truth with the most detail (largest summed gradient
energy), where restoration losses differ visibly; a flat window (sky) would show nothing. The figure's config may fix
it instead with `top` and `left`. Ties go to the top-left-most window, so it is deterministic; the caption says which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def window_sums(values: np.ndarray, size: int) -> np.ndarray:
    """Sum of `values` (H, W) over every size x size window: (H - size + 1, W - size + 1), via an integral image."""
    s = np.pad(values.astype(np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]


def gradient_energy(image: np.ndarray) -> np.ndarray:
    """(H, W): squared forward differences of an (H, W, C) image, summed over both axes and the channels (forward,
    not central: central differences miss pixel-scale detail such as a checkerboard)."""
    image = image.astype(np.float64)
    rows = np.diff(image, axis=0, append=image[-1:])
    cols = np.diff(image, axis=1, append=image[:, -1:])
    return (rows ** 2 + cols ** 2).sum(axis=-1)


def most_textured_window(reference: np.ndarray, size: int) -> tuple[int, int]:
    """(top, left) of the size x size window of the (H, W, 3) reference with the largest gradient energy."""
    sums = window_sums(gradient_energy(reference), size)
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)  # argmax: first maximum in row-major order
    return int(top), int(left)


def note_space(fig, provenance: Sequence[Mapping[str, Any]]) -> float:
    """Fraction of the figure's height to keep free at the bottom for the stand-in warning that
    ddr.reporting.save_figure writes there (fontsize 7, wrapped to the figure's width)."""
    from ddr.reporting.captions import stand_in_note

    note = stand_in_note([dict(p) for p in provenance])
    if not note:
        return 0.0
    width_in, height_in = fig.get_size_inches()
    chars_per_line = max(20, int(width_in * 72 / (7 * 0.5)))
    lines = -(-len(note) // chars_per_line) + 1
    return min(0.6, lines * 7 * 1.25 / 72 / height_in)


def _load(path: str | Path) -> np.ndarray:
    from ddr.io import load_image

    return load_image(path).permute(1, 2, 0).numpy()


def _psnr_of(metrics_csv: str | Path, index: int) -> float:
    table = pd.read_csv(metrics_csv)
    hit = table[table["index"] == index]
    if hit.empty:
        raise ValueError(f"{metrics_csv}: no test image with index {index}")
    return float(hit["psnr"].iloc[0])


def crop_figure(fig_cfg: Mapping[str, Any], pairs_csv: str | Path, input_dir: str | Path,
                outputs: Sequence[tuple[str, str | Path]], stem: str | Path, caption: str,
                provenance: Sequence[Mapping[str, Any]], title: str) -> list[Path]:
    """outputs: [(loss label, evaluation folder with metrics.csv and images/<index>.png)] in column order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ddr.reporting import save_figure
    from ddr.restoration.data import read_pairs

    index = int(fig_cfg["image"])
    pairs = read_pairs(pairs_csv, "test")
    if not 0 <= index < len(pairs):
        raise ValueError(f"{title}: image index {index} out of range; {pairs_csv} has {len(pairs)} test pairs")
    inp, tgt = _load(pairs[index][0]), _load(pairs[index][1])
    restored = []
    for label, folder in outputs:
        png = Path(folder) / "images" / f"{index:04d}.png"
        if not png.exists():
            raise FileNotFoundError(f"{png} missing: the evaluation of {label} did not keep test image {index} "
                                    f"(rerun its restoration_eval job)")
        restored.append((label, _load(png), _psnr_of(Path(folder) / "metrics.csv", index)))
    h, w = tgt.shape[:2]
    size = int(min(fig_cfg.get("crop", 64), h, w))
    if "top" in fig_cfg and "left" in fig_cfg:
        top, left = int(fig_cfg["top"]), int(fig_cfg["left"])
        if not (0 <= top <= h - size and 0 <= left <= w - size):
            raise ValueError(f"{title}: crop ({top}, {left}, {size}) does not fit the {h}x{w} image")
    else:
        top, left = most_textured_window(tgt, size)

    def crop(a: np.ndarray) -> np.ndarray:
        return np.clip(a[top:top + size, left:left + size], 0, 1)

    panels = [("Input", crop(inp), _psnr_of(Path(input_dir) / "metrics.csv", index)),
              *[(label, crop(image), value) for label, image, value in restored], ("Ground truth", crop(tgt), None)]
    n = len(panels) + 1
    fig, axes = plt.subplots(1, n, figsize=(2.0 * n, 2.5))
    axes[0].imshow(np.clip(inp, 0, 1))
    axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, edgecolor="yellow", linewidth=1.5))
    axes[0].set_title("Input (whole)", fontsize=8)
    for ax, (label, image, value) in zip(axes[1:], panels):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(label if value is None else f"{label}\n{value:.2f} dB", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, note_space(fig, provenance), 1, 0.93))
    how = ("as fixed in the config" if "top" in fig_cfg and "left" in fig_cfg else
           "the window of the ground truth with the most detail (largest gradient energy)")
    caption = f"{caption} Crop: {size}x{size} px at (top {top}, left {left}) of test image {index}, {how}."
    try:
        return save_figure(fig, stem, caption, provenance)
    finally:
        plt.close(fig)
