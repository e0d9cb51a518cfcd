"""Package data: the dataset registry and the JSON schemas of the registry and of the pipeline config.

Read through importlib.resources, so an installed wheel finds them as a checkout does (they used to sit in config/
and were found by climbing out of the package, which fails once installed)."""

from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """A bundled file as a filesystem path (setuptools installs the package as plain files, never zipped)."""
    return Path(str(resources.files(__name__).joinpath(name)))
