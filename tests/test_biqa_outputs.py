"""Stage outputs of the mini profile run: every table and figure exists and parses, captions carry the stand-in
warning, and the acceptance numbers of issue 4 hold for pixel-domain DDR_blur with the real EfficientNet-Lite0."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import REPO
from ddr.workflow import biqa_plan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(mini_run):
    return mini_run / "results" / "mini"


@pytest.fixture(scope="module")
def targets(mini_run):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return [mini_run / t for t in biqa_plan.stage_targets(config) + biqa_plan.attribute_targets(config)]


def test_every_table_and_figure_exists_and_parses(targets):
    missing = [str(t) for t in targets if not t.is_file() or t.stat().st_size == 0]
    assert not missing
    for target in targets:
        if target.suffix == ".csv":
            assert len(pd.read_csv(target)) > 0, target
        elif target.suffix == ".json":
            record = json.loads(target.read_text())
            assert record["caption"] and record["git_commit"], target
        elif target.suffix == ".png":
            assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        elif target.suffix == ".pdf":
            assert target.read_bytes()[:5] == b"%PDF-"


def test_stand_in_warning_wherever_clip_is_a_stand_in(results, targets):
    """Every table/figure that uses CLIP (DDR, CLIP-IQA) warns when it is a stand-in; Fig. 1 uses only the real
    EfficientNet-Lite0 features and must not carry the warning."""
    weights = json.loads((results / "weights" / "ViT-B-32+openai.json").read_text())
    for target in targets:
        if target.suffix in (".md", ".tex") or target.name.endswith(".provenance.json"):
            text = target.read_text()
            if weights["stand_in"] and not target.name.startswith(biqa_plan.FIG1):
                assert "STAND-IN WEIGHTS" in text, target
            else:
                assert "STAND-IN" not in text, target


def test_table3_has_every_method_and_says_how_signs_and_labels_were_treated(results):
    srcc = pd.read_csv(results / "tables" / "table3_biqa_srcc.csv").set_index("method")
    real = [m for m in srcc.index if "[efficientnet-lite0" in m]  # real-weights rows: test_real_weights_outputs.py
    published = [m for m in srcc.index if srcc.loc[m, "mini"] == "published value, not rerun"]
    assert published == ["QAC", "LPSI", "dipIQ", "SNP-NIQE", "NPQI", "ContentSep"]  # the paper's other columns
    rerun = [m for m in srcc.index if m not in real and m not in published]
    assert rerun == ["DDR", "NIQE", "PIQE", "BRISQUE", "CLIP-IQA (variant: DDR backbone)", "IL-NIQE"]
    assert srcc.loc["IL-NIQE", "mini"] == "n/a (model not available offline)"
    assert all(-1 <= float(srcc.loc[m, "mini"]) <= 1 for m in srcc.index if m not in published and m != "IL-NIQE")
    assert "LIVE release" in srcc.loc["NIQE", "parameters"] and "LIVE release" in srcc.loc["BRISQUE", "parameters"]
    caption = (results / "tables" / "table3_biqa_srcc.md").read_text()
    assert "positive = agrees with quality" in caption and "SYNTHETIC ordering" in caption
    full = pd.read_csv(results / "tables" / "table3_biqa_full.csv")
    available = full[full["available"] == "yes"]
    assert (available["srcc_ci_low"] <= available["srcc"]).all()
    assert (available["srcc"] <= available["srcc_ci_high"]).all()


def test_mini_blur_acceptance_for_pixel_domain_ddr_blur(results):
    """Issue 4: pixel-domain DDR_blur (real EfficientNet-Lite0 weights) on the mini blur subset reaches SRCC >= 0.95
    within each reference and >= 0.75 pooled over all references.

    Checked at the level the pipeline picks on held-out rows (within-reference SRCC averaged over references, as
    Table 1 reports it) and, per reference without averaging, at the best configured level."""
    table = pd.read_csv(results / "tables" / "table1_blur_srcc.csv")
    pixel = table[table["measure"].str.startswith("DDR_blur pixel")]
    assert len(pixel) == 5 and pixel["weights"].str.startswith("efficientnet-lite0 (imagenet").all()
    chosen = pixel[pixel["optimal (held-out)"].fillna("").eq("yes")]
    assert len(chosen) == 1
    chosen = chosen.iloc[0]
    assert chosen["SRCC within ref (mean)"] >= 0.95, chosen.to_dict()
    assert chosen["SRCC"] >= 0.75, chosen.to_dict()
    strict = pixel[(pixel["SRCC within ref (min)"] >= 0.95) & (pixel["SRCC"] >= 0.75)]
    assert len(strict) >= 1, pixel[["measure", "SRCC", "SRCC within ref (min)"]].to_dict("records")


def test_ablation_and_attribute_tables_cover_the_configuration(results):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    t7 = pd.read_csv(results / "tables" / "table7_ablation.csv")
    assert len(t7[t7["factor"] == "degradation set"]) == len(config["biqa"]["ablation_type_sets"])
    assert set(t7.loc[t7["factor"] == "adaptation", "setting"]) == {"on (default)", "off"}
    t2 = pd.read_csv(results / "tables" / "table2_attributes.csv")
    assert list(t2["type"]) == config["ddr"]["types"]
    assert any("computed" in c for c in t2.columns) and any(c.startswith("quality") for c in t2.columns)
    fig7 = json.loads((results / "figures" / "fig7_feature_statistics.provenance.json").read_text())
    assert "EfficientNet-Lite0" in fig7["caption"] or "vgg" in fig7["caption"]
