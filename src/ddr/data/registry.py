"""The dataset registry: src/ddr/resources/datasets.yaml, validated against src/ddr/resources/datasets.schema.json.

Why a registry: the download rules, the label parsers and the DAG all need the same facts about a dataset
(where it comes from, how it unpacks, which parser reads its labels, which way its scores point). Keeping them in
one validated YAML file means a typo is reported once, with the file and the key path, before anything runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from ddr.resources import resource_path

DEFAULT_REGISTRY = resource_path("datasets.yaml")  # package data: found in a checkout and in an installed wheel
DEFAULT_SCHEMA = resource_path("datasets.schema.json")
REGISTRY_ENV = "DDR_DATASETS_YAML"


class RegistryError(ValueError):
    """The registry file is unreadable or breaks the schema; the message names the file and each bad key."""


@dataclass(frozen=True)
class RemoteFile:
    """One archive (or plain file) that makes up a dataset."""

    filename: str
    url: str | None = None
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None  # where a public source gives only an md5
    strip: str | None = None  # top folder inside the archive whose content becomes the dataset folder
    into: str = ""  # sub-folder of the dataset folder that receives the content
    extract: bool = True
    notes: str = ""


@dataclass(frozen=True)
class LabelSpec:
    """Which parser reads the labels, from which files (relative to the dataset folder), with which options."""

    parser: str
    files: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    title: str
    task: str
    access: str  # direct | registration | manual | builtin
    homepage: str | None
    licence: str
    files: tuple[RemoteFile, ...]
    root: str  # folder name under the data root holding the extracted set
    expect: tuple[str, ...]  # paths that must exist after extraction (catches a wrong `strip`)
    labels: LabelSpec | None
    direction: str | None
    expected_rows: int | None
    request_url: str | None = None
    notes: str = ""
    score_name: str | None = None
    score_range: tuple[float, float] | None = None
    splits: Mapping[str, int] | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def needs_manual_download(self) -> bool:
        return self.access in ("registration", "manual")


@dataclass(frozen=True)
class Registry:
    path: Path
    entries: Mapping[str, DatasetEntry]

    def get(self, name: str) -> DatasetEntry:
        try:
            return self.entries[name]
        except KeyError:
            known = ", ".join(sorted(self.entries))
            raise KeyError(f"{self.path}: no dataset named {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return list(self.entries)

    def __iter__(self) -> Iterator[DatasetEntry]:
        return iter(self.entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self.entries


def _key_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def _describe(error) -> tuple[str, str]:
    """(key path, message) for one jsonschema error, pointing at the offending key itself where possible."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown and allowed:
            hint = f" (allowed: {', '.join(sorted(allowed))})"
            return _key_path(path + [unknown[0]]), f"unknown key {unknown[0]!r}{hint}"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            why = " (required for this dataset's access/task kind)" if "allOf" in error.absolute_schema_path else ""
            return _key_path(path + [missing[0]]), f"missing required key {missing[0]!r}{why}"
    if error.validator == "pattern" and "description" in error.schema:
        return _key_path(path), f"{error.instance!r} is not {error.schema['description']}"
    if error.validator == "type" and error.instance is None:
        return _key_path(path), f"must be set (is null; expected {error.validator_value})"
    return _key_path(path), error.message


def _schema_errors(data: Any, schema_path: Path) -> list[tuple[str, str]]:
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - jsonschema is a declared dependency of the workflow extra
        raise RegistryError("validating the dataset registry needs the 'jsonschema' package") from exc
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    found: dict[str, str] = {}
    # For oneOf/anyOf, report the most relevant alternative's error rather than the vague wrapper message.
    for error in validator.iter_errors(data):
        if error.validator in ("oneOf", "anyOf") and error.context:
            error = jsonschema.exceptions.best_match(error.context)
        key, message = _describe(error)
        found.setdefault(key, message)
    return sorted(found.items())


