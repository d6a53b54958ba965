"""Every binding key that ``check`` accepts takes effect for that control type (issue 9, item 2).

The audit is a table: for each control type (MIDI cc/note/pitchbend/program/cc14/nrpn, gamepad
axis/trigger/button, joystick axis/button/hat) and each key with a value that differs from
its default, the config is loaded. If ``check`` refuses the key there, the refusal must point
at that key. If it accepts it, the same events fed to the mapping with and without the key
must give different intents: a key accepted and then ignored is a setting the user believes
in and the camera never sees (a throttle with ``range: unipolar`` zoomed at full speed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.intents import Intent
from ptzmapd.mapping.mapper import Mapper

#: control type -> (input type, the binding's control keys, events as (kind, number, value)).
#: The events sweep the control's whole travel and come back to rest.
CONTROLS: dict[str, tuple[str, dict[str, Any], list[tuple[str, object, float]]]] = {
    "midi cc": ("midi", {"cc": 7}, [("cc", 7, v) for v in (0, 1, 20, 64, 100, 127, 65, 64)]),
    "midi cc encoder": ("midi", {"cc": 7, "encoding": "twos-complement"},
                        [("cc", 7, v) for v in (1, 3, 127, 125, 0)]),
    "midi note": ("midi", {"note": 36}, [("note", 36, v) for v in (127, 0, 64, 0, 1, 0)]),
    "midi pitchbend": ("midi", {"pitchbend": True},
                       [("pitchbend", None, v) for v in (-8192, -4000, 0, 100, 4000, 8191, 0)]),
    "midi program": ("midi", {"program": True}, [("program", None, v) for v in (0, 5, 0, 127)]),
    # A 14-bit CC and an NRPN, sent as the plain CCs a surface sends.
    "midi cc14": ("midi", {"cc14": 1}, [("cc", 1, v) for v in (0, 30, 64, 100, 127, 64)]),
    "midi nrpn": ("midi", {"nrpn": 5},
                  [("cc", 99, 0), ("cc", 98, 5)] + [("cc", 6, v) for v in (0, 30, 64, 100, 127, 64)]),
    "gamepad axis": ("gamepad", {"axis": "leftx"},
                     [("axis", "leftx", v) for v in (-1.0, -0.5, -0.05, 0.0, 0.3, 0.5, 1.0, 0.0)]),
    "gamepad trigger": ("gamepad", {"axis": "righttrigger"},
                        [("axis", "righttrigger", v) for v in (0.0, 0.05, 0.3, 0.5, 1.0, 0.0)]),
    "gamepad button": ("gamepad", {"button": "a"}, [("button", "a", v) for v in (1, 0, 1, 0)]),
    "joystick axis": ("joystick", {"axis": 3},
                      [("axis", 3, v) for v in (-1.0, -0.5, -0.02, 0.0, 0.3, 0.5, 1.0, 0.0)]),
    "joystick button": ("joystick", {"button": 0}, [("button", 0, v) for v in (1, 0, 1, 0)]),
    "joystick hat": ("joystick", {"hat": 0}, [("hat", 0, v) for v in (1, 2, 4, 8, 3, 0)]),
    "joystick hat direction": ("joystick", {"hat": 0, "direction": "up"},
                               [("hat", 0, v) for v in (1, 2, 4, 8, 3, 0)]),
}

#: key -> a value that differs from its default. Keys every action takes the same way
#: whatever the control (camera, layer) are not control-specific and are tested elsewhere;
#: ``led`` is the LED output's (tests/test_feedback.py).
MOTION_KEYS: dict[str, object] = {
    "deadzone": 0.5,
    "curve": {"expo": 0.8},
    "invert": True,
    "scale": 0.5,
    "velocity": True,
    "encoding": "sign-magnitude",
    "value": 0.3,
    "range": "unipolar",
    "channel": 2,
    "direction": "right",
}

#: Where a key's default differs by control: a trigger rests at one end (unipolar).
NOT_DEFAULT: dict[tuple[str, str], object] = {("gamepad trigger", "range"): "bipolar"}

PRESET_KEYS: dict[str, object] = {
    "store": True,
    "clear": True,
    "hold": 0.5,
    "step": 2,
    "presets": [2, 5],
    "encoding": "offset-64",
    "channel": 2,
}

CONFIG = """\
cameras:
  stage: {{protocol: visca-ip, host: 127.0.0.2}}
