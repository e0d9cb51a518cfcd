"""The restoration loss terms' table: every term's name, aliases and facts, with lazy 'module:attribute' builders.

Why a module of its own: the workflow layer plans runs from these facts (file-name slugs, the labels the paper
prints) and must do so without importing torch; the builders load only when a loss is built (ddr.restoration.losses).
"""

from __future__ import annotations

from dataclasses import dataclass

from ddr.util.registry import Entry, Registry


@dataclass(frozen=True)
class LossTermInfo:
    """How a term is built ("plain": its options; "perceptual": also the feature-net weights and cache folder;
    "ddr": the DDR model), the label the paper's tables print, and its short name in result file names."""

    build: str
    label: str
    short: str


_LOSSES = "ddr.restoration.losses"
# Every loss term by name, with its aliases (stored once) and its facts.
LOSS_TERMS: Registry = Registry("loss term")
for _name, _target, _aliases, _info in (
        ("psnr", f"{_LOSSES}.psnr:PSNRLoss", (), LossTermInfo("plain", "PSNR", "psnr")),
        ("l1", f"{_LOSSES}.psnr:L1Loss", (), LossTermInfo("plain", "L1", "l1")),
        ("pdl_pixel", f"{_LOSSES}.distribution:PixelPDL", ("pixel_pdl",),
         LossTermInfo("plain", "PixelPDL", "pdl_pixel")),
        ("lpips", f"{_LOSSES}.lpips:LPIPSLoss", (), LossTermInfo("perceptual", "LPIPS", "lpips")),
        ("contextual", f"{_LOSSES}.contextual:ContextualLoss", ("ctx", "cx"), LossTermInfo("perceptual", "CTX", "ctx")),
        ("pdl", f"{_LOSSES}.distribution:ProjectedDistributionLoss", (), LossTermInfo("perceptual", "PDL", "pdl")),
        ("fdl", f"{_LOSSES}.distribution:FrequencyDistributionLoss", (), LossTermInfo("perceptual", "FDL", "fdl")),
        ("ddr", f"{_LOSSES}.ddr_term:DDRLoss", (), LossTermInfo("ddr", "DDR", "ddr"))):
    LOSS_TERMS.add(_name, _target, aliases=_aliases, meta=_info)
LOSS_NAMES = sorted(LOSS_TERMS.names(with_aliases=True))


def list_losses() -> list[Entry]:
    """Every loss term: entry.name, entry.aliases and entry.meta (a LossTermInfo)."""
    return LOSS_TERMS.list()
