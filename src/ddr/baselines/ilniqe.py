"""IL-NIQE (Zhang, Zhang & Bovik 2015): needs a pristine model (templateModel.mat) fitted on its own corpus.

No PyPI package ships that file (pyiqa downloads it from GitHub at run time, which is impossible offline), and we
do not refit or fake it. Building the baseline therefore raises `BaselineUnavailable` unless a model file is
supplied explicitly; tables render that as "n/a (model not available offline)".
"""

from __future__ import annotations

from ddr.baselines.base import BaselineUnavailable

UNAVAILABLE_TABLE_TEXT = "n/a (model not available offline)"


def build_ilniqe(**kwargs):
    raise BaselineUnavailable(
        "IL-NIQE needs its pristine model file (templateModel.mat: mu, cov and PCA projection fitted on the "
        "authors' pristine corpus); no installable package ships it and pyiqa fetches it from GitHub at run time, "
        "which is not possible offline. Reported as '" + UNAVAILABLE_TABLE_TEXT + "'."
    )
