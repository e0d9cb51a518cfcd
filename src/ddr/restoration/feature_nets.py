"""Frozen ImageNet CNNs (VGG16, VGG19, AlexNet) as feature extractors for the perceptual losses.

Why a module of its own: the ImageNet weights are a download (download.pytorch.org) that this project's
machines cannot make. `load_feature_net` loads them from the torch hub cache when they are there (verifying
the sha256 prefix torchvision puts in the file name), downloads them only when downloads are allowed, and
otherwise returns a seeded, randomly initialised stand-in with the same architecture. The returned `info`
says which one you got, and every loss built on it repeats that in its `.provenance`, so no number from a
stand-in can pass for a real perceptual loss.

Downloads are forbidden when `allow_download=False` or the environment variable DDR_OFFLINE is set to a
non-empty value other than "0" (the tests set it).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneSpec:
    url: str            # torchvision's ImageNet checkpoint (file name carries a sha256 prefix)
    layout: tuple       # conv channel counts with "M" for max-pool (VGG) or explicit layer tuples (AlexNet)
    aliases: dict       # extra layer names (e.g. LPIPS' AlexNet relu1..relu5) -> canonical names


_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
_VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M")
# AlexNet (torchvision's "one weird trick" variant): (out_channels, kernel, stride, padding, pool_after)
_ALEX = ((64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False), (256, 3, 1, 1, False),
         (256, 3, 1, 1, True))

BACKBONES: dict[str, BackboneSpec] = {
    "vgg16": BackboneSpec("https://download.pytorch.org/models/vgg16-397923af.pth", _VGG16, {}),
    "vgg19": BackboneSpec("https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", _VGG19, {}),
    "alexnet": BackboneSpec("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", _ALEX,
                            {f"relu{i}": f"relu{i}" for i in range(1, 6)}),
}


def _vgg_layers(layout: tuple) -> tuple[nn.Sequential, list[str]]:
    """torchvision's VGG `features` (same indices, so its state dict loads) and a name per layer."""
    layers, names, c_in, block, n = [], [], 3, 1, 1
    for v in layout:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            names.append(f"pool{block}")
            block, n = block + 1, 1
        else:
            layers += [nn.Conv2d(c_in, v, 3, padding=1), nn.ReLU(inplace=False)]
            names += [f"conv{block}_{n}", f"relu{block}_{n}"]
            c_in, n = v, n + 1
    return nn.Sequential(*layers), names


def _alexnet_layers(layout: tuple) -> tuple[nn.Sequential, list[str]]:
    layers, names, c_in = [], [], 3
    for i, (c, k, s, p, pool) in enumerate(layout, start=1):
        layers += [nn.Conv2d(c_in, c, k, s, p), nn.ReLU(inplace=False)]
        names += [f"conv{i}", f"relu{i}"]
        if pool:
            layers.append(nn.MaxPool2d(3, 2))
            names.append(f"pool{i}")
        c_in = c
    return nn.Sequential(*layers), names


def _random_init(features: nn.Sequential) -> None:
    """torchvision's VGG initialisation (Kaiming normal, fan-out, zero bias) keeps activations in range."""
    for m in features:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


class FeatureNet(nn.Module):
    """Frozen CNN trunk returning the activations at named layers, for input RGB in [0, 1].

    ImageNet normalisation is applied inside (identical to LPIPS' scaling layer for [-1, 1] input).
    """

    def __init__(self, backbone: str, features: nn.Sequential, names: list[str]):
        super().__init__()
        self.backbone = backbone
        self.features = features
        self.layer_names = names
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "FeatureNet":  # always frozen
        return super().train(False)

    def index_of(self, layer: str) -> int:
        layer = BACKBONES[self.backbone].aliases.get(layer, layer)
        if layer not in self.layer_names:
            raise ValueError(f"{self.backbone} has no layer {layer!r}; layers: {self.layer_names}")
        return self.layer_names.index(layer)

    def channels(self, layers: Sequence[str]) -> list[int]:
        """Channel count at each named layer (that of the last convolution at or before it), without a forward."""
        out = []
        for name in layers:
            convs = [m for m in self.features[: self.index_of(name) + 1] if isinstance(m, nn.Conv2d)]
            out.append(convs[-1].out_channels if convs else 3)
        return out

    def forward(self, x: torch.Tensor, layers: Sequence[str]) -> list[torch.Tensor]:
        wanted = {self.index_of(name): k for k, name in enumerate(layers)}
        out: list[torch.Tensor | None] = [None] * len(layers)
        h = (x - self.mean) / self.std
        for i, mod in enumerate(self.features[: max(wanted) + 1]):
            h = mod(h)
            if i in wanted:
                out[wanted[i]] = h
        return out  # type: ignore[return-value]


def offline() -> bool:
    return os.environ.get("DDR_OFFLINE", "") not in ("", "0")


def _hash_prefix(url: str) -> str | None:
    m = re.search(r"-([a-f0-9]+)\.pth$", url)
    return m.group(1) if m else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load_imagenet_state(spec: BackboneSpec, cache_dir: Path, allow_download: bool) -> dict:
    """Return torchvision's state dict or raise RuntimeError with the reason it is unavailable."""
    path = cache_dir / spec.url.rsplit("/", 1)[1]
    if not path.exists():
        if not allow_download:
            why = "DDR_OFFLINE is set" if offline() else "downloads disabled"
            raise RuntimeError(f"ImageNet weights not in cache ({path}) and {why}")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(spec.url, str(path), hash_prefix=_hash_prefix(spec.url), progress=False)
        except Exception as exc:  # noqa: BLE001 - any failure means: use the stand-in, and say why
            raise RuntimeError(f"download of {spec.url} failed: {type(exc).__name__}: {exc}") from exc
    prefix = _hash_prefix(spec.url)
    if prefix and not _sha256(path).startswith(prefix):
        raise RuntimeError(f"{path} does not match the expected sha256 prefix {prefix}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise RuntimeError(f"cannot read {path}: {exc}") from exc


def load_feature_net(name: str, weights: str = "imagenet", cache_dir: str | os.PathLike | None = None,
                     seed: int = 0, allow_download: bool | None = None) -> tuple[FeatureNet, dict]:
    """Frozen feature trunk of `name` (vgg16 | vgg19 | alexnet) and info {"backbone", "weights"}.

    weights="imagenet": torchvision's weights from `cache_dir` (default: torch hub's checkpoints folder),
    downloaded there only if allowed; on any failure a stand-in with `weights = "stand-in (<reason>)"`.
    weights="random": the seeded random stand-in, on purpose.
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown feature backbone {name!r}; known: {sorted(BACKBONES)}")
    if weights not in ("imagenet", "random"):
        raise ValueError(f"weights must be 'imagenet' or 'random', got {weights!r}")
    spec = BACKBONES[name]
    make = _alexnet_layers if name == "alexnet" else _vgg_layers
    features, names = make(spec.layout)
    info: dict = {"backbone": name}
    reason = "random weights requested"
    if weights == "imagenet":
        cache = Path(cache_dir) if cache_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
        can_download = (not offline()) if allow_download is None else (allow_download and not offline())
        try:
            state = _load_imagenet_state(spec, cache, can_download)
            feats = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
            features.load_state_dict(feats)
            info.update(weights="imagenet", source=spec.url)
            return FeatureNet(name, features, names), info
        except RuntimeError as exc:
            reason = str(exc)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _random_init(features)
    info.update(weights=f"stand-in ({reason})", seed=seed)
    return FeatureNet(name, features, names), info


def is_stand_in(info: dict) -> bool:
    return str(info.get("weights", "")).startswith("stand-in")
