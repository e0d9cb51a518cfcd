"""The restoration stage's outputs after the whole mini profile ran (`mini_run`): every configured run trained,
resumable and evaluated; tables, companions and figures present, consistent with the per-image metrics, and
labelled with the stand-in status of their backbones."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml

from ddr.workflow import restoration_plan as plan
from ddr.workflow.config import restoration_section
from ddr.restoration.data import load_rgb, read_pairs
from ddr.restoration.metrics import psnr, ssim

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mini(mini_run):
    cfg = yaml.safe_load((mini_run / "config" / "config.yaml").read_text())
    return mini_run, mini_run / "results" / "mini", restoration_section(cfg), cfg


def test_every_configured_run_trained_to_the_end_with_checkpoints(mini):
    root, results, rcfg, _ = mini
    runs = plan.all_runs(rcfg)
    assert {r.loss for r in runs} == {plan.loss_slug(x) for x in rcfg["losses"]}
    for run in runs:
        folder = root / run.train_dir("results/mini")
        summary = json.loads((folder / "train.json").read_text())
        assert summary["run"]["variant"] == run.variant and (folder / "model_final.pt").exists()
        log = pd.read_csv(folder / "log.csv")
        assert log["iter"].iloc[-1] == rcfg["train"]["default"]["iterations"]
        assert any(p.name.startswith("iter_") for p in (folder / "checkpoints").iterdir())
        assert log["loss_psnr"].notna().all() and (log["loss_psnr"] < 0).all(), run.key  # minus a PSNR in dB
        if plan.uses_ddr(run):
            assert log["loss_ddr"].notna().all()
            assert summary["config"]["loss"]["ddr"] == plan.variant_settings(rcfg, run.variant)["lambda_d"]


def test_psnr_training_beats_the_unrestored_input_on_test_images(mini):
    """Training works: nafnet-tiny starts as the identity, so any gain on held-out images is learned."""
    from ddr.workflow.restoration_dag import RestorationDAG

    root, _, rcfg, cfg = mini
    dag = RestorationDAG(rcfg, cfg["clip"], "results/mini", "data")
    for run in plan.all_runs(rcfg):
        if run.loss == "psnr":
            trained = json.loads((root / dag.eval_summary(run)).read_text())["psnr"]
            given = json.loads((root / dag.input_summary(run.task, run.dataset)).read_text())["psnr"]
            assert trained > given, (run.key, trained, given)


def test_evaluation_matches_the_saved_images_and_the_input_is_measured_alike(mini):
    root, results, rcfg, _ = mini
    run = plan.Run("deblur", "mini", rcfg["networks"][0], "psnr+ddr", plan.MAIN, rcfg["seeds"][0])
    folder = root / run.eval_dir("results/mini")
    metrics = pd.read_csv(folder / "metrics.csv")
    pairs = read_pairs(root / "data/restoration/deblur/mini/pairs.csv", "test")
    assert len(metrics) == len(pairs)
    saved = plan.figure_image_indices(rcfg, "deblur", "mini")
    assert sorted(int(p.stem) for p in (folder / "images").glob("*.png")) == saved
    for index in saved:  # the PNG is what was measured
        out, target = load_rgb(folder / "images" / f"{index:04d}.png"), load_rgb(pairs[index][1])
        row = metrics[metrics["index"] == index].iloc[0]
        assert row["psnr"] == pytest.approx(psnr(out, target), abs=1e-9)
        assert row["ssim"] == pytest.approx(ssim(out, target), abs=1e-9)
    inputs = pd.read_csv(results / "restoration/input/deblur/mini/metrics.csv")
    assert inputs["psnr"].iloc[0] == pytest.approx(psnr(load_rgb(pairs[0][0]), load_rgb(pairs[0][1])), abs=1e-9)


def test_tables_hold_every_loss_and_agree_with_the_runs(mini):
    root, results, rcfg, _ = mini
    t4 = pd.read_csv(results / "tables/table4_deblur.csv")
    assert list(t4["loss"]) == ["no restoration"] + [plan.loss_label(x) for x in rcfg["losses"]]
    assert t4["mini_psnr"].between(15, 50).all() and t4["mini_ssim"].between(0, 1).all()
    runs = pd.read_csv(results / "tables/restoration_runs.csv")
    ddr = runs[(runs["task"] == "deblur") & (runs["loss"] == "psnr+ddr") & (runs["variant"] == "main")]
    assert t4.set_index("loss").loc["PSNR+DDR", "mini_psnr"] == pytest.approx(ddr["psnr"].mean())
    per_image = pd.read_csv(root / plan.Run("deblur", "mini", rcfg["networks"][0], "psnr+ddr", "main", 0)
                            .eval_dir("results/mini") / "metrics.csv")
    assert ddr["psnr"].iloc[0] == pytest.approx(per_image["psnr"].mean())
    t5 = pd.read_csv(results / "tables/table5_sr.csv")
    assert list(t5["loss"]) == ["Input"] + [plan.loss_label(x) for x in rcfg["losses"]]
    t6 = pd.read_csv(results / "tables/table6_ablation.csv")
    assert list(t6["variant"]) == ["PSNR only", "PSNR+DDR (default)"] + [v["name"] for v in
                                                                         rcfg["ablation"]["variants"]]
    assert not t6["psnr"].isna().any()
    for stem, published in (("table4_deblur", "table4_deblur.csv"), ("table5_sr", "table5_realsr.csv")):
        both = pd.read_csv(results / f"tables/{stem}_paper_vs_ours.csv")
        paper = pd.read_csv(root / "config/paper_numbers" / published)
        assert len(both) == paper.select_dtypes("number").shape[1] * len(paper)
        assert both["ours"].isna().all()  # the mini profile maps no network to the paper's models


def test_captions_and_figures_carry_the_stand_in_status(mini):
    root, results, rcfg, cfg = mini
    record = json.loads((results / f"weights/{cfg['clip']['arch']}+{cfg['clip']['pretrained']}.json").read_text())
    for stem in ("table4_deblur", "table5_sr", "table6_ablation", "restoration_runs"):
        md = (results / f"tables/{stem}.md").read_text()
        assert "Loss backbones:" in md and "DDR/CLIP" in md
        assert ("STAND-IN WEIGHTS" in md) == (record["stand_in"] or "STAND-IN)" in md)
    for fig in rcfg["figures"]:
        for ext in ("png", "pdf"):
            assert (results / f"figures/{fig}_restoration_crops.{ext}").stat().st_size > 1000
        caption = json.loads((results / f"figures/{fig}_restoration_crops.provenance.json").read_text())["caption"]
        assert "whole-image PSNR" in caption and "Loss backbones:" in caption
        if record["stand_in"]:
            assert caption.startswith("STAND-IN WEIGHTS")


def test_stage_wall_time_is_recorded(mini):
    _, results, _, _ = mini
    runs = pd.read_csv(results / "tables/restoration_runs.csv")
    assert runs["train_wall_s"].gt(0).all() and not runs["train_wall_s"].isna().any()
    assert all(math.isfinite(v) for v in runs["psnr"])
