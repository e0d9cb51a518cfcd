"""torch.hub entry points: `torch.hub.load("<owner>/<repo>", "ddr")`, or `torch.hub.load(path, "ddr", source="local")`.

torch.hub puts this repository on sys.path; the package lives under src/, so that folder is added too when `ddr`
is not installed. The models download their weights into DDR's cache on first use, like DDR.from_pretrained.
"""

import importlib.util
import sys
from pathlib import Path

dependencies = ["torch", "torchvision", "open_clip", "PIL", "yaml"]

if importlib.util.find_spec("ddr") is None:  # an installed copy wins
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from ddr.backbones.spec import DEFAULT_BACKBONE, DEFAULT_PIXEL_BACKBONE  # noqa: E402  (after the path is set)


def ddr(backbone: str = str(DEFAULT_BACKBONE), **kwargs):
    """Feature-domain DDR (the paper's method). `m.score(paths_or_tensors)` gives per-image scores (higher =
    better); `m(x)` is the loss, as in the official code. kwargs: types, prompts, adaptive (see ddr.DDR)."""
    from ddr.model import DDR

    return DDR.from_pretrained(backbone, **kwargs)


def pixel_ddr(backbone: str = str(DEFAULT_PIXEL_BACKBONE), degradations=None, seed: int = 0):
    """Pixel-domain DDR (the image itself is degraded); `degradations` {name: (kind, level)}, default the paper's."""
    from ddr.pixel import PixelDDR

    return PixelDDR.from_pretrained(backbone, degradations=degradations, seed=seed)
