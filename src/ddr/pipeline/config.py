"""Pipeline configuration: validated against src/ddr/resources/config.schema.json at start-up with a message a person can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from ddr.resources import resource_path

SCHEMA = resource_path("config.schema.json")  # package data (importlib.resources), also in an installed wheel


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


def referenced_datasets(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, dataset name) for every dataset the config asks for: `dataset` keys, `*datasets` lists and the
    restoration `tasks` map. Definitions keyed by dataset name (restoration protocols) are not references."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            where = f"{path}/{key}" if path else str(key)
            if key == "dataset" and isinstance(value, str):
                found.append((where, value))
            elif str(key).endswith("datasets") and isinstance(value, list):
                found.extend((where, name) for name in value)
            elif key == "tasks" and isinstance(value, dict):
                found.extend((f"{where}/{task}", name) for task, names in value.items() for name in names or [])
            else:
                walk(value, where)

    walk(config, "")
    return found


def check_dataset_names(config: dict[str, Any], known: set[str], source: str = "config") -> None:
    """An unknown dataset name is a ConfigError naming the key, not a MissingInputException from Snakemake."""
    for where, name in referenced_datasets(config):
        if name not in known:
            raise ConfigError(f"{source}: unknown dataset {name!r} at {where}; known datasets: {', '.join(sorted(known))}")
