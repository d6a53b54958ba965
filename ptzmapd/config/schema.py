"""The table engine: a :class:`Schema` of :class:`Field` rows validates one YAML mapping.

Each kind of entry (a camera, an input, a binding, an ``include`` entry, the top level) has a
:class:`Schema` (:mod:`.tables`): rows of :class:`Field` (key, check, required, default) and
the condition under which each key applies. Conditions are written on *facts* about the
entry, read from its raw YAML before validation:

=========== ====================================================
entry       facts
=========== ====================================================
camera      ``protocol``, ``transport`` (from the protocol's spec)
input       ``type``
binding     ``action``, ``control``, ``input_type``, ``mode`` (when it is one of the action's),
            ``used_as`` (:func:`.tables.used_as`), ``preset_by`` (``number``, ``step``, ``encoder``),
            ``preset_does`` (``recall``, ``store``, ``clear``)
=========== ====================================================

So a later protocol key is one row (``Field("device", Text(), required=when(transport="serial"),
applies=when(transport="serial"))``), and a new input type is a name in :data:`INPUT_TYPES`
plus rows for its keys and its binding controls (``axis``, ``button``, ``hat`` with
``applies=when(input_type="gamepad")``, named in :data:`CONTROL_KEYS`). A key whose row does
not apply is reported as "key 'x' does not apply to action 'pan'"; a key with no row at all as
an unknown key with suggestions. A protocol's own keys are rows made from its options
dataclass (:func:`.tables._protocol_rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ptzmapd.config.checks import Check, Invalid, Scope, is_broken
from ptzmapd.config.model import Mark
from ptzmapd.config.yamlmarks import MappingNode, Problem, child_path
from ptzmapd.registry import suggest

#: How a control drives a motion (the ``used_as`` fact), in words for messages.
USED_AS: dict[str, str] = {
    "position": "a fader or stick (cc, cc14, nrpn, pitchbend, axis)",
    "stick": "a gamepad stick",
    "trigger": "a gamepad trigger",
    "button": "a button (note, button, hat, program)",
    "encoder": "a relative encoder (cc with encoding)",
}


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
    if fact == "preset_does":
        return f"a preset {value} (only a recall travels)"
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