inputs:
  desk: {{type: midi, port: "*desk*"}}
  pad: {{type: gamepad}}
  stick: {{type: joystick}}
bindings:
  - {binding}
"""

INPUT_OF = {"midi": "desk", "gamepad": "pad", "joystick": "stick"}


def flow(mapping: dict[str, object]) -> str:
    def text(value: object) -> str:
        if isinstance(value, dict):
            return flow(value)
        if isinstance(value, list):
            return "[" + ", ".join(text(v) for v in value) + "]"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return "{" + ", ".join(f"{key}: {text(value)}" for key, value in mapping.items()) + "}"


def load_binding(tmp_path: Path, binding: dict[str, object]) -> BindingConfig:
    path = tmp_path / "studio.yaml"
    path.write_text(CONFIG.format(binding=flow(binding)))
    config = load_config(path)
    (only,) = config.bindings
    return only


def intents(binding: BindingConfig, events: list[tuple[str, object, float]]) -> list[list[Intent]]:
    """What each event gives at once, then what follows it within 0.3 s (a nudge ending)."""
    clock = FakeClock()
    later: list[Intent] = []
    mapper = Mapper([binding], clock=clock, deferred=later.extend)
    seen: list[list[Intent]] = []
    for kind, number, value in events:
        channel = 1 if binding.input == "desk" else None
        seen.append(mapper.handle(ControlEvent(binding.input, kind, number, value, channel=channel)))
        clock.advance(0.3)
        seen.append(list(later))
        later.clear()
    return seen


def audit(tmp_path: Path, action: str, base: dict[str, object], keys: dict[str, object]) -> list[str]:
    """The keys check accepts on each control type and the mapping then ignores."""
    ignored: list[str] = []
    for control, (input_type, control_keys, events) in CONTROLS.items():
        binding = {"input": INPUT_OF[input_type], **control_keys, "action": action, **base}
        try:
            plain = load_binding(tmp_path, binding)
        except ConfigError:
            continue  # this action does not take this control at all
        for key, value in keys.items():
            if key in binding:
                continue
            value = NOT_DEFAULT.get((control, key), value)
            try:
                keyed = load_binding(tmp_path, {**binding, key: value})
            except ConfigError as error:
                # Refused at the key, or at a key of the binding it cannot go with.
                named = [key, *binding]
                assert all(any(f".{k}:" in line for k in named) for line in error.problems), (
                    control, key, error.problems)
                continue
            if intents(keyed, events) == intents(plain, events):
                ignored.append(f"{key} on {control}")
    return ignored


def test_every_motion_key_check_accepts_takes_effect_on_every_control(tmp_path: Path) -> None:
    assert audit(tmp_path, "zoom", {}, MOTION_KEYS) == []


def test_every_preset_key_check_accepts_takes_effect_on_every_control(tmp_path: Path) -> None:
    assert audit(tmp_path, "preset", {"preset": 3}, PRESET_KEYS) + audit(
        tmp_path, "preset", {"step": 1}, {k: v for k, v in PRESET_KEYS.items() if k != "step"}) == []


@pytest.mark.parametrize("control", ["joystick axis", "midi pitchbend"])
def test_range_unipolar_maps_a_two_sided_control_onto_zero_to_one(tmp_path: Path, control: str) -> None:
    """The issue's throttle: resting at the bottom of its travel it means no zoom at all.
    (A gamepad stick springs back to its middle: unipolar is refused there, see
    test_a_control_let_go_never_moves_the_camera_whatever_check_accepts.)"""
    input_type, control_keys, events = CONTROLS[control]
    binding = load_binding(
        tmp_path, {"input": INPUT_OF[input_type], **control_keys, "action": "zoom", "range": "unipolar", "deadzone": 0}
    )
    kind, number = events[0][0], events[0][1]
    bottom, top = (-8192, 8191) if kind == "pitchbend" else (-1.0, 1.0)
    mapper = Mapper([binding], FakeClock())

    def speed(value: float) -> float:
        (move,) = mapper.handle(ControlEvent(binding.input, kind, number, value, channel=1))
        return float(getattr(move, "speed"))

    assert speed(bottom) == 0.0
    assert speed(top) == 1.0
    assert speed(0) == pytest.approx(0.5, abs=0.01)


def test_a_program_change_cannot_drive_a_motion(tmp_path: Path) -> None:
    """A program change is never released: bound to pan it would start a move nothing stops
    (before: check accepted it, and the camera panned until another program change 0)."""
    path = tmp_path / "studio.yaml"
    path.write_text(CONFIG.format(binding=flow({"input": "desk", "program": True, "action": "pan"})))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert refused.value.problems == [
        f"{path}:8:19: bindings[0].program: key 'program' does not apply to action 'pan'"
    ]


#: Controls that spring back to a rest position when let go, and that position.
RESTING: dict[str, float] = {
    "gamepad axis": 0.0,
    "gamepad trigger": 0.0,
    "gamepad button": 0,
    "joystick button": 0,
    "joystick hat": 0,
    "midi note": 0,
}

#: Shaping keys whose values could make a resting control ask for a speed.
SHAPES: list[dict[str, object]] = [
    {"range": "unipolar"},
    {"range": "bipolar"},
    {"curve": [[0, 0.3], [1, 1]]},
    {"curve": [[0.2, 0.3], [1, 1]]},
    {"curve": [[0, 0], [0.5, 0.2], [1, 1]]},
    {"curve": {"expo": 0.5}},
    {"deadzone": 0.5},
    {"invert": True},
    {"range": "unipolar", "invert": True},
]


@pytest.mark.parametrize("control", list(RESTING))
def test_a_control_let_go_never_moves_the_camera_whatever_check_accepts(tmp_path: Path, control: str) -> None:
    """A stick, trigger or button back at rest means stop, with every shaping ``check`` takes.
    Before, ``check`` accepted a gamepad stick with ``range: unipolar`` (centre = half speed),
    a trigger with ``range: bipolar`` (released = full speed the other way) and a curve whose
    first point is not [0, 0] (rest = its y): the camera moved with nobody touching anything."""
    input_type, control_keys, events = CONTROLS[control]
    moved = [e for e in events if e[2] != RESTING[control]][0]
    rest = (moved[0], moved[1], RESTING[control])
    moving: list[str] = []
    for shape in SHAPES:
        binding = {"input": INPUT_OF[input_type], **control_keys, "action": "zoom", **shape}
        try:
            keyed = load_binding(tmp_path, binding)
        except ConfigError as error:
            assert all(any(f".{k}:" in line for k in shape) for line in error.problems), (control, shape, error.problems)
            continue
        seen = intents(keyed, [moved, rest])
        speeds = [getattr(intent, "speed", 0.0) for intent in seen[-2] + seen[-1]]
        if any(speed != 0 for speed in speeds):
            moving.append(f"{shape} at rest: {speeds}")
    assert moving == []


@pytest.mark.parametrize("curve", ["[[0, 0.3], [1, 1]]", "[[0.2, 0.3], [1, 1]]", "[[0.1, 0], [1, 1]]"])
def test_a_curve_must_start_at_rest(tmp_path: Path, curve: str) -> None:
    """A fader at its stop (64) or a stick in its middle means stop: a points curve whose
    first point is not [0, 0] would turn that into a speed. Refused at the key."""
    path = tmp_path / "studio.yaml"
    path.write_text(CONFIG.format(binding="{input: desk, cc: 7, action: pan, curve: " + curve + "}"))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    (problem,) = refused.value.problems
    assert "bindings[0].curve: " in problem and "[0, 0]" in problem
