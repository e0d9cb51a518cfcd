"""`ddr datasets [--json]`: the registry as a user needs it before a run."""

from __future__ import annotations

import json

from ddr.cli import main

PROTOCOL_IMAGES = {"live": 779, "csiq": 866, "tid2013": 3000, "kadid10k": 10125, "koniq10k": 10073,
                   "liveitw": 1162, "cid2013": 474, "spaq": 11125}


def test_datasets_json_gives_counts_directions_and_archives(capsys):
    assert main(["datasets", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert {name: rows[name]["images"] for name in PROTOCOL_IMAGES} == PROTOCOL_IMAGES
    assert rows["cid2013"]["archives"] == ["CID2013.7z"] and rows["cid2013"]["access"] == "direct"
    assert rows["csiq"]["direction"] == "lower_better" and rows["spaq"]["direction"] == "higher_better"
    assert all({"name", "images", "direction", "archives", "access", "licence"} <= set(r) for r in rows.values())


def test_datasets_table_says_where_to_place_archives(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["name", "images", "direction"]
    assert "data/raw/downloads/live/databaserelease2.zip" in out and "CID2013.7z" in out


def test_datasets_with_a_broken_registry_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "datasets.yaml"
    bad.write_text("version: 1\ndatasets: {x: {title: 1}}\n")
    assert main(["datasets", "--registry", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"ddr: error: {bad}: invalid dataset registry")
