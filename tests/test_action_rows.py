"""One home per action (issue 10, item 4): the table in ``mapping/actions.py`` is what the
config schema, the mapper, ``ptzmapd send`` and ``check``'s capability messages read.

These tests pin the joints: every action has exactly one row, a key's range is the same in a
config and on the command line (it is written once), send's command is the command a button
bound to the action sends, and a two-state button follows one rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.cli.send import SEND_ACTIONS, send_command
from ptzmapd.commands import Jog, MoveTo, PanTilt, PresetRecall, PresetStore
from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.config.rules import binding_value
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.actions import ACTION_ROWS, ROWS, Behaviour
from ptzmapd.mapping.bindings import next_state
from ptzmapd.mapping.intents import Do, Move
from ptzmapd.mapping.mapper import Mapper
from ptzmapd.vocabulary import Action, ControlKind, PressMode


def test_every_action_has_one_row_in_the_vocabularys_order() -> None:
    assert [row.action for row in ROWS] == list(Action)
    assert len(ACTION_ROWS) == len(Action)


def test_send_does_every_camera_action_and_none_of_the_surfaces() -> None:
    assert Action.LAYER not in SEND_ACTIONS and Action.FINE not in SEND_ACTIONS and Action.SELECT not in SEND_ACTIONS
    assert {row.action for row in ROWS if row.behaviour is Behaviour.MOTION} <= set(SEND_ACTIONS)
    assert Action.JOG in SEND_ACTIONS and Action.RAW in SEND_ACTIONS and Action.TALLY in SEND_ACTIONS


@pytest.mark.parametrize(("action", "key"), [
    # A step is no key of a button that names its preset, which is what send is.
    (row.action, param.key) for row in ROWS for param in row.params if param.key != "step"
])
def test_a_keys_range_is_the_rows_in_a_config_and_on_the_command_line(action: str, key: str) -> None:
    param = ACTION_ROWS[action].param(key)
    mode = "direct" if key == "level" else None
    inside = int(param.high) if param.integer else param.high
    assert binding_value(action, key, inside, mode) == inside
    beyond = param.high + 1
    with pytest.raises(ValueError, match="out of range"):
        binding_value(action, key, int(beyond) if param.integer else beyond, mode)


def test_jogs_for_is_the_config_duration_range() -> None:
    """The command line took 0 < d <= 10 and the config 0.05..10: one range now."""
    duration = ACTION_ROWS[Action.JOG].param("duration")
    assert send_command("jog", None, False, axes={"pan": 0.5}, duration=duration.low) == Jog(0.5, 0.0, 0.0, duration.low)
    with pytest.raises(ValueError, match=r"--for: 0.01 is out of range \(valid: 0.05..10\)"):
        send_command("jog", None, False, axes={"pan": 0.5}, duration=0.01)


def test_a_missing_position_is_said_in_the_words_of_each_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="move-to needs at least one of --pan, --tilt, --zoom"):
        send_command("move-to", None, False, axes={})
    config = tmp_path / "c.yaml"
    config.write_text(
        "cameras:\n  hik: {protocol: isapi, url: 'http://127.0.0.1:1'}\n"
        "inputs:\n  pads: {type: midi, port: x}\n"
        "bindings:\n  - {input: pads, note: 1, action: move-to}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(str(config))
    assert any("move-to needs at least one of pan, tilt, zoom" in problem for problem in caught.value.problems)


MARK = Mark("<test>", 1, 1)


def button(action: Action, **keys: object) -> BindingConfig:
    return BindingConfig(input="pads", control=ControlKind.NOTE, number=1, action=action, mark=MARK, **keys)  # type: ignore[arg-type]


def test_a_preset_steps_range_is_the_rows(tmp_path: Path) -> None:
    step = ACTION_ROWS[Action.PRESET].param("step")
    config = tmp_path / "c.yaml"
    config.write_text(
        "cameras:\n  hik: {protocol: isapi, url: 'http://127.0.0.1:1'}\n"
        "inputs:\n  pads: {type: midi, port: x}\n"
        f"bindings:\n  - {{input: pads, note: 1, action: preset, step: {int(step.high) + 1}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(str(config))
    assert any(f"out of range (valid: {step.words})" in problem for problem in caught.value.problems)


def test_a_motion_sends_the_speed_a_held_button_asks() -> None:
    assert send_command("tilt", "-0.5", False) == PanTilt(0.0, -0.5)
    intents = Mapper([button(Action.TILT, value=-0.5)], FakeClock()).handle(ControlEvent("pads", "note", 1, 127.0))
    assert [(intent.axis, intent.speed) for intent in intents if isinstance(intent, Move)] == [("tilt", -0.5)]


@pytest.mark.parametrize(("args", "binding"), [
    (("preset", "3", True), button(Action.PRESET, preset=3, store=True)),
    (("move-to", None, False, None, None), button(Action.MOVE_TO, pan=90.0)),
    (("tally", "on", False), button(Action.TALLY, mode="on")),
    (("stop", None, False), button(Action.STOP)),
])
def test_send_sends_what_one_press_of_a_button_with_the_action_sends(args: tuple[object, ...], binding: BindingConfig) -> None:
    axes = {"pan": 90.0} if args[0] == "move-to" else None
    command = send_command(*args, axes=axes)  # type: ignore[arg-type]
    pressed = Mapper([binding], FakeClock()).handle(ControlEvent("pads", "note", 1, 127.0))
    if binding.action == Action.STOP:
        assert command == PanTilt(0.0, 0.0)  # send stops the one camera; the binding stops its targets
        return
    assert [intent.command for intent in pressed if isinstance(intent, Do)] == [command]


@pytest.mark.parametrize(("mode", "current", "pressed", "released", "state"), [
    (PressMode.TOGGLE, False, True, False, True),
    (PressMode.TOGGLE, True, True, False, False),
    (PressMode.TOGGLE, True, False, True, None),  # a toggle ignores the release
    (PressMode.HOLD, False, True, False, True),
    (PressMode.HOLD, True, False, True, False),
    (PressMode.MOMENTARY, False, True, False, True),
    (PressMode.MOMENTARY, True, False, True, False),
    (PressMode.MOMENTARY, True, False, False, None),
])
def test_two_state_buttons_follow_one_rule(mode: str, current: bool, pressed: bool, released: bool, state: bool | None) -> None:
    assert next_state(mode, current, pressed, released) is state


def test_a_program_change_preset_binding_stores_the_program_number() -> None:
    binding = BindingConfig(input="pads", control=ControlKind.PROGRAM, number=None, action=Action.PRESET,
                            mark=MARK, store=True)
    intents = Mapper([binding], FakeClock()).handle(ControlEvent("pads", "program", None, 7.0))
    assert [intent.command for intent in intents if isinstance(intent, Do)] == [PresetStore(7)]
    plain = BindingConfig(input="pads", control=ControlKind.PROGRAM, number=None, action=Action.PRESET, mark=MARK)
    intents = Mapper([plain], FakeClock()).handle(ControlEvent("pads", "program", None, 7.0))
    assert [intent.command for intent in intents if isinstance(intent, Do)] == [PresetRecall(7)]


def test_move_to_command_keeps_axes_left_out() -> None:
    assert send_command("move-to", None, False, axes={"tilt": 10.0}) == MoveTo(None, 10.0, None)
