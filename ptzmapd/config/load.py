"""Load a config file into typed :mod:`.model` objects, reporting every problem at once.

Validation is driven by tables. Each kind of entry (a camera, an input, a binding, an
``include`` entry, the top level) has a :class:`Schema`: rows of :class:`Field` (key, check,
required, default) and the condition under which each key applies. Conditions are written
on *facts* about the entry, read from its raw YAML before validation:

=========== ====================================================
entry       facts
=========== ====================================================
camera      ``protocol``, ``transport`` (from :data:`PROTOCOLS`)
input       ``type``
binding     ``action``, ``control``, ``input_type``, ``mode`` (when it is one of the action's),
            ``used_as`` (:func:`_used_as`), ``preset_by`` (``number``, ``step``, ``encoder``)
=========== ====================================================

So a later protocol key is one row (``Field("device", Text(), required=when(transport="serial"),
applies=when(transport="serial"))``), and a new input type is a name in :data:`INPUT_TYPES`
plus rows for its keys and its binding controls (``axis``, ``button``, ``hat`` with
``applies=when(input_type="gamepad")``, named in :data:`CONTROL_KEYS`). A key whose row does
not apply is reported as "key 'x' does not apply to action 'pan'"; a key with no row at all as
an unknown key with suggestions. Keys that are not fields of the model class land in its
``options`` dict, already validated.

Every problem is collected, then all are raised together as one :class:`ConfigError`, each
line ``FILE:LINE:COL: dotted.path: problem``. Never a traceback for a user's mistake.

Once cameras and bindings are built, each binding is checked against the capabilities of the
protocols it can reach (:func:`ptzmapd.mapping.actions.can`): a camera named in a binding
must be able to do what it asks.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ptzmapd.commands import AUTOFOCUS_MODES, Command, Jog, MoveTo, PresetClear, PresetRecall, PresetStore
from ptzmapd.config.led_rules import LedRule, own_light, refusal, settle
from ptzmapd.config.model import BindingConfig, CameraConfig, Config, InputConfig, LedConfig, Mark, RawText
from ptzmapd.config.yamlmarks import (
    MappingNode,
    Node,
    Problem,
    ScalarNode,
    SequenceNode,
    child_path,
    read_yaml,
)
from ptzmapd.registry import suggest
from ptzmapd.errors import ConfigError, ProtocolError
from ptzmapd.files import FileRefused, beside, check_path
from ptzmapd.secrets import SecretMissing, one_password_source, password_source, password_sources
from ptzmapd.transports.addresses import host_problem, serial_device_problem, url_problem
from ptzmapd.transports.tls import trust_problem
from ptzmapd.mapping.midi_values import ENCODINGS
from ptzmapd.inputs.controls import GAMEPAD_AXES, GAMEPAD_BUTTONS, GAMEPAD_TRIGGERS, HAT_DIRECTIONS
from ptzmapd.mapping.actions import (
    ACTIONS,
    DIRECT_MODE,
    HOLD_MODES,
    SURFACE_ACTIONS,
    SWITCH_MODES,
    switchable,
    LEVELS,
    MOTION_ACTIONS,
    NAMED_ACTIONS,
    PRESET_CLEAR,
    RAW_ACTION,
    RAW_KINDS,
    can,
    modes_of,
)
from ptzmapd.protocols import DEFAULT_BAUD, PROTOCOLS, VISCA_PROTOCOLS
from ptzmapd.protocols.visca import DIALECTS
from ptzmapd.protocols.visca_ip import REPLY_SEQUENCE, SEQUENCE_MODES

# --------------------------------------------------------------------------- checks


class Invalid(Exception):
    """A check rejects a value; the message says why, the caller adds the place."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a check may look at besides the value: the entry's facts and the known names."""

    facts: Mapping[str, str]
    cameras: Sequence[str] = ()
    inputs: Sequence[str] = ()


class Check(Protocol):
    """Turns a node into a config value, or raises :class:`Invalid`."""

    def __call__(self, node: Node, scope: Scope) -> Any: ...


#: A range bound: fixed, or read from the scope (a protocol's own top speed); None = unknown.
Bound = int | Callable[[Scope], int | None]


def show(node: Node) -> str:
    """The bad value for a message: its repr, or YAML's own spelling for true/false/null."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.value is None or isinstance(node.value, bool):
        # "got yes" says more than "got True" to someone who wrote "yes".
        return node.text or "nothing"
    return repr(node.value)


def is_broken(node: Node) -> bool:
    """A stand-in for a value YAML could not give; its problem is reported already."""
    return isinstance(node, ScalarNode) and node.broken


def word(node: Node | None) -> str | None:
    """A scalar as a name: strings as they are, and true/false/null as written.

    YAML 1.1 reads an unquoted ``on``, ``off``, ``yes``, ``no`` as booleans; where a name is
    expected (``mode: on``) the user meant the word.
    """
    if not isinstance(node, ScalarNode):
        return None
    if isinstance(node.value, str):
        return node.value
    if node.value is None or isinstance(node.value, bool):
        return node.text
    return None




def _resolve(bound: Bound, scope: Scope) -> int | None:
    return bound(scope) if callable(bound) else bound


@dataclass(frozen=True, slots=True)
class Integer:
    """A whole number in ``low..high``; a YAML bool is not a number."""

    low: Bound
    high: Bound

    def __call__(self, node: Node, scope: Scope) -> int:
        value = node.value if isinstance(node, ScalarNode) else None
        # bool is a subclass of int in Python; "port: true" is a mistake, not port 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f"expected an integer, got {show(node)}")
        low, high = _resolve(self.low, scope), _resolve(self.high, scope)
        # An unknown bound (a protocol that is itself wrong) is reported there, not here.
        if low is not None and high is not None and not low <= value <= high:
            raise Invalid(f"{value} is out of range (valid: {low}..{high})")
        return value


@dataclass(frozen=True, slots=True)
class Number:
    """An int or float in ``low..high`` (or ``low < x <= high`` with ``above_low``)."""

    low: float
    high: float
    above_low: bool = False

    def __call__(self, node: Node, scope: Scope) -> float:
        value = node.value if isinstance(node, ScalarNode) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Invalid(f"expected a number, got {show(node)}")
        # Written so NaN (".nan") fails every comparison and is refused.
        above = value > self.low if self.above_low else value >= self.low
        if not (above and value <= self.high):
            valid = (
                f"more than {self.low:g}, at most {self.high:g}" if self.above_low
                else f"{self.low:g}..{self.high:g}"
            )
            raise Invalid(f"{value!r} is out of range (valid: {valid})")
        return float(value)


@dataclass(frozen=True, slots=True)
class Text:
    """A non-empty string (a host name, a port-name glob)."""

    def __call__(self, node: Node, scope: Scope) -> str:
        value = node.value if isinstance(node, ScalarNode) else None
        if not isinstance(value, str):
            raise Invalid(f"expected a string, got {show(node)}")
        if not value.strip():
            raise Invalid("must not be empty")
        return value


@dataclass(frozen=True, slots=True)
class Globs:
    """A port-name glob, or a list of them in order of preference (the first that matches a
    port wins: ``["*APC mini mk2*Contr*", "*APC mini mk2*"]``); a list is kept as a tuple."""

    def __call__(self, node: Node, scope: Scope) -> str | tuple[str, ...]:
        if isinstance(node, SequenceNode):
            if not node.value:
                raise Invalid("expected a glob or a list of globs, got an empty list")
            return tuple(Text()(item, scope) for item in node.value)
        return Text()(node, scope)


@dataclass(frozen=True, slots=True)
class Boolean:
    def __call__(self, node: Node, scope: Scope) -> bool:
        value = node.value if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            raise Invalid(f"expected true or false, got {show(node)}")
        return value


@dataclass(frozen=True, slots=True)
class Flag:
    """A key whose presence is the information (``pitchbend: true``); only true is allowed."""

    def __call__(self, node: Node, scope: Scope) -> bool:
        if not (isinstance(node, ScalarNode) and node.value is True):
            raise Invalid(f"expected true, got {show(node)}")
        return True


@dataclass(frozen=True, slots=True)
class Choice:
    """One name out of a fixed list, or out of names the scope knows (cameras, inputs)."""

    noun: str
    choices: Sequence[str] | Callable[[Scope], Sequence[str]]
    #: Names that exist but do not fit here (``all`` where one camera is needed).
    not_here: Collection[str] = ()

    def __call__(self, node: Node, scope: Scope) -> str:
        choices = self.choices(scope) if callable(self.choices) else self.choices
        given = word(node)
        if given is not None and given in choices:
            return given
        if given in self.not_here:
            raise Invalid(f"{self.noun} {given!r} is not allowed here{suggest(None, choices)}")
        if given == "":
            raise Invalid(f"expected a {self.noun}, got nothing{suggest(None, choices)}")
        shown = repr(given) if given is not None else show(node)
        raise Invalid(f"unknown {self.noun} {shown}{suggest(given, choices)}")


#: Each raw kind's validator: a function of the codec module that sends it, which raises
#: ValueError or ProtocolError with the reason. Imported when a config first uses the kind.
RAW_PARSERS: dict[str, tuple[str, str]] = {
    "visca": ("ptzmapd.protocols.visca", "parse_visca_raw"),
    "pelco": ("ptzmapd.protocols.pelco", "parse_pelco_raw"),
    "http": ("ptzmapd.protocols.http", "parse_http_raw"),
}


def check_raw(kind: str, text: str) -> None:
    """Raise ValueError or ProtocolError saying why ``text`` is no raw ``kind`` command."""
    module, function = RAW_PARSERS[kind]
    parse: Callable[[str], object] = getattr(importlib.import_module(module), function)
    parse(text)


@dataclass(frozen=True, slots=True)
class Raw:
    """A raw action's text, valid for its kind (the binding key: ``visca``, ``pelco``, ``http``)."""

    kind: str

    def __call__(self, node: Node, scope: Scope) -> RawText:
        text = Text()(node, scope)
        try:
            check_raw(self.kind, text)
        except (ValueError, ProtocolError) as error:
            raise Invalid(str(error)) from None
        return RawText(self.kind, text)


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """A gamepad/joystick ``match:``: SDL's index, a 32-hex-digit GUID, or a name glob."""

    def __call__(self, node: Node, scope: Scope) -> int | str:
        value = node.value if isinstance(node, ScalarNode) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.strip():
            return value
        raise Invalid(f"expected a device name glob, a GUID or an index, got {show(node)}")


