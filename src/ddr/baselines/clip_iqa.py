"""A VARIANT of zero-shot CLIP-IQA (Wang, Chan & Loy, AAAI 2023): quality = softmax over the image's cosine
similarity to the antonym prompts "Good photo." / "Bad photo.", probability of "good".

Why a variant, and named so: the authors' CLIP-IQA runs OpenAI's RN50 on the full-resolution image (no resize, no
crop, the attention pool's positional embedding left out so any size works). `ClipIQA` with the default
`full_resolution=False` runs on the *same* CLIP backbone as DDR (ViT-B/32 by default) so the comparison isolates
the scoring rule; tables call it "CLIP-IQA (variant: DDR backbone)". `build_clipiqa_rn50` is the authors'
definition (registry name "clipiqa-rn50"); it needs OpenAI's RN50 weights in the open_clip cache. Pass
either an open_clip-like model (`.encode_image`, `.encode_text`) plus its tokenizer, or a bare `encode_image`
callable plus precomputed text features of the two prompts. Preprocessing: resize the shorter side to the model's
input size (bicubic, antialiased), centre crop to a square (ViT position embeddings are fixed-size), CLIP mean/std
normalisation. Higher = better; values lie in (0, 1).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ddr.backbones.spec import DEFAULT_BACKBONE
from ddr.baselines.base import BaselineUnavailable, Metric, to_hwc_float

PROMPTS = ("Good photo.", "Bad photo.")
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def preprocess(image: torch.Tensor, size: int, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(3,H,W) in [0,1] -> (3,size,size): shorter side to `size` (bicubic, antialias), centre crop, normalise."""
    _, h, w = image.shape
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(image[None], size=(nh, nw), mode="bicubic", antialias=True, align_corners=False)[0]
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[:, top : top + size, left : left + size].clamp(0.0, 1.0)
    m = torch.tensor(mean, dtype=x.dtype).view(3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(3, 1, 1)
    return (x - m) / s


class ClipIQA(Metric):
    """Zero-shot CLIP-IQA with antonym prompts. Higher = better."""

    name = "CLIP-IQA (variant: DDR backbone)"
    direction = "higher_better"

    def __init__(
        self,
        model=None,
        tokenizer: Callable | None = None,
        *,
        encode_image: Callable | None = None,
        text_features: torch.Tensor | None = None,
        prompts: Sequence[str] = PROMPTS,
        image_size: int | None = None,
        mean: Sequence[float] = OPENAI_MEAN,
        std: Sequence[float] = OPENAI_STD,
        logit_scale: float | None = None,
        batch_size: int = 32,
        device: str | torch.device | None = None,
        model_name: str | None = None,
        pretrained: str | None = None,
        parameters: str | None = None,
        full_resolution: bool = False,
    ):
        if model is None and encode_image is None:
            if model_name is None:
                raise ValueError("CLIP-IQA needs `model` (+ `tokenizer`), `encode_image` (+ `text_features`), "
                                 "or `model_name`/`pretrained` for open_clip")
            model, tokenizer = _load_open_clip(model_name, pretrained)
        if len(prompts) != 2:
            raise ValueError(f"CLIP-IQA uses exactly two antonym prompts (good, bad), got {len(prompts)}")
        self.model = model
        if model is not None:
            model.eval()
            if device is None:
                params = list(model.parameters()) if hasattr(model, "parameters") else []
                device = params[0].device if params else "cpu"
        self.device = torch.device(device or "cpu")
        self._encode_image = encode_image if encode_image is not None else model.encode_image
        if text_features is None:
            if model is None or tokenizer is None:
                raise ValueError("without `text_features`, CLIP-IQA needs a model with `.encode_text` and a tokenizer")
            with torch.no_grad():
                text_features = model.encode_text(tokenizer(list(prompts)).to(self.device))
        text_features = torch.as_tensor(text_features, dtype=torch.float32, device=self.device)
        if text_features.ndim != 2 or text_features.shape[0] != 2:
            raise ValueError(f"text_features must have shape (2, D), got {tuple(text_features.shape)}")
        self.text_features = F.normalize(text_features, dim=-1)
        if logit_scale is None:
            logit_scale = float(model.logit_scale.detach().exp()) if hasattr(model, "logit_scale") else 100.0
        self.logit_scale = float(logit_scale)
        if image_size is None:
            visual_size = getattr(getattr(model, "visual", None), "image_size", 224)
            image_size = visual_size[0] if isinstance(visual_size, (tuple, list)) else int(visual_size)
        self.image_size = int(image_size)
        self.mean, self.std = tuple(mean), tuple(std)
        self.batch_size = int(batch_size)
        self.prompts = tuple(prompts)
        self.full_resolution = bool(full_resolution)
        if self.full_resolution and not hasattr(getattr(model, "visual", None), "attnpool"):
            raise ValueError("CLIP-IQA at full resolution needs a ResNet CLIP (attention pooling), e.g. RN50")
        backbone = f"open_clip {model_name}/{pretrained}" if model_name else "the CLIP backbone passed in (same as DDR)"
        self.parameters = parameters or (
            f"zero-shot, no trained parameters beyond {backbone}; prompts {list(self.prompts)}; "
            f"logit scale {self.logit_scale:.4g}; "
            + ("full resolution, no positional embedding" if full_resolution else
               f"shorter side -> {self.image_size} + centre crop") + ", CLIP normalisation"
        )

    @torch.no_grad()
    def score_images(self, images: Sequence, progress: bool = True) -> np.ndarray:
        images = list(images)
        if self.full_resolution:  # the authors' input handling: whole image, one at a time, CLIP normalisation
            out = np.empty(len(images), dtype=np.float64)
            for i, im in enumerate(tqdm(images, desc=self.name, disable=not progress, leave=False)):
                x = torch.from_numpy(to_hwc_float(im, i)).permute(2, 0, 1).float()
                m = torch.tensor(self.mean).view(3, 1, 1)
                s = torch.tensor(self.std).view(3, 1, 1)
                feats = encode_without_position(self.model.visual, ((x - m) / s)[None].to(self.device))
                out[i] = self._probabilities_from(feats)[0]
            return out
        out = np.empty(len(images), dtype=np.float64)
        starts = range(0, len(images), self.batch_size)
        for start in tqdm(starts, desc=self.name, disable=not progress, leave=False):
            chunk = images[start : start + self.batch_size]
            batch = torch.stack(
                [
                    preprocess(
                        torch.from_numpy(to_hwc_float(im, start + k)).permute(2, 0, 1).float(),
                        self.image_size,
                        self.mean,
                        self.std,
                    )
                    for k, im in enumerate(chunk)
                ]
            ).to(self.device)
            out[start : start + len(chunk)] = self._probabilities(batch)
        return out

    def _probabilities(self, batch: torch.Tensor) -> np.ndarray:
        return self._probabilities_from(self._encode_image(batch))

    def _probabilities_from(self, feats: torch.Tensor) -> np.ndarray:
        feats = F.normalize(feats.float(), dim=-1)
        logits = self.logit_scale * feats @ self.text_features.T
        return torch.softmax(logits, dim=-1)[:, 0].double().cpu().numpy()

    def _score_one(self, rgb: np.ndarray) -> float:
        return float(self.score_images([rgb], progress=False)[0])


def _load_open_clip(model_name: str, pretrained: str | None):
    import open_clip

    try:
        model = open_clip.create_model(model_name, pretrained=pretrained)
    except Exception as exc:  # weights absent from the local cache and no network
        raise BaselineUnavailable(
            f"CLIP-IQA: cannot load open_clip model {model_name!r} with pretrained={pretrained!r}: {exc}"
        ) from exc
    return model, open_clip.get_tokenizer(model_name)


def build_clipiqa(backbone: str = str(DEFAULT_BACKBONE), device: str | torch.device = "cpu", **kwargs) -> ClipIQA:
    """The variant on a DDR backbone spec (`ddr.backbones.load_backbone`), or on `model=`/`encode_image=` passed in
    kwargs (see `ClipIQA`); STAND-IN weights are named in `parameters`."""
    if kwargs.get("model") is not None or kwargs.get("encode_image") is not None:
        return ClipIQA(device=device, **kwargs)
    from ddr.backbones import load_backbone

    try:
        loaded = load_backbone(backbone)
    except Exception as exc:
        raise BaselineUnavailable(f"CLIP-IQA variant: cannot load backbone {backbone!r}: {exc}") from exc
    info = loaded.info
    metric = ClipIQA(loaded.model.to(device), loaded.tokenizer, device=device, **kwargs)
    weights = "STAND-IN weights" if info.stand_in else f"weights {info.weights}"
    metric.parameters = f"zero-shot on the DDR backbone {info.spec}, {weights}; {metric.parameters}"
    metric.backbone_info = info.as_dict()
    return metric


def encode_without_position(visual, x: torch.Tensor) -> torch.Tensor:
    """A ResNet CLIP's image embedding with the attention pool's positional embedding left out (what CLIP-IQA's
    authors do so that images of any size can be scored at full resolution)."""
    pool = visual.attnpool
    x = visual.layer4(visual.layer3(visual.layer2(visual.layer1(visual.stem(x)))))
    x = x.flatten(2).permute(2, 0, 1)  # (HW, N, C)
    x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
    x, _ = F.multi_head_attention_forward(
        query=x[:1], key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=pool.num_heads,
        q_proj_weight=pool.q_proj.weight, k_proj_weight=pool.k_proj.weight, v_proj_weight=pool.v_proj.weight,
        in_proj_weight=None, in_proj_bias=torch.cat([pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias]),
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=pool.c_proj.weight,
        out_proj_bias=pool.c_proj.bias, use_separate_proj_weight=True, training=False, need_weights=False)
    return x[0]


def build_clipiqa_rn50(device: str | torch.device = "cpu", backbone: str = "clip:RN50:openai", **kwargs) -> ClipIQA:
    """CLIP-IQA as its authors define it: OpenAI RN50, "Good photo."/"Bad photo.", full-resolution input without
    the positional embedding, logit scale 100."""
    metric = build_clipiqa(backbone, device, full_resolution=True, logit_scale=100.0, **kwargs)
    metric.name = "CLIP-IQA"
    return metric
