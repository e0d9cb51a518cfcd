"""LPIPS (Zhang et al., CVPR 2018): learned, channel-weighted distance between normalised deep features.

d(x, y) = sum_l mean_hw || w_l * (f_l(x) / |f_l(x)| - f_l(y) / |f_l(y)|) ||^2, with f_l the activations of an
ImageNet CNN at five ReLU layers and w_l non-negative per-channel weights learned on human judgements.
The linear weights ship inside the `lpips` PyPI wheel (weights/v0.1/{vgg,alex}.pth); we read that file when
the package is installed (without importing it) and otherwise use unit weights, and say which in
`.provenance`. The backbone comes from `feature_nets.load_feature_net` (ImageNet weights or a stand-in).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from ..feature_nets import is_stand_in, load_feature_net
from .base import LossTerm, check_pair

LPIPS_NETS = {
    "vgg": ("vgg16", ["relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"]),
    "alex": ("alexnet", ["relu1", "relu2", "relu3", "relu4", "relu5"]),
}


def lpips_weights_file(net: str, version: str = "0.1") -> Path | None:
    """Path of the `lpips` package's linear-layer weights for `net`, or None when it is not installed."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / f"v{version}" / f"{net}.pth"
    return path if path.exists() else None


def _load_linear(net: str, version: str, channels: list[int]) -> tuple[list[torch.Tensor], str]:
    path = lpips_weights_file(net, version)
    if path is None:
        return [torch.ones(c) for c in channels], "unit weights (lpips package not installed)"
    state = torch.load(path, map_location="cpu", weights_only=True)
    ws = [state[f"lin{i}.model.1.weight"].flatten().float() for i in range(len(channels))]
    if [w.numel() for w in ws] != channels:
        raise ValueError(f"{path}: linear weights have {[w.numel() for w in ws]} channels, expected {channels}")
    return ws, f"lpips v{version} linear layers ({path.name} from the lpips package)"


class LPIPSLoss(LossTerm):
    def __init__(self, net: str = "vgg", version: str = "0.1", weights: str = "imagenet",
                 cache_dir: str | None = None, linear: str = "auto", seed: int = 0):
        super().__init__()
        if net not in LPIPS_NETS:
            raise ValueError(f"lpips net must be one of {sorted(LPIPS_NETS)}, got {net!r}")
        backbone, self.layers = LPIPS_NETS[net]
        self.features, info = load_feature_net(backbone, weights, cache_dir, seed=seed)
        with torch.no_grad():
            channels = [f.shape[1] for f in self.features(torch.zeros(1, 3, 64, 64), self.layers)]
        if linear == "unit":
            ws, lin_src = [torch.ones(c) for c in channels], "unit weights (requested)"
        elif linear == "auto":
            ws, lin_src = _load_linear(net, version, channels)
        else:
            raise ValueError(f"lpips linear must be 'auto' or 'unit', got {linear!r}")
        for i, w in enumerate(ws):
            self.register_buffer(f"lin{i}", w.view(1, -1, 1, 1), persistent=False)
        if is_stand_in(info):
            lin_src += "; meaningless on a stand-in backbone"
        self.provenance = {"term": "lpips", "net": net, **info, "linear": lin_src}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(pred, target, "lpips loss")
        fx = self.features(pred, self.layers)
        fy = self.features(target, self.layers)
        total = pred.new_zeros(pred.shape[0])
        for i, (a, b) in enumerate(zip(fx, fy)):
            a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + ((a - b).pow(2) * getattr(self, f"lin{i}")).sum(1).mean(dim=(-2, -1))
        return total.mean()
