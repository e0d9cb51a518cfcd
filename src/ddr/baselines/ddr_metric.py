"""DDR itself behind the baselines' interface, so `create_metric("ddr")` / `ddr score --metric ddr,niqe` treat it
like any other metric (official square-patch BIQA score, mean over degradation types)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ddr.backbones.spec import DEFAULT_BACKBONE
from ddr.baselines.base import Metric, to_hwc_float


class DDRMetric(Metric):
    """Feature-domain DDR on a backbone spec (default OpenAI CLIP ViT-B/32). Higher = better."""

    name = "DDR"
    direction = "higher_better"

    def __init__(self, backbone: str = str(DEFAULT_BACKBONE), types: Sequence[str] | None = None,
                 device: str | torch.device = "cpu", batch_size: int = 32, model=None):
        if model is None:
            from ddr.backbones import load_backbone
            from ddr.model import DDR

            model = DDR(load_backbone(backbone), types=list(types) if types else None)
        self.model = model.to(device)
        self.batch_size = batch_size
        info = self.model.backbone.info
        self.parameters = (f"feature-domain DDR, types {','.join(self.model.types)}, backbone {info.spec}"
                           + (" (STAND-IN weights)" if info.stand_in else ""))

    @torch.no_grad()
    def score_images(self, images: Sequence, progress: bool = True) -> np.ndarray:
        tensors = [torch.from_numpy(to_hwc_float(im, i)).permute(2, 0, 1).float() for i, im in enumerate(images)]
        if not tensors:
            return np.empty(0)
        return self.model.quality_score(tensors, batch_size=self.batch_size).double().cpu().numpy()

    def _score_one(self, rgb: np.ndarray) -> float:
        return float(self.score_images([rgb], progress=False)[0])
