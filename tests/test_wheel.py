"""The wheel works outside the repository: built from the tracked sources, installed into a fresh environment in a
temporary folder (no dependencies installed: the test environment's site-packages are put on its path, after the
environment's own, so the big ones are reused while `ddr` itself comes from the wheel), it scores from the command
line and the Python API, reads its bundled dataset registry and config schema, and pins no exact torch."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import GOLDEN, REPO

CHECKPOINT = GOLDEN / "tiny-vit-0.pt"
IMAGE = GOLDEN / "images" / "tiny.png"


def _run(args, cwd, env=None, timeout=600) -> str:
    completed = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{args}: exit {completed.returncode}\n{completed.stderr[-3000:]}"
    return completed.stdout


def _source_copy(target: Path) -> Path:
    """The files git would check out that a build reads (pyproject, README, src/), copied so that the build's
    scratch folders never land in the working tree."""
    listed = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "pyproject.toml",
                   "README.md", "src"], cwd=REPO).split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("wheel")
    source = _source_copy(root / "source")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
          str(root / "dist"), str(source)], cwd=root)
    wheel = next((root / "dist").glob("deep_degradation_response-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    own_site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         cwd=root).strip())
    # the test environment's packages, as a plain path entry: its .pth files (the editable ddr) are not processed
    (own_site / "reuse-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
         cwd=root)
    work = root / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {"wheel": wheel, "venv": venv, "python": python, "cwd": work, "env": env}


def test_metadata_has_ranges_and_package_data(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    torch_reqs = [r for r in requires if r.split(";")[0].replace(" ", "").startswith(("torch>", "torch=", "torchvision"))]
    assert torch_reqs and not any("==" in r for r in torch_reqs), torch_reqs
    assert any(r.startswith("pyiqa") and "extra == \"pyiqa\"" in r for r in requires), requires
    assert any(n.startswith("ddr/baselines/data/") for n in names)
    assert any(n.endswith("datasets.yaml") and n.startswith("ddr/") for n in names), "dataset registry not packaged"


def test_cli_and_api_from_the_wheel_agree(installed):
    bin_dir = installed["venv"] / "bin"
    assert "score" in _run([str(bin_dir / "ddr"), "--help"], installed["cwd"], installed["env"])
    listing = _run([str(bin_dir / "ddr"), "list"], installed["cwd"], installed["env"])
    assert re.search(r"^\s*ddr\s+higher is better", listing, re.MULTILINE), listing
    out = _run([str(bin_dir / "ddr"), "score", "--checkpoint", str(CHECKPOINT), "--quiet", str(IMAGE)],
               installed["cwd"], installed["env"])
    cli_score = float(next(csv.DictReader(io.StringIO(out)))["ddr"])
    code = f"""
import json, ddr
from ddr import DDR
from ddr.data.registry import load_registry
from ddr.workflow.config import SCHEMA
score = DDR.from_checkpoint({str(CHECKPOINT)!r}).score({str(IMAGE)!r}).item()
assert json.loads(SCHEMA.read_text())["properties"]
print(json.dumps({{"file": ddr.__file__, "score": score, "datasets": load_registry().names()}}))
"""
    result = json.loads(_run([str(installed["python"]), "-c", code], installed["cwd"], installed["env"]))
    assert Path(result["file"]).is_relative_to(installed["venv"]), result["file"]  # the wheel's copy, not src/
    assert abs(result["score"] - cli_score) <= 1e-6
    assert "mini" in result["datasets"] and len(result["datasets"]) > 5
