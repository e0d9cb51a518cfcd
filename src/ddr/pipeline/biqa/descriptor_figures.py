"""DDR as an image descriptor, the figures: Fig. 1 (same blur, different feature change), Fig. 2 (DDR distributions
for low / optimal / high pixel-domain levels and text-driven DDR), Fig. 4 (highest / lowest DDR_d images per type) and
Fig. 7 (SRCC between DDR_d and statistics of intermediate feature maps).

The figures read cached scores; only Fig. 7 needs per-image feature-map statistics, computed once per shard by their
own rule (`feature_statistics_shard`) so that redrawing the heat-map runs no network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from ddr.backbones.feature_statistics import FeatureStatistics  # noqa: E402
from ddr.evaluation import stats  # noqa: E402
from ddr.evaluation.bootstrap import heldout_mask, label_direction, level_columns, oriented, select_level  # noqa: E402
from ddr.io import load_image  # noqa: E402
from ddr.pipeline.biqa.tables import ddr_of_types, read_scores  # noqa: E402
from ddr.pipeline.features import shard_of  # noqa: E402
from ddr.pipeline.image_directions import pristine  # noqa: E402
from ddr.prompts import DEFAULT_TYPES, PROMPTS  # noqa: E402
from ddr.reporting import save_figure  # noqa: E402
from ddr.util.atomic import write_csv, write_json  # noqa: E402
from ddr.util.provenance import provenance  # noqa: E402

LOG = logging.getLogger(__name__)
FEATURE_DISTANCE = ("1 - cos of the {backbone} pooled features ({weights}), mean over the official square patches "
                    "(= pixel-domain DDR_blur)")
LPIPS_NET = "alex"  # the lpips package's default network


def lpips_metric():
    """(LPIPS module, its provenance) when both its linear heads (the `lpips` wheel) and its AlexNet backbone's
    ImageNet weights (torchvision's download, from the torch hub cache) are available; else (None, why not)."""
    from ddr.restoration.feature_nets import is_stand_in
    from ddr.restoration.losses.lpips import LPIPSLoss

    metric = LPIPSLoss(net=LPIPS_NET, weights="imagenet")
    info = metric.provenance
    if is_stand_in(info):
        return None, f"LPIPS backbone weights unavailable: {info['weights'][len('stand-in ('):-1]}"
    if info["linear"].startswith("unit"):
        return None, f"LPIPS linear heads unavailable: {info['linear']}"
    return metric.eval(), {"backbone": f"LPIPS {LPIPS_NET}", "weights": info["weights"], "linear": info["linear"],
                           "stand_in": False}


def _thumbnail(image: torch.Tensor, height: int = 160) -> np.ndarray:
    """(3,H,W) in [0,1] -> HxWx3 array about `height` pixels high (for display only)."""
    scale = height / image.shape[-2]
    size = (height, max(1, round(image.shape[-1] * scale)))
    small = torch.nn.functional.interpolate(image[None], size=size, mode="bilinear", antialias=True,
                                            align_corners=False)[0]
    return small.clamp(0, 1).permute(1, 2, 0).numpy()


NOTE_INCHES = 0.9  # bottom strip kept free for the stand-in note that save_figure draws there
TITLE_INCHES = 0.5  # two lines of 8-pt panel title above each image row
# panel titles over a light box: readable even where a title meets a dark image
TITLE_BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _layout(fig, note_inches: float = NOTE_INCHES) -> None:
    """tight_layout leaving a strip at the bottom for the stand-in note that save_figure draws there."""
    fig.tight_layout(rect=(0, min(0.4, note_inches / fig.get_figheight()), 1, 1))


# ---------------------------------------------------------------------------------------------------------------
# Fig. 1


def figure1(pddr_csv: str | Path, level: float, n_images: int, out_stem: str | Path) -> list[str]:
    """The same Gaussian blur on `n_images` images spread over the range of their feature change."""
    from ddr.degrade import degrade

    frame, record = read_scores(pddr_csv)
    column = level_columns(frame, "blur").get(float(level))
    if column is None:
        have = sorted(level_columns(frame, "blur"))
        raise ValueError(f"{pddr_csv}: no pixel-domain blur level {level:g} (have {have})")
    pool = pristine(frame).sort_values(column, kind="stable").reset_index(drop=True)
    picks = pool.iloc[sorted(set(np.linspace(0, len(pool) - 1, min(n_images, len(pool))).round().astype(int)))]
    metric, lpips_info = lpips_metric()
    images = [load_image(row["image"]) for _, row in picks.iterrows()]
    aspect = max(image.shape[-2] / image.shape[-1] for image in images)  # rows tall enough for the tallest image
    width = 2.6
    fig, axes = plt.subplots(2, len(picks), figsize=(width * len(picks), 2 * (width * aspect + TITLE_INCHES)
                                                     + NOTE_INCHES), squeeze=False)
    for k, ((_, row), image) in enumerate(zip(picks.iterrows(), images)):
        blurred = degrade(image, "blur", float(level))
        label = f"1 - cos = {row[column]:.4f}"
        if metric is not None:
            with torch.no_grad():
                label = f"LPIPS = {float(metric(image[None], blurred[None])):.4f}\n{label}"
        for r, (shown, title) in enumerate(((image, Path(row["image"]).stem), (blurred, label))):
            axes[r, k].imshow(_thumbnail(shown))
            axes[r, k].set_title(title, fontsize=8, bbox=TITLE_BOX)
            axes[r, k].axis("off")
    axes[0, 0].text(-0.08, 0.5, "original", transform=axes[0, 0].transAxes, rotation=90, va="center", ha="right")
    axes[1, 0].text(-0.08, 0.5, f"Gaussian blur sigma = {level:g}", transform=axes[1, 0].transAxes, rotation=90,
                    va="center", ha="right")
    _layout(fig)
    distance = FEATURE_DISTANCE.format(backbone=record.get("backbone"), weights=record.get("weights"))
    if metric is not None:
        measured = (f"LPIPS (the paper's distance; {LPIPS_NET}, {lpips_info['linear']}) and, below it, {distance}")
    else:
        measured = f"{distance}; not LPIPS, the paper's distance ({lpips_info})"
    caption = (f"Fig. 1: the same Gaussian blur (sigma = {level:g} px) changes the deep features of different images "
               f"by different amounts. Per pair: {measured}. Images: {len(picks)} "
               f"{'pristine ' if len(pool) < len(frame) else ''}images of {Path(pddr_csv).parent.name} spread evenly "
               f"over the rank of the feature distance (encoder: {record.get('backbone')}).")
    paths = save_figure(fig, out_stem, caption, [record] + ([lpips_info] if metric is not None else []))
    plt.close(fig)
    return [str(p) for p in paths]


# ---------------------------------------------------------------------------------------------------------------
# Fig. 2


def figure2(pddr_csv: str | Path, ddr_csv: str | Path, kind: str, dist_type: str | None, heldout_fraction: float,
            seed: int, out_stem: str | Path, iddr_csv: str | Path | None = None,
            types: Sequence[str] = DEFAULT_TYPES) -> dict[str, Any]:
    """Distributions of pixel-domain DDR at the lowest / held-out-optimal / highest level and of text-driven DDR
    over `types` (config ddr.types, as in Tables 1, 3, 7) (and, with `iddr_csv`, of DDR with image-defined
    directions: an extension of the paper)."""
    import seaborn as sns

    from ddr.pipeline.biqa.tables import within_groups_srcc

    pixel, pixel_record = read_scores(pddr_csv)
    text, text_record = read_scores(ddr_csv)
    text, text_column = ddr_of_types(text, types)
    frame = pixel.merge(text[["image", text_column]].rename(columns={text_column: "ddr"}), on="image",
                        validate="one_to_one")
    records = [pixel_record, text_record]
    if iddr_csv:  # scored only outside the held-out split: NaN on the held-out rows, which are not shown anyway
        image_dirs, image_record = read_scores(iddr_csv)
        frame = frame.merge(image_dirs[["image", "ddr"]].rename(columns={"ddr": "iddr"}), on="image", how="left",
                            validate="one_to_one")
        records.append(image_record)
    if dist_type is not None:
        frame = frame[frame["dist_type"].astype(str) == str(dist_type)]
        if frame.empty:
            raise ValueError(f"{pddr_csv}: no rows with dist_type == {dist_type!r}")
    mask, how = heldout_mask(frame, heldout_fraction, seed)
    chosen, heldout = select_level(frame, kind, mask)
    columns = level_columns(frame, kind)
    levels = list(columns)
    shown = frame[~mask]
    direction = label_direction(shown)
    quality = oriented(shown["score"], direction)
    upper = quality >= np.median(quality)
    group = np.where(upper, "better half of labels", "worse half of labels")
    panels = [(f"low: {kind} {levels[0]:g}", columns[levels[0]]),
              (f"optimal (held-out): {kind} {chosen:g}", columns[chosen]),
              (f"high: {kind} {levels[-1]:g}", columns[levels[-1]]),
              (f"adaptive text-driven DDR ({text_record.get('backbone')})", "ddr")]
    if iddr_csv:
        panels.append((f"image-defined directions ({image_record.get('backbone')}; extension)", "iddr"))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.75 * len(panels), 4.2))
    summary = {"chosen": chosen, "heldout_srcc": {f"{k:g}": float(v) for k, v in heldout.items()}, "heldout": how,
               "panels": {}}
    for ax, (title, column) in zip(axes, panels):
        scored = shown[column].notna().to_numpy()  # image directions do not score their own held-out images
        values = shown[column].to_numpy(dtype=float)[scored]
        value = stats.srcc(values, quality[scored])
        within = within_groups_srcc(shown[scored].assign(_v=values), "_v").get("within_srcc_mean", np.nan)
        summary["panels"][title] = value
        summary.setdefault("within", {})[title] = within
        data = pd.DataFrame({"DDR": values, "labels": group[scored]})
        sns.histplot(data=data, x="DDR", hue="labels", kde=len(data) > 3, stat="density", common_norm=False,
                     element="step", ax=ax, hue_order=["worse half of labels", "better half of labels"])
        legend = ax.get_legend()
        if legend is not None:
            legend.set_title(f"SRCC = {value:.3f}\nwithin ref & type = {within:.3f}", prop={"size": 8})
            for text_item in legend.get_texts():
                text_item.set_fontsize(7)
        ax.set_title(title, fontsize=9)
    _layout(fig)
    subset = "all images" if dist_type is None else f"dist_type == {dist_type!r}"
    caption = (f"Fig. 2: DDR on {Path(pddr_csv).parent.name} ({subset}; {len(shown)} images not used for the choice) "
               f"for the lowest, the optimal and the highest pixel-domain {kind} level "
               f"({pixel_record.get('backbone')}, "
               f"{pixel_record.get('weights')}) and for adaptive text-driven DDR ({text_record.get('backbone')}). "
               f"'Optimal' = highest pooled SRCC on held-out rows ({how}): {kind} {chosen:g}; held-out SRCC per level: "
               + ", ".join(f"{k:g}: {v:.3f}" for k, v in heldout.items())
               + ". Legends: SRCC with the labels on the shown images, pooled and within reference & type (mean over "
               "groups; the one to read when labels order images only within a reference and type, as on the mini "
               "set); colours split the images at the median label.")
    if list(types) != list(DEFAULT_TYPES):
        caption += f" Text-driven DDR = mean of DDR_d over {', '.join(types)} (config ddr.types)."
    if iddr_csv:
        caption += (f" Last panel: DDR with image-defined directions on {image_record.get('backbone')} (an "
                    "extension of the paper: direction = mean feature shift of held-out pristine images under the "
                    "pixel-domain operators), beside the text-driven one.")
    save_figure(fig, out_stem, caption, records)
    plt.close(fig)
    return summary


