"""ddr.reporting.write_table: LaTeX ready for a paper (booktabs, numbers right-aligned, no prose cells, escaped),
and no copy of a table shows a machine path (the provenance keeps the sources as they were)."""

from __future__ import annotations

import json
import re
import site
from pathlib import Path

import pandas as pd

from ddr.reporting import write_table
from ddr.reporting.machine_paths import without_machine_paths

SITE = Path(site.getsitepackages()[0])
PROSE = "text-driven DDR, types blur,color,noise,exposure, adaptive, official square patches; backbone clip:ViT-B-32"


def _table(tmp_path: Path):
    frame = pd.DataFrame({
        "method": ["DDR_blur", "NIQE", "IL-NIQE"],
        "weights": ["STAND-IN (clip-random:ViT-B-32:0)", "bundled", "n/a"],
        "LIVE": [0.81, -0.25, "n/a (model not available offline)"],
        "n": ["12", "12", "12"],
        "parameters": [PROSE, f"pristine model {SITE}/torch/share/niqe.npz",
                       f"n/a: no template at {Path.home()}/.cache/ddr/ilniqe/template.npz"],
    })
    source = {"backbone": "clip-random:ViT-B-32:0", "stand_in": True, "stand_in_reason": "requested",
              "model_file": f"{SITE}/torch/share/niqe.npz"}
    paths = write_table(frame, tmp_path / "table3_test", "Table 3: SRCC (95% CI)", "Best per set in bold.",
                        [source], bold_columns=["LIVE"])
    return frame, {p.suffix if not p.name.endswith(".provenance.json") else ".json": p for p in paths}


def test_latex_is_booktabs_with_numbers_right_aligned_and_prose_left_out(tmp_path):
    _, paths = _table(tmp_path)
    tex = paths[".tex"].read_text()
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert re.search(r"\\begin\{tabular\}\{llrr\}", tex), tex  # method, weights | LIVE, n
    assert "parameters" not in tex.split(r"\begin{tabular}")[1] and PROSE not in tex
    assert "Not shown here (text; see table3\\_test.csv): parameters" in tex
    assert r"DDR\_blur" in tex and r"\textbf{0.8100}" in tex and r"95\% CI" in tex
    assert all(len(cell.strip()) <= 40 for row in tex.split(r"\midrule")[1].split(r"\bottomrule")[0].split(r"\\")
               for cell in row.split("&"))
    omitted = json.loads(paths[".json"].read_text())["latex_omitted"]  # row keys first, then the prose
    assert [row["method"] for row in omitted] == ["DDR_blur", "NIQE", "IL-NIQE"] and omitted[0]["parameters"] == PROSE


def test_csv_and_markdown_keep_every_column(tmp_path):
    frame, paths = _table(tmp_path)
    csv = pd.read_csv(paths[".csv"], dtype=str)
    assert list(csv.columns) == list(frame.columns) and csv.loc[0, "parameters"] == PROSE
    markdown = paths[".md"].read_text()
    assert PROSE in markdown and "**0.8100**" in markdown


def test_no_table_copy_shows_a_machine_path(tmp_path):
    _, paths = _table(tmp_path)
    for suffix in (".csv", ".md", ".tex"):
        text = paths[suffix].read_text()
        assert "site-packages" not in text and str(Path.home()) + "/" not in text, suffix
    csv = pd.read_csv(paths[".csv"], dtype=str)
    assert csv.loc[1, "parameters"].startswith("pristine model torch/share/niqe.npz (package torch ")
    assert csv.loc[2, "parameters"] == "n/a: no template at ~/.cache/ddr/ilniqe/template.npz"
    # the provenance keeps the sources as they were: that is where a reader finds the exact file
    assert json.loads(paths[".json"].read_text())["sources"][0]["model_file"].startswith(str(SITE))


def test_path_rewriting_leaves_urls_specs_and_ratios_alone(tmp_path):
    text = "see https://example.org/a/b, DDR/CLIP clip:ViT-B-32, 1/2 and lpips/vgg16"
    assert without_machine_paths(text) == text
    assert without_machine_paths(f"read {tmp_path}/x/y.png", root=tmp_path) == "read x/y.png"
    assert without_machine_paths("at /opt/elsewhere/data/file.npz.") == "at file.npz."


def test_a_cached_file_reads_the_same_from_any_working_folder(tmp_path, monkeypatch):
    """A Slurm job or a notebook runs from another folder than a local run: a file in $DDR_CACHE must still be
    spelled the same in the tables (it was a bare file name from one and a relative path from the other)."""
    cache = tmp_path / "repo" / ".cache"
    monkeypatch.setenv("DDR_CACHE", str(cache))
    text = f"place it at {cache}/ilniqe/templatemodel.mat, or refit"
    seen = {without_machine_paths(text, root=folder) for folder in (tmp_path / "repo", tmp_path / "elsewhere")}
    assert seen == {"place it at $DDR_CACHE/ilniqe/templatemodel.mat, or refit"}


def test_row_keys_stay_in_latex_however_long(tmp_path):
    long_name = "pixel DDR [efficientnet-lite0, mean of optimal levels]"
    frame = pd.DataFrame({"dataset": ["mini", "mini"], "method": [long_name, "DDR"], "srcc": [0.5, 0.25],
                          "parameters": [PROSE, PROSE]})
    write_table(frame, tmp_path / "full", "Table 3 (full)", "Every statistic.")
    tex = (tmp_path / "full.tex").read_text()
    assert r"\begin{tabular}{llr}" in tex and long_name in tex and "parameters" in tex.split(r"\label")[0]
    omitted = json.loads((tmp_path / "full.provenance.json").read_text())["latex_omitted"]
    assert omitted[0] == {"dataset": "mini", "method": long_name, "parameters": PROSE}


def test_portable_frame_rewrites_text_cells_only(tmp_path):
    from ddr.reporting import portable_frame

    frame = pd.DataFrame({"n": [1, 2], "reason": [f"no file {tmp_path}/a/b.npz", None], "x": [0.5, float("nan")]})
    out = portable_frame(frame, root=tmp_path)
    assert out["reason"].tolist()[0] == "no file a/b.npz" and pd.isna(out["reason"].tolist()[1])
    assert out["n"].tolist() == [1, 2] and out["x"].tolist()[0] == 0.5 and str(tmp_path) in frame["reason"][0]  # a copy


def test_a_missing_prose_cell_is_json_null_in_the_provenance(tmp_path):
    """A row without parameters (NaN in the frame) is `null` in latex_omitted: NaN is not JSON, other readers
    refuse it, and NaN != NaN made two equal runs compare unequal (the Slurm comparison)."""
    frame = pd.DataFrame({"method": ["DDR", "NIQE"], "srcc": [0.5, 0.25], "parameters": [PROSE, float("nan")]})
    paths = write_table(frame, tmp_path / "t", "Table: SRCC", "", [])
    text = next(p for p in paths if p.name.endswith(".provenance.json")).read_text()

    def refuse(constant):
        raise ValueError(f"{constant} in a provenance file")

    omitted = json.loads(text, parse_constant=refuse)["latex_omitted"]
    assert omitted == [{"method": "DDR", "parameters": PROSE}, {"method": "NIQE", "parameters": None}]
    markdown = next(p for p in paths if p.suffix == ".md").read_text()
    niqe_row = next(line for line in markdown.splitlines() if line.startswith("| NIQE"))
    assert [cell.strip() for cell in niqe_row.strip("|").split("|")] == ["NIQE", "0.25", ""]  # empty, not "nan"
