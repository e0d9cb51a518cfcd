"""DDR: Deep Degradation Response as a flexible image descriptor (Wu et al., NeurIPS 2024), replicated."""

from ddr.model import DDR
from ddr.prompts import DEFAULT_TYPES, PROMPTS

__version__ = "0.1.0"
__all__ = ["DDR", "DEFAULT_TYPES", "PROMPTS", "__version__"]