@dataclass(frozen=True, slots=True)
class Secret:
    """A password written in the config: a non-empty string, never shown in a message (YAML
    reads an unquoted ``12345678`` or ``yes`` as a number or a boolean: the refusal says what
    kind it got, never the value)."""

    def __call__(self, node: Node, scope: Scope) -> str:
        value = node.value if isinstance(node, ScalarNode) else None
        if isinstance(value, str):
            if not value.strip():
                raise Invalid("must not be empty")
            return value
        kind = ("a mapping" if isinstance(node, MappingNode) else "a list" if isinstance(node, SequenceNode)
                else "nothing" if value is None else "true/false" if isinstance(value, bool) else "a number")
        raise Invalid(f"expected a string (quote it: YAML read this password as {kind})")


@dataclass(frozen=True, slots=True)
class RangeAtRest:
    """``range`` on a control that springs back when let go: only the range in which its rest
    position means stop (``keeps``); the other would move the camera with nobody touching it."""

    keeps: str
    why: str

    def __call__(self, node: Node, scope: Scope) -> str:
        given = Choice("range", ("bipolar", "unipolar"))(node, scope)
        if given != self.keeps:
            raise Invalid(f"range {given!r} would move the camera with nobody touching it: {self.why}, "
                          f"which {given} reads as a speed (valid here: {self.keeps})")
        return given


