"""One registry mechanism for every pluggable name: backbones, baseline metrics, loss terms, label parsers.

Why one: each area used to have its own style (an if-chain, lazy builders, a dict, dicts plus aliases), so adding
one backbone or metric meant learning each. A `Registry` maps a name to an entry (the object, or a lazy
'module:attribute' reference imported on first use, plus that entry's facts); aliases are stored once, here;
an unknown name is a one-line error that lists the known names and suggests the closest. It is a read-only
mapping, so `name in registry`, `registry[name]` (aliases resolved, the object loaded) and iteration (canonical
names, in registration order) work as on the dicts it replaces. Model: pyiqa's `utils/registry.py`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError, ValueError):
    """A name no registry entry (nor alias) has. A KeyError for mapping-style callers, a ValueError for spec
    parsers; its text is the plain one-line message (not KeyError's quoted repr)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered name: the object (or a lazy 'module:attribute' reference), its aliases and its facts."""

    name: str
    target: T | str
    aliases: tuple[str, ...] = ()
    meta: Any = None
    _loaded: dict = field(default_factory=dict, repr=False, compare=False)

    def load(self) -> T:
        """The registered object; a 'module:attribute' reference is imported on first use (heavy modules such
        as open_clip or the MATLAB-port baselines stay unimported until a caller needs them)."""
        if not isinstance(self.target, str):
            return self.target
        if "object" not in self._loaded:
            module, _, attribute = self.target.partition(":")
            self._loaded["object"] = getattr(importlib.import_module(module), attribute)
        return self._loaded["object"]


def _same(name: str) -> str:
    return name


class Registry(Mapping[str, T]):
    """Names -> entries of one kind (e.g. kind='metric'). `normalise` maps a user-typed name to its key
    (e.g. case and '-' ignored); names and aliases are stored normalised."""

    def __init__(self, kind: str, normalise: Callable[[str], str] = _same):
        self.kind = kind
        self.normalise = normalise
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    # registration -------------------------------------------------------------------------------------------
    def add(self, name: str, target: T | str, *, aliases: tuple[str, ...] | list[str] = (),
            meta: Any = None) -> Entry[T]:
        """Register `target` under `name` and its aliases; a string target is a lazy 'module:attribute'."""
        key = self.normalise(name)
        alias_keys = tuple(self.normalise(a) for a in aliases)
        seen: set[str] = set()
        for taken in (key, *alias_keys):
            if taken in self._entries or taken in self._aliases or taken in seen:
                raise ValueError(f"{self.kind} registry: {taken!r} is registered twice")
            seen.add(taken)
        entry = Entry(key, target, alias_keys, meta)
        self._entries[key] = entry
        self._aliases.update({alias: key for alias in alias_keys})
        return entry

    def register(self, name: str, *, aliases: tuple[str, ...] | list[str] = (), meta: Any = None) -> Callable[[T], T]:
        """Decorator form of `add`: `@REGISTRY.register("niqe")` above a class or builder function."""

        def decorate(target: T) -> T:
            self.add(name, target, aliases=aliases, meta=meta)
            return target

        return decorate

    # lookup -------------------------------------------------------------------------------------------------
    def canonical(self, name: str) -> str:
        """The registered name `name` (or an alias of it) stands for; UnknownName when there is none."""
        key = self.normalise(name)
        key = self._aliases.get(key, key)
        if key not in self._entries:
            raise UnknownName(self.unknown_message(name))
        return key

    def entry(self, name: str) -> Entry[T]:
        return self._entries[self.canonical(name)]

    def suggestion(self, name: str) -> str:
        """The hint "; did you mean 'niqe'?" when a registered name or alias is close to `name` (else empty)."""
        close = difflib.get_close_matches(self.normalise(name), [*self._entries, *self._aliases], n=1)
        return f"; did you mean {self._aliases.get(close[0], close[0])!r}?" if close else ""

    def unknown_message(self, name: str) -> str:
        """The one-line error text: unknown metric 'ssim'; known: ddr, niqe, ... (plus the suggestion)."""
        return f"unknown {self.kind} {name!r}; known: {', '.join(self._entries)}{self.suggestion(name)}"

    def list(self) -> list[Entry[T]]:
        """Every entry, in registration order."""
        return list(self._entries.values())

    def names(self, with_aliases: bool = False) -> list[str]:
        return [*self._entries, *(self._aliases if with_aliases else ())]

    # read-only mapping --------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> T:
        return self.entry(name).load()

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = self.normalise(name)
        return key in self._entries or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


__all__ = ["Entry", "Registry", "UnknownName"]
