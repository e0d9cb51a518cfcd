"""The package's shape: the workflow layer plans without torch, and every subfolder of src/ddr stays small enough to
read (<= 12 modules, __init__ included, the top level too; issue 10)."""

import subprocess
import sys
from pathlib import Path

import ddr

MAX_MODULES = 12
PACKAGE = Path(ddr.__file__).resolve().parent


def test_the_workflow_layer_imports_without_torch():
    """Every module of ddr.workflow (found by walking the package, so a new one is covered too)."""
    code = ("import importlib, pkgutil, sys; import ddr.workflow as w; "
            "names = [m.name for m in pkgutil.iter_modules(w.__path__, 'ddr.workflow.')]; "
            "[importlib.import_module(n) for n in names]; "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'torch'); "
            "print(names, heavy[:3]); raise SystemExit(1 if heavy or len(names) < 4 else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing ddr.workflow loaded torch (or found no modules): {done.stdout}{done.stderr}"


def test_the_lazy_top_level_names_still_resolve():
    from ddr.model import DDR
    from ddr.prompts import DEFAULT_TYPES, PROMPTS

    assert ddr.DDR is DDR and ddr.PROMPTS is PROMPTS and ddr.DEFAULT_TYPES is DEFAULT_TYPES


def test_no_folder_of_the_package_holds_more_than_twelve_modules():
    folders = {folder: sorted(p.name for p in folder.glob("*.py"))
               for folder in [PACKAGE, *PACKAGE.rglob("*")] if folder.is_dir() and folder.name != "__pycache__"}
    crowded = {str(f.relative_to(PACKAGE.parent)): len(names) for f, names in folders.items()
               if len(names) > MAX_MODULES}
    assert folders and not crowded, f"folders over {MAX_MODULES} modules: {crowded}"