@dataclass(frozen=True, slots=True)
class Curve:
    """``linear``, ``{expo: K}`` (0..1), or points ``[[x, y], ...]`` from (0, 0) rising to x = 1.

    The first point must be (0, 0): a control at rest (a stick in its middle, a fader at its
    stop) would otherwise ask for a speed, and the camera would move with nobody touching it.
    """

    def __call__(self, node: Node, scope: Scope) -> tuple[float, tuple[tuple[float, float], ...]]:
        if isinstance(node, ScalarNode) and node.value == "linear":
            return 0.0, ()
        if isinstance(node, MappingNode) and set(node.value) == {"expo"}:
            return Number(0, 1)(node.value["expo"], scope), ()
        if isinstance(node, SequenceNode) and len(node.value) >= 2:
            points: list[tuple[float, float]] = []
            for item in node.value:
                pair = item.value if isinstance(item, SequenceNode) else None
                if pair is None or len(pair) != 2:
                    raise Invalid("each curve point is [x, y]")
                points.append((Number(0, 1)(pair[0], scope), Number(0, 1)(pair[1], scope)))
            xs = [x for x, _ in points]
            if xs != sorted(xs) or len(set(xs)) != len(xs):
                raise Invalid("curve points must have rising x")
            if points[0] != (0.0, 0.0):
                first = ", ".join(f"{n:g}" for n in points[0])
                raise Invalid(f"a curve starts at [0, 0], not [{first}]: a control at rest would move the camera")
            return 0.0, tuple(points)
        raise Invalid(f"expected linear, {{expo: K}} or a list of [x, y] points, got {show(node)}")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A SHA-256 certificate fingerprint: 64 hex digits, colons allowed."""

    def __call__(self, node: Node, scope: Scope) -> str:
        text = Text()(node, scope)
        digits = text.replace(":", "").replace(" ", "")
        if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise Invalid(f"expected a SHA-256 fingerprint (64 hex digits, colons allowed), got {text!r}")
        return text


@dataclass(frozen=True, slots=True)
class Ramps:
    """``ramps: {pan: {accel: 2, decel: 4}, zoom: {accel: 1}}``: normalised speed per second."""

    def __call__(self, node: Node, scope: Scope) -> dict[str, dict[str, float]]:
        if not isinstance(node, MappingNode):
            raise Invalid(f"expected a mapping of axes (pan, tilt, zoom, focus), got {show(node)}")
        ramps: dict[str, dict[str, float]] = {}
        for axis, limits in node.value.items():
            if axis not in MOTION_ACTIONS:
                raise Invalid(f"unknown axis {axis!r}{suggest(axis, MOTION_ACTIONS)}")
            if not isinstance(limits, MappingNode) or not limits.value or set(limits.value) - {"accel", "decel"}:
                raise Invalid(f"{axis}: expected {{accel: N, decel: N}} (speed per second)")
            ramps[axis] = {key: Number(0, 1000)(value, scope) for key, value in limits.value.items()}
        return ramps


@dataclass(frozen=True, slots=True)
class PresetRange:
    """``presets: [first, last]``: the presets a step binding walks through."""

    def __call__(self, node: Node, scope: Scope) -> tuple[int, int]:
        items = node.value if isinstance(node, SequenceNode) else None
        if items is None or len(items) != 2:
            raise Invalid(f"expected [first, last], got {show(node)}")
        first, last = Integer(0, 255)(items[0], scope), Integer(0, 255)(items[1], scope)
        if first > last:
            raise Invalid(f"first preset {first} is above the last {last}")
        return first, last


@dataclass(frozen=True, slots=True)
class Led:
    """``led: true`` (the binding's own note/CC) or ``{note|cc: N, on: V, off: V, channel: C}``."""

    def __call__(self, node: Node, scope: Scope) -> LedConfig | bool:
        if isinstance(node, ScalarNode) and isinstance(node.value, bool):
            return node.value
        if not isinstance(node, MappingNode):
            raise Invalid(f"expected true or a mapping with note or cc, got {show(node)}")
        keys = set(node.value)
        unknown = keys - {"note", "cc", "on", "off", "channel"}
        if unknown:
            raise Invalid(f"unknown key {sorted(unknown)[0]!r}{suggest(None, ('note', 'cc', 'on', 'off', 'channel'))}")
        kinds = [kind for kind in ("note", "cc") if kind in keys]
        if len(kinds) != 1:
            raise Invalid("expected exactly one of 'note' or 'cc'")
        byte = Integer(0, 127)
        # on/off left out here take the input's led_on/led_off (filled in by the binding).
        return LedConfig(
            kinds[0], byte(node.value[kinds[0]], scope),
            byte(node.value["on"], scope) if "on" in keys else -1,
            byte(node.value["off"], scope) if "off" in keys else -1,
            Integer(1, 16)(node.value["channel"], scope) if "channel" in keys else None,
        )


@dataclass(frozen=True, slots=True)
class Span:
    """``N`` or ``[first, last]``, each in ``low..high``: a range of MIDI numbers."""

    low: int
    high: int

    def __call__(self, node: Node, scope: Scope) -> tuple[int, int]:
        number = Integer(self.low, self.high)
        if isinstance(node, ScalarNode):
            value = number(node, scope)
            return value, value
        items = node.value if isinstance(node, SequenceNode) else None
        if items is None or len(items) != 2:
            raise Invalid(f"expected a number or [first, last], got {show(node)}")
        first, last = number(items[0], scope), number(items[1], scope)
        if first > last:
            raise Invalid(f"first {first} is above the last {last}")
        return first, last


@dataclass(frozen=True, slots=True)
class LedControls:
    """``controls: {note|cc: [first, last]}``: the buttons a range of lights belongs to."""

    def __call__(self, node: Node, scope: Scope) -> tuple[str, int, int]:
        if not isinstance(node, MappingNode) or len(node.value) != 1 or set(node.value) - {"note", "cc"}:
            raise Invalid(f"expected {{note: [first, last]}} or {{cc: [first, last]}}, got {show(node)}")
        ((kind, span),) = node.value.items()
        first, last = Span(0, 127)(span, scope)
        return kind, first, last


@dataclass(frozen=True, slots=True)
class Shape:
    """A section: a mapping or a list, handed on as nodes; an empty YAML value is empty."""

    kind: type[MappingNode] | type[SequenceNode]

    def __call__(self, node: Node, scope: Scope) -> MappingNode | SequenceNode:
        if isinstance(node, self.kind):
            return node
        if isinstance(node, ScalarNode) and node.value is None:
            # "inputs:" with nothing under it.
            return MappingNode({}, node.mark, {}) if self.kind is MappingNode else SequenceNode([], node.mark)
        raise Invalid(f"expected {'a mapping' if self.kind is MappingNode else 'a list'}, got {show(node)}")


# --------------------------------------------------------------------------- the table engine


@dataclass(frozen=True, slots=True)
class When:
    """A condition on an entry's facts: each fact in ``only`` is one of its values, and no
    fact in ``unless`` is one of its values.

    :meth:`test` answers None when a fact it needs is unknown (the entry's action is itself
    misspelt): then the key is neither refused nor demanded, so one mistake makes one message.
    """

    only: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unless: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def but_not(self, **facts: str | Iterable[str]) -> When:
        return When(self.only, {**self.unless, **_fact_sets(facts)})

    def test(self, facts: Mapping[str, str]) -> bool | None:
        unknown = False
        for fact, values in self.only.items():
            if fact not in facts:
                unknown = True
            elif facts[fact] not in values:
                return False
        for fact, values in self.unless.items():
            if fact not in facts:
                unknown = True
            elif facts[fact] in values:
                return False
        return None if unknown else True

    def blame(self, facts: Mapping[str, str]) -> str:
        """The fact that makes :meth:`test` false, as words: ``action 'pan'``."""
        for fact, values in self.only.items():
            if fact in facts and facts[fact] not in values:
                return _fact_words(fact, facts[fact])
        for fact, values in self.unless.items():
            if fact in facts and facts[fact] in values:
                return _fact_words(fact, facts[fact])
        return ""

    def purpose(self, facts: Mapping[str, str]) -> str:
        """What the condition is for, as words: ``action 'preset'``."""
        return ", ".join(_fact_words(fact, facts[fact]) for fact in self.only if fact in facts)


def _fact_sets(facts: Mapping[str, str | Iterable[str]]) -> dict[str, frozenset[str]]:
    # A lone string is one value, not a set of characters.
    return {fact: frozenset([values] if isinstance(values, str) else values) for fact, values in facts.items()}


def _fact_words(fact: str, value: str) -> str:
    if fact == "used_as":
        return f"a control used as {USED_AS[value]}"
    return f"{fact.replace('_', ' ')} {value!r}"


def when(**facts: str | Iterable[str]) -> When:
    """Applies when every named fact has one of the given values."""
    return When(_fact_sets(facts))


def unless(**facts: str | Iterable[str]) -> When:
    """Applies unless a named fact has one of the given values."""
    return When({}, _fact_sets(facts))


@dataclass(frozen=True, slots=True)
class Field:
    """One row of a schema. A key may have several rows with different ``applies``
    conditions (a binding's ``camera`` is a target in general, one camera for ``select``);
    the first row that applies is used.
    """

    key: str
    check: Check
    required: bool | When = False
    #: None: the key applies to every entry of the section.
    applies: When | None = None
    #: Used when the key is absent and applies; None leaves the model's own default.
    default: Any = None
    default_from: Callable[[Scope], Any] | None = None

    def applies_to(self, facts: Mapping[str, str]) -> bool | None:
        return True if self.applies is None else self.applies.test(facts)

    def required_for(self, facts: Mapping[str, str]) -> bool:
        if isinstance(self.required, When):
            return self.required.test(facts) is True
        return self.required


@dataclass(frozen=True, slots=True)
class Schema:
    fields: tuple[Field, ...]
    #: Groups of keys of which exactly one must be given (among those that apply).
    one_of: tuple[tuple[str, ...], ...] = ()
    #: The rows of each key, in table order (every key of every entry is looked up here).
    _rows: dict[str, list[Field]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows: dict[str, list[Field]] = {}
        for row in self.fields:
            rows.setdefault(row.key, []).append(row)
        object.__setattr__(self, "_rows", rows)

    def keys(self) -> list[str]:
        return list(self._rows)

    def rows(self, key: str) -> list[Field]:
        return list(self._rows.get(key, ()))


def read_fields(
    schema: Schema,
    node: MappingNode,
    path: str,
    scope: Scope,
    problems: list[Problem],
    *,
    where: Mark | None = None,
    supplied: Mapping[str, Any] | None = None,
    partial: bool = False,
) -> dict[str, Any] | None:
    """Validate one mapping against ``schema``; None if any problem was found in it.

    ``where`` is the place to report missing keys (the entry's name, if it has one).
    ``supplied`` holds values given from outside the mapping (an include entry's ``input``):
    they count as present. ``partial`` returns the values that passed even when others did
    not (the top level: an unknown key beside good cameras must not hide their problems).
    """
    found_before = len(problems)
    facts = scope.facts
    supplied = supplied or {}
    where = where or node.mark
    values: dict[str, Any] = {}
    # A value YAML could not give is reported already; it still spoils the entry.
    broken = False

    # The keys written: known, applying, valid?
    for key, child in node.value.items():
        key_path = child_path(path, key)
        key_mark = node.key_marks[key]
        rows = schema.rows(key)
        if not rows:
            valid = [k for k in schema.keys() if any(r.applies_to(facts) is not False for r in schema.rows(k))]
            problems.append(Problem(key_mark, key_path, f"unknown key {key!r}{suggest(key, valid)}"))
            continue
        row = next((r for r in rows if r.applies_to(facts) is True), None)
        row = row or next((r for r in rows if r.applies_to(facts) is None), None)
        if row is None:
            blame = rows[0].applies.blame(facts) if rows[0].applies else ""
            problems.append(Problem(key_mark, key_path, f"key {key!r} does not apply to {blame}"))
            continue
        if is_broken(child):
            broken = True
            continue
        try:
            values[key] = row.check(child, scope)
        except Invalid as invalid:
            problems.append(Problem(child.mark, key_path, str(invalid)))

    # The keys not written: supplied from outside, missing, or defaulted.
    for key in schema.keys():
        if key in node.value:
            continue
        if key in supplied:
            values[key] = supplied[key]
            continue
        rows = schema.rows(key)
        needed = next((r for r in rows if r.required_for(facts)), None)
        if needed is not None:
            purpose = needed.required.purpose(facts) if isinstance(needed.required, When) else ""
            because = f" (required for {purpose})" if purpose else ""
            problems.append(Problem(where, path, f"missing key {key!r}{because}"))
            continue
        row = next((r for r in rows if r.applies_to(facts) is True), None)
        if row is not None and row.default_from is not None:
            values[key] = row.default_from(scope)
        elif row is not None and row.default is not None:
            values[key] = row.default

    # Exactly one key of each group (a binding's control, a MIDI input's port or virtual).
    for group in schema.one_of:
        candidates = [k for k in group if any(r.applies_to(facts) is not False for r in schema.rows(k))]
        given = [k for k in candidates if k in node.value]
        listed = ", ".join(map(repr, candidates))
        # Demanded only when some key of the group surely applies: with the fact they hang
        # on unknown (a misspelt action), the mistake is reported once, at that fact.
        demanded = any(r.applies_to(facts) is True for k in candidates for r in schema.rows(k))
        # A key of the group that is there but does not apply is reported already, at itself.
        if demanded and not given and not any(k in node.value for k in group):
            problems.append(Problem(where, path, f"missing one of {listed}"))
        for extra in given[1:]:
            problems.append(Problem(
                node.key_marks[extra], child_path(path, extra),
                f"{given[0]!r} and {extra!r} cannot be used together (choose one of {listed})",
            ))

    return values if partial or (len(problems) == found_before and not broken) else None


Model = TypeVar("Model", CameraConfig, InputConfig)


def build(model: type[Model], values: dict[str, Any], **fixed: Any) -> Model:
    """Make a model object; keys that are not its fields go to its ``options`` dict
    (protocol- and device-specific settings)."""
    names = {f.name for f in dataclasses.fields(model)}
    options = {k: v for k, v in values.items() if k not in names}
    known = {k: v for k, v in values.items() if k in names}
    return model(**fixed, **known, options=options)


# --------------------------------------------------------------------------- the tables

#: Transports whose cameras are reached by host and port (later also "http").
NETWORK_TRANSPORTS = ("udp", "tcp")


def _top_speed(axis: str) -> Callable[[Scope], int | None]:
    """A bound read from the camera's protocol: its fastest speed on ``axis``."""

    def top(scope: Scope) -> int | None:
        spec = PROTOCOLS.get(scope.facts.get("protocol", ""))
        return None if spec is None else int(getattr(spec.limits, axis))

    return top


def _default_port(scope: Scope) -> int | None:
    spec = PROTOCOLS.get(scope.facts.get("protocol", ""))
    return None if spec is None else spec.default_port


def _default_baud(scope: Scope) -> int | None:
    return DEFAULT_BAUD.get(scope.facts.get("protocol", ""))


CAMERA = Schema((
    Field("protocol", Choice("protocol", tuple(PROTOCOLS)), required=True),
    Field("host", Text(), required=when(transport=NETWORK_TRANSPORTS), applies=when(transport=NETWORK_TRANSPORTS)),
    Field("port", Integer(1, 65535), applies=when(transport=NETWORK_TRANSPORTS), default_from=_default_port),
    # VISCA-over-IP quirks (ERRATA; protocols.visca_ip): "on" counts the sequence number,
    # "fixed" keeps the header and numbers every message 1, "none" sends bare frames; a camera
    # that counts but answers everything with 1 takes "reply_sequence: ignored".
    Field("sequence", Choice("sequence", tuple(SEQUENCE_MODES)), applies=when(protocol="visca-ip"), default="on"),
    Field("reply_sequence", Choice("reply_sequence", REPLY_SEQUENCE), applies=when(protocol="visca-ip")),
    # Where VISCA vendors differ (protocols.visca.DIALECTS): one-push AF bytes, and the preset
    # number the camera shows for memory 0 (preset_base; default the dialect's). Absent: the
    # codec's defaults (DEFAULT_DIALECT, reply_sequence "checked").
    Field("dialect", Choice("dialect", tuple(DIALECTS)), applies=when(protocol=VISCA_PROTOCOLS)),
    Field("preset_base", Integer(0, 1), applies=when(protocol=VISCA_PROTOCOLS)),
    # Seconds. Above 10 s a camera is no longer being controlled live.
    Field("min_interval", Number(0, 10, above_low=True)),
    Field("ack_timeout", Number(0, 10, above_low=True)),
    Field("max_pan_speed", Integer(1, _top_speed("pan"))),
    Field("max_tilt_speed", Integer(1, _top_speed("tilt"))),
    # Zoom and focus start at 0: VISCA's slowest zoom/focus speed is 0, and it still moves.
    Field("max_zoom_speed", Integer(0, _top_speed("zoom"))),
    Field("max_focus_speed", Integer(0, _top_speed("focus"))),
    # Seconds between position inquiries while the camera moves; 0 = never.
    Field("position_poll", Number(0, 60)),
    # Motion feel: ramps per axis, a soft release, steps that hold against a resting hand,
    # pan/tilt slowed as the lens zooms in, and a watchdog on endless moves.
    Field("ramps", Ramps()),
    Field("soft_stop", Boolean()),
    Field("hysteresis", Number(0, 0.5)),
    Field("zoom_speed_at_tele", Number(0, 1, above_low=True)),
    Field("zoom_curve", Number(0.2, 5)),
    Field("zoom_travel_time", Number(0, 60, above_low=True)),
    Field("zoom_max", Integer(1, 1 << 20)),
    Field("max_move", Number(0, 3600)),
    # -- serial cameras: a device path (/dev/ttyUSB0) or a pyserial URL (socket://host:port,
    # rfc2217://...). Every camera on one device shares it (daisy chain, RS-485 bus).
    Field("device", Text(), required=when(transport="serial"), applies=when(transport="serial")),
    Field("address", Integer(1, 7), required=when(protocol="visca-serial"), applies=when(protocol="visca-serial")),
    # Pelco addresses as the camera's dial shows them (Pelco-P sends them zero-based).
    Field("address", Integer(1, 255), required=when(protocol=("pelco-d", "pelco-p")),
          applies=when(protocol=("pelco-d", "pelco-p"))),
    Field("baud", Integer(300, 921600), applies=when(transport="serial"), default_from=_default_baud),
    Field("turbo", Boolean(), applies=when(protocol=("pelco-d", "pelco-p")), default=False),
    # Reply-less wiring: a lost stop is a runaway camera, so stops are sent again...
    Field("stop_repeats", Integer(0, 10), applies=when(protocol=("pelco-d", "pelco-p"))),
    # ...and a held motion is refreshed this often (seconds; 0 = never).
    Field("refresh", Number(0, 10), applies=when(protocol=("pelco-d", "pelco-p"))),
    # -- HTTP cameras. Passwords come from the environment or a file, never from logs.
    Field("url", Text(), required=when(transport="http"), applies=when(transport="http")),
    Field("channel", Integer(1, 512), applies=when(protocol="isapi"), default=1),
    Field("username", Text(), applies=when(transport="http")),
    Field("password_env", Text(), applies=when(transport="http")),
    Field("password_file", Text(), applies=when(transport="http")),
    Field("password", Secret(), applies=when(transport="http")),  # accepted, with a warning
    Field("timeout", Number(0, 60, above_low=True), applies=when(transport="http"), default=2.5),
    # Pin a self-signed camera certificate (SHA-256, as `openssl x509 -fingerprint -sha256`
    # prints it) instead of turning verification off.
    Field("tls_fingerprint", Fingerprint(), applies=when(transport="http")),
))

#: Input types a config can name.
INPUT_TYPES: tuple[str, ...] = ("midi", "gamepad", "joystick")
SDL_TYPES = ("gamepad", "joystick")

INPUT = Schema(
    (
        Field("type", Choice("input type", INPUT_TYPES), required=True),
        # A glob over port names (and JACK port aliases), or globs in order of preference.
        Field("port", Globs(), applies=when(type="midi")),
        Field("virtual", Text(), applies=when(type="midi")),  # a port we create
        Field("api", Choice("api", ("alsa", "jack")), applies=when(type="midi")),
        Field("channel", Integer(1, 16), applies=when(type="midi")),
        # LEDs: the MIDI output port (a glob) that lights the surface, and its usual values.
        Field("feedback", Globs(), applies=when(type="midi")),
        Field("led_on", Integer(0, 127), applies=when(type="midi")),
        Field("led_off", Integer(0, 127), applies=when(type="midi")),
        # Which SDL device: its index, GUID or a name glob; absent = the first one.
        Field("match", DeviceMatch(), applies=when(type=SDL_TYPES)),
        # Seconds of silence after which what the input drives is stopped (for inputs that
        # stream continuously; a fader at rest is silent, so off by default).
        Field("deadman", Number(0, 60, above_low=True)),
    ),
    one_of=(("port", "virtual"),),
)

#: Binding targets besides camera names; so no camera may be called this.
TARGETS = ("selected", "all")
#: The keys that name a binding's control; exactly one per binding. A flag control
#: (pitchbend, program) has no number.
CONTROL_KEYS: tuple[str, ...] = ("cc", "note", "pitchbend", "program", "cc14", "nrpn", "axis", "button", "hat")
#: How a control drives a motion (the ``used_as`` fact), in words for messages.
USED_AS: dict[str, str] = {
    "position": "a fader or stick (cc, cc14, nrpn, pitchbend, axis)",
    "stick": "a gamepad stick",
    "trigger": "a gamepad trigger",
    "button": "a button (note, button, hat, program)",
    "encoder": "a relative encoder (cc with encoding)",
}
#: Controls with a travel that a deadzone and a curve can shape.
TRAVELLING = ("position", "stick", "trigger")


def _used_as(control: str, number: object, has_encoding: bool, input_type: str | None) -> str:
    """The ``used_as`` fact of a binding: how its control drives a motion (:data:`USED_AS`)."""
    if control in ("note", "button", "hat", "program"):
        return "button"
    if control == "cc" and has_encoding:
        return "encoder"
    if control == "axis" and input_type == "gamepad":
        return "trigger" if number in GAMEPAD_TRIGGERS else "stick"
    return "position"


#: Named actions, and those of them with a direct mode (which takes ``level:``).
NAMED = tuple(NAMED_ACTIONS)
LEVELLED = tuple(LEVELS)


def _named_modes(scope: Scope) -> Sequence[str]:
    action = scope.facts.get("action", "")
    modes = NAMED_ACTIONS.get(action, ())
    return (*modes, *SWITCH_MODES) if switchable(action) else modes


#: ``select`` targets besides camera names: step through the cameras, or drive them all.
SELECT_STEPS = ("next", "previous", "all")


def _level_bound(end: str) -> Callable[[Scope], int | None]:
    """The lowest or highest ``level`` of the binding's action (mapping.actions.LEVELS)."""

    def bound(scope: Scope) -> int | None:
        levels = LEVELS.get(scope.facts.get("action", ""))
        if levels is None:
            return None
        return levels.start if end == "low" else levels.stop - 1

    return bound


#: A binding's input, and an include entry's: one of the inputs defined in any file.
INPUT_NAME = Choice("input", lambda scope: scope.inputs)

BINDING = Schema(
    (
        Field("input", INPUT_NAME, required=True),
        Field("cc", Integer(0, 127), applies=when(input_type="midi")),
        Field("note", Integer(0, 127), applies=when(input_type="midi")),
        Field("pitchbend", Flag(), applies=when(input_type="midi")),
        # A program change is never released: on a motion action it would start a move that
        # nothing stops.
        Field("program", Flag(), applies=when(input_type="midi").but_not(action=MOTION_ACTIONS)),
        # A 14-bit controller: MSB on CC n (0..31), LSB on CC n+32.
        Field("cc14", Integer(0, 31), applies=when(input_type="midi")),
        Field("nrpn", Integer(0, 16383), applies=when(input_type="midi")),
        Field("channel", Integer(1, 16), applies=when(input_type="midi")),
        # Gamepads by SDL's names; joysticks by SDL's indexes.
        Field("axis", Choice("gamepad axis", GAMEPAD_AXES), applies=when(input_type="gamepad")),
        Field("button", Choice("gamepad button", GAMEPAD_BUTTONS), applies=when(input_type="gamepad")),
        Field("axis", Integer(0, 63), applies=when(input_type="joystick")),
        Field("button", Integer(0, 127), applies=when(input_type="joystick")),
        Field("hat", Integer(0, 15), applies=when(input_type="joystick")),
        # A hat used as a button; without it, a hat on pan/tilt moves at `value` speed. Any
        # other action needs it: a hat without a direction is never "pressed".
        Field("direction", Choice("direction", tuple(HAT_DIRECTIONS)), applies=when(control="hat"),
              required=when(control="hat").but_not(action=MOTION_ACTIONS)),
        Field("layer", Text()),
        Field("action", Choice("action", ACTIONS), required=True),
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, *TARGETS)),
              applies=unless(action=("select", *SURFACE_ACTIONS)), default="selected"),
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, *SELECT_STEPS), not_here=("selected",)),
              required=when(action="select"), applies=when(action="select")),
        Field("carry", Boolean(), applies=when(action="select"), default=False),
        # Motion shaping (pan/tilt/zoom/focus). A deadzone and a curve shape a control's
        # travel; a button or an encoder has none (it moves at `value`).
        Field("deadzone", Number(0, 0.9), applies=when(action=MOTION_ACTIONS, used_as=TRAVELLING)),
        Field("curve", Curve(), applies=when(action=MOTION_ACTIONS, used_as=TRAVELLING)),
        Field("invert", Boolean(), applies=when(action=MOTION_ACTIONS), default=False),
        Field("scale", Number(0, 1, above_low=True), applies=when(action=MOTION_ACTIONS), default=1.0),
        Field("velocity", Boolean(), applies=when(action=MOTION_ACTIONS, control="note"), default=False),
        Field("encoding", Choice("encoding", ENCODINGS), applies=when(action=(*MOTION_ACTIONS, "preset"), control="cc")),
        # Surface actions: a shift layer, the fine-control modifier.
        Field("mode", Choice("mode", HOLD_MODES), applies=when(action=SURFACE_ACTIONS), default="hold"),
        Field("factor", Number(0, 1, above_low=True), applies=when(action="fine"), default=0.25),
        Field("led", Led(), applies=when(input_type="midi")),
        # A program change may stand for the preset of the same number; a step binding (or a
        # relative encoder) walks through `presets` instead of naming one.
        # store/clear/hold act on the one preset a binding names; a program change is never
        # released, so it cannot tell a tap from a hold.
        Field("preset", Integer(0, 127), applies=when(action="preset", preset_by="number"),
              required=when(action="preset").but_not(control="program", preset_by=("step", "encoder"))),
        Field("store", Boolean(), applies=when(action="preset", preset_by="number"), default=False),
        Field("clear", Boolean(), applies=when(action="preset", preset_by="number"), default=False),
        Field("hold", Number(0.2, 10), applies=when(action="preset", preset_by="number").but_not(control="program")),
        Field("step", Integer(-16, 16), applies=when(action="preset", preset_by="step")),
        Field("presets", PresetRange(), applies=when(action="preset", preset_by=("step", "encoder"))),
        # move-to: an absolute position, in degrees (zoom on the ISAPI 0..100 scale); an axis
        # left out stays where it is. jog: speeds for `duration` seconds, timed by the camera.
        Field("pan", Number(0, 360), applies=when(action="move-to")),
        Field("tilt", Number(-90, 270), applies=when(action="move-to")),
        Field("zoom", Number(0, 100), applies=when(action="move-to")),
        *(Field(axis, Number(-1, 1), applies=when(action="jog")) for axis in ("pan", "tilt", "zoom")),
        Field("duration", Number(0.05, 10), applies=when(action="jog"), default=0.5),
        # Speed while a note/button is held, or per encoder detent: -1..1 like every speed
        # above the codec. A fader or stick gives its own speed (shaped by `scale`).
        Field("value", Number(-1, 1), applies=when(action=MOTION_ACTIONS, used_as=("button", "encoder"))),
        # unipolar: the whole travel is 0..1 (a throttle, a fader with its stop at the bottom).
        Field("range", Choice("range", ("bipolar", "unipolar")), applies=when(action=MOTION_ACTIONS, used_as="position"),
              default="bipolar"),
        # A gamepad's sticks and triggers spring back when let go: their range is the one in
        # which that rest means stop (absent on a trigger: unipolar, mapping.mapper).
        Field("range", RangeAtRest("bipolar", "a gamepad stick springs back to its middle"),
              applies=when(action=MOTION_ACTIONS, used_as="stick"), default="bipolar"),
        Field("range", RangeAtRest("unipolar", "a gamepad trigger springs back to its end"),
              applies=when(action=MOTION_ACTIONS, used_as="trigger")),
        # "toggle" by default: one button, pressed again, gives back manual focus.
        Field("mode", Choice("mode", AUTOFOCUS_MODES), applies=when(action="autofocus"), default="toggle"),
        # A named action does one thing per press: which one is not guessed. On/off actions
        # also take `toggle` (alternate) and `momentary` (on while held).
        Field("mode", Choice("mode", _named_modes), required=when(action=NAMED), applies=when(action=NAMED)),
        Field("level", Integer(_level_bound("low"), _level_bound("high")),
              required=when(action=LEVELLED, mode=DIRECT_MODE), applies=when(action=LEVELLED, mode=DIRECT_MODE)),
        # The raw action: exactly one of visca/pelco/http, written for the target's protocol.
        *(Field(kind, Raw(kind), applies=when(action=RAW_ACTION)) for kind in RAW_KINDS),
    ),
    one_of=(CONTROL_KEYS, RAW_KINDS),
)

