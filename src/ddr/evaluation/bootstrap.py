"""Bootstrap statistics of the BIQA tables: one evaluation row per (dataset, method), within-reference SRCC,
held-out splits and the choice of the "optimal" pixel-domain level.

Everything comes from ddr.evaluation.stats (scipy) with its sign convention (positive = agrees with quality; DMOS
labels and lower-is-better predictions are negated). One addition, for speed: the bootstrap CI of the logistic PLCC
refits the 4-parameter logistic on every resample *starting from the full-sample fit* (Levenberg-Marquardt), and
falls back to the library's bounded fit from scratch when that start fails. Same statistic, ~30x faster than cold
starts, which is what makes 1000 resamples per (dataset, method) affordable. SRCC and raw PLCC resamples are
computed as one stack (scipy.stats.bootstrap, vectorized) with the library's formulas (Pearson of average ranks).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.stats

from ddr.evaluation import stats

PLCC_CI_NOTE = ("logistic PLCC CIs refit the 4-parameter logistic on every resample, started from the full-sample "
                "fit (Levenberg-Marquardt; the library's bounded fit from scratch when that fails)")


def label_direction(frame: pd.DataFrame, where: str = "labels") -> str:
    """The one score direction of a label table (its `direction` column)."""
    values = frame["direction"].dropna().unique().tolist() if "direction" in frame else []
    if not values:
        return "higher_better"
    if len(values) > 1:
        raise ValueError(f"{where}: mixed score directions {values}; split the set before correlating")
    return str(values[0])


def oriented(values, direction: str) -> np.ndarray:
    """Negate lower-is-better values so that higher = better everywhere."""
    x = np.asarray(values, dtype=np.float64)
    return -x if direction == "lower_better" else x


def _pearson_along(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.mean(axis=axis, keepdims=True)
    y = y - y.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):  # constant resamples -> NaN, as the library does
        return (x * y).sum(axis=axis) / np.sqrt((x * x).sum(axis=axis) * (y * y).sum(axis=axis))


def _spearman_along(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho of many resamples at once (Pearson of average ranks, as scipy.stats.spearmanr)."""
    return _pearson_along(scipy.stats.rankdata(x, axis=axis), scipy.stats.rankdata(y, axis=axis), axis)


def vectorized_ci(statistic, x, y, n_boot: int, seed: int, confidence: float) -> tuple[float, float]:
    """Paired percentile bootstrap (scipy.stats.bootstrap) of a statistic that takes whole stacks of resamples."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        res = scipy.stats.bootstrap((np.asarray(x, float), np.asarray(y, float)), statistic, n_resamples=n_boot,
                                    paired=True, vectorized=True, confidence_level=confidence, method="percentile",
                                    rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _warm_logistic_plcc(start: Sequence[float] | None):
    def metric(x, y):
        if start is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    params, _ = scipy.optimize.curve_fit(stats.logistic4, x, y, p0=list(start), method="lm",
                                                         maxfev=4000)
                fitted = stats.logistic4(x, *params)
                if np.all(np.isfinite(params)) and np.ptp(fitted) > 0:
                    r = float(scipy.stats.pearsonr(fitted, y).statistic)
                    return r if params[0] > params[1] else -r
            except (RuntimeError, ValueError, scipy.optimize.OptimizeWarning):
                pass
        return stats.plcc_logistic_quiet(x, y)

    return metric


def evaluate_scores(pred, labels, label_direction: str = "higher_better", pred_direction: str = "higher_better",
                    n_boot: int = 1000, seed: int = 0, confidence: float = 0.95,
                    ci_metrics: Sequence[str] = ("srcc", "krcc", "plcc", "plcc_raw")) -> dict:
    """ddr.evaluation.evaluate's row (SRCC, KRCC, logistic PLCC, raw PLCC, fit, sign handling) with bootstrap CIs
    for the statistics in `ci_metrics` (the others' CI columns are NaN).

    Each metric gets its own seed-derived resampling stream (seed + i), as in the library.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.LogisticFitWarning)
        row = stats.evaluate(pred, labels, label_direction, n_boot=0, seed=seed, pred_direction=pred_direction,
                             confidence=confidence)
    x, y = oriented(pred, pred_direction), oriented(labels, label_direction)
    fit = (row["logistic_b1"], row["logistic_b2"], row["logistic_b3"], row["logistic_b4"])
    start = None if any(np.isnan(v) for v in fit) else fit
    metrics = {"srcc": stats.srcc, "krcc": stats.krcc, "plcc": _warm_logistic_plcc(start), "plcc_raw": stats.plcc_raw}
    unknown = set(ci_metrics) - set(metrics)
    if unknown:
        raise ValueError(f"ci_metrics: unknown statistics {sorted(unknown)}; known: {list(metrics)}")
    vectorized = {"srcc": _spearman_along, "plcc_raw": _pearson_along}
    for i, (name, fn) in enumerate(metrics.items()):
        if not (n_boot > 0 and name in ci_metrics):
            lo, hi = np.nan, np.nan
        elif name in vectorized:
            lo, hi = vectorized_ci(vectorized[name], x, y, n_boot, seed + i, confidence)
        else:
            lo, hi = stats.bootstrap_ci(fn, x, y, n_boot, seed + i, confidence)
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = lo, hi
    row.update(n_boot=int(n_boot), ci_method="percentile (paired bootstrap)" if n_boot > 0 else "none")
    return row


