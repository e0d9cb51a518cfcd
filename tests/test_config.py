"""The config contract: one schema that describes every key and gives its default (the mini profile's value),
config/paper.yaml an overlay of config/config.yaml with nothing redundant, one check raising one error type, and
one `ddr` section the restoration term shares."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config  # Snakemake's own --configfile merge (dicts key by key, lists replaced)

from ddr.data.registry import load_registry
from ddr.workflow import config as pipeline_config
from ddr.workflow.config import ConfigError, check_config, iter_keys, restoration_section, validate_config

from conftest import REPO

# The last commit whose config/paper.yaml was a full profile (before it became an overlay); the overlay must give
# the same merged configuration. Update or drop this pin when a value changes on purpose.
FULL_PAPER_COMMIT = "b3ce43af9437f918df21dd6ced0f7e5c40346977"
SOURCE = "config/config.yaml + config/paper.yaml"


def _yaml(name: str) -> dict:
    return yaml.safe_load((REPO / "config" / name).read_text())


def _merged(*overlays: dict) -> dict:
    config = _yaml("config.yaml")
    for overlay in overlays:
        update_config(config, copy.deepcopy(overlay))
    return config


def _value_at(config: dict, path: str):
    node = config
    for part in path.split("."):
        node = node[part]
    return node


def _known() -> set[str]:
    return set(load_registry(REPO / "src/ddr/resources/datasets.yaml").names())


# ----------------------------------------------------------------------------------------------------------------
# the schema describes every key
def test_every_key_has_a_one_line_description():
    keys = list(iter_keys())
    assert len(keys) > 100
    for path, node, _ in keys:
        text = node.get("description", "")
        assert text and "\n" not in text, path


def test_every_key_has_a_default_equal_to_the_mini_profile_or_says_what_absence_means():
    mini = _yaml("config.yaml")
    for path, node, _ in iter_keys():
        if "properties" in node or "[]" in path or "<name>" in path:
            continue  # sections (their keys carry the defaults) and per-entry keys of user-named lists and maps
        try:
            expected = _value_at(mini, path)
        except KeyError:  # optional, not set by config.yaml: the code's fallback, or the key it falls back to
            assert "default" in node or "(absent:" in node["description"], path
            continue
        assert node.get("default", "<none>") == expected, path


def test_the_schema_requires_what_every_stage_reads_unconditionally():
    schema = pipeline_config.load_schema()
    assert {"clip", "ddr", "pixel", "directions", "biqa", "attributes"} <= set(schema["required"])
    assert "restoration" not in schema["required"]  # absent = no restoration stage
    minimal = {k: v for k, v in _yaml("config.yaml").items() if k in schema["required"]}
    validate_config(minimal)


def test_describe_lists_every_key_with_its_default(capsys):
    pipeline_config.main(["--describe"])
    out = capsys.readouterr().out
    for path, _, _ in iter_keys():
        assert f" {path} " in out, path
    assert '"ViT-B-32"' in out and "restoration.train.default.lr" in out


# ----------------------------------------------------------------------------------------------------------------
# paper.yaml is an overlay
def test_paper_overlay_validates_and_sets_nothing_the_default_already_has():
    paper = _yaml("paper.yaml")
    check_config(_merged(paper), _known(), SOURCE)
    mini = _yaml("config.yaml")

    def redundant(default: dict, overlay: dict, path: str):
        for key, value in overlay.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, dict) and isinstance(default.get(key), dict):
                yield from redundant(default[key], value, where)
            elif key in default and default[key] == value:
                yield where

    assert list(redundant(mini, paper, "")) == []


def _git_show(path: str) -> dict:
    try:
        text = subprocess.run(["git", "show", f"{FULL_PAPER_COMMIT}:{path}"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"this checkout has no git history with commit {FULL_PAPER_COMMIT[:7]} (a shallow clone?)")
    return yaml.safe_load(text)


def _stage_view(config: dict, restoration: dict) -> dict:
    """What the stages read: every section as is, the restoration section as the restoration stage sees it."""
    return {**{k: v for k, v in config.items() if k != "restoration"}, "restoration": restoration}


# Values changed on purpose since that commit: (section, key) -> (then, now, why)
DELIBERATE_CHANGES = {
    ("features", "batch_size"): (32, 16, "16 windows per call is the fastest on a 2-core CPU (bench/results/)"),
}


@pytest.mark.parametrize("overlay", [None, "paper.yaml"])
def test_the_configs_give_the_values_the_full_files_gave(overlay):
    old = _git_show("config/config.yaml")
    for (section, key), (then, now, _why) in DELIBERATE_CHANGES.items():
        assert old[section][key] == then
        old[section][key] = now
    if overlay:
        update_config(old, _git_show(f"config/{overlay}"))
    new = _merged(_yaml(overlay)) if overlay else _yaml("config.yaml")
    # before: the restoration DDR term carried its own copy of the types; now it reads the shared ddr.types
    assert _stage_view(new, restoration_section(new)) == _stage_view(old, old["restoration"])


# ----------------------------------------------------------------------------------------------------------------
# one ddr section
def test_the_restoration_term_reads_the_shared_ddr_types():
    config = _yaml("config.yaml")
    config["ddr"]["types"] = ["blur", "noise"]
    rcfg = restoration_section(config)
    assert rcfg["ddr"] == {"types": ["blur", "noise"], "adaptive": True, "backbone": None}
    assert "types" not in config["restoration"]["ddr"]  # the config itself is left as it was
    config["restoration"]["ddr"]["types"] = ["blur"]
    with pytest.raises(ConfigError, match="unknown key in restoration/ddr"):
        validate_config(config)
    assert restoration_section({"ddr": {"types": ["blur"]}}) == {"enabled": False}


def test_fig2_and_the_tables_read_ddr_over_the_configured_types(tmp_path):
    import numpy as np
    import pandas as pd

    from ddr.pipeline.biqa.tables import ddr_methods, ddr_of_types
    from ddr.pipeline.biqa.descriptor_figures import figure2

    rng = np.random.default_rng(0)
    n = 24
    score = np.arange(n, dtype=float)
    pixel = pd.DataFrame({"image": [f"i{k}.png" for k in range(n)], "score": score,
                          **{f"pddr_blur@{level}": rng.random(n) for level in (1.0, 2.0, 4.0)}})
    text = pd.DataFrame({"image": pixel["image"], "ddr_blur": score / n, "ddr_color": -score / n,
                         "ddr_noise": rng.random(n), "ddr_exposure": rng.random(n)})
    text.insert(1, "ddr", text[["ddr_blur", "ddr_color", "ddr_noise", "ddr_exposure"]].mean(axis=1))
    pixel.to_csv(tmp_path / "pddr.csv", index=False)
    text.to_csv(tmp_path / "ddr.csv", index=False)

    assert ddr_of_types(text, ["blur", "color", "noise", "exposure"])[1] == "ddr"  # the scores file's own column
    frame, column = ddr_of_types(text, ["blur", "noise"])
    assert np.allclose(frame[column], (text["ddr_blur"] + text["ddr_noise"]) / 2)
    assert ddr_methods(tmp_path / "ddr.csv", ["blur"])[0].frame["ddr_mean"].equals(text["ddr_blur"])

    def text_panel_srcc(types):
        summary = figure2(tmp_path / "pddr.csv", tmp_path / "ddr.csv", "blur", None, 0.3, 0,
                          tmp_path / f"f{len(types)}", types=types)
        return next(v for k, v in summary["panels"].items() if k.startswith("adaptive text-driven DDR"))

    assert text_panel_srcc(["blur"]) == pytest.approx(1.0)  # DDR_blur orders the images as the labels do
    assert text_panel_srcc(["blur", "color", "noise", "exposure"]) < 0.9
    assert "over blur (config ddr.types)" in (tmp_path / "f1.provenance.json").read_text()


# ----------------------------------------------------------------------------------------------------------------
# one check, one error type, one line naming the file and the key
@pytest.mark.parametrize("mutate,key", [
    (lambda c: c["features"].update(device="tpu"), "features/device"),                   # schema
    (lambda c: c["biqa"].update(datasets=["mini", "livee"]), "biqa/datasets"),           # dataset names
    (lambda c: c["biqa"]["fig1"].update(level=3.0), "biqa.fig1.level"),                  # BIQA cross-key rule
    (lambda c: c["restoration"]["networks"].append("nafnet-huge"), "restoration.networks"),  # restoration rule
])
def test_check_config_raises_one_error_type_naming_file_and_key(mutate, key):
    config = _merged(_yaml("paper.yaml"))
    mutate(config)
    with pytest.raises(ConfigError) as error:
        check_config(config, _known(), SOURCE)
    message = str(error.value)
    assert message.startswith(SOURCE + ": ") and key in message and "\n" not in message


def test_messages_name_the_merged_files_relative_to_the_run_folder():
    paper = Path.cwd() / "config" / "paper.yaml"
    assert pipeline_config.config_source([paper], cli_overrides=True) == \
        "config/config.yaml + config/paper.yaml + --config"
    assert pipeline_config.config_source([]) == "config/config.yaml"
    assert str(ConfigError("config/config.yaml: bad value at mini: 'a\nb'")) == \
        "config/config.yaml: bad value at mini: 'a b'"


def test_the_config_is_checked_in_one_place():
    callers = [p.relative_to(REPO).as_posix() for p in [REPO / "Snakefile", *(REPO / "workflow").rglob("*.smk")]
               if any(name in p.read_text() for name in ("check_config(", "validate_config(", "jsonschema"))]
    assert callers == ["Snakefile"]
