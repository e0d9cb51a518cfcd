"""Image restoration for the DDR replication: NAFNet / Restormer, PSNR + perceptual / DDR losses,
resumable training and full-image evaluation (Tables 4-5 of the paper).

    from ddr.restoration import build_network, build_loss
    from ddr.restoration.train import train          # train(cfg) / python -m ddr.restoration.train
    from ddr.restoration.evaluate import evaluate    # python -m ddr.restoration.evaluate
"""
import importlib

# Loaded on first use, so light submodules (ddr.restoration.loss_terms) import without torch.
_LAZY = {"load_feature_net": ".feature_nets", "build_loss": ".losses", "NAMED_CONFIGS": ".networks",
         "build_network": ".networks"}

__all__ = ["build_network", "build_loss", "load_feature_net", "NAMED_CONFIGS"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