INCLUDE_ENTRY = Schema((
    Field("file", Text(), required=True),
    # Checked against the known inputs once every file is read (it may name one defined
    # in the included file itself).
    Field("input", Text()),
))

#: One rule of a profile's ``leds:`` (:mod:`ptzmapd.config.led_rules`): what the device lights.
LED_RULE = Schema(
    (
        Field("note", Span(0, 127)),
        Field("cc", Span(0, 127)),
        Field("channel", Integer(1, 16), required=True),
        Field("channels", Span(1, 16)),
        Field("on", Integer(0, 127), required=True),
        Field("off", Integer(0, 127), required=True),
        Field("blink", Integer(0, 127)),
        Field("values", Span(0, 127)),
        Field("controls", LedControls()),
    ),
    one_of=(("note", "cc"),),
)

TOP = Schema((
    Field("cameras", Shape(MappingNode)),
    Field("inputs", Shape(MappingNode)),
    Field("bindings", Shape(SequenceNode)),
    Field("include", Shape(SequenceNode)),
    # A profile's device: the LED messages it obeys (for the input its include entry names).
    Field("leds", Shape(SequenceNode)),
))

#: Camera and input names appear in paths, logs and targets: keep them plain.
NAME = re.compile(r"[A-Za-z0-9_-]+")