def srcc_with_ci(pred, labels, n_boot: int, seed: int, confidence: float) -> tuple[float, float, float]:
    """Plain SRCC (no orientation) and its paired-bootstrap CI: for attribute correlations."""
    value = stats.srcc(pred, labels)
    lo, hi = vectorized_ci(_spearman_along, pred, labels, n_boot, seed, confidence) if n_boot > 0 else (np.nan, np.nan)
    return value, lo, hi


def within_reference_srcc(frame: pd.DataFrame, pred: str, label: str = "score", pred_direction: str = "higher_better",
                          group: str = "ref") -> pd.Series:
    """Oriented SRCC inside each reference's images (groups with < 3 images or constant values are skipped)."""
    direction = label_direction(frame)
    out = {}
    for key, part in frame.groupby(group, sort=True):
        try:
            out[key] = stats.srcc(oriented(part[pred], pred_direction), oriented(part[label], direction))
        except stats.InvalidScoresError:
            continue
    return pd.Series(out, name=f"srcc_within_{pred}", dtype=float)


def has_references(frame: pd.DataFrame) -> bool:
    return "ref" in frame and frame["ref"].fillna("").astype(str).str.len().gt(0).any()


def heldout_mask(frame: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.Series, str]:
    """Rows used to choose "optimal" levels, and how they were chosen.

    The set's own split == "heldout" rows when it has them; otherwise a seeded share `fraction` of its references
    (all images of a reference together, so content never straddles the split) or, without references, of images.
    """
    if "split" in frame and frame["split"].eq("heldout").any():
        return frame["split"].eq("heldout"), "the set's split == 'heldout' rows"
    key = "ref" if has_references(frame) else "image"
    units = sorted(frame[key].astype(str).unique())
    count = min(len(units) - 1, max(1, int(round(fraction * len(units)))))
    chosen = set(np.random.default_rng(seed).choice(units, size=count, replace=False).tolist())
    how = f"a seeded {fraction:.0%} of the {key}s ({count} of {len(units)}; seed {seed})"
    return frame[key].astype(str).isin(chosen), how


def level_columns(frame: pd.DataFrame, kind: str) -> dict[float, str]:
    """{level: 'pddr_<kind>@<level>' column} of a pixel-domain score table, by increasing level."""
    prefix = f"pddr_{kind}@"
    found = {float(c[len(prefix):]): c for c in frame.columns if c.startswith(prefix)}
    if not found:
        raise ValueError(f"no pixel-domain columns {prefix}* in the scores (columns: {list(frame.columns)})")
    return dict(sorted(found.items()))


def select_level(frame: pd.DataFrame, kind: str, mask: pd.Series) -> tuple[float, pd.Series]:
    """The level whose pooled SRCC on the `mask` rows is highest (ties: the lower level), and every level's SRCC."""
    rows = frame[mask]
    if len(rows) < 3:
        raise ValueError(f"choosing the {kind} level needs at least 3 held-out rows; the held-out split has "
                         f"{len(rows)} of {len(frame)} (raise the held-out fraction or use a larger set)")
    direction = label_direction(rows)
    scores = pd.Series({level: stats.srcc(rows[column], oriented(rows["score"], direction))
                        for level, column in level_columns(frame, kind).items()}, name="heldout_srcc")
    return float(scores.idxmax()), scores
