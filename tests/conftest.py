"""Shared fixtures. Every test runs offline: DDR_OFFLINE=1 forbids weight downloads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["DDR_OFFLINE"] = "1"

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def golden() -> dict:
    """The official implementation's outputs on the tiny checkpoints (copied from shared/golden)."""
    return json.loads((GOLDEN / "expected.json").read_text())


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN


@pytest.fixture(scope="session")
def tiny_vit():
    from ddr import DDR

    return DDR.from_checkpoint(GOLDEN / "tiny-vit-0.pt")
