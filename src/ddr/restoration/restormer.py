"""Restormer (Zamir et al., "Restormer: Efficient Transformer for High-Resolution Image Restoration",
CVPR 2022), written from the paper.

Transformer blocks made of MDTA (multi-Dconv head transposed attention: attention across *channels*, so
the cost is linear in the number of pixels) and GDFN (gated-Dconv feed-forward network), arranged in a
4-level encoder-decoder with skip concatenation, a refinement stage at full resolution and a global
residual. Paper config: dim 48, num_blocks [4, 6, 6, 8], 4 refinement blocks, heads [1, 2, 4, 8],
ffn_expansion_factor 2.66, no biases, LayerNorm with bias.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ChannelLayerNorm(nn.Module):
    """LayerNorm over channels at every pixel ('WithBias'; bias=False gives the 'BiasFree' variant)."""

    def __init__(self, dim: int, bias: bool = True, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.var(1, keepdim=True, unbiased=False)
        if self.bias is None:  # BiasFree: scale only, no centring
            return x / torch.sqrt(var + self.eps) * self.weight.view(1, -1, 1, 1)
        mu = x.mean(1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class MDTA(nn.Module):
    """Transposed self-attention: a (C/heads x C/heads) attention map per head, learnable temperature."""

    def __init__(self, dim: int, heads: int, bias: bool = False):
        super().__init__()
        if dim % heads:
            raise ValueError(f"Restormer: dim {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        shape = (b, self.heads, c // self.heads, h * w)
        q = F.normalize(q.reshape(shape), dim=-1)
        k = F.normalize(k.reshape(shape), dim=-1)
        attn = (q @ k.transpose(-2, -1)) * self.temperature
        out = attn.softmax(dim=-1) @ v.reshape(shape)
        return self.project_out(out.reshape(b, c, h, w))


class GDFN(nn.Module):
    """Gated-Dconv feed-forward: two depth-wise-conv branches, one through GELU gates the other."""

    def __init__(self, dim: int, expansion: float, bias: bool = False):
        super().__init__()
        hidden = int(dim * expansion)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(a) * b)


class TransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, ffn_expansion_factor: float, bias: bool, norm_bias: bool):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim, norm_bias)
        self.attn = MDTA(dim, heads, bias)
        self.norm2 = ChannelLayerNorm(dim, norm_bias)
        self.ffn = GDFN(dim, ffn_expansion_factor, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def _down(c: int, bias: bool) -> nn.Module:  # halve resolution, double channels
    return nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1, bias=bias), nn.PixelUnshuffle(2))


def _up(c: int, bias: bool) -> nn.Module:  # double resolution, halve channels
    return nn.Sequential(nn.Conv2d(c, c * 2, 3, padding=1, bias=bias), nn.PixelShuffle(2))


class Restormer(nn.Module):
    """Restormer; RGB in [0, 1] in, `input + residual` out. Pads (reflect) to a multiple of 8 internally."""

    pad_mode = "reflect"
    size_multiple = 8

    def __init__(self, inp_channels: int = 3, out_channels: int = 3, dim: int = 48,
                 num_blocks: list[int] | tuple[int, ...] = (4, 6, 6, 8), num_refinement_blocks: int = 4,
                 heads: list[int] | tuple[int, ...] = (1, 2, 4, 8), ffn_expansion_factor: float = 2.66,
                 bias: bool = False, layernorm_bias: bool = True):
        super().__init__()
        if len(num_blocks) != 4 or len(heads) != 4:
            raise ValueError(f"Restormer has 4 levels: num_blocks {num_blocks} and heads {heads} need 4 entries")

        def stage(c: int, n: int, h: int) -> nn.Sequential:
            return nn.Sequential(*[TransformerBlock(c, h, ffn_expansion_factor, bias, layernorm_bias)
                                   for _ in range(n)])

        d = dim
        self.patch_embed = nn.Conv2d(inp_channels, d, 3, padding=1, bias=bias)
        self.encoder_level1 = stage(d, num_blocks[0], heads[0])
        self.down1_2 = _down(d, bias)
        self.encoder_level2 = stage(d * 2, num_blocks[1], heads[1])
        self.down2_3 = _down(d * 2, bias)
        self.encoder_level3 = stage(d * 4, num_blocks[2], heads[2])
        self.down3_4 = _down(d * 4, bias)
        self.latent = stage(d * 8, num_blocks[3], heads[3])
        self.up4_3 = _up(d * 8, bias)
        self.reduce_chan_level3 = nn.Conv2d(d * 8, d * 4, 1, bias=bias)
        self.decoder_level3 = stage(d * 4, num_blocks[2], heads[2])
        self.up3_2 = _up(d * 4, bias)
        self.reduce_chan_level2 = nn.Conv2d(d * 4, d * 2, 1, bias=bias)
        self.decoder_level2 = stage(d * 2, num_blocks[1], heads[1])
        self.up2_1 = _up(d * 2, bias)
        self.decoder_level1 = stage(d * 2, num_blocks[0], heads[0])
        self.refinement = stage(d * 2, num_refinement_blocks, heads[0])
        self.output = nn.Conv2d(d * 2, out_channels, 3, padding=1, bias=bias)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        h, w = inp.shape[-2:]
        m = self.size_multiple
        ph, pw = (m - h % m) % m, (m - w % m) % m
        mode = self.pad_mode if (ph < h and pw < w) else "replicate"  # reflect needs pad < size
        x_in = F.pad(inp, (0, pw, 0, ph), mode=mode) if (ph or pw) else inp
        e1 = self.encoder_level1(self.patch_embed(x_in))
        e2 = self.encoder_level2(self.down1_2(e1))
        e3 = self.encoder_level3(self.down2_3(e2))
        lat = self.latent(self.down3_4(e3))
        d3 = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(lat), e3], 1)))
        d2 = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(d3), e2], 1)))
        d1 = self.decoder_level1(torch.cat([self.up2_1(d2), e1], 1))
        out = self.output(self.refinement(d1)) + x_in
        return out[..., :h, :w]
