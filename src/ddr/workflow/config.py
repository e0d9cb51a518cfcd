"""Pipeline configuration: the one place it is checked (schema, dataset names, cross-key rules) and the views the
stages read. The schema (package data src/ddr/resources/config.schema.json) gives every key a description and its
default, the value config/config.yaml (the mini profile) has; `python -m ddr.workflow.config --describe` lists them."""

from __future__ import annotations

import argparse
import copy
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ddr.resources import resource_path

SCHEMA = resource_path("config.schema.json")  # package data (importlib.resources), also in an installed wheel


class ConfigError(ValueError):
    """A configuration value is wrong; the one-line message names the file and the key path."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).splitlines()))  # one line, also for a value whose repr spans several


def load_schema(schema_path: Path = SCHEMA) -> dict[str, Any]:
    return json.loads(Path(schema_path).read_text())


def config_source(configfiles: Iterable[str | Path] = (), cli_overrides: bool = False,
                  default: str = "config/config.yaml") -> str:
    """How error messages name the merged configuration: 'config/config.yaml + config/paper.yaml (+ --config)'."""
    names = [default, *(os.path.relpath(f) if Path(f).is_absolute() else str(f) for f in configfiles)]
    return " + ".join(names + (["--config"] if cli_overrides else []))


def validate_config(config: dict[str, Any], source: str = "config", schema_path: Path = SCHEMA) -> None:
    """Raise ConfigError on the first (most relevant) schema violation."""
    import jsonschema  # only here: the stage modules import ConfigError without needing the validator

    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
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


def check_config(config: dict[str, Any], known_datasets: set[str], source: str = "config") -> None:
    """Everything the pipeline checks before planning, in one call: the schema, the dataset names, then the
    cross-key rules of the BIQA and restoration stages (which the schema cannot express). Raises ConfigError."""
    from ddr.workflow import biqa_plan
    from ddr.workflow import restoration_plan as restoration_plan

    validate_config(config, source)
    check_dataset_names(config, known_datasets, source)
    try:
        biqa_plan.check_config(config)
        rcfg = restoration_section(config)
        if rcfg.get("enabled"):
            restoration_plan.check_config(rcfg)
    except ConfigError as error:  # the stages' messages name the key; this adds the files
        raise ConfigError(f"{source}: {error}") from error


def restoration_section(config: Mapping[str, Any]) -> dict[str, Any]:
    """The restoration section as the restoration stage reads it: its DDR term completed with the shared
    `ddr.types` (set once, in the top-level `ddr` section). {'enabled': False} when the section is absent."""
    rcfg = copy.deepcopy(dict(config.get("restoration") or {"enabled": False}))
    if "ddr" in rcfg:
        rcfg["ddr"] = {"types": list(config["ddr"]["types"]), **rcfg["ddr"]}
    return rcfg


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
            raise ConfigError(f"{source}: unknown dataset {name!r} at {where}; "
                              f"known datasets: {', '.join(sorted(known))}")


# ---------------------------------------------------------------------------------------------------------------
# the schema as a list of keys
def _resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its local `$ref` / `allOf` parts folded in (enough for this schema's own references)."""
    node = dict(node)
    if "$ref" in node:
        target: Any = schema
        for part in node.pop("$ref").lstrip("#/").split("/"):
            target = target[part]
        node = {**_resolve(target, schema), **node}
    for part in node.pop("allOf", []):
        resolved = _resolve(part, schema)
        node = {**resolved, **node, "properties": {**resolved.get("properties", {}), **node.get("properties", {})},
                "required": [*node.get("required", []), *resolved.get("required", [])]}
    return node


def iter_keys(schema: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(dotted key path, resolved schema node, required) for every key, depth first in schema order. Entries of a
    list are written `key[]`, entries of a user-named map `key.<name>` (restoration.train/eval overrides: the keys
    of their `default` entry)."""
    schema = schema or load_schema()

    def walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
        node = _resolve(node, schema)
        required = set(node.get("required", []))
        for key, child in node.get("properties", {}).items():
            where = f"{path}.{key}" if path else key
            child = _resolve(child, schema)
            yield where, child, key in required
            yield from walk(child, where)
            if isinstance(child.get("items"), dict) and "properties" in _resolve(child["items"], schema):
                yield from walk(child["items"], f"{where}[]")
            extra = child.get("additionalProperties")  # a user-named map; not the per-network overrides of a
            if isinstance(extra, dict) and "properties" in _resolve(extra, schema) and "properties" not in child:
                yield from walk(extra, f"{where}.<name>")  # section whose `default` entry already lists the keys

    yield from walk(schema, "")


def describe(schema: dict[str, Any] | None = None) -> str:
    """Every key with its default and description, one line each (sections show no default: their keys do)."""
    lines = []
    for path, node, required in iter_keys(schema):
        default = json.dumps(node["default"]) if "default" in node else ""
        flag = "*" if required else " "
        lines.append(f"{flag} {path:<48} {default:<32} {node.get('description', '')}")
    return "\n".join(["* = required; default = the mini profile's value (config/config.yaml)", *lines])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddr.workflow.config", description=__doc__)
    parser.add_argument("--describe", action="store_true", help="list every key with its default and description")
    parser.add_argument("--check", nargs="+", metavar="YAML",
                        help="validate config files merged in order as Snakemake does (e.g. config/config.yaml "
                             "config/paper.yaml)")
    args = parser.parse_args(argv)
    if args.describe:
        print(describe())
    if args.check:
        import yaml
        from snakemake.utils import update_config

        from ddr.data.registry import RegistryError, load_registry

        merged: dict[str, Any] = {}
        for path in args.check:
            update_config(merged, yaml.safe_load(Path(path).read_text()) or {})
        source = config_source(args.check[1:], default=args.check[0])
        try:
            check_config(merged, set(load_registry(merged["datasets_registry"]).names()), source)
        except (ConfigError, RegistryError) as error:
            raise SystemExit(f"error: {error}") from None
        print(f"{source}: valid")
    if not (args.describe or args.check):
        parser.print_help()


if __name__ == "__main__":
    main()
