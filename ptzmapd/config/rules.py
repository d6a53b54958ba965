"""Rules across entries that ``check``, the loader and ``ptzmapd send`` share: why a camera
cannot do an action (:func:`inability`, checked against the capabilities of its protocol,
:func:`ptzmapd.vocabulary.can`; what a binding asks and which commands it fixes are its
action row's, :mod:`ptzmapd.mapping.actions`), the codec's refusal of a command's values, and
a binding key's range for a value given on the command line (:func:`binding_value`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ptzmapd.commands import Command
from ptzmapd.config.checks import Invalid, Scope
from ptzmapd.config.model import BindingConfig, CameraConfig, Mark
from ptzmapd.config.tables import BINDING
from ptzmapd.config.yamlmarks import ScalarNode
from ptzmapd.errors import ProtocolError
from ptzmapd.mapping.actions import ACTION_ROWS
from ptzmapd.vocabulary import NAMED_ACTIONS, Action, can, modes_of
from ptzmapd.protocols import PROTOCOLS


def inability(camera: CameraConfig, action: str, mode: str | None = None) -> str | None:
    """Why ``camera`` cannot do ``action`` (in ``mode``; for raw, the kind), or None if it can."""
    capabilities = PROTOCOLS[camera.protocol].capabilities
    if can(capabilities, action, mode):
        return None
    if action in NAMED_ACTIONS and not can(capabilities, action):
        mode = None  # the action itself is missing: that is what to say
    return (
        f"camera {camera.name!r} ({camera.protocol}) cannot {action_words(action, mode)!r} "
        f"(it can: {_alternatives(capabilities, action)})"
    )


def codec_refusal(camera: CameraConfig, command: Command) -> str | None:
    """Why ``camera``'s protocol cannot carry ``command``'s values (a preset number, a
    position beyond its range), or None. The codec's own check, made before anything is sent:
    ``ptzmapd check`` and ``ptzmapd send`` refuse the same values with the same words. Ask
    :func:`inability` first: this assumes the protocol has the action.
    """
    spec = PROTOCOLS[camera.protocol]
    try:
        spec.make_codec(camera.options, spec.limits).encode(command)
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


def action_words(action: str, mode: str | None) -> str:
    return action if mode is None else f"{action} {mode}"


def _alternatives(capabilities: Collection[str], action: str) -> str:
    """What a protocol can do instead of ``action``: its modes (raw kinds) when it has the
    action (for raw: any kind), else every action it can do."""
    modes = modes_of(capabilities, action)
    if modes and (action in capabilities or action == Action.RAW):
        return ", ".join(f"{action} {mode}" for mode in modes)
    # Camera actions only (raw is said by its kinds): what a row makes a command of.
    can_do = [str(row.action) for row in ACTION_ROWS.values()
              if row.command is not None and row.action != Action.RAW and can(capabilities, row.action)]
    can_do += [f"{Action.RAW} {kind}" for kind in modes_of(capabilities, Action.RAW)]
    return ", ".join(can_do) or "nothing"


def control_words(binding: BindingConfig) -> str:
    words = binding.control if binding.number is None else f"{binding.control} {binding.number}"
    return words + (f" on channel {binding.channel}" if binding.channel is not None else "")
