"""Release replicas: tiny archives shaped exactly like each dataset's official release.

Why: the real sets cannot be downloaded here (and most forbid redistribution), yet the download, verification,
extraction, label parsing and the whole paper DAG must be exercised on what users will actually feed them. Each
replica keeps the release's archive format (zip, tar.gz, rar, 7z), top folder and nesting, file names with their
real case, label files in their real formats (MAT v5 structures, xlsx sheets and columns, csv headers, txt lists),
real image formats, and train/test lists where the set has them; only the images are few and small (photographs
from scikit-image/scikit-learn, degraded with known operators) and the scores are synthetic (a known ordering of
the degradations mapped onto the set's scale), so results computed on them are STAND-IN numbers.

`build_replicas(out)` writes <out>/<dataset>/<archive> for the 12 sets and returns, per set, the registry
changes a replica needs (its row count and splits); `replica_registry()` turns the shipped registry into one
that points at the served replicas. The layout facts used here are the ones src/ddr/resources/datasets.yaml cites.
"""

from __future__ import annotations

import copy
import io
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml
from PIL import Image
from scipy.io import savemat
from scipy.ndimage import gaussian_filter

from ddr.data.mini import SOURCES, centre_crop_resize, derive_seed

# Quality-set images are scaled down from the releases' sizes but keep NIQE's minimum of two 96x96 blocks
# (the BIQA baselines refuse smaller images); 4:3 like most of these sets.
BIQA_SIZE = (192, 144)


@dataclass
class ReplicaFacts:
    """What differs from the real release: how many rows the replica has, and parser options that depend on it."""

    expected_rows: int | None
    splits: dict[str, int] | None = None
    label_options: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------------
# images


class Photos:
    """The bundled photographs, centre-cropped to a size, and known degradations of them (deterministic)."""

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    def names(self) -> list[str]:
        return list(SOURCES)

    def get(self, index: int, width: int, height: int) -> np.ndarray:
        name = self.names()[index % len(SOURCES)]
        if name not in self._cache:
            self._cache[name] = SOURCES[name][1]()
        return centre_crop_resize(self._cache[name], width, height)


def degrade(image: np.ndarray, kind: str, level: int, seed: int) -> np.ndarray:
    """uint8 HxWx3 -> a degraded copy; `level` 1 (mild) .. 5 (strong)."""
    x = image.astype(np.float64)
    if kind == "blur":
        x = gaussian_filter(x, sigma=(0.6 * level, 0.6 * level, 0))
    elif kind == "noise":
        x = x + np.random.default_rng(seed).normal(0.0, 6.0 * level, x.shape)
    elif kind == "jpeg":
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=max(5, 60 - 12 * level))
        x = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), dtype=np.float64)
    elif kind == "contrast":
        x = (x - x.mean()) * (1.0 - 0.15 * level) + x.mean()
    else:
        raise ValueError(f"unknown replica degradation {kind!r}")
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def encode(image: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"quality": 92} if fmt == "JPEG" else {}
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()


def quality(level: int, n_levels: int, low: float, high: float, jitter: float) -> float:
    """A synthetic score: level 0 (pristine) at the good end of [low, high], the strongest at the bad end."""
    return float(high - (high - low) * (level + jitter) / (n_levels + 1))


# ----------------------------------------------------------------------------------------------------------------
# archives


def pack_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), members[name])
    return buffer.getvalue()


def pack_targz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(members[name]), 1577836800, 0o644
            archive.addfile(info, io.BytesIO(members[name]))
    return buffer.getvalue()


def pack_7z(members: dict[str, bytes]) -> bytes:
    import py7zr

    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for name in sorted(members):
            archive.writef(io.BytesIO(members[name]), name)
    return buffer.getvalue()


def _rar_block(head_type: int, flags: int, body: bytes) -> bytes:
    fields = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(fields) & 0xFFFF) + fields