# --------------------------------------------------------------------------- loading


@dataclass(slots=True)
class _Named:
    """A camera or input found in some file, waiting to be validated."""

    name: str
    node: Node
    key_mark: Mark
    path: str


@dataclass(slots=True)
class _Binding:
    node: Node
    path: str
    #: The input named by the include entry that brought this binding's file in.
    input: str | None


@dataclass(slots=True)
class _Loader:
    """Reads the config file and its includes, then validates what they hold."""

    problems: list[Problem] = field(default_factory=list)
    cameras: dict[str, _Named] = field(default_factory=dict)
    inputs: dict[str, _Named] = field(default_factory=dict)
    bindings: list[_Binding] = field(default_factory=list)
    #: ``input:`` nodes of include entries, checked once every input is known.
    include_inputs: list[tuple[Node, str]] = field(default_factory=list)
    camera_keys_seen: int = 0
    #: Parsed trees by real path, so a profile included twice is read (and its YAML
    #: problems reported) once.
    trees: dict[str, tuple[Node | None, list[Problem]]] = field(default_factory=dict)
    #: Files in the order first read, to sort problems by file, then line.
    file_order: dict[str, int] = field(default_factory=dict)
    #: The LED rules profiles declare, by the input their include entry names.
    led_rules: dict[str, list[LedRule]] = field(default_factory=dict)

    def read_tree(self, file: str) -> Node | None:
        check_path(file)
        real = os.path.realpath(file)
        if real not in self.trees:
            self.trees[real] = read_yaml(file)  # FileRefused goes to the caller
            self.file_order.setdefault(file, len(self.file_order))
            self.problems.extend(self.trees[real][1])
        return self.trees[real][0]

    def gather(self, file: str, root: Node, supplied_input: str | None, chain: list[tuple[str, str]]) -> None:
        """Collect the cameras, inputs, bindings of one parsed file, then of its includes."""
        if is_broken(root):
            return
        if not isinstance(root, MappingNode):
            self.problems.append(Problem(
                root.mark, "",
                f"expected a mapping of cameras, inputs, bindings, include at the top level, got {show(root)}",
            ))
            return
        sections = read_fields(TOP, root, "", Scope({}), self.problems, partial=True) or {}
        cameras = sections.get("cameras")
        if isinstance(cameras, MappingNode):
            self.camera_keys_seen += len(cameras.value)
            self.collect_names(cameras, "cameras", "camera", self.cameras, reserved=TARGETS)
        inputs = sections.get("inputs")
        if isinstance(inputs, MappingNode):
            self.collect_names(inputs, "inputs", "input", self.inputs, reserved=())
        bindings = sections.get("bindings")
        if isinstance(bindings, SequenceNode):
            for index, item in enumerate(bindings.value):
                self.bindings.append(_Binding(item, child_path("bindings", index), supplied_input))
        leds = sections.get("leds")
        if isinstance(leds, SequenceNode):
            self.read_led_rules(leds, supplied_input)
        include = sections.get("include")
        if isinstance(include, SequenceNode):
            for index, entry in enumerate(include.value):
                self.include(file, entry, child_path("include", index), supplied_input, chain)

    def read_led_rules(self, section: SequenceNode, input_name: str | None) -> None:
        """A profile's ``leds:``: the device's rules, kept for the input it is included for."""
        if input_name is None:
            self.problems.append(Problem(
                section.mark, "leds",
                "'leds' describes a controller: write it in a profile and include that with "
                "{file: PROFILE, input: NAME}",
            ))
            return
        rules = self.led_rules.setdefault(input_name, [])
        for index, node in enumerate(section.value):
            path = child_path("leds", index)
            entry = self.entry_mapping(node, path, "LED rule keys")
            values = None if entry is None else read_fields(LED_RULE, entry, path, Scope({}), self.problems)
            if entry is None or values is None:
                continue
            kind = "note" if "note" in values else "cc"
            first, last = values[kind]
            channel = values["channel"]
            channels = values.get("channels", (channel, channel))
            controls = values.get("controls")
            problem = None
            if not channels[0] <= channel <= channels[1]:
                problem = f"channel {channel} is not among its channels {channels[0]}-{channels[1]}"
            elif controls is not None and controls[2] - controls[1] != last - first:
                problem = f"controls name {controls[2] - controls[1] + 1} buttons for {last - first + 1} lights"
            elif values.get("values") is not None and not values["values"][0] <= values["on"] <= values["values"][1]:
                problem = f"on {values['on']} is not among its values"
            if problem is not None:
                self.problems.append(Problem(entry.mark, path, problem))
                continue
            rules.append(LedRule(
                kind, first, last, channel, channels, values["on"], values["off"], values.get("blink"),
                values.get("values"), None if controls is None else (controls[0], controls[1]),
            ))

    def collect_names(
        self, section: MappingNode, section_path: str, noun: str, into: dict[str, _Named], reserved: Collection[str],
    ) -> None:
        for name, node in section.value.items():
            path = child_path(section_path, name)
            key_mark = section.key_marks[name]
            if not NAME.fullmatch(name):
                self.problems.append(Problem(
                    key_mark, path, f"{noun} name {name!r} may only use letters, digits, '_' and '-'",
                ))
            elif name in reserved:
                self.problems.append(Problem(
                    key_mark, path, f"{noun} name {name!r} is reserved for binding targets; choose another name",
                ))
            elif name in into and into[name].key_mark == key_mark:
                self.problems.append(Problem(
                    key_mark, path, f"{noun} {name!r} is defined again: {key_mark.file} is included more than once",
                ))
            elif name in into:
                # Within one file YAML duplicates are caught already: this is across includes.
                self.problems.append(Problem(
                    key_mark, path, f"{noun} {name!r} is already defined at {into[name].key_mark}",
                ))
            else:
                into[name] = _Named(name, node, key_mark, path)

    def include(
        self, file: str, entry: Node, path: str, supplied_input: str | None, chain: list[tuple[str, str]],
    ) -> None:
        """Follow one ``include`` entry: a path, or ``{file: PATH, input: NAME}``."""
        own_input: str | None = None
        if is_broken(entry):
            return
        if isinstance(entry, MappingNode):
            values = read_fields(INCLUDE_ENTRY, entry, path, Scope({}), self.problems)
            if values is None:
                return
            relative, file_node = values["file"], entry.value["file"]
            if "input" in values:
                own_input = values["input"]
                self.include_inputs.append((entry.value["input"], child_path(path, "input")))
        else:
            try:
                relative, file_node = Text()(entry, Scope({})), entry
            except Invalid:
                self.problems.append(Problem(
                    entry.mark, path, f"expected a file path or a mapping with 'file' and 'input', got {show(entry)}",
                ))
                return
        try:
            check_path(relative)  # a NUL byte would make every path function raise
        except FileRefused as refused:
            self.problems.append(Problem(file_node.mark, path, f"cannot read {relative!r}: {refused}"))
            return
        # Relative to the including file, so a config and its profiles move together.
        target = beside(file, relative)
        real = os.path.realpath(target)
        reals = [seen for seen, _ in chain]
        if real in reals:
            loop = [shown for _, shown in chain[reals.index(real):]] + [target]
            self.problems.append(Problem(file_node.mark, path, "include cycle: " + " -> ".join(loop)))
            return
        try:
            root = self.read_tree(target)
        except FileRefused as refused:
            self.problems.append(Problem(file_node.mark, path, f"cannot read {relative!r}: {refused}"))
            return
        if root is not None:
            # A nested include without its own input passes the outer one on.
            self.gather(target, root, own_input or supplied_input, chain + [(real, target)])

    def validate(self, file: str, main_root: Node | None) -> Config | None:
        """Turn everything gathered into model objects; None if there were problems."""
        cameras = {name: camera for name, entry in self.cameras.items() if (camera := self.camera(entry))}
        inputs = {name: one for name, entry in self.inputs.items() if (one := self.input(entry))}
        if not self.camera_keys_seen and isinstance(main_root, MappingNode):
            section = main_root.value.get("cameras")
            if section is None:
                self.problems.append(Problem(
                    main_root.mark, "", "missing key 'cameras' (at least one camera is required)",
                ))
            else:
                self.problems.append(Problem(section.mark, "cameras", "no cameras defined (at least one is required)"))
        scope = Scope({}, cameras=list(self.cameras), inputs=list(self.inputs))
        for node, path in self.include_inputs:
            try:
                INPUT_NAME(node, scope)
            except Invalid as invalid:
                self.problems.append(Problem(node.mark, path, str(invalid)))
        built = [(b, entry) for entry in self.bindings if (b := self.binding(entry, scope, inputs))]
        bindings = [(b, entry.path) for b, entry in built]
        self.check_unique_controls(bindings, inputs)
        self.check_shared_devices(cameras)
        if len(cameras) == len(self.cameras):
            # With a camera in error its protocol is unknown: checking against the others
            # would blame a binding for what the broken camera may well do.
            self.check_capabilities(built, cameras)
            self.check_values(built, cameras)
        return None if self.problems else Config(file, cameras, inputs, [b for b, _ in bindings])

    def camera(self, entry: _Named) -> CameraConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "camera settings")
        if node is None:
            return None
        facts: dict[str, str] = {}
        protocol = word(node.value.get("protocol"))
        if protocol in PROTOCOLS:
            facts = {"protocol": protocol, "transport": PROTOCOLS[protocol].transport}
        values = read_fields(CAMERA, node, entry.path, Scope(facts), self.problems, where=entry.key_mark)
        if values is None:
            return None
        self.check_os_answers(node, entry.path, values)
        # The mark is the camera's name: later messages about a camera point at it.
        return build(CameraConfig, values, name=entry.name, mark=entry.key_mark)

    def check_os_answers(self, node: MappingNode, path: str, values: Mapping[str, Any]) -> None:
        """Ask now what ``run`` will ask the OS about a camera, so ``check`` and ``run`` agree.

        The host, url or serial device must be one the transports can connect to
        (:mod:`ptzmapd.transports.addresses`), an https camera's certificates loadable
        (:mod:`ptzmapd.transports.tls`); the password source is resolved (environment
        variable set, file readable), never showing its value.
        """
        reachable = True
        for key, problem_of in (("host", host_problem), ("url", url_problem), ("device", serial_device_problem)):
            if key in values and (problem := problem_of(str(values[key]))) is not None:
                self.problems.append(Problem(node.value[key].mark, child_path(path, key), problem))
                reachable = False
        # An https camera without a pinned certificate is verified against SSL_CERT_FILE/DIR.
        https = str(values.get("url", "")).lower().startswith("https:")
        if reachable and https and "tls_fingerprint" not in values:
            if (problem := trust_problem()) is not None:
                self.problems.append(Problem(node.value["url"].mark, child_path(path, "url"), problem))
        given = password_sources(values)
        if len(given) > 1:
            second = given[1]
            self.problems.append(Problem(node.key_marks[second], child_path(path, second), one_password_source(given)))
        elif given:
            key = given[0]
            try:
                password_source(key, str(values[key]), node.mark.file)
            except SecretMissing as missing:
                self.problems.append(Problem(node.value[key].mark, child_path(path, key), str(missing)))

    def input(self, entry: _Named) -> InputConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "input settings")
        if node is None:
            return None
        input_type = word(node.value.get("type"))
        facts = {"type": input_type} if input_type in INPUT_TYPES else {}
        values = read_fields(INPUT, node, entry.path, Scope(facts), self.problems, where=entry.key_mark)
        return None if values is None else build(InputConfig, values, name=entry.name, mark=entry.key_mark)

    def binding(self, entry: _Binding, scope: Scope, inputs: Mapping[str, InputConfig]) -> BindingConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "binding keys")
        if node is None:
            return None
        # Facts come from the raw values; a wrong one is reported by its own check.
        facts: dict[str, str] = {}
        input_name = word(node.value["input"]) if "input" in node.value else entry.input
        device = inputs.get(input_name) if input_name is not None else None
        if device is not None:
            facts["input_type"] = device.type
        action = word(node.value.get("action"))
        if action in ACTIONS:
            facts["action"] = action
        mode = word(node.value.get("mode"))
        if mode is not None and mode in NAMED_ACTIONS.get(action or "", ()):
            facts["mode"] = mode
        controls = [key for key in CONTROL_KEYS if key in node.value]
        if len(controls) == 1:
            facts["control"] = controls[0]
            facts["used_as"] = _used_as(
                controls[0], word(node.value[controls[0]]), "encoding" in node.value, facts.get("input_type"),
            )
        # A preset binding names its preset, or walks through them (a step or an encoder).
        facts["preset_by"] = (
            "encoder" if "encoding" in node.value else "step" if "step" in node.value else "number"
        )
        supplied = {"input": entry.input} if entry.input is not None else {}
        values = read_fields(
            BINDING, node, entry.path, Scope(facts, scope.cameras, scope.inputs), self.problems, supplied=supplied,
        )
        if values is None:
            return None
        control = controls[0]
        number = values.pop(control)
        if isinstance(number, bool):
            number = None  # a flag control (pitchbend: true) carries no number
        raw = [values.pop(kind) for kind in RAW_KINDS if kind in values]
        if "curve" in values:
            values["expo"], values["points"] = values.pop("curve")
        values["led"] = self.light(values.pop("led", None), control, number, values.get("channel"), device,
                                   input_name, node, entry.path)
        axes = [axis for axis in ("pan", "tilt", "zoom") if values.get(axis) is not None]
        if action == "move-to" and not axes:
            self.problems.append(Problem(node.mark, entry.path, "move-to needs at least one of pan, tilt, zoom"))
        if action == "jog" and not any(values.get(axis) for axis in axes):
            self.problems.append(Problem(node.mark, entry.path, "jog needs a nonzero speed for pan, tilt or zoom"))
        return BindingConfig(control=control, number=number, mark=node.mark, raw=raw[0] if raw else None, **values)

    def light(self, led: LedConfig | bool | None, control: str, number: object, channel: int | None,
              device: InputConfig | None, input_name: str | None, node: MappingNode, path: str) -> LedConfig | None:
        """A binding's ``led:`` as the message it sends. The input's ``led_on``/``led_off``
        fill what the binding leaves out, then its profile's LED rules (which also say
        where ``led: true`` goes); a light the rules say the device cannot show is refused."""
        if led is None or led is False:
            return None
        rules = self.led_rules.get(input_name or "", [])
        options = device.options if device is not None else {}
        given = {key: int(options[key]) for key in ("led_on", "led_off") if key in options}
        where, led_path = node.value["led"].mark, child_path(path, "led")
        if led is True:
            if control not in ("note", "cc") or not isinstance(number, int):
                self.problems.append(Problem(where, led_path,
                                             "'led: true' needs a note or cc control; give {note: N} or {cc: N}"))
                return None
            if rules:
                found = own_light(rules, control, number)
                if found is None:
                    self.problems.append(Problem(where, led_path, (
                        f"{control} {number} has no light the device can show; it lights "
                        + "; ".join(rule.describe() for rule in rules)
                    )))
                    return None
                # Its place and channel from the rule; its values as a written light's.
                led = dataclasses.replace(found, on=-1, off=-1)
            else:
                led = LedConfig(control, number, -1, -1, channel)
        led = dataclasses.replace(
            led,
            on=led.on if led.on >= 0 else given.get("led_on", -1),
            off=led.off if led.off >= 0 else given.get("led_off", -1),
        )
        led = settle(rules, led)
        led = dataclasses.replace(led, on=127 if led.on < 0 else led.on, off=0 if led.off < 0 else led.off)
        if rules and (why := refusal(rules, led)) is not None:
            self.problems.append(Problem(where, led_path, why))
            return None
        return led

    def entry_mapping(self, node: Node, path: str, what: str) -> MappingNode | None:
        if isinstance(node, MappingNode):
            return node
        if is_broken(node):
            return None
        self.problems.append(Problem(node.mark, path, f"expected a mapping of {what}, got {show(node)}"))
        return None

    def check_unique_controls(
        self, bindings: list[tuple[BindingConfig, str]], inputs: Mapping[str, InputConfig],
    ) -> None:
        """One control, one binding. A binding without a channel listens on every channel
        (or its input's), so it collides with any binding of the same control."""
        seen: dict[tuple[object, ...], list[tuple[BindingConfig, str, int | None]]] = {}
        for binding, path in bindings:
            device = inputs.get(binding.input)  # absent if the input itself has problems
            channel = binding.channel if binding.channel is not None or device is None else device.channel
            # One control may do different things in different layers (that is what layers are for).
            layer = None if binding.action == "layer" else binding.layer
            earlier = seen.setdefault((binding.input, binding.control, binding.number, binding.direction, layer), [])
            for other, other_path, other_channel in earlier:
                if channel is None or other_channel is None or channel == other_channel:
                    self.problems.append(Problem(
                        binding.mark, path,
                        f"{_control_words(binding)} on input {binding.input!r} "
                        f"is already bound at {other.mark} ({other_path})",
                    ))
                    break
            else:
                earlier.append((binding, path, channel))
        self.check_layers(bindings)

    def check_shared_devices(self, cameras: Mapping[str, CameraConfig]) -> None:
        """Cameras on one serial device share its wire: one line speed, one address each."""
        first: dict[str, CameraConfig] = {}
        addresses: dict[tuple[str, int], CameraConfig] = {}
        for camera in cameras.values():
            device = camera.options.get("device")
            if device is None:
                continue
            other = first.setdefault(device, camera)
            if other is not camera and other.options.get("baud") != camera.options.get("baud"):
                self.problems.append(Problem(camera.mark, f"cameras.{camera.name}.baud",
                    f"{camera.options.get('baud')} baud, but camera {other.name!r} on {device} ({other.mark}) "
                    f"uses {other.options.get('baud')}: one wire has one line speed"))
            address = camera.options.get("address")
            if address is not None:
                clash = addresses.setdefault((device, int(address)), camera)
                if clash is not camera:
                    self.problems.append(Problem(camera.mark, f"cameras.{camera.name}.address",
                        f"address {address} on {device} is already camera {clash.name!r} ({clash.mark})"))

    def check_layers(self, bindings: list[tuple[BindingConfig, str]]) -> None:
        """A layer button does nothing else, and a binding's layer is one a button switches."""
        buttons = {
            (b.input, b.control, b.number, b.direction): (b, path) for b, path in bindings if b.action == "layer"
        }
        layers = sorted({b.layer for b, _ in bindings if b.action == "layer" and b.layer})
        for binding, path in bindings:
            if binding.action == "layer":
                if not binding.layer:
                    self.problems.append(Problem(binding.mark, path, "action 'layer' needs 'layer: NAME' (the layer it switches)"))
                continue
            button = buttons.get((binding.input, binding.control, binding.number, binding.direction))
            if button is not None:
                self.problems.append(Problem(
                    binding.mark, path,
                    f"{_control_words(binding)} on input {binding.input!r} switches layer "
                    f"{button[0].layer!r} ({button[0].mark}); it cannot also be bound to an action",
                ))
            if binding.layer is not None and binding.layer not in layers:
                self.problems.append(Problem(
                    binding.mark, child_path(path, "layer"),
                    f"no binding switches layer {binding.layer!r} (add one with action: layer)"
                    + suggest(binding.layer, layers),
                ))

    def check_capabilities(
        self, bindings: list[tuple[BindingConfig, _Binding]], cameras: Mapping[str, CameraConfig],
    ) -> None:
        """Each binding asks only for what its camera's protocol can do.

        A binding to a named camera must fit that camera's protocol. ``selected`` and ``all``
        reach cameras of several protocols: they only need one camera that can; the
        controller of a camera whose codec refuses the command skips it and says so once.
        """
        for binding, entry in bindings:
            for key, action, mode in _asks(binding):
                if binding.camera in cameras:
                    problem = inability(cameras[binding.camera], action, mode)
                    if problem is None:
                        continue
                elif any(can(PROTOCOLS[camera.protocol].capabilities, action, mode) for camera in cameras.values()):
                    continue
                else:
                    protocols = ", ".join(f"{camera.name!r} is {camera.protocol}" for camera in cameras.values())
                    problem = f"no camera here can {_words(action, mode)!r} ({protocols})"
                node = entry.node
                mark = node.value[key].mark if isinstance(node, MappingNode) and key in node.value else binding.mark
                self.problems.append(Problem(mark, child_path(entry.path, key), problem))
                break  # the action itself missing says it all; its mode need not be blamed too

    def check_values(
        self, bindings: list[tuple[BindingConfig, _Binding]], cameras: Mapping[str, CameraConfig],
    ) -> None:
        """A binding's fixed values (preset number, move-to position, jog) fit its camera's
        protocol: the codec's own ranges (:func:`codec_refusal`), as ``ptzmapd send`` checks them.

        ``selected`` and ``all`` need one camera that can do the action and take the values,
        as for capabilities.
        """
        for binding, entry in bindings:
            commands = fixed_commands(binding)
            if not commands:
                continue
            # Only cameras that have the action: one that lacks it is check_capabilities' to report.
            named = [cameras[binding.camera]] if binding.camera in cameras else list(cameras.values())
            targets = [c for c in named if all(inability(c, action, mode) is None for _, action, mode in _asks(binding))]
            refusals = [next(filter(None, (codec_refusal(camera, c) for c in commands)), None) for camera in targets]
            if not targets or any(problem is None for problem in refusals):
                continue
            key = "action" if binding.action != "preset" else "preset" if binding.preset is not None else "presets"
            node = entry.node
            mark = node.value[key].mark if isinstance(node, MappingNode) and key in node.value else binding.mark
            self.problems.append(Problem(mark, child_path(entry.path, key), "; ".join(map(str, refusals))))

    def sorted_problems(self) -> list[str]:
        """By file (in reading order), line and column; each problem once."""
        ordered = sorted(
            self.problems,
            key=lambda p: (self.file_order.get(p.mark.file, len(self.file_order)), p.mark.line, p.mark.column),
        )
        return list(dict.fromkeys(str(p) for p in ordered))


