"""The user-facing DDR model (DESIGN.md contract): text-driven, feature-domain DDR on a frozen CLIP.

    m = DDR.from_pretrained("clip:ViT-B-32:openai")   # or DDR.from_checkpoint(path, types=[...])
    m.quality_score(x)  # official square-patch BIQA score, one per image whatever the batch
    m.response(x)       # (B, T) per-type DDR, differentiable
    m.score(paths)      # (N,) per-image scores from files or tensors, as `ddr score` writes them
    m.loss(x)           # -mean DDR, for restoration training
    m(x)                # the loss too, as the official code's forward
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn

from ddr import descriptor
from ddr.backbones import DEFAULT_BACKBONE, Backbone, BackboneSpec, load_backbone
from ddr.directions import ImageDirections
from ddr.inputs import as_image_list, as_response_batch
from ddr.io import load_image
from ddr.patches import DEFAULT_BATCH_SIZE, ImageWindows, encode_patches, encode_stream
from ddr.preprocess import prepare
from ddr.prompts import resolve_prompts


class ResponseModel(nn.Module):
    """What every DDR flavour offers: per-type patch scores, the BIQA score, a differentiable response and loss."""

    types: list[str]

    def quality_scores(self, images, batch_size: int = DEFAULT_BATCH_SIZE) -> torch.Tensor:  # (N, T)
        raise NotImplementedError

    def response(self, x: torch.Tensor) -> torch.Tensor:  # (B, T)
        raise NotImplementedError

    def quality_score(self, images: torch.Tensor | Sequence[torch.Tensor],
                      batch_size: int = DEFAULT_BATCH_SIZE) -> torch.Tensor:
        """Official BIQA score (mean over types and patches), one per image: (B,)."""
        return self.quality_scores(images, batch_size).mean(dim=1)

    def score(self, images, batch_size: int = DEFAULT_BATCH_SIZE) -> torch.Tensor:
        """Per-image quality scores (N,), higher = better: the `ddr` column of `ddr score`.

        `images`: an image file path, a list of paths, or what quality_score takes (tensors, arrays, lists of
        them); paths are read as `ddr score` reads them (upright, RGB in [0, 1]). Calling the model gives the loss.
        """
        if isinstance(images, (str, os.PathLike)):
            images = [images]
        if isinstance(images, Sequence) and any(isinstance(item, (str, os.PathLike)) for item in images):
            images = [load_image(item) if isinstance(item, (str, os.PathLike)) else item for item in images]
        return self.quality_score(images, batch_size)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """L_DDR = -mean over the batch (and types) of DDR: minimising it raises quality."""
        return -self.response(x).mean()

    def stream_input(self, image: torch.Tensor):
        """What a decoding worker makes of a decoded (3, H, W) image for `quality_scores_stream`: the image."""
        return image

    def quality_scores_stream(self, items, batch_size: int = DEFAULT_BATCH_SIZE):
        """(key, (T,) per-type scores) for each (key, stream_input(image)) in `items`, in order: the file-scoring
        path (`ddr score`), fed by `ddr.io.iter_decoded`."""
        for key, image in items:
            yield key, self.quality_scores([image], batch_size)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`model(x)` is the loss (-mean DDR, one scalar), as the official code's forward; per-image scores are
        `model.score(paths_or_tensors)`."""
        return self.loss(x)


