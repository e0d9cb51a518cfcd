"""The metric registry: every Table 3 column of the paper is known, with direction and opinion-awareness;
metrics that cannot be rerun say why; `create_metric` scores (3,H,W) tensors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ddr.baselines import PUBLISHED_ONLY_TEXT, BaselineUnavailable, create_metric, list_metrics, metric_info
from ddr.pipeline.biqa import tables as biqa

PAPER_TABLE3 = Path(__file__).resolve().parents[1] / "config" / "paper_numbers" / "table3_biqa_srcc.csv"


def test_every_paper_column_is_in_the_registry():
    columns = [c for c in pd.read_csv(PAPER_TABLE3).columns if c != "dataset"]
    assert sorted(m.paper_column for m in list_metrics() if m.paper_column) == sorted(columns)
    assert set(biqa.PAPER_METHODS.values()) == set(columns)


def test_directions_and_opinion_awareness():
    facts = {m.name: m for m in list_metrics()}
    assert {facts[n].direction for n in ("niqe", "piqe", "brisque", "ilniqe", "snpniqe", "npqi")} == {"lower_better"}
    assert {facts[n].direction for n in ("ddr", "clipiqa", "clipiqarn50")} == {"higher_better"}
    assert [m.name for m in list_metrics() if m.opinion_aware] == ["brisque"]
    assert "train-on-test" in facts["brisque"].note
    assert "variant" in facts["clipiqa"].display_name  # not the authors' RN50 CLIP-IQA
    assert {m.name for m in list_metrics(runnable_only=True)} == {"ddr", "niqe", "piqe", "brisque", "ilniqe", "clipiqa",
                                                                     "clipiqarn50"}


@pytest.mark.parametrize("name", ["QAC", "lpsi", "dipIQ", "SNP-NIQE", "npqi", "ContentSep"])
def test_metrics_not_rerun_say_so(name):
    with pytest.raises(BaselineUnavailable, match=PUBLISHED_ONLY_TEXT):
        create_metric(name)
    assert metric_info(name).note


def test_create_metric_scores_tensors_and_arrays_alike():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (3, 200, 260)) / 255.0  # 8-bit values, exact in float32 after rounding
    for name in ("niqe", "piqe", "brisque"):
        metric = create_metric(name, device="cpu")
        scores = metric.score_images([torch.from_numpy(image).float(), np.transpose(image, (1, 2, 0))],
                                     progress=False)
        assert scores.shape == (2,) and np.all(np.isfinite(scores))
        # float32 tensor vs float64 array: the same 8-bit grey image after MATLAB's rounding
        assert scores[0] == pytest.approx(scores[1], rel=1e-9)


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(KeyError, match="unknown metric 'ssim'; known: ddr, niqe"):
        create_metric("ssim")


def test_table3_lists_every_paper_column(tmp_path):
    rows = biqa.published_only_rows(["DDR", "NIQE", "IL-NIQE (refitted)"], ["live", "csiq"])
    shown = {r["method"]: r for r in rows}
    assert set(shown) == {"QAC", "PIQE", "LPSI", "dipIQ", "SNP-NIQE", "NPQI", "ContentSep"}
    assert shown["QAC"]["live"] == PUBLISHED_ONLY_TEXT and "not run" in shown["PIQE"]["csiq"]
    table = pd.DataFrame({"dataset": ["live", "live", "live"], "method": ["DDR", "IL-NIQE (refitted)", "BRISQUE"],
                          "srcc": [0.9, 0.8, 0.95], "available": [True, True, True]})
    biqa.write_paper_vs_ours(table, PAPER_TABLE3, tmp_path / "paper_vs_ours", [], "")
    out = pd.read_csv(tmp_path / "paper_vs_ours.csv")
    live = out[out["dataset"] == "LIVE"].set_index("quantity")
    assert live.loc["DDR", "status"] == "rerun" and live.loc["DDR", "ours"] == 0.9
    assert live.loc["ILNIQE", "status"] == "rerun with a REFITTED template"
    assert live.loc["QAC", "status"] == PUBLISHED_ONLY_TEXT and live.loc["QAC", "paper"] == 0.8683
    assert live.loc["PIQE", "status"] == "not available in this run"
    assert set(out["quantity"]) == set(pd.read_csv(PAPER_TABLE3).columns) - {"dataset"}
