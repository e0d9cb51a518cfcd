"""DDR: Deep Degradation Response as a flexible image descriptor (Wu et al., NeurIPS 2024), replicated."""

import importlib

__version__ = "0.1.0"
__all__ = ["DDR", "DEFAULT_TYPES", "PROMPTS", "__version__"]

# Loaded on first use: `import ddr.workflow...` (planning a run) must not load torch through ddr.model.
_LAZY = {"DDR": "ddr.model", "DEFAULT_TYPES": "ddr.prompts", "PROMPTS": "ddr.prompts"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
