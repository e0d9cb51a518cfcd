"""The embedded mini dataset: a tiny, offline, byte-reproducible stand-in for the paper's datasets.

Why: the default pipeline profile must run end to end without downloads or licence requests. Every image here is
derived from photographs bundled inside scikit-image and scikit-learn, degraded with `ddr.degrade` using seeds derived
from names, and written as PNG with fixed options (no timestamps), so the same pinned packages give the same bytes.

Layout under the output root:
    quality/refs/*.png, quality/dist/*.png, quality/labels.csv, quality/levels.csv
        an FR-style set like KADID in miniature. labels.csv has the normalised label columns of the real-data parsers
        (image, score, direction, ref, dist_type, dist_level, split; paths relative to quality/). Its score is a
        SYNTHETIC quality derived from the known degradation ordering (references n_levels + 1, level k gets
        n_levels + 1 - k), i.e. an ordering within each reference and type, NOT a human opinion score. split is
        "heldout" for about a third of the references (used to choose pixel-domain "optimal" levels) and "test" for
        the rest. levels.csv gives the operator level behind each (dist_type, dist_level).
    deblur/{train,test}/{blur,sharp}/*.png, deblur/pairs.csv
        synthetic motion-blur pairs (one seeded line kernel per pair) cropped from the references: train from the
        "test" references, test from the "heldout" ones.
    sr/{train,test}/{lr,hr}/*.png, sr/pairs.csv
        bicubic down by `sr_scale` then bicubic up to the HR size ("LR pre-upsampled to HR size"), same splits.
    manifest.json
        every file with its sha256, the build parameters, the source images and the package versions that matter.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from PIL import Image

from ddr.degrade import OPERATORS, motion_blur, to_uint8
from ddr.util.atomic import new_file_mode

MANIFEST_FORMAT = "ddr-mini/1"
LABEL_COLUMNS = ("image", "score", "direction", "ref", "dist_type", "dist_level", "split")


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        image = getattr(data, name)()
        return image[0] if isinstance(image, tuple) else image  # stereo_motorcycle -> (left, right, disparity)

    return load


def _sklearn(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(filename)

    return load


# Colour photographs shipped inside the wheels (no pooch download), in the order they are used. Grey images are left
# out on purpose: a saturation change would leave them untouched and break the known quality ordering.
SOURCES: dict[str, tuple[str, Callable[[], np.ndarray]]] = {
    "astronaut": ("skimage.data.astronaut", _skimage("astronaut")),
    "chelsea": ("skimage.data.chelsea", _skimage("chelsea")),
    "coffee": ("skimage.data.coffee", _skimage("coffee")),
    "rocket": ("skimage.data.rocket", _skimage("rocket")),
    "china": ("sklearn.datasets.load_sample_image('china.jpg')", _sklearn("china.jpg")),
    "flower": ("sklearn.datasets.load_sample_image('flower.jpg')", _sklearn("flower.jpg")),
    "motorcycle": ("skimage.data.stereo_motorcycle()[0]", _skimage("stereo_motorcycle")),
    "immunohistochemistry": ("skimage.data.immunohistochemistry", _skimage("immunohistochemistry")),
    "hubble": ("skimage.data.hubble_deep_field", _skimage("hubble_deep_field")),
    "retina": ("skimage.data.retina", _skimage("retina")),
}

DEFAULT_TYPES = ("blur", "noise", "jpeg", "color", "exposure", "motion_blur")


def _default_levels() -> dict[str, list[float]]:
    """Four levels per type, mildest first (units as in ddr.degrade: sigma px, sigma, quality, factor, EV, px)."""
    return {
        "blur": [0.75, 1.5, 2.5, 4.0],
        "noise": [0.02, 0.05, 0.1, 0.2],
        "jpeg": [60, 30, 15, 5],
        "color": [0.6, 0.35, 0.15, 0.0],
        "exposure": [0.75, 1.5, 2.25, 3.0],
        "motion_blur": [5, 9, 15, 21],
    }


@dataclass
class MiniConfig:
    """Build parameters; every field can be overridden from the pipeline's config (section `mini`)."""

    seed: int = 0
    width: int = 320  # reference size: not square, so the BIQA patch scheme is exercised with two patches
    height: int = 240
    n_refs: int = 9
    heldout_fraction: float = 1 / 3
    types: tuple[str, ...] = DEFAULT_TYPES
    levels: dict[str, list[float]] = field(default_factory=_default_levels)
    crop_size: int = 128  # deblur / SR patch side
    deblur_train_per_ref: int = 4
    deblur_test_per_ref: int = 2
    deblur_length: tuple[float, float] = (7.0, 21.0)  # motion-kernel length range in px (uniform, seeded)
    sr_scale: int = 2
    sr_train_per_ref: int = 4
    sr_test_per_ref: int = 2

    def __post_init__(self) -> None:
        self.types = tuple(self.types)
        self.deblur_length = tuple(float(v) for v in self.deblur_length)
        self.levels = {kind: list(values) for kind, values in self.levels.items()}
        self.validate()

    @property
    def n_levels(self) -> int:
        return len(self.levels[self.types[0]])

    @property
    def n_heldout(self) -> int:
        return int(round(self.n_refs * self.heldout_fraction))

    def validate(self) -> None:
        """Raise ValueError naming the offending field; catches misordered levels before any file is written."""
        if not 3 <= self.n_refs <= len(SOURCES):
            raise ValueError(
                f"mini config: n_refs must be in [3, {len(SOURCES)}] (bundled photographs), got {self.n_refs}"
            )
        if not 1 <= self.n_heldout < self.n_refs:
            raise ValueError(
                f"mini config: heldout_fraction {self.heldout_fraction} gives {self.n_heldout} held-out references "
                f"out of {self.n_refs}; need at least one held-out and one test reference"
            )
        if min(self.width, self.height) < 32:
            raise ValueError(f"mini config: width and height must be >= 32, got {self.width}x{self.height}")
        if not self.types:
            raise ValueError("mini config: types is empty")
        for kind in self.types:
            if kind not in OPERATORS:
                raise ValueError(f"mini config: unknown degradation type {kind!r}; known: {sorted(OPERATORS)}")
            if kind not in self.levels:
                raise ValueError(f"mini config: no levels given for type {kind!r}")
            values = self.levels[kind]
            if len(values) != len(self.levels[self.types[0]]) or len(values) < 2:
                raise ValueError(
                    f"mini config: every type needs the same number (>= 2) of levels; {kind!r} has {values}"
                )
            severities = [OPERATORS[kind].severity(OPERATORS[kind].check(v)) for v in values]
            if any(a >= b for a, b in zip(severities, severities[1:])):
                raise ValueError(
                    f"mini config: levels for {kind!r} must go from mildest to most degraded "
                    f"({OPERATORS[kind].more_degraded}), got {values}"
                )
        if not 8 <= self.crop_size <= min(self.width, self.height):
            raise ValueError(f"mini config: crop_size {self.crop_size} must be in [8, min(width, height)]")
        if self.sr_scale < 2 or self.crop_size % self.sr_scale:
            raise ValueError(f"mini config: sr_scale must be >= 2 and divide crop_size, got {self.sr_scale}")
        low, high = self.deblur_length
        if not 1 < low <= high or high > min(self.width, self.height) // 2:
            raise ValueError(
                f"mini config: deblur_length must satisfy 1 < min <= max <= side/2, got {self.deblur_length}"
            )
        for name in ("deblur_train_per_ref", "deblur_test_per_ref", "sr_train_per_ref", "sr_test_per_ref"):
            if getattr(self, name) < 1:
                raise ValueError(f"mini config: {name} must be >= 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "MiniConfig":
        """Defaults overridden by `values`; `levels` is merged per type; unknown keys are an error."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"mini config: unknown key(s) {unknown}; known: {sorted(known)}")
        if "levels" in values:
            values["levels"] = {**_default_levels(), **dict(values["levels"] or {})}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (tuples as lists) for the manifest."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def derive_seed(*parts: Any) -> int:
    """A 31-bit seed from names and numbers; stable across runs and machines (unlike Python's hash())."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def centre_crop_resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Largest centred crop with the target aspect ratio, then Pillow bicubic (antialiased) resize; RGB uint8."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = np.ascontiguousarray(image[..., :3].astype(np.uint8))
    rows, cols = image.shape[:2]
    crop_w = min(cols, (rows * width) // height)
    crop_h = min(rows, (cols * height) // width)
    top, left = (rows - crop_h) // 2, (cols - crop_w) // 2
    crop = Image.fromarray(image[top : top + crop_h, left : left + crop_w], mode="RGB")
    return np.asarray(crop.resize((width, height), Image.Resampling.BICUBIC), dtype=np.uint8)


def png_bytes(array: np.ndarray) -> bytes:
    """PNG with fixed options and no metadata chunks (no time, no text), so equal pixels give equal bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array, mode="RGB").save(buffer, format="PNG", compress_level=1, optimize=False)
    return buffer.getvalue()


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    # float64 so that rounding back to 8 bits does not depend on the CPU's SIMD summation order
    return torch.from_numpy(array.copy()).permute(2, 0, 1).to(torch.float64) / 255.0


class _Writer:
    """Writes files under a root and remembers their sha256 for the manifest."""

    def __init__(self, root: Path):
        self.root = root
        self.hashes: dict[str, str] = {}

    def bytes(self, relative: str, payload: bytes) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        self.hashes[relative] = hashlib.sha256(payload).hexdigest()

    def png(self, relative: str, array: np.ndarray) -> None:
        self.bytes(relative, png_bytes(array))

    def csv(self, relative: str, header: tuple[str, ...], rows: list[tuple]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        self.bytes(relative, buffer.getvalue().encode("utf-8"))


def _format_level(value: float) -> str:
    return repr(float(value)) if float(value) != int(value) else str(int(value))


def _load_references(config: MiniConfig) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    refs, sources = {}, []
    for name in list(SOURCES)[: config.n_refs]:
        origin, load = SOURCES[name]
        raw = np.ascontiguousarray(load())
        refs[name] = centre_crop_resize(raw, config.width, config.height)
        sources.append({
            "name": name,
            "origin": origin,
            "shape": list(raw.shape),
            "pixels_sha256": hashlib.sha256(raw.tobytes()).hexdigest(),
        })
    return refs, sources


def _heldout(config: MiniConfig, names: list[str]) -> set[str]:
    order = np.random.default_rng(derive_seed(config.seed, "heldout")).permutation(len(names))
    return {names[i] for i in order[: config.n_heldout]}


def _build_quality(out: _Writer, config: MiniConfig, refs: dict[str, np.ndarray], heldout: set[str]) -> None:
    top_score = config.n_levels + 1
    rows = []
    for name, array in refs.items():
        split = "heldout" if name in heldout else "test"
        ref_path = f"refs/{name}.png"
        out.png(f"quality/{ref_path}", array)
        rows.append((ref_path, top_score, "higher_better", ref_path, "", 0, split))
        image = _to_tensor(array)
        for kind in config.types:
            for index, level in enumerate(config.levels[kind], start=1):
                seed = derive_seed(config.seed, name, kind, index)
                params = {}
                if kind == "motion_blur":  # a seeded direction per image and level
                    params["angle"] = round(float(np.random.default_rng(seed).uniform(0.0, 180.0)), 2)
                degraded = OPERATORS[kind](image, level, seed=seed, **params)
                dist_path = f"dist/{name}_{kind}_{index}.png"
                out.png(f"quality/{dist_path}", to_uint8(degraded))
                rows.append((dist_path, top_score - index, "higher_better", ref_path, kind, index, split))
    out.csv("quality/labels.csv", LABEL_COLUMNS, rows)
    level_rows = [(kind, index, _format_level(level)) for kind in config.types
                  for index, level in enumerate(config.levels[kind], start=1)]
    out.csv("quality/levels.csv", ("dist_type", "dist_level", "value"), level_rows)


def _crop_origins(rng: np.random.Generator, shape: tuple[int, ...], size: int) -> tuple[int, int]:
    top = int(rng.integers(0, shape[0] - size + 1))
    left = int(rng.integers(0, shape[1] - size + 1))
    return top, left


def _split_plan(config: MiniConfig, refs: dict[str, np.ndarray], heldout: set[str], train_n: int, test_n: int):
    """(split, reference name, patch index, count) in a fixed order: train from test refs, test from held-out refs."""
    for split, names, count in (("train", [n for n in refs if n not in heldout], train_n),
                                ("test", [n for n in refs if n in heldout], test_n)):
        for name in names:
            for k in range(count):
                yield split, name, k


def _build_deblur(out: _Writer, config: MiniConfig, refs: dict[str, np.ndarray], heldout: set[str]) -> None:
    rows, size = [], config.crop_size
    low, high = config.deblur_length
    for split, name, k in _split_plan(config, refs, heldout, config.deblur_train_per_ref, config.deblur_test_per_ref):
        rng = np.random.default_rng(derive_seed(config.seed, "deblur", split, name, k))
        length = round(float(rng.uniform(low, high)), 2)
        angle = round(float(rng.uniform(0.0, 180.0)), 2)
        top, left = _crop_origins(rng, refs[name].shape, size)
        blurred = to_uint8(motion_blur(_to_tensor(refs[name]), length, angle))  # whole image, so no crop border
        stem = f"{split}/%s/{name}_{k:02d}.png"
        out.png(f"deblur/{stem % 'blur'}", np.ascontiguousarray(blurred[top : top + size, left : left + size]))
        out.png(f"deblur/{stem % 'sharp'}", np.ascontiguousarray(refs[name][top : top + size, left : left + size]))
        kernel = (_format_level(length), _format_level(angle))
        rows.append((stem % "blur", stem % "sharp", split, name, *kernel, top, left))
    out.csv("deblur/pairs.csv", ("blur", "sharp", "split", "ref", "kernel_length", "kernel_angle", "top", "left"), rows)


def _build_sr(out: _Writer, config: MiniConfig, refs: dict[str, np.ndarray], heldout: set[str]) -> None:
    rows, size, scale = [], config.crop_size, config.sr_scale
    for split, name, k in _split_plan(config, refs, heldout, config.sr_train_per_ref, config.sr_test_per_ref):
        rng = np.random.default_rng(derive_seed(config.seed, "sr", split, name, k))
        top, left = _crop_origins(rng, refs[name].shape, size)
        hr = np.ascontiguousarray(refs[name][top : top + size, left : left + size])
        small = Image.fromarray(hr, mode="RGB").resize((size // scale, size // scale), Image.Resampling.BICUBIC)
        lr_up = np.asarray(small.resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)
        stem = f"{split}/%s/{name}_{k:02d}.png"
        out.png(f"sr/{stem % 'lr'}", lr_up)
        out.png(f"sr/{stem % 'hr'}", hr)
        rows.append((stem % "lr", stem % "hr", split, name, scale, top, left))
    out.csv("sr/pairs.csv", ("lr", "hr", "split", "ref", "scale", "top", "left"), rows)


def _versions() -> dict[str, str]:
    names = {"scikit-image": "scikit-image", "scikit-learn": "scikit-learn", "Pillow": "pillow",
             "torch": "torch", "numpy": "numpy"}
    return {label: metadata.version(dist) for label, dist in names.items()}


# What a mini build writes at its top level. Snakemake deletes the declared output manifest.json before a rerun,
# so an earlier build is recognised by its layout, not by the manifest alone.
BUILD_ENTRIES = frozenset({"quality", "deblur", "sr", "manifest.json"})


def _staging_prefix(root: Path) -> str:
    return f".{root.name}.building-"


def _prepare_root(root: Path) -> None:
    """Refuse to overwrite a folder that is not an earlier mini build (its contents would be deleted); remove the
    staging folders an interrupted build left beside it."""
    for stale in root.parent.glob(_staging_prefix(root) + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    if not root.exists():
        return
    if not root.is_dir():
        raise FileExistsError(f"{root}: exists and is not a directory")
    foreign = sorted(entry.name for entry in root.iterdir() if entry.name not in BUILD_ENTRIES)
    if foreign:
        raise FileExistsError(
            f"{root}: not a mini dataset build (it holds {', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''},"
            " which a build never writes); refusing to replace it"
        )


def build_mini(root: str | Path, config: MiniConfig | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the mini dataset under `root` (replacing an earlier build there) and return its manifest.

    The build happens in a sibling temporary folder that is renamed into place at the end, so an interrupted run
    never leaves a half-written dataset that looks complete.
    """
    config = config if isinstance(config, MiniConfig) else MiniConfig.from_mapping(config)
    root = Path(root)
    _prepare_root(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(root), dir=root.parent))
    staging.chmod(new_file_mode(directory=True))  # mkdtemp's 0700 would become the dataset folder's mode
    threads = torch.get_num_threads()
    # the tensors here are small: intra-op threads cost more than they save, badly so on a shared machine
    torch.set_num_threads(1)
    try:
        out = _Writer(staging)
        refs, sources = _load_references(config)
        heldout = _heldout(config, list(refs))
        _build_quality(out, config, refs, heldout)
        _build_deblur(out, config, refs, heldout)
        _build_sr(out, config, refs, heldout)
        manifest = {
            "format": MANIFEST_FORMAT,
            "params": config.to_dict(),
            "sources": sources,
            "heldout_refs": sorted(heldout),
            "versions": _versions(),
            "files": dict(sorted(out.hashes.items())),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        torch.set_num_threads(threads)
    return manifest


def _read_config(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            values = yaml.safe_load(handle) or {}
    except OSError as error:
        raise SystemExit(f"{path}: cannot read config ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise SystemExit(f"{path}: not valid YAML ({error})") from None
    if not isinstance(values, dict):
        raise SystemExit(f"{path}: expected a mapping of mini config keys")
    return values.get("mini", values) or {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ddr.data.mini", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="output root (replaced if it holds an earlier mini build)")
    parser.add_argument("--config", help="YAML file with MiniConfig keys, at the top level or under 'mini:'")
    args = parser.parse_args(argv)
    try:
        manifest = build_mini(args.out_dir, MiniConfig.from_mapping(_read_config(args.config)))
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.out_dir}: {len(manifest['files'])} files, manifest.json written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
