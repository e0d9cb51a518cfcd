"""Correlation statistics: agreement with scipy, logistic fit, bootstrap CIs, sign handling, bad input."""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats

from ddr.evaluation import stats
from ddr.evaluation.stats import (
    InvalidScoresError,
    LogisticFitWarning,
    bootstrap_ci,
    evaluate,
    fit_logistic,
    krcc,
    logistic4,
    plcc_logistic,
    plcc_raw,
    srcc,
)


@pytest.fixture
def noisy_pairs():
    rng = np.random.default_rng(7)
    x = rng.normal(size=120)
    y = 2.0 * x + rng.normal(size=120)
    x[::10] = np.round(x[::10], 1)  # include ties
    y[5::10] = y[5]
    return x, y


def test_rank_correlations_equal_scipy(noisy_pairs):
    x, y = noisy_pairs
    assert srcc(x, y) == pytest.approx(scipy.stats.spearmanr(x, y).statistic, abs=1e-12)
    assert krcc(x, y) == pytest.approx(scipy.stats.kendalltau(x, y).statistic, abs=1e-12)
    assert plcc_raw(x, y) == pytest.approx(scipy.stats.pearsonr(x, y).statistic, abs=1e-12)


def test_logistic_fit_recovers_parameters():
    rng = np.random.default_rng(0)
    true = (85.0, 12.0, 4.0, 1.5)
    x = rng.uniform(-2, 10, 400)
    y = logistic4(x, *true) + rng.normal(0, 1.0, x.size)
    fit = fit_logistic(x, y)
    assert fit.success and fit.increasing
    np.testing.assert_allclose(fit.params, true, rtol=0.05)


def test_logistic_fit_decreasing_relation_keeps_negative_sign():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 300)
    y = logistic4(x, 5.0, 95.0, 0.5, 0.08) + rng.normal(0, 1.0, x.size)
    fit = fit_logistic(x, y)
    assert fit.success and not fit.increasing
    np.testing.assert_allclose(fit.params, (5.0, 95.0, 0.5, 0.08), rtol=0.1)
    assert plcc_logistic(x, y) < -0.95


def test_plcc_logistic_beats_raw_on_monotone_nonlinear_relation():
    rng = np.random.default_rng(2)
    x = rng.uniform(-4, 4, 250)
    y = 1.0 / (1.0 + np.exp(-2.5 * x)) + rng.normal(0, 0.02, x.size)
    assert plcc_logistic(x, y) >= plcc_raw(x, y)
    assert plcc_logistic(x, y) > plcc_raw(x, y) + 0.02


