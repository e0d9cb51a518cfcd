"""What every pipeline script does first: log to the rule's log file, use the rule's threads, pick the device."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import torch


def setup(snakemake) -> None:
    """Send stderr (progress bars, warnings) to the rule's log and honour `threads`."""
    if snakemake.log:
        Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
        sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, force=True)
    torch.set_num_threads(max(1, int(getattr(snakemake, "threads", 1) or 1)))


def device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
