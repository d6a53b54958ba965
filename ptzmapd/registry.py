"""Plugin tables: one idiom for every table of named parts (protocols, inputs, transports,
simulators, switchers).

A :class:`Registry` maps the names a config or a command line uses (``visca-ip``, ``midi``,
``udp``) onto ``"module:attribute"`` strings, and imports a module only when one of its names
is first asked for — as mido loads its backends by ``"module/API"`` name. So the daemon on a
Pi that drives one VISCA camera from one MIDI surface never imports SDL, httpx or the Pelco
codec, and a new plugin is one line in its table.

An unknown name raises :class:`UnknownName` (a ``KeyError``) whose text lists the valid names
and the closest one, for messages such as ``unknown protocol 'visac' (did you mean
'visca-ip'? valid: …)``.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def suggest(given: str | None, valid: Sequence[str]) -> str:
    """`` (did you mean 'x'? valid: a, b)`` for a message; "" when there is nothing to say.

    The closest name is found case-insensitively (``difflib``), so ``Visca-IP`` and ``visac``
    both point at ``visca-ip``.
    """
    parts: list[str] = []
    if given is not None:
        by_lower = {name.lower(): name for name in valid}
        close = difflib.get_close_matches(given.lower(), list(by_lower), n=1)
        if close:
            parts.append(f"did you mean {by_lower[close[0]]!r}?")
    if valid:
        parts.append("valid: " + ", ".join(valid))
    return f" ({' '.join(parts)})" if parts else ""


class UnknownName(KeyError):
    """A name that is not in a registry; ``str()`` is a whole message with the valid names."""

    def __init__(self, kind: str, name: str, valid: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)
        super().__init__(f"unknown {kind} {name!r}{suggest(name, valid)}")

    def __str__(self) -> str:
        return str(self.args[0])


def load(target: str) -> object:
    """Import ``"package.module:attribute"`` and return the attribute.

    Raises ``ValueError`` when ``target`` is not of that form, ``ImportError`` /
    ``AttributeError`` when the module or attribute does not exist (a bug in a table, never a
    user mistake: tests load every entry of every registry).
    """
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(f"a plugin is named 'package.module:attribute', not {target!r}")
    value: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


class Registry(Mapping[str, T], Generic[T]):
    """Names → lazily imported plugins of one kind (``kind`` names it in messages).

    It is a read-only mapping: ``names()`` / iteration give the names in table order without
    importing anything; ``registry[name]`` imports on first use and caches.
    """

    def __init__(self, kind: str, entries: Mapping[str, str]) -> None:
        self.kind = kind
        self._entries = dict(entries)
        self._loaded: dict[str, T] = {}

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def target(self, name: str) -> str:
        """The ``"module:attribute"`` behind ``name`` (nothing imported)."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def __getitem__(self, name: str) -> T:
        loaded = self._loaded.get(name)
        if loaded is None:
            loaded = load(self.target(name))  # type: ignore[assignment]
            self._loaded[name] = loaded  # type: ignore[assignment]
        return loaded  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
