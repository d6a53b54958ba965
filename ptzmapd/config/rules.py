"""Rules across entries that ``check``, the loader and ``ptzmapd send`` share: what a binding
asks of a camera (:func:`asks`), why a camera cannot do an action (:func:`inability`, checked
against the capabilities of its protocol, :func:`ptzmapd.mapping.actions.can`), the commands a
binding fixes in the config and the codec's refusal of their values, and a binding key's range
for a value given on the command line (:func:`binding_value`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ptzmapd.commands import Command, Jog, MoveTo, PresetClear, PresetRecall, PresetStore
from ptzmapd.config.checks import Invalid, Scope
from ptzmapd.config.model import BindingConfig, CameraConfig, Mark
from ptzmapd.config.tables import BINDING
from ptzmapd.config.yamlmarks import ScalarNode
from ptzmapd.errors import ProtocolError
from ptzmapd.mapping.actions import (
    ACTIONS,
    NAMED_ACTIONS,
    PRESET_CLEAR,
    RAW_ACTION,
    SURFACE_ACTIONS,
    SWITCH_MODES,
    can,
    modes_of,
)
from ptzmapd.protocols import PROTOCOLS


def asks(binding: BindingConfig) -> list[tuple[str, str, str | None]]:
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
        f"camera {camera.name!r} ({camera.protocol}) cannot {action_words(action, mode)!r} "
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


def action_words(action: str, mode: str | None) -> str:
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


def control_words(binding: BindingConfig) -> str:
    words = binding.control if binding.number is None else f"{binding.control} {binding.number}"
    return words + (f" on channel {binding.channel}" if binding.channel is not None else "")