def pack_rar(members: dict[str, bytes]) -> bytes:
    """A RAR 4 archive with stored (uncompressed) members and Windows paths, as TID2013 ships (RAR 4 format:
    marker, archive header, one file header per member, end-of-archive block). Stored members need no
    external tool to extract (the rarfile package reads them directly)."""
    out = [b"Rar!\x1a\x07\x00", _rar_block(0x73, 0, b"\x00" * 6)]
    dos_time = (40 << 25) | (1 << 21) | (1 << 16)  # 2020-01-01 00:00
    for name in sorted(members):
        data, encoded = members[name], name.replace("/", "\\").encode("ascii")
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), dos_time, 20, 0x30,
                           len(encoded), 0x20) + encoded
        out += [_rar_block(0x74, 0x8000, body), data]
    out.append(_rar_block(0x7B, 0x4000, b""))
    return b"".join(out)


def xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def mat(**variables: Any) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, variables, format="5")
    return buffer.getvalue()


def cell_row(strings: list[str]) -> np.ndarray:
    """A MATLAB 1xN cell array of char rows (as refnames_all / AllImages_release are stored)."""
    cells = np.empty((1, len(strings)), dtype=object)
    for index, text in enumerate(strings):
        cells[0, index] = np.array([text])
    return cells


def cell_column(strings: list[str]) -> np.ndarray:
    cells = np.empty((len(strings), 1), dtype=object)
    for index, text in enumerate(strings):
        cells[index, 0] = np.array([text])
    return cells


# ----------------------------------------------------------------------------------------------------------------
# one builder per set: returns {archive file name: bytes} and the replica's facts

Archives = dict[str, bytes]


