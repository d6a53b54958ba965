"""The checks a schema row applies to one YAML node: each turns a node into a config value or
raises :class:`Invalid` with the reason (the caller adds the place).

Numbers and names (:class:`Integer`, :class:`Number`, :class:`Choice`, …), the shapes of a few
structured values (a curve, ramps, an LED), and a raw action's text, checked by the parser of
the codec that sends it (its protocol spec's ``raw``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ptzmapd.config.model import LedConfig, RawText
from ptzmapd.config.yamlmarks import MappingNode, Node, ScalarNode, SequenceNode
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.registry import suggest
from ptzmapd.vocabulary import Axis, ControlKind


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
class GroupName:
    """An input's selection group: a plain name (it appears in ``ptzmapd status`` and logs)."""

    def __call__(self, node: Node, scope: Scope) -> str:
        value = Text()(node, scope)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            raise Invalid(f"group name {value!r} may only use letters, digits, '_' and '-'")
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


def check_raw(kind: str, text: str) -> None:
    """Raise ValueError or ProtocolError saying why ``text`` is no raw ``kind`` command: the
    parser of the protocols whose codec takes that kind (their spec's ``raw``)."""
    raw = next(spec.raw for name in PROTOCOLS if (spec := PROTOCOLS[name]).raw is not None and spec.raw.kind == kind)
    raw.parse(text)


def raw_example(kind: str) -> str:
    """What a raw ``kind`` command looks like, for a message that asks for one."""
    return next(spec.raw.example for name in PROTOCOLS if (spec := PROTOCOLS[name]).raw is not None
                and spec.raw.kind == kind)


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


#: The axes ``ramps:`` can name, as the config writes them.
AXES: tuple[str, ...] = tuple(Axis)


@dataclass(frozen=True, slots=True)
class Ramps:
    """``ramps: {pan: {accel: 2, decel: 4}, zoom: {accel: 1}}``: normalised speed per second."""

    def __call__(self, node: Node, scope: Scope) -> dict[str, dict[str, float]]:
        if not isinstance(node, MappingNode):
            raise Invalid(f"expected a mapping of axes (pan, tilt, zoom, focus), got {show(node)}")
        ramps: dict[str, dict[str, float]] = {}
        for axis, limits in node.value.items():
            if axis not in AXES:
                raise Invalid(f"unknown axis {axis!r}{suggest(axis, AXES)}")
            protocol = scope.facts.get("protocol", "")
            if protocol in PROTOCOLS and axis not in PROTOCOLS[protocol].capabilities:
                # Its ramp would never act: nothing drives that axis on this camera.
                able = [name for name in AXES if name in PROTOCOLS[protocol].capabilities]
                raise Invalid(f"{protocol} cannot {axis}, so a {axis} ramp would do nothing (valid: {', '.join(able)})")
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
        kinds = [kind for kind in (ControlKind.NOTE, ControlKind.CC) if kind in keys]
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
