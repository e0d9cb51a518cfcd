"""Image-defined degradation directions (ddr.directions, an extension of the paper): arithmetic, determinism, the
text-driven path left unchanged, disjointness of the held-out images from the scored ones, and the behaviour on the
mini set with the real EfficientNet-Lite0 weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from ddr import DDR, descriptor
from ddr import directions as image_directions
from ddr.backbones import load_backbone
from ddr.pipeline.image_directions import scored_labels, split_rows


def test_mean_shift_weighs_each_image_once_and_ignores_image_order():
    clean = [torch.zeros(1, 3), torch.ones(3, 3)]
    degraded = [[torch.full((1, 3), 2.0), torch.tensor([[1.0, 1, 1], [3, 3, 3], [5, 5, 5]])]]
    # image 0 moves by 2, image 1 by mean(0, 2, 4) = 2 per patch: per-image means first, then the mean over images
    assert torch.equal(image_directions.mean_shift(clean, degraded), torch.full((1, 3), 2.0))
    swapped = image_directions.mean_shift(clean[::-1], [degraded[0][::-1]])
    assert torch.equal(swapped, image_directions.mean_shift(clean, degraded))
    with pytest.raises(ValueError, match="held-out image"):
        image_directions.mean_shift([], [[]])


def test_text_directions_unchanged_for_clip(tiny_vit):
    """With a text tower, from_backbone's default and directions='text' give exactly the paper's text directions."""
    backbone = tiny_vit.backbone
    for model in (DDR.from_backbone(backbone), DDR.from_backbone(backbone, directions="text")):
        assert model.image_directions is None and model.provenance()["directions"] == "text"
        assert torch.equal(model.directions, tiny_vit.directions)
        assert model.types == tiny_vit.types
    with pytest.raises(ValueError, match="directions='images' only"):
        DDR.from_backbone(backbone, directions="text", levels={"blur": 2.0})


@pytest.fixture(scope="module")
def lite0():
    return load_backbone("efficientnet-lite0")


def _photos(n: int = 2, size: int = 96) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, size, size + 32, generator=generator) for _ in range(n)]


def test_deterministic_for_a_seed_and_cached(lite0, tmp_path):
    images = _photos()
    first = image_directions.compute(lite0, images, seed=3)
    again = image_directions.compute(lite0, images, seed=3)
    assert torch.equal(first.vectors, again.vectors)
    assert first.types == ["blur", "color", "noise", "exposure"] and first.vectors.shape == (4, 1280)
    other = image_directions.compute(lite0, images, {"noise": 0.05}, seed=4).vectors[0]
    assert not torch.equal(other, first.vectors[2])  # the seed drives the noise operator
    cached = image_directions.cached(lite0, images, seed=3, cache_dir=tmp_path, names=["a", "b"])
    assert torch.equal(cached.vectors, first.vectors) and len(list(tmp_path.glob("*.pt"))) == 1
    reloaded = image_directions.cached(lite0, images, seed=3, cache_dir=tmp_path)
    assert torch.equal(reloaded.vectors, first.vectors) and reloaded.record["images"] == ["a", "b"]


def test_ddr_with_image_directions_is_the_papers_arithmetic(lite0):
    directions = image_directions.compute(lite0, _photos(), {"blur": 2.0, "noise": 0.05})
    model = DDR.from_backbone(lite0, directions=directions)
    record = model.provenance()["directions"]
    assert record["method"].startswith("image-defined directions") and record["n_images"] == 2
    features = torch.randn(5, 1280, dtype=torch.float64).float()
    expected = descriptor.response(features, directions.vectors)
    assert torch.equal(model.scores_from_features(features), expected)
    only_blur = DDR.from_backbone(lite0, directions=directions, types=["blur"])
    assert torch.equal(only_blur.directions, directions.vectors[:1])
    with pytest.raises(ValueError, match="not among"):
        DDR(lite0, directions=directions, types=["color"])
    with pytest.raises(ValueError, match="'text' or an ImageDirections"):
        DDR(lite0, directions="pixels")


def test_heldout_images_are_disjoint_from_the_scored_ones_without_a_split(tmp_path):
    """A set with references and no split column: a seeded share of references (the pipeline's split seed, as for
    the pixel-domain level choice) is held out; nothing held out is scored."""
    from ddr.evaluation.bootstrap import heldout_mask

    rows = [{"image": f"r{r}_{k}.png", "ref": f"r{r}.png", "dist_type": "" if k == 0 else "blur", "score": 5 - k}
            for r in range(10) for k in range(4)]
    labels = pd.DataFrame(rows)
    chosen, mask, _ = split_rows(labels, 0.3, seed=1, n_images=2, split_seed=7)
    assert len(chosen) == 2 and chosen["dist_type"].eq("").all() and mask[chosen.index].all()
    assert mask.equals(heldout_mask(labels, 0.3, 7)[0])
    again, _, _ = split_rows(labels, 0.3, seed=1, n_images=2, split_seed=7)
    assert chosen["image"].tolist() == again["image"].tolist()
    labels.to_csv(tmp_path / "labels.csv", index=False)
    record = {"images": chosen["image"].tolist(), "heldout_fraction": 0.3, "seed": 1, "split_seed": 7}
    scored = scored_labels(tmp_path / "labels.csv", image_directions.ImageDirections(["blur"], torch.zeros(1, 4),
                                                                                     record))
    assert len(scored) == (~mask).sum() and not set(scored["image"]) & set(labels.loc[mask, "image"])
    assert not set(scored["ref"]) & set(chosen["ref"])


@pytest.fixture(scope="module")
def mini(tmp_path_factory, lite0):
    """The mini set (built offline in seconds) and image directions measured on its held-out pristine images."""
    from ddr.data.mini import build_mini
    from ddr.io import load_image

    root = tmp_path_factory.mktemp("mini") / "mini"
    build_mini(root)
    quality = root / "quality"
    labels = pd.read_csv(quality / "labels.csv")
    labels["image"] = [str(quality / p) for p in labels["image"]]
    labels["ref"] = [str(quality / p) for p in labels["ref"]]
    labels_csv = quality / "labels_abs.csv"
    labels.to_csv(labels_csv, index=False)
    chosen, _, _ = split_rows(labels, 0.3, seed=0, n_images=8)
    directions = image_directions.compute(lite0, [load_image(p) for p in chosen["image"]], seed=0,
                                          record={"images": chosen["image"].tolist(), "heldout_fraction": 0.3})
    return labels, labels_csv, directions


def test_directions_never_score_their_own_images_or_references(mini):
    labels, labels_csv, directions = mini
    used = set(directions.record["images"])
    scored = scored_labels(labels_csv, directions)
    heldout = labels[labels["split"] == "heldout"]
    assert used and used <= set(heldout["image"])  # pristine held-out references only
    assert set(labels.loc[labels["image"].isin(used), "dist_type"].fillna("")) == {""}
    assert not set(scored["image"]) & used
    assert not set(scored["ref"]) & set(labels.loc[labels["image"].isin(used), "ref"])
    assert set(scored["split"]) == {"test"} and len(scored) == (labels["split"] == "test").sum()


def test_mini_ddr_blur_falls_with_blur_level_within_every_reference(mini, lite0):
    """Real weights, image directions: within each scored reference DDR_blur strictly decreases from the pristine
    image through blur levels 1..4 (a blurrier image responds less to further blur: higher DDR = better quality)."""
    from ddr.io import load_image
    from ddr.patches import encode_patches

    labels, labels_csv, directions = mini
    model = DDR.from_backbone(lite0, directions=directions, types=["blur"])
    scored = scored_labels(labels_csv, directions)
    rows = scored[scored["dist_type"].fillna("").isin(["", "blur"])].sort_values(["ref", "dist_level"])
    with torch.no_grad():
        features = encode_patches(lite0, [load_image(p) for p in rows["image"]], 32)
        blur = np.array([model.scores_from_features(f).mean().item() for f in features])
    refs = rows["ref"].to_numpy()
    assert len(set(refs)) == 6
    for ref in sorted(set(refs)):
        values = blur[refs == ref]
        assert len(values) == 5 and np.all(np.diff(values) < 0), (ref, values)


def test_cli_scores_with_image_directions_and_refuses_shared_images(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from ddr.cli import main

    monkeypatch.setenv("DDR_CACHE", str(tmp_path / "cache"))
    held, scored = tmp_path / "held", tmp_path / "scored"
    for folder, images in ((held, _photos(2, 64)), (scored, _photos(1, 48))):
        folder.mkdir()
        for i, image in enumerate(images):
            Image.fromarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "scores.csv"
    args = ["score", str(scored), "--backbone", "efficientnet-lite0", "--directions", "images", "--direction-images",
            str(held), "--levels", "blur=2,noise=0.05", "--out", str(out), "--quiet"]
    assert main(args) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["path", "ddr", "ddr_blur", "ddr_noise"] and len(table) == 1
    assert np.isfinite(table[["ddr_blur", "ddr_noise"]].to_numpy()).all()
    assert len(list((tmp_path / "cache" / "directions").glob("*.pt"))) == 1  # cached for the next call
    assert main(["score", str(scored), "--backbone", "efficientnet-lite0", "--directions", "images",
                 "--direction-images", str(scored), "--quiet"]) == 2
    assert "must not be scored with them" in capsys.readouterr().err


def test_content_hash_names_the_directions_not_the_record(tmp_path):
    """Provenance cites directions by content: a different commit in the saved record leaves the hash unchanged, a
    changed vector or type name changes it (the Slurm test compares provenance of runs from different checkouts)."""
    vectors = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    first = image_directions.ImageDirections(["blur", "noise"], vectors, {"git_commit": "a"})
    second = image_directions.ImageDirections(["blur", "noise"], vectors.clone(), {"git_commit": "b"})
    first.save(tmp_path / "a.pt")
    second.save(tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() != (tmp_path / "b.pt").read_bytes()
    loaded = image_directions.ImageDirections.load(tmp_path / "b.pt")
    assert loaded.content_sha256() == first.content_sha256()
    assert image_directions.ImageDirections(["blur", "haze"], vectors).content_sha256() != first.content_sha256()
    nudged = vectors.clone()
    nudged[1, 2] = torch.nextafter(nudged[1, 2], torch.tensor(100.0))
    assert image_directions.ImageDirections(["blur", "noise"], nudged).content_sha256() != first.content_sha256()
