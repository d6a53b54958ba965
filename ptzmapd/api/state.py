"""The state the network API publishes (``GET /api/state``, WebSocket pushes, MQTT), and
the difference between two states, so that a push carries only what changed.

The state is built from the runtime's status snapshot (``app/status.py``'s
``StatusSnapshot.to_json()``, handed in as a callable: this layer is below ``app``) and the
selection. Its shape::

    {"selected": NAME | "all" | None,
     "cameras": {NAME: {"online": bool, "moving": bool, "selected": bool,
                        "speeds": {"pan": -1..1, "tilt": …, "zoom": …, "focus": …},
                        "position": {"pan": -1..1 | None, "tilt": -1..1 | None,
                                     "zoom": 0..1 | None},
                        "tally": "program" | "preview" | "off", "program": bool, "preview": bool,
                        "last_error": str | None, "stop_refused": str | None}},
     "inputs": {NAME: {"type": str, "connected": bool}},
     "switchers": {NAME: {...as the status gives it}}}

Positions are normalised at the codec boundary (:mod:`ptzmapd.protocols.position`): pan and
tilt -1..1 over the protocol's mechanical range with 0 at home, zoom 0 wide .. 1 tele; None
until the camera has reported them (its ``position_poll``, or a position inquiry). Counters
that change on every command (commands sent, rate) stay in ``ptzmapd status``: a push for
each would be noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ptzmapd.vocabulary import Target

#: The status snapshot as JSON (``StatusSnapshot.to_json()``).
Snapshot = Callable[[], Mapping[str, Any]]
#: The API state now (:func:`build_state`'s object), as the front ends that publish it read it.
StateSource = Callable[[], Mapping[str, Any]]

#: Camera keys passed through from the status as they are.
CAMERA_KEYS = ("online", "moving", "last_error", "stop_refused")


def camera_state(status: Mapping[str, Any], selected: bool, program: bool, preview: bool) -> dict[str, Any]:
    """One camera of the status document as the API shows it."""
    state = {key: status.get(key) for key in CAMERA_KEYS}
    state["selected"] = selected
    state["speeds"] = dict(status.get("speeds") or {})
    state["position"] = {axis: status.get(axis) for axis in ("pan", "tilt", "zoom")}
    state.update(tally="program" if program else "preview" if preview else "off", program=program, preview=preview)
    return state


def build_state(status: Mapping[str, Any], selected: str | None) -> dict[str, Any]:
    """The API state from a status document and the selection (see the module docstring).

    A camera is on program (preview) while any switcher has it there (the switchers'
    ``program_cameras``/``preview_cameras``); a status without them says so in each camera's
    ``tally`` (``"program"``, ``"preview"`` or ``""``)."""
    switchers = status.get("switchers") or {}
    on_bus = {
        bus: {camera for switcher in switchers.values() for camera in switcher.get(f"{bus}_cameras") or ()}
        for bus in ("program", "preview")
    }
    cameras = {}
    for name, camera in status.get("cameras", {}).items():
        tally = camera.get("tally") or ""
        cameras[name] = camera_state(
            camera, selected in (name, Target.ALL),
            program=name in on_bus["program"] or tally == "program",
            preview=name in on_bus["preview"] or tally == "preview",
        )
    return {
        "selected": selected,
        "cameras": cameras,
        "inputs": {
            name: {"type": device.get("type"), "connected": device.get("connected")}
            for name, device in status.get("inputs", {}).items()
        },
        "switchers": dict(switchers),
    }


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What ``new`` changes of ``old``, nested mappings compared key by key: each changed or
    added key with its new value, each removed key as None (in the state only whole entries
    go: a camera, an input, a switcher). Empty when nothing changed; :func:`apply_changes`
    of it to ``old`` gives ``new``."""
    diff: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            diff[key] = value
        elif isinstance(value, Mapping) and isinstance(old[key], Mapping):
            inner = changes(old[key], value)
            if inner:
                diff[key] = inner
        elif old[key] != value:
            diff[key] = value
    for key in old:
        if key not in new:
            diff[key] = None
    return diff


def apply_changes(state: dict[str, Any], diff: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with ``diff`` merged in, what a client does with a push: None removes an
    entry (a mapping) and clears a plain value."""
    for key, value in diff.items():
        if value is None and isinstance(state.get(key), Mapping):
            del state[key]
        elif isinstance(value, Mapping) and isinstance(state.get(key), dict):
            apply_changes(state[key], value)
        else:
            state[key] = value if not isinstance(value, Mapping) else dict(value)
    return state