def _asks(binding: BindingConfig) -> list[tuple[str, str, str | None]]:
    """What a binding asks of a camera, as (binding key to blame, action, mode) checks.

    A named action is asked for itself, then in its mode; a raw action in its kind.
    """
    action = binding.action
    if action in ("select", *SURFACE_ACTIONS):
        return []  # not a camera command
    if action == RAW_ACTION:
        return [(binding.raw.kind, RAW_ACTION, binding.raw.kind)] if binding.raw is not None else []
    if action == "preset" and binding.clear:
        return [("action", action, None), ("clear", PRESET_CLEAR, None)]
    if action in NAMED_ACTIONS:
        if binding.mode in SWITCH_MODES:  # toggle/momentary send "on" and "off"
            return [("action", action, None), ("mode", action, "on"), ("mode", action, "off")]
        return [("action", action, None), ("mode", action, binding.mode)]
    return [("action", action, None)]


def inability(camera: CameraConfig, action: str, mode: str | None = None) -> str | None:
    """Why ``camera`` cannot do ``action`` (in ``mode``; for raw, the kind), or None if it can."""
    capabilities = PROTOCOLS[camera.protocol].capabilities
    if can(capabilities, action, mode):
        return None
    if action in NAMED_ACTIONS and not can(capabilities, action):
        mode = None  # the action itself is missing: that is what to say
    return (
        f"camera {camera.name!r} ({camera.protocol}) cannot {_words(action, mode)!r} "
        f"(it can: {_alternatives(capabilities, action)})"
    )


