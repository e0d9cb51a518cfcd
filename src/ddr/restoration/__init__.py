"""Image restoration for the DDR replication: NAFNet / Restormer, PSNR + perceptual / DDR losses,
resumable training and full-image evaluation (Tables 4-5 of the paper).

    from ddr.restoration import build_network, build_loss
    from ddr.restoration.train import train          # train(cfg) / python -m ddr.restoration.train
    from ddr.restoration.evaluate import evaluate    # python -m ddr.restoration.evaluate
"""
from .feature_nets import load_feature_net
from .losses import build_loss
from .networks import NAMED_CONFIGS, build_network

__all__ = ["build_network", "build_loss", "load_feature_net", "NAMED_CONFIGS"]