def _semantic_errors(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Checks a JSON schema cannot express: parser names exist, file names are unique."""
    from ddr.data.labels import PARSERS  # local import: the parsers pull in pandas/scipy

    problems = []
    for name, entry in data.get("datasets", {}).items():
        labels = entry.get("labels")
        if isinstance(labels, dict) and labels.get("parser") not in PARSERS:
            problems.append(
                (f"datasets.{name}.labels.parser",
                 f"unknown parser {labels.get('parser')!r} (known: {', '.join(sorted(PARSERS))})")
            )
        names = [f.get("filename") for f in entry.get("files", []) if isinstance(f, dict)]
        for index, filename in enumerate(names):
            if filename in names[:index]:
                problems.append((f"datasets.{name}.files[{index}].filename", f"duplicate file name {filename!r}"))
    return problems


def _entry(name: str, raw: Mapping[str, Any]) -> DatasetEntry:
    files = tuple(
        RemoteFile(
            filename=f["filename"],
            url=f.get("url"),
            size=f.get("size"),
            sha256=f.get("sha256"),
            md5=f.get("md5"),
            strip=f.get("strip"),
            into=f.get("into", "") or "",
            extract=f.get("extract", True),
            notes=f.get("notes", ""),
        )
        for f in raw.get("files", [])
    )
    labels_raw = raw.get("labels")
    labels = None
    if labels_raw:
        labels = LabelSpec(
            parser=labels_raw["parser"],
            files=tuple(labels_raw.get("files", [])),
            options=dict(labels_raw.get("options") or {}),
        )
    score_range = raw.get("score_range")
    return DatasetEntry(
        name=name,
        title=raw["title"],
        task=raw["task"],
        access=raw["access"],
        homepage=raw.get("homepage"),
        request_url=raw.get("request_url"),
        licence=raw["licence"],
        notes=raw.get("notes", ""),
        files=files,
        root=raw["layout"]["root"],
        expect=tuple(raw["layout"].get("expect", [])),
        labels=labels,
        direction=raw.get("direction"),
        score_name=raw.get("score_name"),
        score_range=tuple(score_range) if score_range else None,
        expected_rows=raw.get("expected_rows"),
        splits=dict(raw["splits"]) if raw.get("splits") else None,
        sources=dict(raw.get("sources") or {}),
    )


def load_registry(path: str | os.PathLike | None = None, schema: str | os.PathLike | None = None) -> Registry:
    """Read, validate and convert the registry. `path` defaults to $DDR_DATASETS_YAML, then src/ddr/resources/datasets.yaml."""
    path = Path(path or os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY)
    schema = Path(schema or DEFAULT_SCHEMA)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the dataset registry ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    problems = _schema_errors(data, schema)
    if not problems:
        problems = _semantic_errors(data)
    if problems:
        lines = "\n".join(f"  {key}: {message}" for key, message in problems)
        raise RegistryError(f"{path}: invalid dataset registry ({len(problems)} problem(s)):\n{lines}")
    entries = {name: _entry(name, raw) for name, raw in data["datasets"].items()}
    return Registry(path=path, entries=entries)


def get_dataset(name: str, path: str | os.PathLike | None = None) -> DatasetEntry:
    """Look up one dataset by registry name (e.g. 'koniq10k')."""
    return load_registry(path).get(name)


def describe(registry: Registry | None = None, data_root: str = "data/raw") -> list[dict[str, Any]]:
    """One plain dict per dataset, for `ddr datasets [--json]`: what a user needs before a run.

    `images` is the evaluation protocol's size (pairs for restoration sets; None where not confirmed);
    `place_at` says where a registration/manual archive must be put (relative to the repository, for the
    pipeline's data root `data_root`).
    """
    registry = registry or load_registry()
    rows = []
    for entry in registry:
        if entry.access == "builtin":
            continue
        rows.append({
            "name": entry.name,
            "title": entry.title,
            "task": entry.task,
            "images": entry.expected_rows,
            "splits": dict(entry.splits) if entry.splits else None,
            "direction": entry.direction,
            "score_range": list(entry.score_range) if entry.score_range else None,
            "archives": [spec.filename for spec in entry.files],
            "urls": [spec.url for spec in entry.files],
            "access": entry.access,
            "licence": entry.licence,
            "homepage": entry.homepage,
            "request_url": entry.request_url,
            "place_at": ([f"{data_root}/downloads/{entry.name}/{spec.filename}" for spec in entry.files]
                         if entry.needs_manual_download else []),
        })
    return rows


def format_description(rows: list[dict[str, Any]]) -> str:
    """The describe() rows as an aligned text table plus, per hand-placed set, where its archive goes."""
    header = ("name", "images", "direction", "access", "archives", "licence")
    table = [header] + [(r["name"], "?" if r["images"] is None else str(r["images"]), r["direction"] or "-",
                         r["access"], ", ".join(r["archives"]), r["licence"][:60]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
    for row in rows:
        if row["place_at"]:
            lines.append(f"{row['name']}: request/download at {row['request_url']}, place at "
                         + ", ".join(row["place_at"]))
    return "\n".join(lines)