def _live(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """databaserelease2.zip: databaserelease2/{jp2k,jpeg,wn,gblur,fastfading,refimgs}/, dmos.mat,
    dmos_realigned.mat (dmos_new, orgs: 1xN doubles), refnames_all.mat (1xN cell), BMP images img<k>.bmp."""
    refs = ["bikes", "building2", "caps", "lighthouse"]
    kinds = {"jp2k": "jpeg", "jpeg": "jpeg", "wn": "noise", "gblur": "blur", "fastfading": "jpeg"}
    # per folder: distorted images + 1 reference copy (flagged by orgs). gblur has more, each reference at three
    # blur levels: Table 1 correlates pixel DDR with DMOS on LIVE's gblur images alone, choosing the level on a
    # held-out share of the references (one of four here), so the held-out and the scored rows both need >= 3 images
    counts = {folder: (13 if folder == "gblur" else 4) for folder in kinds}
    files, dmos, orgs, refnames = {}, [], [], []
    top = "databaserelease2"
    for r, ref in enumerate(refs):
        files[f"{top}/refimgs/{ref}.bmp"] = encode(photos.get(r, 192, 128), "BMP")
    for f, (folder, kind) in enumerate(kinds.items()):
        per_folder = counts[folder]
        for k in range(per_folder):
            r = (k + f) % len(refs)
            is_ref = k == per_folder - 1
            step = k // len(refs) if folder == "gblur" else 0  # gblur: each reference's images at rising levels
            level = 0 if is_ref else 1 + (k + f + step) % 4
            image = photos.get(r, 192, 128)
            image = image if is_ref else degrade(image, kind, level, derive_seed("live", folder, k))
            files[f"{top}/{folder}/img{k + 1}.bmp"] = encode(image, "BMP")
            dmos.append(0.0 if is_ref else 100 - quality(level, 4, 0, 100, 0.1 * (k % 3)))
            orgs.append(1.0 if is_ref else 0.0)
            refnames.append(f"{refs[r]}.bmp")
    dmos_arr, orgs_arr = np.array([dmos]), np.array([orgs])
    files[f"{top}/dmos.mat"] = mat(dmos=dmos_arr, orgs=orgs_arr)
    files[f"{top}/dmos_realigned.mat"] = mat(dmos_new=dmos_arr - 1.5, orgs=orgs_arr, dmos_std=dmos_arr * 0 + 10)
    files[f"{top}/refnames_all.mat"] = mat(refnames_all=cell_row(refnames))
    files[f"{top}/readme.txt"] = b"LIVE Image Quality Assessment Database Release 2 (replica)\n"
    return ({"databaserelease2.zip": pack_zip(files)},
            ReplicaFacts(sum(counts.values()) - len(counts), label_options={"folder_counts": counts}))


CSIQ_TYPES = (("AWGN", "awgn", "noise", "noise"), ("JPEG", "jpeg", "jpeg", "jpeg"),
              ("jpeg2000", "jpeg2000", "jpeg 2000", "jpeg"), ("fnoise", "fnoise", "f noise", "noise"),
              ("BLUR", "blur", "blur", "blur"), ("contrast", "contrast", "contrast", "contrast"))


def _csiq(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """src_imgs.zip (src_imgs/<image>.png), dst_imgs.zip (dst_imgs/<type folder, lower case as on Linux
    copies>/<image>.<TYPE>.<level>.png) and csiq.DMOS.xlsx (sheet all_by_image: image, dst_idx, dst_type,
    dst_lev, dmos_std, dmos; DMOS in [0, 1])."""
    images = ["1600", "boston"]
    src, dst, rows = {}, {}, []
    for i, image in enumerate(images):
        reference = photos.get(i, 192, 192)
        src[f"src_imgs/{image}.png"] = encode(reference, "PNG")
        for t, (token, folder, xlsx_type, kind) in enumerate(CSIQ_TYPES):
            for level in (1, 2):
                dst[f"dst_imgs/{folder}/{image}.{token}.{level}.png"] = encode(
                    degrade(reference, kind, 2 * level, derive_seed("csiq", image, token, level)), "PNG")
                rows.append({"image": int(image) if image.isdigit() else image, "dst_idx": t + 1,
                             "dst_type": xlsx_type, "dst_lev": level, "dmos_std": 0.05,
                             "dmos": round(1 - quality(level, 2, 0, 1, 0.05 * t), 4)})
    workbook = xlsx({"all_by_image": pd.DataFrame(rows), "all_by_distortion": pd.DataFrame(rows)})
    return ({"src_imgs.zip": pack_zip(src), "dst_imgs.zip": pack_zip(dst), "csiq.DMOS.xlsx": workbook},
            ReplicaFacts(len(rows)))


def _tid2013(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """tid2013.rar: mos_with_names.txt ("<MOS> <name>"), mos.txt, mos_std.txt, distorted_images/ and
    reference_images/ with BMP names in both cases (i01_.. and I02_..; the reference I25 spelt i25.bmp)."""
    files, lines, mos, std = {}, [], [], []
    for r, ref in enumerate((1, 2, 25)):
        prefix = "I" if ref == 2 else "i"  # the release mixes cases
        reference = photos.get(r + 2, *BIQA_SIZE)
        files[f"reference_images/{'i25.bmp' if ref == 25 else f'I{ref:02d}.BMP'}"] = encode(reference, "BMP")
        for t, kind in ((1, "noise"), (8, "blur"), (10, "jpeg")):
            for level in (1, 3):
                name = f"{prefix}{ref:02d}_{t:02d}_{level}.bmp"
                files[f"distorted_images/{name}"] = encode(
                    degrade(reference, kind, level, derive_seed("tid", ref, t, level)), "BMP")
                score = round(quality(level, 3, 0.5, 7.5, 0.1 * r), 5)
                lines.append(f"{score} {name}")
                mos.append(f"{score}")
                std.append("0.13013")
    files["mos_with_names.txt"] = ("\r\n".join(lines) + "\r\n").encode()
    files["mos.txt"] = ("\r\n".join(mos) + "\r\n").encode()
    files["mos_std.txt"] = ("\r\n".join(std) + "\r\n").encode()
    files["readme"] = b"TID2013 (replica)\r\n"
    return {"tid2013.rar": pack_rar(files)}, ReplicaFacts(len(lines))


def _kadid10k(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """kadid10k.zip: kadid10k/dmos.csv (dist_img, ref_img, dmos, var; MOS 1-5) and kadid10k/images/*.png."""
    files, rows = {}, []
    for r in range(1, 4):
        reference = photos.get(r + 4, *BIQA_SIZE)
        files[f"kadid10k/images/I{r:02d}.png"] = encode(reference, "PNG")
        for t, kind in ((1, "blur"), (9, "noise"), (10, "jpeg")):
            for level in (1, 4):
                name = f"I{r:02d}_{t:02d}_{level:02d}.png"
                files[f"kadid10k/images/{name}"] = encode(degrade(reference, kind, level, derive_seed("kadid", name)),
                                                          "PNG")
                rows.append({"dist_img": name, "ref_img": f"I{r:02d}.png",
                             "dmos": round(quality(level, 4, 1, 5, 0.1 * r), 2), "var": 0.5})
    files["kadid10k/dmos.csv"] = pd.DataFrame(rows).to_csv(index=False).encode()
    return {"kadid10k.zip": pack_zip(files)}, ReplicaFacts(len(rows))


def _authentic_scores(n: int, low: float, high: float, tag: str) -> tuple[list[np.ndarray], list[float]]:
    """(degradation plan, score) for n 'in the wild' images: a mix of blur/noise/jpeg at known strengths."""
    rng = np.random.default_rng(derive_seed("authentic", tag))
    plan, scores = [], []
    for k in range(n):
        level = int(rng.integers(0, 5))
        plan.append((("blur", "noise", "jpeg")[k % 3], level))
        scores.append(round(quality(level, 5, low, high, float(rng.uniform(0, 0.5))), 4))
    return plan, scores


def _photo(photos: Photos, k: int, size: tuple[int, int], plan, tag: str) -> np.ndarray:
    kind, level = plan[k]
    image = photos.get(k, *size)
    return image if level == 0 else degrade(image, kind, level, derive_seed(tag, k))


def _koniq10k(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """koniq10k_1024x768.zip (1024x768/<id>.jpg), koniq10k_scores_and_distributions.zip (the scores CSV:
    image_name, c1-c5 counts, c_total, MOS 1-5, SD, MOS_zscore) and koniq10k_distributions_sets.csv (image_name,
    c1-c5 fractions, c_total, MOS 0-100, SD, set)."""
    n = 12
    plan, scores = _authentic_scores(n, 1.2, 4.3, "koniq")
    names = [f"{10004473376 + 7919 * k}.jpg" for k in range(n)]
    images = {f"1024x768/{name}": encode(_photo(photos, k, BIQA_SIZE, plan, "koniq"), "JPEG")
              for k, name in enumerate(names)}
    sets = ["training"] * 6 + ["validation"] * 2 + ["test"] * 4
    rows, set_rows = [], []
    for name, score, split in zip(names, scores, sets):
        counts = np.bincount(np.clip(np.round(np.full(100, score)).astype(int), 1, 5) - 1, minlength=5)
        zscore = (score - 1) * 25
        rows.append({"image_name": name, **{f"c{i + 1}": int(c) for i, c in enumerate(counts)}, "c_total": 100,
                     "MOS": score, "SD": 0.5, "MOS_zscore": zscore})
        set_rows.append({"image_name": name, **{f"c{i + 1}": c / 100 for i, c in enumerate(counts)},
                         "c_total": 100, "MOS": zscore, "SD": 0.5, "set": split})
    scores_zip = pack_zip({"koniq10k_scores_and_distributions.csv": pd.DataFrame(rows).to_csv(index=False).encode()})
    return ({"koniq10k_1024x768.zip": pack_zip(images), "koniq10k_scores_and_distributions.zip": scores_zip,
             "koniq10k_distributions_sets.csv": pd.DataFrame(set_rows).to_csv(index=False).encode()},
            ReplicaFacts(n, splits={"train": 6, "validation": 2, "test": 4}))


def _liveitw(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """ChallengeDB_release.zip: Data/AllImages_release.mat (1169x1 cell in the release), AllMOS_release.mat and
    AllStdDev_release.mat (1x1169), Images/<n>.bmp, the 7 training images under Images/trainingImages/."""
    n_training, n_test = 7, 12
    plan, scores = _authentic_scores(n_training + n_test, 5, 92, "liveitw")
    top, files, names = "ChallengeDB_release", {}, []
    for k in range(n_training + n_test):
        name = f"t{k + 1}.bmp" if k < n_training else f"{k + 3}.bmp"
        folder = "Images/trainingImages" if k < n_training else "Images"
        size = (40, 40) if k < n_training else (192, 192)
        files[f"{top}/{folder}/{name}"] = encode(_photo(photos, k, size, plan, "liveitw"), "BMP")
        names.append(name)
    files[f"{top}/Data/AllImages_release.mat"] = mat(AllImages_release=cell_column(names))
    files[f"{top}/Data/AllMOS_release.mat"] = mat(AllMOS_release=np.array([scores]))
    files[f"{top}/Data/AllStdDev_release.mat"] = mat(AllStdDev_release=np.full((1, len(names)), 15.0))
    files[f"{top}/README.txt"] = b"LIVE In the Wild Image Quality Challenge Database (replica)\n"
    return {"ChallengeDB_release.zip": pack_zip(files)}, ReplicaFacts(n_test, splits={"test": n_test})


_ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _cid2013(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """CID2013.7z: CID2013/IS<k>/co<c>/IS_<roman>_C<cc>_D<dd>.jpg and 'CID2013 data - version 12112014.xlsx'
    (sheet 'CID2013 MOS' with Source_ID and 'Realigned MOS' among other columns); one image left unrated."""
    files, rows, k = {}, [], 0
    plan, scores = _authentic_scores(13, -5, 85, "cid2013")
    for s in range(6):
        for c in (1, 2) if s in (0, 5) else (1,):
            image_id = f"IS_{_ROMAN[s]}_C{c:02d}_D{s + 1:02d}"
            files[f"CID2013/IS{s + 1}/co{c}/{image_id}.jpg"] = encode(_photo(photos, k, BIQA_SIZE, plan, "cid"),
                                                                      "JPEG")
            rated = k != 3
            rows.append({"Source_ID": image_id, "Image set": s + 1, "Realigned MOS": scores[k] if rated else None,
                         "Image set specific  MOS": scores[k] if rated else None, "Sharpness": 50.0})
            k += 1
    table = pd.DataFrame(rows)
    files["CID2013/CID2013 data - version 12112014.xlsx"] = xlsx(
        {"Readme": pd.DataFrame({"text": ["CID2013 (replica)"]}), "CID2013 MOS": table})
    return {"CID2013.7z": pack_7z(files)}, ReplicaFacts(int(table["Realigned MOS"].notna().sum()))


def _spaq(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """SPAQ.zip: SPAQ/TestImage/<nnnnn>.jpg and SPAQ/Annotations/ with 'MOS and Image attribute scores.xlsx'
    (Image name, MOS, Brightness, Colorfulness, Contrast, Noisiness, Sharpness), EXIF_tags.xlsx and
    'Scene category labels.xlsx'."""
    n = 12
    plan, scores = _authentic_scores(n, 5, 95, "spaq")
    files, rows = {}, []
    rng = np.random.default_rng(derive_seed("spaq-attributes"))
    for k in range(n):
        name = f"{k + 1:05d}.jpg"
        image = _photo(photos, k, BIQA_SIZE, plan, "spaq")
        files[f"SPAQ/TestImage/{name}"] = encode(image, "JPEG")
        grey = image.mean(axis=2)
        rows.append({"Image name": name, "MOS": scores[k], "Brightness": round(grey.mean() / 2.55, 2),
                     "Colorfulness": round(float(image.std(axis=2).mean()), 2), "Contrast": round(grey.std(), 2),
                     "Noisiness": round(float(rng.uniform(20, 80)), 2), "Sharpness": round(scores[k] * 0.9, 2)})
    annotations = "SPAQ/Annotations"
    files[f"{annotations}/MOS and Image attribute scores.xlsx"] = xlsx({"Sheet1": pd.DataFrame(rows)})
    files[f"{annotations}/Scene category labels.xlsx"] = xlsx(
        {"Sheet1": pd.DataFrame({"Image name": [r["Image name"] for r in rows], "Scene": 1})})
    files[f"{annotations}/EXIF_tags.xlsx"] = xlsx(
        {"Sheet1": pd.DataFrame({"Image name": [r["Image name"] for r in rows], "Focal length": 4.0})})
    return {"SPAQ.zip": pack_zip(files)}, ReplicaFacts(n)


def _ic9600(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """IC9600.zip: IC9600/images/<category>_<n>.jpg, train.txt and test.txt ("<name>  <score>", [0, 1])."""
    files, lists = {}, {"train.txt": [], "test.txt": []}
    for k in range(10):
        name = f"{('abstract', 'architecture', 'objects', 'paintings', 'scenes')[k % 5]}_{k:04d}.jpg"
        image = photos.get(k, *BIQA_SIZE)
        files[f"IC9600/images/{name}"] = encode(image, "JPEG")
        edges = np.abs(np.diff(image.astype(float).mean(axis=2), axis=1)).mean() / 40
        lists["train.txt" if k < 7 else "test.txt"].append(f"{name}  {min(1.0, round(float(edges), 4))}")
    for list_name, lines in lists.items():
        files[f"IC9600/{list_name}"] = ("\n".join(lines) + "\n").encode()
    return {"IC9600.zip": pack_zip(files)}, ReplicaFacts(10)


def _gopro(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """GOPRO_Large.zip: GOPRO_Large/{train,test}/GOPR<seq>/{blur,blur_gamma,sharp}/<frame>.png."""
    files, counts = {}, {"train": 0, "test": 0}
    sequences = {"train": ["GOPR0372_07_00", "GOPR0374_11_00"], "test": ["GOPR0384_11_00"]}
    k = 0
    for split, names in sequences.items():
        for sequence in names:
            for frame in range(2):
                sharp = photos.get(k, 128, 72)
                blurred = degrade(sharp, "blur", 2, 0)
                stem = f"GOPRO_Large/{split}/{sequence}"
                files[f"{stem}/sharp/{frame + 47:06d}.png"] = encode(sharp, "PNG")
                files[f"{stem}/blur/{frame + 47:06d}.png"] = encode(blurred, "PNG")
                files[f"{stem}/blur_gamma/{frame + 47:06d}.png"] = encode(blurred, "PNG")
                counts[split] += 1
                k += 1
    return {"GOPRO_Large.zip": pack_zip(files)}, ReplicaFacts(sum(counts.values()), splits=counts)


def _realblur(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """RealBlur.tar.gz: RealBlur-J_ECC_IMCORR_centroid_itensity_ref/ and RealBlur-R_BM3D_ECC_IMCORR_centroid_
    itensity_ref/ (sceneNNN/{blur,gt}/{blur,gt}_<k>.png) and RealBlur_{J,R}_{train,test}_list.txt
    ("<gt> <blur>")."""
    files, counts = {}, {"train": 0, "test": 0}
    for variant, folder in (("J", "RealBlur-J_ECC_IMCORR_centroid_itensity_ref"),
                            ("R", "RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref")):
        lists = {"train": [], "test": []}
        for s, split in enumerate(("train", "train", "test")):
            scene = f"scene{s + 1:03d}"
            for k in (1, 2):
                sharp = photos.get(3 * s + k, 96, 112)
                gt, blur = f"{folder}/{scene}/gt/gt_{k}.png", f"{folder}/{scene}/blur/blur_{k}.png"
                files[gt], files[blur] = encode(sharp, "PNG"), encode(degrade(sharp, "blur", 2, 0), "PNG")
                lists[split].append(f"{gt} {blur}")
                counts[split] += 1
        for split, lines in lists.items():
            files[f"RealBlur_{variant}_{split}_list.txt"] = ("\n".join(lines) + "\n").encode()
    return {"RealBlur.tar.gz": pack_targz(files)}, ReplicaFacts(sum(counts.values()), splits=counts)


def _realsr(photos: Photos) -> tuple[Archives, ReplicaFacts]:
    """RealSR(V3).tar.gz: RealSR(V3)/<Camera>/<Train|Test>/<scale>/<Camera>_<NNN>_HR.png + _LR<scale>.png
    (LR smaller than HR in V3)."""
    files, k = {}, 0
    for camera in ("Canon", "Nikon"):
        for split, n in (("Train", 2), ("Test", 2)):
            for scale in (2, 3, 4):
                for i in range(n):
                    hr = photos.get(k, 96, 96)
                    lr = np.asarray(Image.fromarray(hr).resize((96 // scale, 96 // scale), Image.BICUBIC))
                    stem = f"RealSR(V3)/{camera}/{split}/{scale}/{camera}_{i + 1:03d}"
                    files[f"{stem}_HR.png"], files[f"{stem}_LR{scale}.png"] = encode(hr, "PNG"), encode(lr, "PNG")
                    k += 1
    return {"RealSR(V3).tar.gz": pack_targz(files)}, ReplicaFacts(k, splits={"train": k // 2, "test": k // 2})


BUILDERS: dict[str, Callable[[Photos], tuple[Archives, ReplicaFacts]]] = {
    "csiq": _csiq, "live": _live, "tid2013": _tid2013, "kadid10k": _kadid10k, "koniq10k": _koniq10k,
    "liveitw": _liveitw, "cid2013": _cid2013, "spaq": _spaq, "ic9600": _ic9600, "gopro": _gopro,
    "realblur": _realblur, "realsr": _realsr,
}


def build_replicas(out: str | Path, names: list[str] | None = None) -> dict[str, ReplicaFacts]:
    """Write <out>/<dataset>/<archive file> for each set (all 12 by default); return each replica's facts."""
    out, photos, facts = Path(out), Photos(), {}
    for name in names or list(BUILDERS):
        archives, facts[name] = BUILDERS[name](photos)
        for filename, payload in archives.items():
            target = out / name / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
    return facts


def replica_registry(registry_yaml: dict[str, Any], facts: dict[str, ReplicaFacts], base_url: str) -> dict[str, Any]:
    """The shipped registry (parsed YAML) with direct sets' URLs pointing at `base_url`/<dataset>/<file> and
    each set's row count, splits and size-dependent parser options set to its replica's."""
    data = copy.deepcopy(registry_yaml)
    for name, fact in facts.items():
        entry = data["datasets"][name]
        if entry["access"] == "direct":
            for spec in entry["files"]:
                spec["url"] = f"{base_url.rstrip('/')}/{name}/{spec['filename']}"
        for spec in entry["files"]:
            spec.update(size=None, sha256=None, md5=None)
        entry["expected_rows"] = fact.expected_rows
        entry["splits"] = fact.splits
        if fact.label_options:
            entry["labels"]["options"] = {**(entry["labels"].get("options") or {}), **fact.label_options}
        entry["notes"] = f"REPLICA of the release (ddr.data.replicas), not the data. {entry.get('notes', '')}"
    return data


def write_replica_registry(path: str | Path, registry_path: str | Path, facts: dict[str, ReplicaFacts],
                           base_url: str) -> Path:
    raw = yaml.safe_load(Path(registry_path).read_text(encoding="utf-8"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(replica_registry(raw, facts, base_url), sort_keys=False), encoding="utf-8")
    return path
