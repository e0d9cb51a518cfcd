"""CLIP encoders through open_clip: OpenAI-format checkpoints (TorchScript archives or state dicts),
open_clip pretrained tags, open_clip checkpoint files, and seeded random stand-ins.

Everything is built from a state dict and cast to float32 on CPU, exactly as the official code's
`clip.load(..., jit=False)` path does, so our numbers are the paper's numbers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path

import open_clip
import torch

from ddr.backbones.base import Backbone, WeightsInfo, WeightsUnavailable
from ddr.backbones.spec import BackboneSpec
from ddr.preprocess import CLIP_MEAN, CLIP_STD, Normalisation
from ddr.util.cache import cache_dir
from ddr.util.hashing import sha256_file


def downloads_allowed() -> bool:
    """Tests and offline runs set DDR_OFFLINE=1 so that nothing ever reaches for the network."""
    return os.environ.get("DDR_OFFLINE", "0") not in ("1", "true", "yes")


class ClipBackbone(Backbone):
    """An open_clip CLIP model with its tokenizer."""

    has_text = True
    square_input = True

    def __init__(self, model: torch.nn.Module, tokenizer, info: WeightsInfo):
        super().__init__()
        self.model = model.float()
        self.tokenizer = tokenizer
        self.info = info
        size = model.visual.image_size
        size = size[0] if isinstance(size, (tuple, list)) else int(size)
        self.norm = Normalisation(size=size, mean=CLIP_MEAN, std=CLIP_STD)
        self.freeze()

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(self._tower_input(pixels)).float()

    def image_tower(self) -> torch.nn.Module:
        return self.model.visual

    def encode_text(self, prompts: list[str]) -> torch.Tensor:
        tokens = self.tokenizer(prompts).to(self.device)
        return self.model.encode_text(tokens)


def _load_openai_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a TorchScript archive (what OpenAI ships) or a plain/wrapped state dict."""
    try:
        with warnings.catch_warnings():  # torch.jit.load is deprecated, but it is the format OpenAI ships
            warnings.simplefilter("ignore", FutureWarning)
            archive = torch.jit.load(str(path), map_location="cpu")
        return archive.state_dict()
    except RuntimeError:
        pass
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means "not a checkpoint"
        raise ValueError(f"{path}: not a CLIP checkpoint (neither TorchScript nor a state dict): {error}") from None
    if isinstance(loaded, dict) and "state_dict" in loaded:
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(loaded).__name__}")
    return {k.removeprefix("module."): v for k, v in loaded.items()}


def from_openai_checkpoint(path: str | os.PathLike, spec: str | None = None) -> ClipBackbone:
    """An OpenAI-format checkpoint (ViT or modified-ResNet towers) by path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    state_dict = _load_openai_state_dict(path)
    if "visual.proj" not in state_dict and "visual.attnpool.c_proj.weight" not in state_dict:
        raise ValueError(f"{path}: not an OpenAI-format CLIP state dict (no visual.proj or visual.attnpool)")
    model = open_clip.model.build_model_from_openai_state_dict(state_dict, cast_dtype=None).float().eval()
    spec = spec or str(BackboneSpec("openai-checkpoint", path=str(path)))
    info = WeightsInfo(spec=spec, weights=f"checkpoint {path.name}", sha256=sha256_file(path))
    return ClipBackbone(model, open_clip.tokenize, info)


def from_open_clip_checkpoint(arch: str, path: str | os.PathLike) -> ClipBackbone:
    """An open_clip architecture with weights from a local open_clip checkpoint file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    model = open_clip.create_model(arch, pretrained=str(path), device="cpu").float().eval()
    spec = BackboneSpec("open_clip-checkpoint", arch=arch, path=str(path))
    info = WeightsInfo(spec=str(spec), weights=f"checkpoint {path.name}", sha256=sha256_file(path))
    return ClipBackbone(model, open_clip.get_tokenizer(arch), info)


@contextlib.contextmanager
def _quiet_open_clip():
    """open_clip logs a warning for a deliberately random model; the stand-in flag already says it."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def random_stand_in(arch: str = "ViT-B-32", seed: int = 0, reason: str = "requested") -> ClipBackbone:
    """A seeded, randomly initialised CLIP: for timing, tests and offline runs; always marked stand-in."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        with _quiet_open_clip():
            model = open_clip.create_model(arch, pretrained=None, device="cpu").float().eval()
    finally:
        torch.random.set_rng_state(generator_state)
    spec = BackboneSpec("clip-random", arch=arch, seed=seed)
    info = WeightsInfo(spec=str(spec), weights="stand-in (random init)", stand_in=True,
                       reason=reason, extra={"seed": seed})
    return ClipBackbone(model, open_clip.get_tokenizer(arch), info)


def openai_weights_url(arch: str) -> tuple[str, str] | None:
    """(url, sha256) of OpenAI's released weights for an open_clip arch name; the hash is part of OpenAI's URL."""
    cfg = open_clip.get_pretrained_cfg(arch, "openai")
    url = cfg.get("url", "") if cfg else ""
    if "openaipublic" not in url:
        return None
    return url, url.rstrip("/").split("/")[-2]


def fetch_openai_weights(arch: str, root: Path | None = None, allow_download: bool = True) -> Path:
    """Download OpenAI's checkpoint for `arch` into the cache (resumable, sha256-verified) and return its path."""
    found = openai_weights_url(arch)
    if found is None:
        raise WeightsUnavailable(f"no OpenAI release known for {arch!r}")
    url, sha256 = found
    target = (root or cache_dir()) / "clip" / f"{arch}-openai.pt"
    if target.is_file() and sha256_file(target) == sha256:
        return target
    if not (allow_download and downloads_allowed()):
        raise WeightsUnavailable(f"OpenAI {arch} weights are not in {target} and downloads are disabled "
                                 "(DDR_OFFLINE=1 or clip.download: false)")
    from ddr.data.download import fetch

    try:
        fetch(url, target, sha256=sha256)
    except Exception as error:  # noqa: BLE001 - any network/verification failure becomes one clear error
        print(f"ddr: download of {url} failed: {error}", file=sys.stderr)
        raise WeightsUnavailable(f"download of OpenAI {arch} weights failed ({type(error).__name__}); "
                                 f"place a copy at {target}") from error
    return target


def from_pretrained(arch: str, tag: str) -> ClipBackbone:
    """open_clip (arch, pretrained tag). OpenAI tags go through our verified download; others through open_clip."""
    spec = BackboneSpec("clip", arch=arch, pretrained=tag)
    if tag == "openai" and openai_weights_url(arch):
        return from_openai_checkpoint(fetch_openai_weights(arch), spec=str(spec))
    if not downloads_allowed():
        raise WeightsUnavailable(f"open_clip weights {arch}:{tag} need a download and DDR_OFFLINE=1 forbids it")
    try:
        model = open_clip.create_model(arch, pretrained=tag, device="cpu", cache_dir=str(cache_dir() / "open_clip"))
    except Exception as error:  # noqa: BLE001
        raise WeightsUnavailable(f"could not obtain open_clip weights {arch}:{tag}: {error}") from error
    info = WeightsInfo(spec=str(spec), weights=tag)
    return ClipBackbone(model.float().eval(), open_clip.get_tokenizer(arch), info)
