"""Statistics of the BIQA stage on known data: agreement with scipy / ddr.evaluation, sign handling, within-reference
SRCC, held-out splits and the choice of the optimal pixel-domain level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from ddr.evaluation import stats
from ddr.evaluation import bootstrap as biqa_stats


@pytest.fixture(scope="module")
def noisy_logistic():
    """Predictions and labels from a known increasing logistic plus noise (n = 120)."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 120)
    y = stats.logistic4(x, 80.0, 10.0, 0.5, 0.8) + rng.normal(0, 3, x.size)
    return x, y


def test_vectorized_rank_and_pearson_match_scipy_with_ties():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (7, 40)).astype(float)  # many ties
    y = rng.normal(size=(7, 40))
    for row_x, row_y, rho, r in zip(x, y, biqa_stats._spearman_along(x, y), biqa_stats._pearson_along(x, y)):
        assert rho == pytest.approx(scipy.stats.spearmanr(row_x, row_y).statistic, abs=1e-12)
        assert r == pytest.approx(scipy.stats.pearsonr(row_x, row_y).statistic, abs=1e-12)


def test_evaluate_scores_matches_the_library(noisy_logistic):
    x, y = noisy_logistic
    ours = biqa_stats.evaluate_scores(x, y, n_boot=200, seed=5)
    library = stats.evaluate(x, y, n_boot=200, seed=5)
    for key in ("n", "srcc", "krcc", "plcc", "plcc_raw", "srcc_ci_low", "srcc_ci_high", "krcc_ci_low",
                "krcc_ci_high", "plcc_raw_ci_low", "plcc_raw_ci_high", "sign_handling"):
        assert ours[key] == pytest.approx(library[key], abs=1e-12) if isinstance(ours[key], float) else \
            ours[key] == library[key], key
    # the logistic PLCC CI uses warm-started refits: same statistic, so it must bracket the point estimate and be
    # close to the library's cold-start interval on well-behaved data
    assert ours["plcc_ci_low"] <= ours["plcc"] <= ours["plcc_ci_high"]
    assert ours["plcc_ci_low"] == pytest.approx(library["plcc_ci_low"], abs=0.02)
    assert ours["plcc_ci_high"] == pytest.approx(library["plcc_ci_high"], abs=0.02)
    assert ours["srcc"] == pytest.approx(scipy.stats.spearmanr(x, y).statistic)


def test_logistic_fit_recovers_known_parameters(noisy_logistic):
    x, y = noisy_logistic
    row = biqa_stats.evaluate_scores(x, y, n_boot=0)
    fitted = np.array([row[f"logistic_b{i}"] for i in range(1, 5)])
    assert fitted == pytest.approx([80.0, 10.0, 0.5, 0.8], rel=0.15, abs=0.3)
    assert np.isnan(row["srcc_ci_low"]) and row["ci_method"] == "none"


def test_sign_handling_for_dmos_labels_and_lower_is_better_predictions(noisy_logistic):
    x, y = noisy_logistic
    base = biqa_stats.evaluate_scores(x, y, n_boot=0)
    dmos = biqa_stats.evaluate_scores(x, -y, label_direction="lower_better", n_boot=0)
    niqe_like = biqa_stats.evaluate_scores(-x, y, pred_direction="lower_better", n_boot=0)
    for row in (dmos, niqe_like):
        assert row["srcc"] == pytest.approx(base["srcc"]) and row["srcc"] > 0.9
        assert row["plcc"] == pytest.approx(base["plcc"], abs=1e-6)
    assert "negated" in dmos["sign_handling"] and "negated" in niqe_like["sign_handling"]


def test_ci_metrics_selects_which_cis_are_computed(noisy_logistic):
    x, y = noisy_logistic
    row = biqa_stats.evaluate_scores(x, y, n_boot=100, ci_metrics=("srcc",))
    assert row["srcc_ci_low"] < row["srcc"] < row["srcc_ci_high"]
    assert all(np.isnan(row[f"{m}_ci_low"]) for m in ("krcc", "plcc", "plcc_raw"))
    with pytest.raises(ValueError, match="unknown statistics"):
        biqa_stats.evaluate_scores(x, y, n_boot=10, ci_metrics=("mse",))


