"""Correlation statistics used to score IQA predictions against subjective labels.

Why a module of its own: every table of the replication reports the same numbers (SRCC, KRCC, PLCC after the
standard 4-parameter logistic mapping, bootstrap confidence intervals) with one sign convention, so they must come
from one place.

Sign convention: every reported correlation is *signed* so that **positive = agrees with quality**. Labels that are
lower-is-better (DMOS) and predictions that are lower-is-better (NIQE, BRISQUE, PIQE) are negated before
correlating; `evaluate` records what it did in the `sign_handling` field.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.optimize
import scipy.stats

DIRECTIONS = ("higher_better", "lower_better")
MIN_PAIRS = 3
MIN_PAIRS_LOGISTIC = 5  # four free parameters: need more points than that for a meaningful fit


class InvalidScoresError(ValueError):
    """Raised when predictions/labels cannot be correlated (NaN, constant, mismatched, too few)."""


class LogisticFitWarning(UserWarning):
    """Emitted when the logistic fit fails and PLCC falls back to the raw Pearson correlation."""


# --------------------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------------------


def _as_vector(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        arr = np.squeeze(arr)
    if arr.ndim != 1:
        raise InvalidScoresError(f"{name} must be a 1-D sequence of scores, got shape {np.shape(values)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InvalidScoresError(
            f"{name} contains {int(bad.sum())} NaN/inf value(s) (first at index {first}: {arr[first]}); "
            "drop or fix those images before correlating"
        )
    return arr


def _check_pair(pred, mos, min_pairs: int = MIN_PAIRS) -> tuple[np.ndarray, np.ndarray]:
    x = _as_vector(pred, "pred")
    y = _as_vector(mos, "mos")
    if x.shape != y.shape:
        raise InvalidScoresError(f"pred and mos have different lengths ({x.size} vs {y.size})")
    if x.size < min_pairs:
        raise InvalidScoresError(f"need at least {min_pairs} (pred, mos) pairs, got {x.size}")
    for name, arr in (("pred", x), ("mos", y)):
        if np.ptp(arr) == 0:
            raise InvalidScoresError(
                f"{name} is constant (all {arr.size} values = {arr[0]!r}): correlation is undefined"
            )
    return x, y


def _check_direction(direction: str, name: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"{name} must be one of {DIRECTIONS}, got {direction!r}")


# --------------------------------------------------------------------------------------------------------------
# point estimates
# --------------------------------------------------------------------------------------------------------------


def srcc(pred, mos) -> float:
    """Spearman rank-order correlation (scipy.stats.spearmanr)."""
    x, y = _check_pair(pred, mos)
    return float(scipy.stats.spearmanr(x, y).statistic)


def krcc(pred, mos) -> float:
    """Kendall rank correlation, tau-b (scipy.stats.kendalltau)."""
    x, y = _check_pair(pred, mos)
    return float(scipy.stats.kendalltau(x, y).statistic)


def plcc_raw(pred, mos) -> float:
    """Pearson linear correlation on the raw predictions (no mapping)."""
    x, y = _check_pair(pred, mos)
    return float(scipy.stats.pearsonr(x, y).statistic)


def logistic4(x, b1, b2, b3, b4):
    """The 4-parameter logistic of IQA practice: (b1 - b2) / (1 + exp(-(x - b3)/|b4|)) + b2."""
    z = -(np.asarray(x, dtype=np.float64) - b3) / np.abs(b4)
    # exp overflow for far-away x is harmless (the term goes to b2); silence it
    with np.errstate(over="ignore"):
        return (b1 - b2) / (1.0 + np.exp(z)) + b2


@dataclass(frozen=True)
class LogisticFit:
    """Result of fitting `logistic4` from predictions to labels. `params` is (b1, b2, b3, b4)."""

    params: tuple[float, float, float, float] | None
    success: bool
    message: str

    def __call__(self, x) -> np.ndarray:
        if not self.success or self.params is None:
            raise RuntimeError(f"logistic fit failed ({self.message}); no mapping to apply")
        return logistic4(x, *self.params)

    @property
    def increasing(self) -> bool:
        """True when the fitted mapping rises with the prediction (b1 > b2)."""
        return bool(self.params is not None and self.params[0] > self.params[1])


def _fit_once(x, y, increasing: bool, maxfev: int) -> tuple[np.ndarray, float]:
    y_lo, y_hi = float(y.min()), float(y.max())
    x_lo, x_hi = float(x.min()), float(x.max())
    y_rng, x_rng = y_hi - y_lo, x_hi - x_lo
    b1, b2 = (y_hi, y_lo) if increasing else (y_lo, y_hi)
    p0 = [b1, b2, float(np.median(x)), float(np.std(x)) or x_rng / 4]
    lower = [y_lo - y_rng, y_lo - y_rng, x_lo - x_rng, x_rng * 1e-6]
    upper = [y_hi + y_rng, y_hi + y_rng, x_hi + x_rng, x_rng * 1e3]
    p0 = np.clip(p0, lower, upper)
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.optimize.OptimizeWarning)
        params, _ = scipy.optimize.curve_fit(
            logistic4, x, y, p0=p0, bounds=(lower, upper), method="trf", maxfev=maxfev
        )
    sse = float(np.sum((logistic4(x, *params) - y) ** 2))
    return params, sse


def fit_logistic(pred, mos, maxfev: int = 20000) -> LogisticFit:
    """Fit `logistic4` mapping pred -> mos by least squares (scipy.optimize.curve_fit, bounded 'trf').

    Initial values: b1/b2 at the label extremes (ordered by the sign of the rank correlation), b3 at the median
    prediction, b4 at the prediction std; bounds keep the curve within one label range of the data. If the first
    start fails, the opposite monotonicity is tried; the lower-SSE fit wins. Never raises on fit failure: returns
    `success=False` with the reason so callers can fall back explicitly.
    """
    x, y = _check_pair(pred, mos, MIN_PAIRS_LOGISTIC)
    first_increasing = scipy.stats.spearmanr(x, y).statistic >= 0
    best: tuple[np.ndarray, float] | None = None
    errors: list[str] = []
    for increasing in (first_increasing, not first_increasing):
        try:
            params, sse = _fit_once(x, y, bool(increasing), maxfev)
        except (RuntimeError, ValueError, scipy.optimize.OptimizeWarning) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if not np.all(np.isfinite(params)) or not np.isfinite(sse):
            errors.append("non-finite parameters")
            continue
        if best is None or sse < best[1]:
            best = (params, sse)
        if best is not None and increasing == first_increasing:
            break  # the data-driven start converged; no need to try the opposite monotonicity
    if best is None:
        return LogisticFit(None, False, "; ".join(errors) or "fit failed")
    fitted = logistic4(x, *best[0])
    if np.ptp(fitted) == 0:
        return LogisticFit(tuple(float(p) for p in best[0]), False, "fitted mapping is constant")
    return LogisticFit(tuple(float(p) for p in best[0]), True, "ok")


def _plcc_from_fit(x, y, fit: LogisticFit) -> float:
    r = float(scipy.stats.pearsonr(fit(x), y).statistic)
    # the fitted curve absorbs the sign (a decreasing curve gives r > 0); restore it so the value stays signed
    return r if fit.increasing else -r


def plcc_logistic(pred, mos, fallback: bool = True) -> float:
    """Pearson correlation between logistic-mapped predictions and labels, signed by the fitted slope.

    If the fit fails: with `fallback=True` emit a `LogisticFitWarning` and return the raw PLCC; otherwise raise.
    """
    x, y = _check_pair(pred, mos, MIN_PAIRS_LOGISTIC)
    fit = fit_logistic(x, y)
    if fit.success:
        return _plcc_from_fit(x, y, fit)
    if not fallback:
        raise RuntimeError(f"logistic fit failed: {fit.message}")
    warnings.warn(f"logistic fit failed ({fit.message}); PLCC falls back to raw Pearson", LogisticFitWarning)
    return plcc_raw(x, y)


# --------------------------------------------------------------------------------------------------------------
# bootstrap
# --------------------------------------------------------------------------------------------------------------


def _nan_on_degenerate(metric: Callable) -> Callable:
    """Resamples can be constant for tiny sets; turn that into NaN instead of aborting the whole bootstrap."""

    def wrapped(a, b):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LogisticFitWarning)
                return metric(a, b)
        except InvalidScoresError:
            return np.nan

    return wrapped


def bootstrap_ci(
    metric: Callable,
    pred,
    mos,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    method: str = "percentile",
) -> tuple[float, float]:
    """Paired bootstrap confidence interval of `metric(pred, mos)` (scipy.stats.bootstrap).

    Pairs (pred_i, mos_i) are resampled together. `method` is "percentile" (default; cheap) or "BCa" (needs a
    jackknife, i.e. n extra metric evaluations). Deterministic for a given seed.
    """
    x, y = _check_pair(pred, mos)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    with warnings.catch_warnings():
        # scipy warns when some resamples give NaN; the NaN CI below says the same thing
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        res = scipy.stats.bootstrap(
            (x, y),
            _nan_on_degenerate(metric),
            n_resamples=n_resamples,
            paired=True,
            vectorized=False,
            confidence_level=confidence,
            method=method,
            rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# --------------------------------------------------------------------------------------------------------------
# one-stop evaluation
# --------------------------------------------------------------------------------------------------------------


def plcc_logistic_quiet(a, b) -> float:
    """plcc_logistic with its fallback, the logistic-fit warnings silenced (bootstrap resamples refit thousands of
    times; a failed fit is already handled by the fallback)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogisticFitWarning)
        return plcc_logistic(a, b, fallback=True)