class DDR(ResponseModel):
    """Deep Degradation Response with text-defined degradations (higher = better quality)."""

    def __init__(
        self,
        backbone: Backbone,
        types: Sequence[str] | None = None,
        prompts: dict[str, tuple[str, str]] | None = None,
        adaptive: bool = True,
        eps: float = descriptor.ADAPTATION_EPS,
        directions: "str | ImageDirections" = "text",
    ):
        """`directions`: "text" (the paper: prompt pairs through the text tower) or ddr.directions.ImageDirections
        (the image-defined extension, for encoders without a text tower; `types`/`prompts` then do not apply)."""
        super().__init__()
        self.backbone = backbone.freeze()
        self.adaptive = adaptive
        self.eps = eps
        if isinstance(directions, ImageDirections):
            if prompts:
                raise ValueError("prompts apply to text directions only; image-defined directions have none")
            wanted = list(types) if types else directions.types
            missing = [t for t in wanted if t not in directions.types]
            if missing:
                raise ValueError(f"types {missing} are not among the image-defined directions {directions.types}")
            self.prompts, self.types, self.image_directions = {}, wanted, directions
            vectors = directions.vectors[[directions.types.index(t) for t in wanted]]
        elif directions == "text":
            self.prompts = resolve_prompts(types, prompts)
            self.types, self.image_directions = list(self.prompts), None
            clean = [pair[0] for pair in self.prompts.values()]
            degraded = [pair[1] for pair in self.prompts.values()]
            with torch.no_grad():  # prompt embeddings: once per model
                vectors = descriptor.text_directions(backbone.encode_text(clean), backbone.encode_text(degraded))
        else:
            raise ValueError(f"directions must be 'text' or an ImageDirections (see DDR.from_backbone); got "
                             f"{directions!r}")
        self.register_buffer("directions", vectors.float(), persistent=False)

    # construction -------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, spec: str | BackboneSpec = DEFAULT_BACKBONE, **kwargs) -> "DDR":
        return cls(load_backbone(spec), **kwargs)

    @classmethod
    def from_checkpoint(cls, path, **kwargs) -> "DDR":
        from ddr.backbones.clip import from_openai_checkpoint

        return cls(from_openai_checkpoint(path), **kwargs)

    @classmethod
    def from_backbone(cls, backbone: Backbone, directions: "str | ImageDirections" = "auto", images=None,
                      levels=None, seed: int = 0, **kwargs) -> "DDR":
        """directions: "text" (needs a text tower), "images" (image-defined, an extension of the paper: measured on
        `images`, pristine (3, H, W) tensors that must not be the ones scored, default the bundled photographs of
        ddr.directions.bundled_pristine_images; `levels` {type: level}; cached), an ImageDirections, or "auto"
        (text when the backbone has a text tower, else images)."""
        from ddr import directions as image_directions

        if directions == "auto":
            directions = "text" if backbone.has_text else "images"
        if directions == "images":
            names = None
            if images is None:
                names, images = image_directions.bundled_pristine_images(seed=seed)
            directions = image_directions.cached(backbone, as_image_list(images), levels, seed, names=names)
        elif images is not None or levels is not None:
            raise ValueError("images/levels apply to directions='images' only")
        return cls(backbone, directions=directions, **kwargs)

    # scoring ------------------------------------------------------------------------------------------------
    def scores_from_features(self, features: torch.Tensor) -> torch.Tensor:
        """(N, C) image embeddings -> (N, T) DDR_d; lets cached features be rescored without the encoder."""
        return descriptor.response(features.float(), self.directions.to(features.device), self.adaptive, self.eps)

    def quality_scores(self, images: torch.Tensor | Sequence[torch.Tensor],
                       batch_size: int = DEFAULT_BATCH_SIZE) -> torch.Tensor:
        """Per image and type, the mean DDR_d over the official square patches: (N, T).

        Images may differ in size; patches of many images share encoder calls. Each image gets its own
        score (the official code mixes images when given a batch).
        """
        features = encode_patches(self.backbone, as_image_list(images), batch_size)
        if not features:
            return torch.empty(0, len(self.types))
        counts = torch.tensor([f.shape[0] for f in features], device=features[0].device)
        per_window = self.scores_from_features(torch.cat(features))  # one scoring pass for every window
        image_of = torch.repeat_interleave(torch.arange(len(features), device=counts.device), counts)
        sums = per_window.new_zeros(len(features), per_window.shape[1]).index_add_(0, image_of, per_window)
        return sums / counts[:, None]

    def stream_input(self, image: torch.Tensor) -> ImageWindows:
        """The image's windows at encoder size, made in the decoding worker: the full-size image is not kept."""
        return ImageWindows(image, self.backbone.norm)

    def quality_scores_stream(self, items, batch_size: int = DEFAULT_BATCH_SIZE):
        """(key, (T,)) per (key, ImageWindows) item, in order; windows of consecutive images share encoder calls."""
        for key, features in encode_stream(self.backbone, items, batch_size):
            yield key, self.scores_from_features(features).mean(dim=0)

    def response(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, T), differentiable; whole image resized (shorter side), as in training."""
        x = as_response_batch(x, square=self.backbone.square_input)
        features = self.backbone.encode_image(prepare(x, self.backbone.norm))
        return self.scores_from_features(features)

    def provenance(self) -> dict:
        """What produced these numbers (stamped into result files)."""
        return {
            **self.backbone.info.as_dict(),
            "domain": "feature",
            "types": self.types,
            "directions": "text" if self.image_directions is None else self.image_directions.record,
            "prompts": {t: list(p) for t, p in self.prompts.items()},
            "adaptive": self.adaptive,
            "eps": self.eps,
        }
