"""Rules across entries that ``check``, the loader and ``ptzmapd send`` share: why a camera
cannot do an action (:func:`inability`, checked against the capabilities of its protocol,
:func:`ptzmapd.vocabulary.can`; what a binding asks and which commands it fixes are its
action row's, :mod:`ptzmapd.mapping.actions`), the codec's refusal of a command's values, a
binding key's range for a value given on the command line (:func:`binding_value`); and the
``*_problems`` checks: one control one binding, cameras sharing a serial wire, layers,
capabilities and values of the cameras a binding reaches.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ptzmapd.commands import Command
from ptzmapd.config.checks import Invalid, Scope
from ptzmapd.config.model import BindingConfig, CameraConfig, InputConfig, Mark, SerialLink
from ptzmapd.config.tables import BINDING
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, ScalarNode, child_path
from ptzmapd.errors import ProtocolError
from ptzmapd.mapping.actions import ACTION_ROWS
from ptzmapd.vocabulary import NAMED_ACTIONS, Action, can, modes_of
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.registry import suggest


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
    # preset recalled by its number, a speed while held).
    facts = {"action": action, "used_as": "button", "preset_by": "number", "preset_does": "recall",
             "control": "button", **({"mode": mode} if mode is not None else {})}
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


def control_problems(
    bindings: list[tuple[BindingConfig, str]], inputs: Mapping[str, InputConfig],
) -> list[Problem]:
    """One control, one binding. A binding without a channel listens on every channel
    (or its input's), so it collides with any binding of the same control."""
    problems: list[Problem] = []
    seen: dict[tuple[object, ...], list[tuple[BindingConfig, str, int | None]]] = {}
    for binding, path in bindings:
        device = inputs.get(binding.input)  # absent if the input itself has problems
        channel = binding.channel if binding.channel is not None or device is None else device.channel
        # One control may do different things in different layers (that is what layers are for).
        layer = None if binding.action == Action.LAYER else binding.layer
        earlier = seen.setdefault((binding.input, binding.control, binding.number, binding.direction, layer), [])
        for other, other_path, other_channel in earlier:
            if channel is None or other_channel is None or channel == other_channel:
                problems.append(Problem(
                    binding.mark, path,
                    f"{control_words(binding)} on input {binding.input!r} "
                    f"is already bound at {other.mark} ({other_path})",
                ))
                break
        else:
            earlier.append((binding, path, channel))
    problems += layer_problems(bindings)
    return problems


def shared_device_problems(cameras: Mapping[str, CameraConfig]) -> list[Problem]:
    """Cameras on one serial device share its wire: one line speed, one address each."""
    problems: list[Problem] = []
    first: dict[str, SerialLink] = {}
    owner: dict[str, CameraConfig] = {}
    addresses: dict[tuple[str, int], CameraConfig] = {}
    for camera in cameras.values():
        link = camera.link
        if not isinstance(link, SerialLink):
            continue
        device = link.device
        other_link = first.setdefault(device, link)
        other = owner.setdefault(device, camera)
        if other is not camera and other_link.baud != link.baud:
            problems.append(Problem(camera.mark, f"cameras.{camera.name}.baud",
                f"{link.baud} baud, but camera {other.name!r} on {device} ({other.mark}) "
                f"uses {other_link.baud}: one wire has one line speed"))
        address = camera.options.bus_address
        if address is not None:
            clash = addresses.setdefault((device, address), camera)
            if clash is not camera:
                problems.append(Problem(camera.mark, f"cameras.{camera.name}.address",
                    f"address {address} on {device} is already camera {clash.name!r} ({clash.mark})"))
    return problems


def layer_problems(bindings: list[tuple[BindingConfig, str]]) -> list[Problem]:
    """A layer button does nothing else, and a binding's layer is one a button switches."""
    problems: list[Problem] = []
    buttons = {
        (b.input, b.control, b.number, b.direction): (b, path) for b, path in bindings if b.action == Action.LAYER
    }
    layers = sorted({b.layer for b, _ in bindings if b.action == Action.LAYER and b.layer})
    for binding, path in bindings:
        if binding.action == Action.LAYER:
            if not binding.layer:
                problems.append(Problem(binding.mark, path, "action 'layer' needs 'layer: NAME' (the layer it switches)"))
            continue
        button = buttons.get((binding.input, binding.control, binding.number, binding.direction))
        if button is not None:
            problems.append(Problem(
                binding.mark, path,
                f"{control_words(binding)} on input {binding.input!r} switches layer "
                f"{button[0].layer!r} ({button[0].mark}); it cannot also be bound to an action",
            ))
        if binding.layer is not None and binding.layer not in layers:
            problems.append(Problem(
                binding.mark, child_path(path, "layer"),
                f"no binding switches layer {binding.layer!r} (add one with action: layer)"
                + suggest(binding.layer, layers),
            ))
    return problems


def capability_problems(
    bindings: list[tuple[BindingConfig, Node, str]], cameras: Mapping[str, CameraConfig],
) -> list[Problem]:
    """Each binding asks only for what its camera's protocol can do.

    A binding to a named camera must fit that camera's protocol. ``selected`` and ``all``
    reach cameras of several protocols: they only need one camera that can; the
    controller of a camera whose codec refuses the command skips it and says so once.
    """
    problems: list[Problem] = []
    for binding, node, path in bindings:
        for key, action, mode in ACTION_ROWS[binding.action].asks(binding):
            if binding.camera in cameras:
                problem = inability(cameras[binding.camera], action, mode)
                if problem is None:
                    continue
            elif any(can(PROTOCOLS[camera.protocol].capabilities, action, mode) for camera in cameras.values()):
                continue
            else:
                protocols = ", ".join(f"{camera.name!r} is {camera.protocol}" for camera in cameras.values())
                problem = f"no camera here can {action_words(action, mode)!r} ({protocols})"
            mark = node.value[key].mark if isinstance(node, MappingNode) and key in node.value else binding.mark
            problems.append(Problem(mark, child_path(path, key), problem))
            break  # the action itself missing says it all; its mode need not be blamed too
    return problems


def value_problems(
    bindings: list[tuple[BindingConfig, Node, str]], cameras: Mapping[str, CameraConfig],
) -> list[Problem]:
    """A binding's fixed values (preset number, move-to position, jog) fit its camera's
    protocol: the codec's own ranges (:func:`codec_refusal`), as ``ptzmapd send`` checks them.

    ``selected`` and ``all`` need one camera that can do the action and take the values,
    as for capabilities.
    """
    problems: list[Problem] = []
    for binding, node, path in bindings:
        row = ACTION_ROWS[binding.action]
        commands = row.fixed(binding)
        if not commands:
            continue
        # Only cameras that have the action: one that lacks it is capability_problems' to report.
        named = [cameras[binding.camera]] if binding.camera in cameras else list(cameras.values())
        targets = [c for c in named if all(inability(c, action, mode) is None for _, action, mode in row.asks(binding))]
        refusals = [next(filter(None, (codec_refusal(camera, c) for c in commands)), None) for camera in targets]
        if not targets or any(problem is None for problem in refusals):
            continue
        key = "action" if binding.action != Action.PRESET else "preset" if binding.preset is not None else "presets"
        mark = node.value[key].mark if isinstance(node, MappingNode) and key in node.value else binding.mark
        problems.append(Problem(mark, child_path(path, key), "; ".join(map(str, refusals))))
    return problems