def test_srcc_with_ci_is_deterministic_and_brackets_the_estimate(noisy_logistic):
    x, y = noisy_logistic
    first = biqa_stats.srcc_with_ci(x, y, 300, 1, 0.95)
    assert first == biqa_stats.srcc_with_ci(x, y, 300, 1, 0.95)
    assert first[1] < first[0] < first[2]
    assert first[1:] == pytest.approx(stats.bootstrap_ci(stats.srcc, x, y, 300, 1))


def _fr_frame(n_refs=6, levels=4, pooled_noise=True):
    """FR-style table: each reference's images are perfectly ordered by the prediction; references differ by an
    offset, so pooled SRCC is below 1 while within-reference SRCC is exactly 1."""
    rows = []
    for r in range(n_refs):
        for level in range(levels):
            rows.append({"image": f"r{r}_l{level}.png", "ref": f"r{r}", "score": levels - level,
                         "direction": "higher_better", "pred": (levels - level) + (2.5 * r if pooled_noise else 0),
                         "split": "heldout" if r < 2 else "test"})
    return pd.DataFrame(rows)


def test_within_reference_srcc_is_one_when_each_reference_is_ordered():
    frame = _fr_frame()
    within = biqa_stats.within_reference_srcc(frame, "pred")
    assert len(within) == 6 and (within == 1.0).all()
    pooled = stats.srcc(frame["pred"], frame["score"])
    assert pooled < 0.9
    niqe_like = biqa_stats.within_reference_srcc(frame.assign(pred=-frame["pred"]), "pred",
                                                 pred_direction="lower_better")
    assert (niqe_like == 1.0).all()


def test_heldout_mask_uses_the_sets_split_when_present():
    frame = _fr_frame()
    mask, how = biqa_stats.heldout_mask(frame, 0.5, seed=0)
    assert mask.equals(frame["split"].eq("heldout")) and "split" in how


def test_seeded_heldout_split_keeps_references_together_and_is_deterministic():
    frame = _fr_frame(n_refs=10).drop(columns="split")
    mask, how = biqa_stats.heldout_mask(frame, 0.3, seed=4)
    again, _ = biqa_stats.heldout_mask(frame, 0.3, seed=4)
    assert mask.equals(again) and "refs" in how
    held = frame.loc[mask, "ref"].unique()
    assert len(held) == 3
    assert frame.loc[frame["ref"].isin(held)].index.equals(frame.index[mask])  # all images of a held-out reference
    other, _ = biqa_stats.heldout_mask(frame, 0.3, seed=5)
    authentic = frame.drop(columns="ref")
    by_image, how_image = biqa_stats.heldout_mask(authentic, 0.25, seed=4)
    assert by_image.sum() == 10 and "images" in how_image
    assert not mask.equals(other)  # the seed matters


def test_select_level_picks_the_best_heldout_level_lower_on_ties():
    frame = _fr_frame(pooled_noise=False)
    rng = np.random.default_rng(0)
    frame["pddr_blur@1"] = rng.normal(size=len(frame))          # unrelated
    frame["pddr_blur@2"] = frame["pred"]                          # perfect
    frame["pddr_blur@4"] = frame["pred"] * 2.0                    # perfect too: tie -> the lower level wins
    mask = frame["split"].eq("heldout")
    chosen, scores = biqa_stats.select_level(frame, "blur", mask)
    assert chosen == 2.0 and scores[2.0] == pytest.approx(1.0) and list(scores.index) == [1.0, 2.0, 4.0]
    with pytest.raises(ValueError, match="no pixel-domain columns"):
        biqa_stats.level_columns(frame, "noise")
    two_rows = mask & (mask.cumsum() <= 2)
    with pytest.raises(ValueError, match="at least 3 held-out rows; the held-out split has 2 of"):
        biqa_stats.select_level(frame, "blur", two_rows)


def test_mixed_label_directions_are_refused():
    frame = pd.DataFrame({"direction": ["higher_better", "lower_better"]})
    with pytest.raises(ValueError, match="mixed score directions"):
        biqa_stats.label_direction(frame, "x.csv")