# ---------------------------------------------------------------------------------------------------------------
# Fig. 4


def figure4(ddr_csv: str | Path, k: int, out_stem: str | Path) -> None:
    """For each DDR type, the k images with the highest and the k with the lowest DDR_d."""
    frame, record = read_scores(ddr_csv)
    types = [t for t in PROMPTS if f"ddr_{t}" in frame]
    k = min(k, len(frame) // 2)
    fig, axes = plt.subplots(len(types), 2 * k, figsize=(1.7 * 2 * k, 1.7 * len(types) + 0.6), squeeze=False)
    cache: dict[str, np.ndarray] = {}
    for r, t in enumerate(types):
        ranked = frame.sort_values(f"ddr_{t}", ascending=False, kind="stable")
        picks = list(ranked.head(k).itertuples()) + list(ranked.tail(k).itertuples())
        for c, row in enumerate(picks):
            if row.image not in cache:
                cache[row.image] = _thumbnail(load_image(row.image), 96)
            ax = axes[r, c]
            ax.imshow(cache[row.image])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{getattr(row, f'ddr_{t}'):.4f}", fontsize=7)
            for spine in ax.spines.values():
                spine.set_edgecolor("tab:green" if c < k else "tab:red")
                spine.set_linewidth(2)
        axes[r, 0].set_ylabel(f"DDR_{t}", fontsize=9)
    fig.suptitle(f"highest DDR_d (green, left {k}) and lowest DDR_d (red, right {k})", fontsize=9)
    _layout(fig)
    caption = (f"Fig. 4: images of {Path(ddr_csv).parent.name} ({len(frame)} images) with the highest (green) and "
               f"lowest (red) text-driven DDR_d of each type ({record.get('backbone')}, adaptive, official square "
               "patches); the value is above each image.")
    save_figure(fig, out_stem, caption, [record])
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 7: feature-map statistics (cached per shard) and the heat-map


def feature_statistics_shard(labels_csv: str | Path, shard: int, n_shards: int, out: str | Path, vgg: str,
                             vgg_layers: Sequence[str], fallback_blocks: Sequence[int], device: str = "cpu") -> None:
    """Per image of one shard: mean and std of every chosen feature map (+ sidecar naming the network)."""
    paths = shard_of(pd.read_csv(labels_csv), shard, n_shards)["image"].tolist()
    extractor = FeatureStatistics(vgg, vgg_layers, fallback_blocks, device)
    rows = [{"image": p, **extractor(load_image(p))} for p in paths]
    write_csv(out, pd.DataFrame(rows))
    write_json(f"{out}.provenance.json", provenance(**extractor.record, shard=shard, n_shards=n_shards))


def figure7(shards: Sequence[str | Path], ddr_csv: str | Path, out_stem: str | Path) -> pd.DataFrame:
    """Heat-map of SRCC(DDR_d, mean / std of each feature map) over the set's images."""
    import seaborn as sns

    records = [json.loads(Path(f"{s}.provenance.json").read_text()) for s in shards]
    if len({(r["network"], tuple(r["layers"])) for r in records}) != 1:
        raise ValueError(f"feature-statistics shards disagree on the network/layers: rerun them ({list(shards)})")
    featstats = pd.concat([pd.read_csv(s) for s in shards], ignore_index=True)
    frame, record = read_scores(ddr_csv)
    merged = frame.merge(featstats, on="image", validate="one_to_one")
    stat_columns = [c for c in featstats.columns if c != "image"]
    types = [t for t in PROMPTS if f"ddr_{t}" in merged]
    matrix = pd.DataFrame(index=[f"DDR_{t}" for t in types], columns=stat_columns, dtype=float)
    for t in types:
        for column in stat_columns:
            try:
                matrix.loc[f"DDR_{t}", column] = stats.srcc(merged[f"ddr_{t}"], merged[column])
            except stats.InvalidScoresError:
                matrix.loc[f"DDR_{t}", column] = np.nan
    layers = list(dict.fromkeys(c.split("|")[0] for c in stat_columns))
    fig, axes = plt.subplots(1, 2, figsize=(2.5 + 1.4 * len(layers), 2.2 + 0.45 * len(types)), sharey=True)
    for ax, statistic in zip(axes, ("mean", "std")):
        part = matrix[[f"{layer}|{statistic}" for layer in layers]]
        part.columns = layers
        sns.heatmap(part, annot=True, fmt=".2f", cmap="coolwarm", vmin=-1, vmax=1, ax=ax, annot_kws={"size": 7},
                    cbar=statistic == "std", cbar_kws={"label": "SRCC"})
        ax.set_title(f"{statistic} of the feature map", fontsize=9)
        ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right", fontsize=7)
    _layout(fig)
    net = records[0]
    which = (f"ImageNet {net['network']} ({net['weights']})" if net["network"].startswith("vgg") else
             f"EfficientNet-Lite0 with its ImageNet weights (offline wheel) after blocks {', '.join(net['layers'])}, "
             f"because {net.get('fallback_reason', 'VGG weights are unavailable')}")
    caption = (f"Fig. 7: SRCC between text-driven DDR_d ({record.get('backbone')}) and the mean / std of intermediate "
               f"feature maps of {which}, over the {len(merged)} images of {Path(ddr_csv).parent.name} "
               "(shorter side resized to 224).")
    save_figure(fig, out_stem, caption, [record, *records[:1]])
    plt.close(fig)
    return matrix
