"""The dataset registry: the shipped config is valid and consistent; bad configs fail naming file and key."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from ddr.data.labels import PARSERS
from ddr.data.registry import DEFAULT_REGISTRY, REGISTRY_ENV, RegistryError, load_registry

REQUIRED_SETS = {"csiq", "live", "tid2013", "kadid10k", "koniq10k", "liveitw", "cid2013", "spaq", "ic9600", "gopro",
                 "realblur", "realsr", "mini"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_REGISTRY.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "datasets.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    message = str(info.value)
    assert str(path) in message, "the error must name the registry file"
    return message


def test_shipped_registry_is_valid_and_complete():
    registry = load_registry()
    assert set(registry.names()) == REQUIRED_SETS
    for entry in registry:
        if entry.access == "builtin":
            assert entry.files == () and entry.labels is None
            continue
        assert entry.labels is not None and entry.labels.parser in PARSERS
        assert entry.expect, f"{entry.name}: list paths that prove the extraction worked"
        for spec in entry.files:
            assert spec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
            if entry.access == "direct":
                assert spec.url and spec.url.startswith(("http://", "https://"))
        if entry.needs_manual_download:
            assert entry.request_url.startswith(("http://", "https://"))
        if entry.task in ("biqa_synthetic", "biqa_authentic", "attributes", "complexity"):
            assert entry.direction in ("higher_better", "lower_better")
        if entry.splits and entry.expected_rows is not None:
            assert sum(entry.splits.values()) == entry.expected_rows, entry.name


def test_access_kinds_follow_the_sources():
    registry = load_registry()
    registration = {e.name for e in registry if e.access == "registration"}
    assert registration == {"live", "liveitw", "ic9600"}
    assert registry.get("live").direction == "lower_better"
    assert registry.get("csiq").direction == "lower_better"
    assert registry.get("kadid10k").direction == "higher_better"  # a MOS despite the column name 'dmos'


def test_unknown_key_names_file_and_key_path(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["datasets"]["csiq"]["colour"] = "blue"
    message = _error(tmp_path, data)
    assert "datasets.csiq.colour" in message and "unknown key 'colour'" in message


def test_unknown_key_inside_a_file_entry(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["datasets"]["tid2013"]["files"][0]["crc32"] = "0" * 8
    assert "datasets.tid2013.files[0].crc32" in _error(tmp_path, data)


def test_direct_set_without_url(tmp_path, raw):
    data = copy.deepcopy(raw)
    del data["datasets"]["kadid10k"]["files"][0]["url"]
    message = _error(tmp_path, data)
    assert "datasets.kadid10k.files[0].url" in message and "missing required key 'url'" in message


def test_direct_set_with_null_url(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["datasets"]["koniq10k"]["files"][1]["url"] = None
    message = _error(tmp_path, data)
    assert "datasets.koniq10k.files[1].url" in message and "null" in message


def test_registration_set_without_request_link(tmp_path, raw):
    data = copy.deepcopy(raw)
    del data["datasets"]["live"]["request_url"]
    assert "datasets.live.request_url: missing required key 'request_url'" in _error(tmp_path, data)


def test_bad_values_are_reported_with_their_path(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["datasets"]["live"]["files"][0]["sha256"] = "abc"
    data["datasets"]["live"]["direction"] = "up"
    data["datasets"]["gopro"]["layout"]["expect"] = ["../outside"]
    message = _error(tmp_path, data)
    assert "datasets.live.files[0].sha256" in message
    assert "datasets.live.direction" in message
    assert "datasets.gopro.layout.expect[0]" in message and "'..'" in message
    assert "3 problem(s)" in message


def test_unknown_parser_is_rejected(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["datasets"]["spaq"]["labels"]["parser"] = "spaq_csv"
    message = _error(tmp_path, data)
    assert "datasets.spaq.labels.parser" in message and "spaq_xlsx" in message


def test_missing_required_field_and_yaml_syntax(tmp_path, raw):
    data = copy.deepcopy(raw)
    del data["datasets"]["tid2013"]["licence"]
    assert "datasets.tid2013.licence: missing required key" in _error(tmp_path, data)
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ndatasets: {csiq: [\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=re.escape(str(broken)) + ".*not valid YAML"):
        load_registry(broken)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "absent.yaml")


def test_lookup_and_env_override(tmp_path, raw, monkeypatch):
    data = copy.deepcopy(raw)
    data["datasets"] = {"tid2013": data["datasets"]["tid2013"]}
    path = _write(tmp_path, data)
    monkeypatch.setenv(REGISTRY_ENV, str(path))
    registry = load_registry()
    assert registry.path == path and registry.names() == ["tid2013"]
    with pytest.raises(KeyError, match="no dataset named 'koniq'.*known: tid2013"):
        registry.get("koniq")