def sign_handling_text(direction: str, pred_direction: str) -> str:
    """Human-readable statement of how signs were handled (goes into every result row)."""
    label = (
        "labels are lower-is-better (DMOS): negated before correlating"
        if direction == "lower_better"
        else "labels are higher-is-better (MOS): used as is"
    )
    pred = (
        "predictions are lower-is-better: negated before correlating"
        if pred_direction == "lower_better"
        else "predictions are higher-is-better: used as is"
    )
    return f"{label}; {pred}; all correlations signed, positive = agrees with quality"


def evaluate(
    pred,
    mos,
    direction: str = "higher_better",
    n_boot: int = 1000,
    seed: int = 0,
    pred_direction: str = "higher_better",
    confidence: float = 0.95,
    ci_method: str = "percentile",
) -> dict:
    """SRCC, KRCC, PLCC (logistic) and raw PLCC with paired-bootstrap CIs, as one flat result row.

    `direction` is the label direction (DMOS sets: "lower_better"); `pred_direction` the prediction's direction
    (NIQE/BRISQUE/PIQE: "lower_better"). Lower-is-better quantities are negated so that every correlation is
    signed with positive = agrees with quality. `n_boot=0` skips the bootstrap (CIs are NaN).
    """
    _check_direction(direction, "direction")
    _check_direction(pred_direction, "pred_direction")
    x, y = _check_pair(pred, mos, MIN_PAIRS_LOGISTIC)
    if direction == "lower_better":
        y = -y
    if pred_direction == "lower_better":
        x = -x

    fit = fit_logistic(x, y)
    if fit.success:
        plcc = _plcc_from_fit(x, y, fit)
        plcc_method = "logistic-4"
    else:
        warnings.warn(f"logistic fit failed ({fit.message}); PLCC falls back to raw Pearson", LogisticFitWarning)
        plcc = plcc_raw(x, y)
        plcc_method = f"raw Pearson (logistic fit failed: {fit.message})"

    row: dict = {
        "n": int(x.size),
        "srcc": srcc(x, y),
        "krcc": krcc(x, y),
        "plcc": plcc,
        "plcc_raw": plcc_raw(x, y),
    }
    metrics = {"srcc": srcc, "krcc": krcc, "plcc": plcc_logistic_quiet, "plcc_raw": plcc_raw}
    for i, (name, fn) in enumerate(metrics.items()):
        if n_boot > 0:
            # a distinct, seed-derived stream per metric keeps each CI reproducible on its own
            lo, hi = bootstrap_ci(fn, x, y, n_boot, seed + i, confidence, ci_method)
        else:
            lo, hi = np.nan, np.nan
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = lo, hi
    b = fit.params if fit.params is not None else (np.nan,) * 4
    row.update(
        {
            "plcc_method": plcc_method,
            "logistic_b1": b[0],
            "logistic_b2": b[1],
            "logistic_b3": b[2],
            "logistic_b4": b[3],
            "label_direction": direction,
            "pred_direction": pred_direction,
            "sign_handling": sign_handling_text(direction, pred_direction),
            "n_boot": int(n_boot),
            "seed": int(seed),
            "confidence": float(confidence),
            "ci_method": ci_method if n_boot > 0 else "none",
        }
    )
    return row
