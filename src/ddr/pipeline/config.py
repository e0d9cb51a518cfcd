"""Pipeline configuration: validated against config/config.schema.json at start-up with a message a person can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "config.schema.json"


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the file and the key path."""


def validate_config(config: dict[str, Any], source: str = "config", schema_path: Path = SCHEMA) -> None:
    """Raise ConfigError on the first (most relevant) schema violation."""
    schema = json.loads(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        message = f"unknown key in {where}: {error.message}"
    else:
        message = f"bad value at {where}: {error.message}"
    raise ConfigError(f"{source}: {message}")
