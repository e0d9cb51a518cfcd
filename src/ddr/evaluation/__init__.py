"""Evaluation statistics (SRCC/KRCC/PLCC with bootstrap CIs) and computed image attributes."""

from ddr.evaluation.stats import (
    InvalidScoresError,
    LogisticFit,
    bootstrap_ci,
    evaluate,
    fit_logistic,
    krcc,
    logistic4,
    plcc_logistic,
    plcc_raw,
    srcc,
)
from ddr.evaluation.attributes import ATTRIBUTES, AttributeSpec, compute_attributes

__all__ = [
    "ATTRIBUTES",
    "AttributeSpec",
    "InvalidScoresError",
    "LogisticFit",
    "bootstrap_ci",
    "compute_attributes",
    "evaluate",
    "fit_logistic",
    "krcc",
    "logistic4",
    "plcc_logistic",
    "plcc_raw",
    "srcc",
]
