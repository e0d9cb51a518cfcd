"""Where ddr keeps what it downloads or derives once (CLIP weights, IL-NIQE templates, image-defined directions):
$DDR_CACHE, else ~/.cache/ddr. One place, so the weights loader, the baselines and the tables that name a cached
file agree on it."""

from __future__ import annotations

import os
from pathlib import Path

ENVIRONMENT_VARIABLE = "DDR_CACHE"


def cache_dir() -> Path:
    return Path(os.environ.get(ENVIRONMENT_VARIABLE, Path.home() / ".cache" / "ddr"))
