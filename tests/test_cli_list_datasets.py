"""`ddr list` ends with the datasets of the registry: name, size and access (direct/registration/manual)."""

from __future__ import annotations

from ddr.cli import main
from ddr.data.registry import describe


def test_list_has_a_datasets_section_from_the_registry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("datasets"))
    section = out[start + 1:]
    rows = describe()
    assert len(section) == len(rows)
    for line, row in zip(section, rows):
        fields = line.split()
        assert fields[0] == row["name"] and fields[3] == row["access"] in ("direct", "registration", "manual")
        assert fields[1] == ("?" if row["images"] is None else str(row["images"]))
        assert fields[2] == ("pairs" if row["task"] == "restoration_pairs" else "images")
    assert {"direct", "registration", "manual"} <= {row["access"] for row in rows}