def fixed_commands(binding: BindingConfig) -> list[Command]:
    """Commands a binding sends with values fixed in the config (a preset by number, the ends
    of a step binding's ``presets``, move-to, jog), to check them against the camera."""
    if binding.action == "preset" and binding.preset is not None:
        kind = PresetClear if binding.clear else PresetStore if binding.store else PresetRecall
        return [kind(binding.preset)]
    if binding.action == "preset" and (binding.step is not None or binding.encoding is not None):
        return [PresetRecall(number) for number in binding.presets]
    # A move-to without axes, a jog without speed: reported by the loader already.
    axes = (binding.pan, binding.tilt, binding.zoom)
    if binding.action == "move-to" and any(axis is not None for axis in axes):
        return [MoveTo(binding.pan, binding.tilt, binding.zoom)]
    if binding.action == "jog" and any(axes):
        return [Jog(binding.pan or 0.0, binding.tilt or 0.0, binding.zoom or 0.0, binding.duration)]
    return []


def codec_refusal(camera: CameraConfig, command: Command) -> str | None:
    """Why ``camera``'s protocol cannot carry ``command``'s values (a preset number, a
    position beyond its range), or None. The codec's own check, made before anything is sent:
    ``ptzmapd check`` and ``ptzmapd send`` refuse the same values with the same words. Ask
    :func:`inability` first: this assumes the protocol has the action.
    """
    spec = PROTOCOLS[camera.protocol]
    try:
        spec.make_codec(camera, spec.limits).encode(command)
    except ProtocolError as error:
        return f"camera {camera.name!r} ({camera.protocol}): {error}"
    return None


