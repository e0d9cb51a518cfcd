"""Named restoration network configurations and the `build_network` factory.

A network spec is either a registered name ("nafnet-gopro") or a dict {"arch": "nafnet"|"restormer", ...}
whose other keys are constructor arguments; a dict may also name a base config: {"name": "nafnet-tiny",
"width": 8}. NAFNet-Local is the key `local_train_size` (e.g. 256), usually set only at test time.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping

import torch
from torch import nn

from .nafnet import NAFNet
from .restormer import Restormer

ARCHITECTURES: dict[str, type[nn.Module]] = {"nafnet": NAFNet, "restormer": Restormer}

NAMED_CONFIGS: dict[str, dict[str, Any]] = {
    # Trains on a CPU in seconds: the smoke-test / mini-profile network. It starts as the identity so that a
    # few dozen iterations improve on the input instead of first unlearning the random output layer.
    "nafnet-tiny": {"arch": "nafnet", "width": 8, "enc_blk_nums": [1, 1], "middle_blk_num": 1,
                    "dec_blk_nums": [1, 1], "identity_init": True},
    # NAFNet's GoPro configuration (NAFNet-GoPro-width64).
    "nafnet-gopro": {"arch": "nafnet", "width": 64, "enc_blk_nums": [1, 1, 1, 28], "middle_blk_num": 1,
                     "dec_blk_nums": [1, 1, 1, 1]},
    # NAFNet-Local for full-resolution GoPro testing, trained on 256 x 256 crops.
    "nafnet-gopro-local": {"arch": "nafnet", "width": 64, "enc_blk_nums": [1, 1, 1, 28], "middle_blk_num": 1,
                           "dec_blk_nums": [1, 1, 1, 1], "local_train_size": 256},
    "restormer-tiny": {"arch": "restormer", "dim": 8, "num_blocks": [1, 1, 1, 1], "num_refinement_blocks": 1,
                       "heads": [1, 1, 2, 2], "ffn_expansion_factor": 2.0},
    # The paper's Restormer (motion deblurring / real SR configuration).
    "restormer": {"arch": "restormer", "dim": 48, "num_blocks": [4, 6, 6, 8], "num_refinement_blocks": 4,
                  "heads": [1, 2, 4, 8], "ffn_expansion_factor": 2.66, "bias": False, "layernorm_bias": True},
}


def resolve_network_config(spec: str | Mapping[str, Any]) -> dict[str, Any]:
    """Turn a name or dict into the full config dict (with 'arch'); raises ValueError on unknown names."""
    if isinstance(spec, str):
        if spec not in NAMED_CONFIGS:
            raise ValueError(f"unknown network {spec!r}; known: {sorted(NAMED_CONFIGS)}")
        return copy.deepcopy(NAMED_CONFIGS[spec])
    cfg = dict(spec)
    if "name" in cfg:
        base = resolve_network_config(cfg.pop("name"))
        base.update(cfg)
        cfg = base
    if cfg.get("arch") not in ARCHITECTURES:
        raise ValueError(f"network config needs 'arch' in {sorted(ARCHITECTURES)}, got {cfg.get('arch')!r}")
    return cfg


def build_network(spec: str | Mapping[str, Any], seed: int | None = None) -> nn.Module:
    """Build a network from a name or config dict. With `seed`, the initial weights depend only on it
    (the global RNG is left untouched)."""
    cfg = resolve_network_config(spec)
    arch = cfg.pop("arch")
    try:
        if seed is None:
            return ARCHITECTURES[arch](**cfg)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return ARCHITECTURES[arch](**cfg)
    except TypeError as exc:
        raise ValueError(f"bad {arch} config {cfg}: {exc}") from exc


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