def test_failed_fit_falls_back_to_raw_pearson_explicitly(monkeypatch, noisy_pairs):
    def broken(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found")

    monkeypatch.setattr(scipy.optimize, "curve_fit", broken)
    x, y = noisy_pairs
    fit = fit_logistic(x, y)
    assert not fit.success and "Optimal parameters not found" in fit.message
    with pytest.warns(LogisticFitWarning):
        assert plcc_logistic(x, y) == pytest.approx(plcc_raw(x, y))
    with pytest.raises(RuntimeError, match="logistic fit failed"):
        plcc_logistic(x, y, fallback=False)
    with pytest.warns(LogisticFitWarning):
        row = evaluate(x, y, n_boot=0)
    assert row["plcc_method"].startswith("raw Pearson (logistic fit failed")
    assert row["plcc"] == pytest.approx(row["plcc_raw"])


def test_bootstrap_ci_contains_estimate_and_is_deterministic(noisy_pairs):
    x, y = noisy_pairs
    lo, hi = bootstrap_ci(srcc, x, y, n_resamples=300, seed=3)
    assert lo < srcc(x, y) < hi
    assert (lo, hi) == bootstrap_ci(srcc, x, y, n_resamples=300, seed=3)
    assert (lo, hi) != bootstrap_ci(srcc, x, y, n_resamples=300, seed=4)
    lo95, hi95 = bootstrap_ci(krcc, x, y, n_resamples=300, seed=3, confidence=0.95)
    lo50, hi50 = bootstrap_ci(krcc, x, y, n_resamples=300, seed=3, confidence=0.5)
    assert lo95 < lo50 < krcc(x, y) < hi50 < hi95
    blo, bhi = bootstrap_ci(srcc, x, y, n_resamples=200, seed=3, method="BCa")
    assert blo < srcc(x, y) < bhi


def test_evaluate_row_and_ci_determinism(noisy_pairs):
    x, y = noisy_pairs
    row = evaluate(x, y, n_boot=150, seed=11)
    again = evaluate(x, y, n_boot=150, seed=11)
    assert row == again
    for name in ("srcc", "krcc", "plcc", "plcc_raw"):
        assert row[f"{name}_ci_low"] <= row[name] <= row[f"{name}_ci_high"]
    assert row["srcc"] == pytest.approx(srcc(x, y))
    assert row["plcc_method"] == "logistic-4"
    assert row["n"] == x.size and row["n_boot"] == 150 and row["seed"] == 11
    empty = evaluate(x, y, n_boot=0)
    assert np.isnan(empty["srcc_ci_low"]) and empty["ci_method"] == "none"


def test_dmos_labels_are_negated_so_positive_means_agreement(noisy_pairs):
    x, mos = noisy_pairs
    dmos = 100.0 - mos  # lower = better
    as_mos = evaluate(x, mos, direction="higher_better", n_boot=0)
    as_dmos = evaluate(x, dmos, direction="lower_better", n_boot=0)
    for name in ("srcc", "krcc", "plcc", "plcc_raw"):
        assert as_dmos[name] > 0.5
        assert as_dmos[name] == pytest.approx(as_mos[name], abs=1e-9)
    assert "DMOS" in as_dmos["sign_handling"] and "negated" in as_dmos["sign_handling"]
    assert "positive = agrees with quality" in as_dmos["sign_handling"]
    # a lower-is-better metric (NIQE-like) is also oriented before correlating
    as_niqe = evaluate(-x, dmos, direction="lower_better", pred_direction="lower_better", n_boot=0)
    assert as_niqe["srcc"] == pytest.approx(as_mos["srcc"], abs=1e-9)
    # without declaring the direction the same data reads as disagreement
    assert evaluate(x, dmos, direction="higher_better", n_boot=0)["srcc"] < -0.5


@pytest.mark.parametrize(
    "pred, mos, match",
    [
        ([1.0, np.nan, 3.0, 4.0, 5.0], [1, 2, 3, 4, 5], "pred contains 1 NaN"),
        ([1, 2, 3, 4, 5], [1, 2, np.inf, 4, 5], "mos contains 1 NaN/inf"),
        ([2, 2, 2, 2, 2], [1, 2, 3, 4, 5], "pred is constant"),
        ([1, 2, 3, 4, 5], [7, 7, 7, 7, 7], "mos is constant"),
        ([1, 2, 3, 4], [1, 2, 3], "different lengths"),
        ([1, 2], [1, 2], "at least 3"),
    ],
)
def test_bad_inputs_raise_clear_errors(pred, mos, match):
    with pytest.raises(InvalidScoresError, match=match):
        srcc(pred, mos)


def test_evaluate_rejects_unknown_direction_and_too_few_pairs():
    with pytest.raises(ValueError, match="direction"):
        evaluate([1, 2, 3, 4, 5], [1, 2, 3, 4, 6], direction="dmos")
    with pytest.raises(InvalidScoresError, match="at least 5"):
        evaluate([1, 2, 3, 4], [1, 2, 3, 5])


def test_bootstrap_tolerates_degenerate_resamples():
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0])
    y = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lo, hi = bootstrap_ci(stats.srcc, x, y, n_resamples=50, seed=0)
    assert np.isnan(lo) or lo <= 1.0