def binding_value(action: str, key: str, value: float, mode: str | None = None) -> Any:
    """``value`` checked as a binding's ``key`` is checked in a config when its ``action``
    (and ``mode``) are these: one range for ``ptzmapd check`` and ``ptzmapd send``.

    :returns: the value as the config would hold it.
    :raises ValueError: ``"VALUE is out of range (valid: LOW..HIGH)"``.
    """
    # ``send`` is one press of a button: the facts of a button binding with this action (a
    # preset by its number, a speed while held).
    facts = {"action": action, "used_as": "button", "preset_by": "number", "control": "button",
             **({"mode": mode} if mode is not None else {})}
    row = next((row for row in BINDING.rows(key) if row.applies_to(facts) is True), None)
    if row is None:  # a bug in the caller, not a user mistake: no such key for such a binding
        raise LookupError(f"no binding key {key!r} applies to action {action!r}")
    try:
        return row.check(ScalarNode(value, Mark("<command line>", 1, 1), str(value)), Scope(facts))
    except Invalid as invalid:
        raise ValueError(str(invalid)) from None


def _words(action: str, mode: str | None) -> str:
    return action if mode is None else f"{action} {mode}"


def _alternatives(capabilities: Collection[str], action: str) -> str:
    """What a protocol can do instead of ``action``: its modes (raw kinds) when it has the
    action (for raw: any kind), else every action it can do."""
    modes = modes_of(capabilities, action)
    if modes and (action in capabilities or action == RAW_ACTION):
        return ", ".join(f"{action} {mode}" for mode in modes)
    can_do = [name for name in ACTIONS if name not in (RAW_ACTION, "select") and can(capabilities, name)]
    can_do += [f"{RAW_ACTION} {kind}" for kind in modes_of(capabilities, RAW_ACTION)]
    return ", ".join(can_do) or "nothing"


def _control_words(binding: BindingConfig) -> str:
    words = binding.control if binding.number is None else f"{binding.control} {binding.number}"
    return words + (f" on channel {binding.channel}" if binding.channel is not None else "")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, validate and return the config at ``path`` (and every file it includes).

    :raises ConfigError: listing every problem found, one ``FILE:LINE:COL: path: problem``
        per line; or naming the file when it cannot be read at all.
    """
    file = os.fsdecode(path)
    loader = _Loader()
    try:
        root = loader.read_tree(file)
    except FileRefused as refused:
        # At 1:1 like every other config problem, so editors and tools can jump to it.
        raise ConfigError([str(Problem(Mark(file, 1, 1), "", f"cannot read config file: {refused}"))]) from None
    if root is not None:
        loader.gather(file, root, None, [(os.path.realpath(file), file)])
    config = loader.validate(file, root)
    if config is None:
        raise ConfigError(loader.sorted_problems())
    return config


def summarize(config: Config) -> str:
    """A few lines for ``ptzmapd check``: cameras, inputs and how many bindings each input has."""
    per_input = Counter(binding.input for binding in config.bindings)
    lines = [
        f"{config.path}: {_count(len(config.cameras), 'camera')}, {_count(len(config.inputs), 'input')}, "
        f"{_count(len(config.bindings), 'binding')}"
    ]
    for camera in config.cameras.values():
        lines.append(f"  camera {camera.name}: {camera.protocol}{_endpoint(camera)}")
    for device in config.inputs.values():
        bound = _count(per_input[device.name], "binding")
        lines.append(f"  input {device.name}: {device.type}{_source(device)}, {bound}")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _endpoint(camera: CameraConfig) -> str:
    options = camera.options
    if "url" in options:
        return f" {options['url']}" + (f" channel {options['channel']}" if camera.protocol == "isapi" else "")
    if "device" in options:
        address = f" address {options['address']}" if "address" in options else ""
        return f" {options['device']}{address} at {options.get('baud')} baud"
    if camera.host is None:
        return ""
    host = f"[{camera.host}]" if ":" in camera.host else camera.host  # IPv6 literal
    return f" {host}:{camera.port}" if camera.port is not None else f" {host}"


def _source(device: InputConfig) -> str:
    if device.port is not None:
        return f" port {device.port!r}"
    if device.virtual is not None:
        return f" virtual port {device.virtual!r}"
    return ""
