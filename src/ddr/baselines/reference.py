"""Third-party ports our baselines are checked against (calibration script and tests only, never at run time).

`basicsr_niqe()` returns BasicSR 1.4.2's MATLAB-faithful NIQE function (`basicsr/metrics/niqe.py`, Apache-2.0) and
its parameter file, loaded from the installed package's files without importing `basicsr` itself (whose package
import pulls in its whole training stack and fails on current torchvision). Install it with
`pip install --no-deps basicsr==1.4.2`.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Callable


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def basicsr_root() -> Path | None:
    """Folder of the installed basicsr package's files, or None."""
    spec = importlib.util.find_spec("basicsr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def basicsr_niqe(root: str | Path | None = None) -> tuple[Callable, Path]:
    """(niqe(grey255, mu, cov, window) -> float, path of niqe_pris_params.npz) from basicsr's files."""
    root = Path(root) if root else basicsr_root()
    if root is None or not (root / "metrics" / "niqe.py").is_file():
        raise ImportError("basicsr 1.4.2's files are not installed: pip install --no-deps basicsr==1.4.2")
    saved = {k: v for k, v in sys.modules.items() if k == "basicsr" or k.startswith("basicsr.")}
    try:
        for name in ("basicsr", "basicsr.metrics", "basicsr.utils"):
            stub = types.ModuleType(name)
            stub.__path__ = []
            sys.modules[name] = stub
        registry = types.ModuleType("basicsr.utils.registry")
        registry.METRIC_REGISTRY = types.SimpleNamespace(register=lambda *a, **k: (lambda f: f))
        sys.modules["basicsr.utils.registry"] = registry
        util = types.ModuleType("basicsr.metrics.metric_util")  # only used by calculate_niqe, not by niqe()
        util.reorder_image = util.to_y_channel = None
        sys.modules["basicsr.metrics.metric_util"] = util
        _load("basicsr.utils.matlab_functions", root / "utils" / "matlab_functions.py")
        module = _load("basicsr.metrics.niqe_reference", root / "metrics" / "niqe.py")
    finally:
        for name in [k for k in sys.modules if k == "basicsr" or k.startswith("basicsr.")]:
            del sys.modules[name]
        sys.modules.update(saved)
    return module.niqe, root / "metrics" / "niqe_pris_params.npz"
