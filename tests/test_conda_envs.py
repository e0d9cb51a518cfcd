"""What `conda env create -f environment.yml` and `snakemake --use-conda` rely on, checked without conda: every
rule's `conda:` file exists and holds no relative path (Snakemake copies it into .snakemake/conda/), its post-deploy
script installs extras pyproject.toml defines, and environment.yml's pip lines point at real files and extras."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

from conftest import REPO

RULE_FILES = sorted((REPO / "workflow" / "rules").glob("*.smk")) + [REPO / "Snakefile"]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])


def _conda_files() -> dict[Path, list[str]]:
    """env file -> the rule files naming it (a `conda:` directive's path is relative to the file it is in)."""
    found: dict[Path, list[str]] = {}
    for rule_file in RULE_FILES:
        for match in re.finditer(r"^\s*conda:\s*\n\s*[\"']([^\"']+)[\"']", rule_file.read_text(), re.MULTILINE):
            found.setdefault((rule_file.parent / match.group(1)).resolve(), []).append(rule_file.name)
    return found


def _extras(requirement: str) -> set[str]:
    match = re.search(r"\[([^\]]+)\]", requirement)
    return {name.strip() for name in match.group(1).split(",")} if match else set()


def _python_minor(env: dict) -> str:
    pins = [d for d in env["dependencies"] if isinstance(d, str) and re.fullmatch(r"python[=<>]+[\d.]+", d)]
    assert len(pins) == 1, env["dependencies"]
    return re.sub(r"^python[=<>]+", "", pins[0])


def _requires_python_allows(version: str) -> bool:
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    return tuple(map(int, version.split("."))) >= tuple(map(int, minimum.split(".")))


def test_every_rule_names_an_existing_relocatable_env():
    files = _conda_files()
    assert files, "no conda: directives found"
    for env_file, users in files.items():
        assert env_file.is_file(), f"{users}: conda env {env_file} does not exist"
        assert env_file.parent == REPO / "workflow" / "envs", f"{users}: {env_file} is not under workflow/envs"
        env = yaml.safe_load(env_file.read_text())
        assert "pip" in env["dependencies"] and _requires_python_allows(_python_minor(env))
        pip_lines = [line for d in env["dependencies"] if isinstance(d, dict) for line in d.get("pip", [])]
        assert not [line for line in pip_lines if re.search(r"(^|\s)(\.|\.\.|\./)", line)], \
            f"{env_file.name}: relative pip paths break once Snakemake copies the file: {pip_lines}"


def test_post_deploy_installs_the_project_from_the_repository_root():
    for env_file in _conda_files():
        script = env_file.with_name(env_file.name.removesuffix(".yaml") + ".post-deploy.sh")
        assert script.is_file(), f"{env_file.name} needs {script.name} to install the project"
        text = script.read_text()
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
        install = next(line for line in text.splitlines() if "pip install" in line)
        assert _extras(install) and _extras(install) <= EXTRAS, install
        for constraint in re.findall(r"-c\s+(\S+)", install):
            assert (REPO / constraint).is_file(), constraint
        # run elsewhere, the script refuses with a message instead of installing the wrong folder
        refused = subprocess.run(["bash", str(script)], cwd=REPO / "workflow", capture_output=True, text=True)
        assert refused.returncode != 0 and "repository root" in refused.stderr


def test_environment_yml_installs_existing_extras_and_constraints():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["name"] and _requires_python_allows(_python_minor(env))
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    editable = [line for line in pip_lines if line.startswith("-e ")]
    assert editable and _extras(editable[0]) <= EXTRAS
    for line in pip_lines:
        if line.startswith("-c "):
            assert (REPO / line.split()[1]).is_file(), line
