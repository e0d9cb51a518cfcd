"""The restoration stage's pipeline code: loss names, the run plan, train configs the library accepts, dataset
protocols (pairs, RealBlur's ECC alignment), tables and companions on synthetic summaries, crop figures, and a
training run that resumes from its checkpoints."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from ddr.workflow import restoration_plan as plan
from ddr.pipeline.restoration import tables
from ddr.workflow.config import restoration_section
from ddr.workflow.restoration_dag import RestorationDAG
from ddr.pipeline.restoration.protocols import prepare_pairs
from ddr.restoration.metrics import align_ecc, masked_psnr, masked_ssim, measure
from ddr.restoration.metrics import psnr as library_psnr
from ddr.restoration.metrics import ssim as library_ssim

from conftest import REPO

MINI_CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
MINI = restoration_section(MINI_CONFIG)  # the section as the stage reads it (its DDR term with the shared ddr.types)
PAPER_FILE = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())["restoration"]


def paper_config() -> dict:
    """The restoration section of config.yaml with paper.yaml merged over it, as Snakemake does (dicts deep-merged)."""
    from snakemake.utils import update_config

    merged = copy.deepcopy(MINI_CONFIG)
    update_config(merged, yaml.safe_load((REPO / "config" / "paper.yaml").read_text()))
    return restoration_section(merged)


# ----------------------------------------------------------------------------------------------------------------
# loss names
def test_loss_names_parse_to_canonical_terms_and_the_paper_labels():
    assert plan.parse_loss_name("psnr+ddr") == ["psnr", "ddr"]
    assert plan.loss_slug("PSNR + contextual") == "psnr+ctx"
    assert plan.loss_label("psnr+cx") == "PSNR+CTX"
    assert [plan.loss_label(x) for x in PAPER_FILE["losses"]] == ["PSNR", "PSNR+LPIPS", "PSNR+CTX", "PSNR+PDL",
                                                                  "PSNR+FDL", "PSNR+DDR"]


@pytest.mark.parametrize("name,message", [("psnr+lpipz", "unknown term 'lpipz'"), ("psnr+psnr", "appears twice"),
                                          ("psnr+ctx+contextual", "appears twice"), ("", "non-empty")])
def test_bad_loss_names_are_refused_with_the_reason(name, message):
    with pytest.raises(plan.RestorationConfigError, match=message):
        plan.parse_loss_name(name)


def test_loss_spec_takes_weights_from_config_and_lambda_d_from_the_variant():
    terms = {"psnr": 1.0, "ctx": {"weight": 0.5, "h": 0.2}, "ddr": 0.1}
    assert plan.loss_spec("psnr+ddr", terms) == {"psnr": 1.0, "ddr": 0.1}
    assert plan.loss_spec("psnr+ddr", terms, lambda_d=0.7) == {"psnr": 1.0, "ddr": 0.7}
    assert plan.loss_spec("psnr+ctx", terms) == {"psnr": 1.0, "contextual": {"weight": 0.5, "h": 0.2}}
    with pytest.raises(plan.RestorationConfigError, match="no weight for term 'lpips'"):
        plan.loss_spec("psnr+lpips", terms)


def test_loss_specs_build_in_the_library():
    from ddr.restoration import build_loss

    loss = build_loss(plan.loss_spec("psnr+pdl_pixel", {"psnr": 1.0, "pdl_pixel": 0.3}))
    x = torch.rand(1, 3, 16, 16)
    assert loss.weights == {"psnr": 1.0, "pdl_pixel": 0.3}
    assert torch.isfinite(loss(x, x.flip(-1)))


# ----------------------------------------------------------------------------------------------------------------
# the plan
def test_the_paper_plan_has_one_run_per_dataset_network_loss_seed_plus_the_ablation():
    cfg = paper_config()
    plan.check_config(cfg)
    main = plan.main_runs(cfg)
    assert len(main) == 3 * 2 * 6 and len(set(main)) == len(main)
    assert {(r.task, r.dataset) for r in main} == {("deblur", "gopro"), ("deblur", "realblur"), ("sr", "realsr")}
    ablation = plan.ablation_runs(cfg)
    assert [r.variant for r in ablation] == [v["name"] for v in PAPER_FILE["ablation"]["variants"]]
    assert all(r.loss == "psnr+ddr" and r.network == "nafnet-gopro" and r.dataset == "gopro" for r in ablation)
    # the Table 6 reference rows are main-grid runs, not extra trainings
    assert set(plan.ablation_reference_runs(cfg).values()) <= set(main)
    assert len(plan.all_runs(cfg)) == len(main) + len(ablation)


def test_variants_change_one_ddr_setting_and_pick_their_clip_weights():
    cfg = paper_config()
    clip = {"arch": "ViT-B-32", "pretrained": "openai"}
    main = plan.variant_settings(cfg, plan.MAIN)
    assert main == {"lambda_d": 0.1, "types": ["blur", "color", "noise", "exposure"], "adaptive": True,
                    "backbone": None}
    assert plan.variant_settings(cfg, "no-adaptation") == {**main, "adaptive": False}
    assert plan.variant_settings(cfg, "blur-only")["types"] == ["blur"]
    assert plan.ddr_encoder(cfg, plan.MAIN, clip) == "ViT-B-32+openai"
    assert plan.ddr_encoder(cfg, "rn50", clip) == "RN50+openai"
    with pytest.raises(plan.RestorationConfigError, match="unknown ablation variant"):
        plan.variant_settings(cfg, "nope")


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c["networks"].append("nafnet-huge"), "unknown network 'nafnet-huge'"),
    (lambda c: c["losses"].append("PSNR+DDR"), "same loss appears twice"),
    (lambda c: c["figures"]["fig5"].update(dataset="gopro"), "not in restoration.tasks"),
    (lambda c: c["ablation"]["variants"].append({"name": "main", "adaptive": False}), "reserved"),
    (lambda c: c["tasks"].update(deblur=["gopro"]), "no entry for 'gopro'"),
])
def test_config_mistakes_the_schema_cannot_see_are_named(mutate, message):
    cfg = copy.deepcopy(MINI)
    mutate(cfg)
    with pytest.raises(plan.RestorationConfigError, match=message):
        plan.check_config(cfg)


def test_train_config_is_accepted_by_the_library_and_carries_the_schedule():
    from ddr.restoration.train import merge_config

    cfg = paper_config()
    run = plan.Run("deblur", "gopro", "restormer", "psnr+ddr", "lambda-0.3", 0)
    # an ablation variant of a network other than the ablation's still resolves (the rule is generic)
    train_cfg = plan.train_config(cfg, run, "pairs.csv", "out")
    merged = merge_config(train_cfg)  # raises on unknown keys
    assert merged["loss"] == {"psnr": 1.0, "ddr": 0.3}
    # the reference recipe: Restormer's official one (progressive patches, lr held 92k then cosine, 8 micro-batches)
    assert merged["optim"]["lr"] == 0.0003 and merged["optim"]["betas"] == [0.9, 0.999]
    assert merged["optim"]["constant_iterations"] == 92000 and merged["optim"]["grad_clip"] == 0.01
    assert merged["iterations"] == 300000 and merged["data"]["accumulate"] == 8
    assert [(s["crop_size"], s["batch_size"]) for s in merged["data"]["progressive"]] == [
        (128, 64), (160, 40), (192, 32), (256, 16), (320, 8), (384, 8)]
    assert merged["ddr"] == {"types": ["blur", "color", "noise", "exposure"], "adaptive": True, "lambda_d": 0.3}
    nafnet = merge_config(plan.train_config(cfg, plan.Run("deblur", "gopro", "nafnet-gopro", "psnr", "main", 0),
                                            "p", "o"))
    assert (nafnet["iterations"], nafnet["data"]["batch_size"], nafnet["data"]["crop_size"]) == (400000, 64, 256)
    assert nafnet["optim"]["weight_decay"] == 0.001 and nafnet["amp"] == "none" and nafnet["data"]["progressive"] is None
    assert plan.recipe(cfg)["name"] == "reference" and plan.loss_weights(cfg)["ddr"] == 0.1
    psnr_only = plan.train_config(cfg, plan.Run("sr", "realsr", "nafnet-gopro", "psnr", "main", 0), "p", "o")
    assert psnr_only["ddr"] is None and psnr_only["eval"]["crop_border"] == 4


def test_the_budget_overlay_replaces_the_reference_recipe():
    from snakemake.utils import update_config

    from ddr.workflow.config import validate_config
    from ddr.restoration.train import merge_config

    full = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for overlay in ("paper.yaml", "restoration_budget.yaml"):
        update_config(full, yaml.safe_load((REPO / "config" / overlay).read_text()))
    validate_config(full)
    cfg = restoration_section(full)
    assert plan.recipe(cfg)["name"] == "budget" and plan.recipe(cfg)["gpu_hours"]["restormer"] > 0
    for network in ("nafnet-gopro", "restormer"):
        run = plan.Run("deblur", "gopro", network, "psnr+fdl", "main", 0)
        merged = merge_config(plan.train_config(cfg, run, "p", "o"))
        assert (merged["iterations"], merged["data"]["batch_size"], merged["data"]["accumulate"]) == (100000, 8, 1)
        assert merged["data"]["progressive"] is None and merged["optim"]["constant_iterations"] == 0
        assert merged["amp"] == "bf16"
    assert "Training recipe 'budget'" in tables.schedule_text(cfg, ["restormer"])


def test_dag_layout_plans_the_paper_profile_from_the_config_alone(tmp_path):
    cfg = paper_config()
    dag = RestorationDAG(cfg, {"arch": "ViT-B-32", "pretrained": "openai"}, "results/paper", "data")
    dag.check()
    outputs = dag.stage_targets()
    assert "results/paper/tables/table4_deblur_paper_vs_ours.csv" in outputs
    assert "results/paper/figures/fig10_restoration_crops.pdf" in outputs
    assert len(dag.all_eval_summaries()) == 36 + 9 and len(dag.table6_summaries()) == 2 + 9

    class W:
        task, dataset, network, loss, variant, seed = "deblur", "gopro", "nafnet-gopro", "psnr+ddr", "rn50", "0"

    assert dag.ddr_weights(W) == ["results/paper/weights/RN50+openai.json"]
    assert dag.pairs_source(W) == "data/labels/gopro.csv"
    W.dataset = "realsr"
    assert dag.pair_options(W) == {"scale": 4, "upsample": "bicubic"}  # metric settings do not touch the pairs
    off = RestorationDAG({**cfg, "enabled": False}, {}, "r", "d")
    assert off.stage_targets() == [] and off.all_eval_summaries() == []


# ----------------------------------------------------------------------------------------------------------------
# datasets and protocols
def _png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_realsr_pairs_are_filtered_by_scale_and_upsampled_to_the_hr_size(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = []
    for split in ("train", "test"):
        for scale in (2, 4):
            hr = rng.integers(0, 255, (32, 48, 3), dtype=np.uint8)
            lr = hr[::scale, ::scale]
            base = f"raw/realsr/Canon/{split.title()}/{scale}/Canon_001"
            _png(tmp_path / f"{base}_HR.png", hr)
            _png(tmp_path / f"{base}_LR{scale}.png", lr)
            rows.append({"lq": f"{base}_LR{scale}.png", "gt": f"{base}_HR.png", "split": split, "group": "Canon",
                         "scale": scale})
    pd.DataFrame(rows).to_csv(tmp_path / "realsr.csv", index=False)
    out = tmp_path / "prepared" / "pairs.csv"
    prepare_pairs("sr", "realsr", out, {"scale": 4, "upsample": "bicubic"}, labels_csv=tmp_path / "realsr.csv")
    table = pd.read_csv(out)
    assert list(table["split"]) == ["train", "test"] and set(table["scale"]) == {4}
    for inp, tgt in zip(table["input"], table["target"]):
        assert not Path(inp).is_absolute() and (out.parent / inp).exists()
        assert Image.open(out.parent / inp).size == Image.open(out.parent / tgt).size == (48, 32)
    from ddr.restoration.data import read_pairs
    assert len(read_pairs(out, "test")) == 1


def test_realblur_pairs_keep_one_variant(tmp_path):
    rows = [{"lq": f"{v}{i}.png", "gt": f"g{v}{i}.png", "split": s, "group": "scene001", "variant": v}
            for v in ("J", "R") for i, s in enumerate(("train", "test"))]
    pd.DataFrame(rows).to_csv(tmp_path / "realblur.csv", index=False)
    table = prepare_pairs("deblur", "realblur", tmp_path / "out" / "pairs.csv", {"variant": "J"},
                          labels_csv=tmp_path / "realblur.csv")
    assert [Path(p).name for p in table["input"]] == ["J0.png", "J1.png"]
    with pytest.raises(ValueError, match="no pairs left"):
        prepare_pairs("deblur", "realblur", tmp_path / "o2" / "pairs.csv", {"variant": "X"},
                      labels_csv=tmp_path / "realblur.csv")


def _textured(h=96, w=112, seed=0) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    image = gaussian_filter(rng.random((h, w, 3)), sigma=(2.5, 2.5, 0))
    return ((image - image.min()) / (image.max() - image.min())).astype(np.float32)


def test_masked_metrics_with_a_full_mask_equal_the_plain_ones():
    a, b = _textured(seed=1), _textured(seed=2)
    mask = np.ones_like(a)
    assert masked_psnr(a, b, mask) == pytest.approx(library_psnr(a, b, quantize=False), abs=1e-9)
    assert masked_ssim(a, b, mask) == pytest.approx(library_ssim(a, b, quantize=False), abs=1e-9)


def test_ecc_alignment_undoes_a_shift_and_an_exposure_gain():
    target = _textured()
    shifted = np.roll(target, (2, -3), axis=(0, 1)) * 0.8  # misregistered and darker, like RealBlur outputs
    unaligned = library_psnr(shifted, target, quantize=False)
    aligned, masked_target, mask, converged = align_ecc(shifted, target)
    assert converged
    assert 0.9 < mask.mean() < 1.0  # the border the warp cannot fill is masked out
    assert masked_psnr(aligned, masked_target, mask) > unaligned + 15


def test_measure_follows_the_protocol():
    target = torch.from_numpy(_textured()).permute(2, 0, 1)
    pred = (target + 0.05 * torch.randn_like(target, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    plain = measure(pred, target, {"alignment": "none", "crop_border": 0})
    assert plain["psnr"] == library_psnr(pred, target) and not plain["aligned"]
    cropped = measure(pred, target, {"alignment": "none", "crop_border": 4})
    assert cropped["psnr"] == library_psnr(pred, target, crop_border=4)
    ecc = measure(pred, target, {"alignment": "ecc", "crop_border": 0})
    assert ecc["aligned"] and abs(ecc["psnr"] - plain["psnr"]) < 1.0
    with pytest.raises(ValueError, match="unknown alignment"):
        measure(pred, target, {"alignment": "sift"})


# ----------------------------------------------------------------------------------------------------------------
# tables on synthetic summaries
STAND_IN = [{"term": "ddr", "backbone": "DDR/CLIP clip-random:ViT-B-32:0", "stand_in": True,
             "stand_in_reason": "offline"}]


def _summary(folder: Path, run: plan.Run | dict, value: float, records=STAND_IN) -> Path:
    run = run if isinstance(run, dict) else run.__dict__
    path = folder / f"{len(list(folder.glob('*.json'))):03d}.json"
    label = "Input" if run["loss"] == "input" else plan.loss_label(run["loss"])
    path.write_text(json.dumps({"run": dict(run), "loss_label": label, "psnr": value, "ssim": value / 100,
                                "images": 3, "iterations": 10, "train_wall_s": 1.0, "stand_in_records": records}))
    return path


@pytest.fixture
def synthetic(tmp_path):
    """Summaries of a 2-network x 3-loss grid on GoPro + RealSR (2 seeds), ablation variants and inputs."""
    cfg = copy.deepcopy(paper_config())
    cfg["tasks"] = {"deblur": ["gopro"], "sr": ["realsr"]}
    cfg["losses"] = ["psnr", "psnr+lpips", "psnr+ddr"]
    cfg["seeds"] = [0, 1]
    cfg["ablation"]["variants"] = cfg["ablation"]["variants"][:2]
    folder = tmp_path / "summaries"
    folder.mkdir()
    runs, values = [], {}
    for k, run in enumerate(plan.all_runs(cfg)):
        value = 30.0 + k + run.seed  # seeds differ by 1 dB: the tables must show their mean
        runs.append(_summary(folder, run, value))
        values[run] = value
    inputs = [_summary(folder, {"task": t, "dataset": d, "network": "input", "loss": "input", "variant": "main",
                                "seed": -1}, 20.0, []) for t, d in plan.task_datasets(cfg)]
    return cfg, runs, inputs, values


def test_table4_and_5_average_seeds_in_the_papers_layout(synthetic):
    cfg, runs, inputs, values = synthetic
    agg = tables.over_seeds(tables.collect(runs))
    ins = tables.over_seeds(tables.collect(inputs))
    t4 = tables.table4(agg, ins, ["gopro"], cfg["networks"], cfg["losses"], cfg["paper_models"])
    assert list(t4.columns) == ["model", "network", "loss", "gopro_psnr", "gopro_ssim"]
    assert list(t4["loss"]) == ["no restoration"] + ["PSNR", "PSNR+LPIPS", "PSNR+DDR"] * 2
    row = t4[(t4["model"] == "Restormer") & (t4["loss"] == "PSNR+DDR")].iloc[0]
    expected = np.mean([values[plan.Run("deblur", "gopro", "restormer", "psnr+ddr", "main", s)] for s in (0, 1)])
    assert row["gopro_psnr"] == pytest.approx(expected) and row["gopro_ssim"] == pytest.approx(expected / 100)
    assert t4.iloc[0]["gopro_psnr"] == 20.0
    t5 = tables.table5(agg, ins, ["realsr"], cfg["networks"], cfg["losses"], cfg["paper_models"])
    assert list(t5.columns) == ["loss", "nafnet_psnr", "nafnet_ssim", "restormer_psnr", "restormer_ssim"]
    expected = np.mean([values[plan.Run("sr", "realsr", "nafnet-gopro", "psnr+lpips", "main", s)] for s in (0, 1)])
    assert t5.set_index("loss").loc["PSNR+LPIPS", "nafnet_psnr"] == pytest.approx(expected)


def test_companion_lines_up_with_the_published_csv_and_marks_missing_runs(synthetic):
    cfg, runs, inputs, _ = synthetic
    agg = tables.over_seeds(tables.collect(runs))
    ins = tables.over_seeds(tables.collect(inputs))
    paper = pd.read_csv(REPO / "config" / "paper_numbers" / "table4_deblur.csv")
    t4 = tables.table4(agg, ins, ["gopro"], cfg["networks"], cfg["losses"], cfg["paper_models"])
    both = tables.companion(t4, paper, ["model", "loss"])
    assert len(both) == paper.shape[0] * 4  # every published number, none of ours that the paper lacks
    hit = both[(both["model"] == "NAFNet") & (both["loss"] == "PSNR+DDR") & (both["quantity"] == "gopro_psnr")].iloc[0]
    ours = t4[(t4["model"] == "NAFNet") & (t4["loss"] == "PSNR+DDR")]["gopro_psnr"].iloc[0]
    assert hit["paper"] == 33.3427 and hit["ours"] == ours and hit["ours - paper"] == pytest.approx(ours - 33.3427)
    assert both[both["quantity"].str.startswith("realblur")]["ours"].isna().all()  # not run here
    assert both[both["loss"] == "PSNR+CTX"]["ours"].isna().all()
    unmapped = tables.table4(agg, ins, ["gopro"], cfg["networks"], cfg["losses"], {})
    assert tables.companion(unmapped, paper, ["model", "loss"])["ours"].isna().all()


def test_table6_rows_name_the_changed_setting_or_say_the_ablation_is_off(synthetic):
    cfg, runs, _, values = synthetic
    agg = tables.over_seeds(tables.collect(runs))
    t6 = tables.table6(agg, cfg, "ViT-B-32+openai")
    assert list(t6["variant"]) == ["PSNR only", "PSNR+DDR (default)", "lambda-0.01", "lambda-0.03"]
    assert list(t6["lambda_d"].iloc[1:]) == [0.1, 0.01, 0.03]
    assert t6.iloc[0]["adaptation"] == "-" and t6.iloc[1]["adaptation"] == "on"
    assert t6.iloc[3]["psnr"] == values[plan.Run("deblur", "gopro", "nafnet-gopro", "psnr+ddr", "lambda-0.03", 0)]
    off = tables.table6(agg, {**cfg, "ablation": {"enabled": False}}, "ViT-B-32+openai")
    assert len(off) == 1 and "disabled" in off.iloc[0]["variant"] and off["psnr"].isna().all()


def test_written_tables_say_which_backbones_were_stand_ins(synthetic, tmp_path):
    from ddr.pipeline.restoration.report import write_restoration_tables

    cfg, runs, inputs, _ = synthetic
    dag = RestorationDAG(cfg, {"arch": "ViT-B-32", "pretrained": "openai"}, str(tmp_path), "d")
    table6 = [p for p in runs if json.loads(p.read_text())["run"]["network"] == "nafnet-gopro"
              and json.loads(p.read_text())["run"]["dataset"] == "gopro"]
    write_restoration_tables(dag.table_jobs(), cfg, {"arch": "ViT-B-32", "pretrained": "openai"}, "paper", runs,
                             inputs, table6, {"table4": REPO / "config/paper_numbers/table4_deblur.csv",
                                              "table5": REPO / "config/paper_numbers/table5_realsr.csv"})
    for stem in dag.table_stems():
        md = (tmp_path / "tables" / f"{stem}.md").read_text()
        assert "STAND-IN WEIGHTS" in md and "clip-random:ViT-B-32:0" in md, stem
        assert (tmp_path / "tables" / f"{stem}.tex").exists()
    md4 = (tmp_path / "tables" / "table4_deblur.md").read_text()
    assert "gopro: crop border 0 px, alignment none" in md4 and "400000 iterations" in md4
    assert "Training recipe 'reference'" in md4 and "progressive 128px x64 for 92000" in md4
    assert "Loss weights (not published; ours):" in md4 and "ddr 0.1" in md4 and "fdl 1," in md4
    for stem in dag.table_stems():  # every table's caption and provenance state the loss weights and the recipe
        assert "Loss weights (not published; ours):" in (tmp_path / "tables" / f"{stem}.md").read_text(), stem
        made_by = json.loads((tmp_path / "tables" / f"{stem}.provenance.json").read_text())
        text = json.dumps(made_by)
        assert '"loss_weights"' in text and '"reference"' in text, stem


# ----------------------------------------------------------------------------------------------------------------
# figures
def test_crop_lands_on_the_detail_of_the_reference_not_on_flat_sky():
    from ddr.pipeline.restoration.figures import most_textured_window, window_sums

    values = np.arange(20, dtype=float).reshape(4, 5)
    assert window_sums(values, 2)[1, 2] == values[1:3, 2:4].sum()
    reference = np.full((40, 50, 3), 0.8)  # bright flat "sky" everywhere ...
    reference[20:40] = 0.2  # ... above a dark flat ground (one straight edge at row 20)
    reference[24:32, 30:38] = np.indices((8, 8)).sum(axis=0)[..., None] % 2  # ... and a checkerboard on it
    assert most_textured_window(reference, 8) == (24, 30)
    reference[24:32, 30:38] = 0.2  # without it, the edge between sky and ground is the detail
    top, _ = most_textured_window(reference, 8)
    assert top <= 19 < top + 8  # the window holds the step from row 19 to row 20


def test_crop_figure_writes_png_pdf_and_the_stand_in_note(tmp_path):
    from ddr.pipeline.restoration.report import write_restoration_figure

    rng = np.random.default_rng(0)
    images = {}
    for name in ("in", "gt"):
        images[name] = tmp_path / "pairs" / f"{name}.png"
        _png(images[name], rng.integers(0, 255, (40, 56, 3), dtype=np.uint8))
    pd.DataFrame([{"input": "in.png", "target": "gt.png", "split": "test"}]).to_csv(tmp_path / "pairs/pairs.csv",
                                                                                     index=False)
    runs, summaries = [], []
    for k, loss in enumerate(("psnr", "psnr+ddr")):
        folder = tmp_path / loss
        _png(folder / "images" / "0000.png", rng.integers(0, 255, (40, 56, 3), dtype=np.uint8))
        pd.DataFrame([{"index": 0, "image": "gt.png", "psnr": 20.0 + k, "ssim": 0.5, "aligned": False}]).to_csv(
            folder / "metrics.csv", index=False)
        run = plan.Run("deblur", "mini", "nafnet-tiny", loss, "main", 0)
        summaries.append(_summary(folder, run, 20.0 + k))
        runs.append(run.__dict__)
    (tmp_path / "input").mkdir()
    pd.DataFrame([{"index": 0, "image": "gt.png", "psnr": 18.0, "ssim": 0.4, "aligned": False}]).to_csv(
        tmp_path / "input" / "metrics.csv", index=False)
    # the summaries sit in the runs' folders, as the evaluation writes them
    written = write_restoration_figure("fig5", {"task": "deblur", "dataset": "mini", "image": 0, "crop": 16}, runs,
                                       summaries, tmp_path / "input" / "summary.json", tmp_path / "pairs/pairs.csv",
                                       tmp_path / "fig5_restoration_crops", "mini")
    assert {p.suffix for p in written} == {".png", ".pdf", ".json"}
    caption = json.loads((tmp_path / "fig5_restoration_crops.provenance.json").read_text())["caption"]
    assert caption.startswith("STAND-IN WEIGHTS") and "Crop: 16x16" in caption
    with pytest.raises(ValueError, match="out of range"):
        write_restoration_figure("fig5", {"task": "deblur", "dataset": "mini", "image": 3}, runs, summaries,
                                 tmp_path / "input" / "summary.json", tmp_path / "pairs/pairs.csv",
                                 tmp_path / "again", "mini")


# ----------------------------------------------------------------------------------------------------------------
# a training job: resumable, restarts when its config changed
@pytest.mark.usefixtures("one_torch_thread")
def test_train_run_resumes_a_killed_job_and_restarts_a_changed_one(tmp_path):
    from ddr.pipeline.restoration import jobs

    rng = np.random.default_rng(0)
    rows = []
    for i, split in enumerate(("train", "train", "test")):
        sharp = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
        _png(tmp_path / f"s{i}.png", sharp)
        _png(tmp_path / f"b{i}.png", np.roll(sharp, 1, axis=1))
        rows.append({"input": f"b{i}.png", "target": f"s{i}.png", "split": split})
    pd.DataFrame(rows).to_csv(tmp_path / "pairs.csv", index=False)
    cfg = copy.deepcopy(MINI)
    cfg["losses"] = ["psnr"]
    cfg["datasets"]["toy"] = {"crop_border": 0, "alignment": "none"}
    cfg["train"]["default"].update(iterations=4, crop_size=16, checkpoint_every=2, log_every=1)
    run = plan.Run("deblur", "toy", "nafnet-tiny", "psnr", "main", 0)
    out = tmp_path / "run"
    train_cfg = plan.train_config(cfg, run, tmp_path / "pairs.csv", out)
    train_cfg["progress"] = False
    settings = plan.variant_settings(cfg, plan.MAIN)
    first = jobs.train_run(run, train_cfg, settings, tmp_path / "train.json")
    assert first["summary"]["resumed_from"] == 0 and first["stand_in_records"] == []
    log = (out / "log.csv").read_text()
    # a killed job: Snakemake removes the declared outputs, the checkpoints stay
    (out / "model_final.pt").unlink()
    (tmp_path / "train.json").unlink()
    again = jobs.train_run(run, train_cfg, settings, tmp_path / "train.json")
    assert again["summary"]["resumed_from"] == 4 and (out / "log.csv").read_text() == log
    # parameters changed (Snakemake reruns the job): old checkpoints are set aside, training starts over
    changed = {**train_cfg, "optim": {**train_cfg["optim"], "lr": 0.001}}
    redo = jobs.train_run(run, changed, settings, tmp_path / "train.json")
    assert redo["summary"]["resumed_from"] == 0 and "moved to" in redo["superseded"]
    assert (out / "checkpoints.superseded").is_dir()


@pytest.mark.parametrize("mutate,expected", [
    (lambda r: r["train"]["default"].update(iters=5), "unknown key in restoration/train/default"),
    (lambda r: r["train"].update(restormer={"lr": -1}), "restoration/train/restormer/lr"),
    (lambda r: r["datasets"]["mini"].update(alignment="sift"), "restoration/datasets/mini/alignment"),
    (lambda r: r["ablation"]["variants"].append({"name": "x", "lamda_d": 1}), "restoration/ablation/variants/1"),
    (lambda r: r["figures"].update(figure5={"task": "sr", "dataset": "mini", "image": 0}), "restoration/figures"),
    (lambda r: r["ddr"].update(adaptive="yes"), "restoration/ddr/adaptive"),
    (lambda r: r["ddr"].update(types=["blur"]), "unknown key in restoration/ddr"),  # the shared ddr.types only
])
def test_schema_names_the_bad_restoration_key(mutate, expected):
    from ddr.workflow.config import ConfigError, validate_config

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate_config(config)
    mutate(config["restoration"])
    with pytest.raises(ConfigError) as error:
        validate_config(config, source="config/config.yaml")
    assert expected in str(error.value)
