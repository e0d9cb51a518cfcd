"""The official BIQA call, `DDR.DDR_quality_score` of github.com/eezkni/DDR (DDR_pytorch/DDR.py), re-implemented
step for step as released, for timing against ours in the same process on the same CLIP model.

Kept as released, cost included: per image, every window goes through the torchvision transform (bicubic
Resize to the shorter side, no antialias, then Normalize) one at a time; the whole image is transformed too and
the result never used; all windows of the image are encoded in one `encode_image` call; then each window's
feature is scored alone, degradation type by type (the text direction re-adapted per type, an N x N cosine
matrix whose diagonal is read element by element). Prompt features are encoded once at construction, as there.
Only the tokenizer differs in name: open_clip's `tokenize` is OpenAI's `clip.tokenize`.
"""

from __future__ import annotations

import torch
from torchvision.transforms import Compose, InterpolationMode, Normalize, Resize

from ddr.prompts import resolve_prompts

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class OfficialDDR:
    """The released class's scoring path around an (open_clip) CLIP model."""

    def __init__(self, clip_model, tokenizer, types=("blur", "color", "noise", "exposure"), device="cpu"):
        self.CLIP_model = clip_model
        self.dtype = clip_model.visual.conv1.weight.dtype  # fp16 on CUDA as clip.load gives it, else fp32
        n_px = clip_model.visual.image_size
        self.n_px = n_px[0] if isinstance(n_px, (tuple, list)) else n_px
        self.transform = Compose([Resize(self.n_px, interpolation=InterpolationMode.BICUBIC, antialias=False),
                                  Normalize(CLIP_MEAN, CLIP_STD)])
        self.degradtion_type = list(types)
        prompts = resolve_prompts(types, None)
        with torch.no_grad():
            self.clean_prompt_feature = {t: clip_model.encode_text(tokenizer([prompts[t][0]]).to(device)) for t in types}
            self.degraded_prompt_feature = {t: clip_model.encode_text(tokenizer([prompts[t][1]]).to(device))
                                            for t in types}

    @staticmethod
    def cosine_distance(x, y):
        x = x / x.norm(dim=1, keepdim=True)
        y = y / y.norm(dim=1, keepdim=True)
        return 1.0 - x @ y.t()

    @staticmethod
    def adaptation(content, style):
        mu_c, sigma_c = content.mean(dim=-1, keepdim=True), content.std(dim=-1, keepdim=True)
        mu_s, sigma_s = style.mean(dim=-1, keepdim=True), style.std(dim=-1, keepdim=True)
        content = (content - mu_c) / (sigma_c + 0.001)
        return content * sigma_s + mu_s

    def DDR_score(self, x_features):  # noqa: N802 - the released name
        dst_score = []
        for dst_type in self.degradtion_type:
            degradation = self.degraded_prompt_feature[dst_type] - self.clean_prompt_feature[dst_type]
            degradation = self.adaptation(degradation, x_features)
            self_sim = self.cosine_distance(x_features, x_features + degradation)
            dst_score.append(torch.cat([self_sim[i][i].unsqueeze(0) for i in range(self_sim.shape[0])]))
        return torch.stack(dst_score).mean(dim=0)

    def DDR_quality_score(self, x):  # noqa: N802 - the released name
        """x: (1, 3, H, W) in [0, 1] -> the image's score (mean over windows and types)."""
        H, W = x.shape[-2], x.shape[-1]
        patch_size = min(H, W)
        patch_number = max(H, W) // patch_size + 1
        stride_H = (H - patch_size) // (patch_number - 1)
        stride_W = (W - patch_size) // (patch_number - 1)
        x_patches = []
        for i in range(patch_number):
            top, left = (i * stride_H, 0) if H > W else (0, i * stride_W)
            x_patches.append(self.transform(x[:, :, top:top + patch_size, left:left + patch_size]))
        x = self.transform(x)  # as released: the whole image is transformed and not used
        # OpenAI's encode_image casts its input to the model's dtype (open_clip's does not: done here)
        patch_features = self.CLIP_model.encode_image(torch.cat(x_patches, dim=0).type(self.dtype))
        patch_results = [self.DDR_score(feature.unsqueeze(0)) for feature in patch_features]
        return torch.stack(patch_results).mean(dim=0).squeeze(0)
