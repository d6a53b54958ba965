"""The mapping language end to end through mapper, pipeline, controllers and the VISCA codec,
on memory wires with a fake clock: what a surface's controls do to the cameras."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.errors import ConfigError
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.read import describe_command
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)
CAMERAS = ("stage", "pulpit", "choir")


def bind(control: str, number: object, action: str, **keys: object) -> BindingConfig:
    source = str(keys.pop("input", "pad"))
    return BindingConfig(input=source, control=control, number=number, action=action, mark=MARK, **keys)  # type: ignore[arg-type]


class Heard(PipelineObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def selected(self, camera: str | None) -> None:
        self.calls.append(("selected", camera))

    def preset(self, binding: int, camera: str, what: str, number: int) -> None:
        self.calls.append(("preset", binding, camera, what, number))

    def layer(self, name: str, active: bool) -> None:
        self.calls.append(("layer", name, active))

    def toggled(self, binding: int, on: bool) -> None:
        self.calls.append(("toggled", binding, on))

    def fine(self, active: bool) -> None:
        self.calls.append(("fine", active))

    def camera_online(self, camera: str, online: bool) -> None:
        self.calls.append(("online", camera, online))


class Rig:
    """Three cameras that answer everything; events in, readable commands out."""

    def __init__(self, bindings: list[BindingConfig]) -> None:
        self.clock = FakeClock()
        self.wires: dict[str, MemoryWire] = {}
        controllers = {}
        for name in CAMERAS:
            wire = MemoryWire(self.clock)
            controller = CameraController(name, ViscaCodec(VISCA_LIMITS), wire, self.clock,
                                          ControllerSettings(min_interval=0.05, ack_timeout=0.2))
            controller.start()
            wire.settle(controller)
            self.wires[name] = wire
            controllers[name] = controller
        self.controllers = controllers
        self.heard = Heard()
        self.pipeline = Pipeline(bindings, controllers, clock=self.clock, observers=[self.heard])

    def event(self, kind: str, number: object, value: float, source: str = "pad", channel: int | None = None) -> None:
        self.pipeline.on_event(ControlEvent(source, kind, number, value, channel, self.clock.now()))  # type: ignore[arg-type]
        self.settle()

    def settle(self, seconds: float = 0.06) -> None:
        """Let time pass in small steps, the cameras answering everything at once."""
        steps = max(1, round(seconds / 0.01))
        for _ in range(steps):
            for name, wire in self.wires.items():
                wire.answer_awaiting(self.controllers[name])
            self.clock.advance(seconds / steps)

    def press(self, kind: str, number: object, source: str = "pad") -> None:
        self.event(kind, number, 127 if kind in ("note", "cc") else 1, source)
        self.event(kind, number, 0, source)

    def said(self, camera: str) -> list[str]:
        return [describe_command(data) for _, data in self.wires[camera].sent]

    def last(self, camera: str) -> str:
        return self.said(camera)[-1]


def test_sticks_by_sdl_names_with_up_as_up_and_a_drift_deadzone() -> None:
    rig = Rig([bind("axis", "leftx", "pan"), bind("axis", "lefty", "tilt")])
    rig.event("axis", "leftx", 0.05)  # drift inside the default deadzone: nothing
    assert rig.said("stage") == []
    rig.event("axis", "leftx", 1.0)
    rig.event("axis", "lefty", -1.0)  # SDL: pushed up is negative
    assert rig.last("stage") == "pan right 0x18, tilt up 0x14"


def test_triggers_zoom_in_and_out_and_add_up() -> None:
    rig = Rig([bind("axis", "righttrigger", "zoom"), bind("axis", "lefttrigger", "zoom", invert=True)])
    rig.event("axis", "righttrigger", 1.0)
    assert rig.last("stage") == "zoom tele 7"
    rig.event("axis", "lefttrigger", 1.0)  # both full: they cancel out
    assert rig.last("stage") == "zoom stop"
    rig.event("axis", "righttrigger", 0.0)
    assert rig.last("stage") == "zoom wide 7"


def test_a_held_fine_button_slows_what_is_moving_at_once() -> None:
    rig = Rig([bind("axis", "leftx", "pan"), bind("button", "rightshoulder", "fine", factor=0.25, mode="hold")])
    rig.event("axis", "leftx", 1.0)
    rig.event("button", "rightshoulder", 1)
    assert rig.last("stage") == "pan right 0x06, tilt stop"  # 24 × 0.25, without touching the stick
    rig.event("button", "rightshoulder", 0)
    assert rig.last("stage") == "pan right 0x18, tilt stop"
    assert ("fine", True) in rig.heard.calls and ("fine", False) in rig.heard.calls


def test_a_shift_layer_gives_a_control_another_job_and_stops_the_old_one() -> None:
    rig = Rig([
        bind("axis", "rightx", "pan"),
        bind("axis", "rightx", "zoom", layer="shift"),
        bind("button", "leftshoulder", "layer", layer="shift", mode="hold"),
    ])
    rig.event("axis", "rightx", 1.0)
    assert rig.last("stage") == "pan right 0x18, tilt stop"
    rig.event("button", "leftshoulder", 1)
    assert rig.last("stage") == "pan stop, tilt stop"  # the shadowed pan stops
    rig.event("axis", "rightx", 0.5)
    assert rig.last("stage") == "zoom tele 3"
    rig.event("button", "leftshoulder", 0)
    assert rig.last("stage") == "zoom stop"
    rig.event("axis", "rightx", -1.0)
    assert rig.last("stage") == "pan left 0x18, tilt stop"
    assert ("layer", "shift", True) in rig.heard.calls and ("layer", "shift", False) in rig.heard.calls


def test_a_toggled_layer_stays_until_pressed_again_and_unbound_controls_fall_through() -> None:
    rig = Rig([
        bind("button", "a", "preset", preset=1),
        bind("button", "a", "preset", preset=11, layer="bank2"),
        bind("button", "b", "home"),
        bind("button", "y", "layer", layer="bank2", mode="toggle"),
    ])
    rig.press("button", "y")
    rig.press("button", "a")
    rig.press("button", "b")  # not in bank2: the base binding answers
    rig.press("button", "y")
    rig.press("button", "a")
    assert rig.said("stage") == ["preset recall 11", "home", "preset recall 1"]


def test_select_next_previous_and_all() -> None:
    rig = Rig([
        bind("button", "dpright", "select", camera="next"),
        bind("button", "dpleft", "select", camera="previous"),
        bind("button", "guide", "select", camera="all"),
        bind("button", "x", "home"),
    ])
    rig.press("button", "dpright")
    assert rig.pipeline.selected == "pulpit"
    rig.press("button", "dpright")
    rig.press("button", "dpright")
    assert rig.pipeline.selected == "stage"  # wraps round
    rig.press("button", "dpleft")
    assert rig.pipeline.selected == "choir"
    rig.press("button", "guide")
    rig.press("button", "x")
    assert all(rig.last(camera) == "home" for camera in CAMERAS)
    assert ("selected", "all") in rig.heard.calls


def test_switching_camera_stops_the_old_one_or_carries_the_motion_over() -> None:
    rig = Rig([
        bind("axis", "leftx", "pan"),
        bind("button", "a", "select", camera="pulpit"),
        bind("button", "b", "select", camera="stage", carry=True),
    ])
    rig.event("axis", "leftx", 1.0)
    rig.press("button", "a")
    assert rig.last("stage") == "pan stop, tilt stop"
    assert rig.said("pulpit") == []  # the stick has to move again to mean pulpit
    rig.event("axis", "leftx", -1.0)
    rig.press("button", "b")  # carry: stage takes over the motion at once
    assert rig.last("pulpit") == "pan stop, tilt stop"
    assert rig.last("stage") == "pan left 0x18, tilt stop"


def test_tap_recalls_and_hold_stores_a_preset() -> None:
    rig = Rig([bind("note", 36, "preset", preset=4, hold=1.0, input="desk")])
    rig.event("note", 36, 100, "desk")
    rig.event("note", 36, 0, "desk")  # a tap
    assert rig.said("stage") == ["preset recall 4"]
    rig.event("note", 36, 100, "desk")
    rig.settle(1.2)  # held past the hold time: stored while still held
    assert rig.last("stage") == "preset store 4"
    rig.event("note", 36, 0, "desk")  # the release does not also recall
    assert rig.said("stage") == ["preset recall 4", "preset store 4"]
    assert ("preset", 0, "stage", "stored", 4) in rig.heard.calls


def test_preset_up_and_down_walk_each_cameras_own_cursor() -> None:
    rig = Rig([
        bind("button", "dpup", "preset", step=1, presets=(1, 3)),
        bind("button", "dpdown", "preset", step=-1, presets=(1, 3)),
        bind("button", "a", "select", camera="pulpit"),
    ])
    for _ in range(4):
        rig.press("button", "dpup")
    assert rig.said("stage") == ["preset recall 1", "preset recall 2", "preset recall 3", "preset recall 1"]
    rig.press("button", "a")
    rig.press("button", "dpdown")
    assert rig.said("pulpit") == ["preset recall 3"]  # pulpit's cursor starts fresh


def test_a_relative_encoder_nudges_zoom_and_steps_presets() -> None:
    rig = Rig([
        bind("cc", 16, "zoom", encoding="offset-64", input="desk"),
        bind("cc", 17, "preset", encoding="twos-complement", presets=(1, 8), input="desk"),
    ])
    rig.event("cc", 16, 66, "desk")  # two detents tele
    assert rig.last("stage") == "zoom tele 3"
    rig.settle(0.25)  # 2 × 0.1 s, then it stops by itself
    assert rig.last("stage") == "zoom stop"
    rig.event("cc", 17, 1, "desk")
    rig.event("cc", 17, 127, "desk")  # one back
    rig.event("cc", 17, 127, "desk")  # and one more: wraps to the last
    assert [c for c in rig.said("stage") if c.startswith("preset")] == [
        "preset recall 1", "preset recall 8", "preset recall 7",
    ]


def test_tally_toggle_and_momentary() -> None:
    rig = Rig([
        bind("button", "x", "tally", mode="toggle"),
        bind("button", "y", "tally", mode="momentary", camera="pulpit"),
    ])
    rig.press("button", "x")
    rig.press("button", "x")
    assert rig.said("stage") == ["tally on", "tally off"]
    rig.event("button", "y", 1)
    assert rig.said("pulpit") == ["tally on"]
    rig.event("button", "y", 0)
    assert rig.said("pulpit") == ["tally on", "tally off"]
    assert ("toggled", 0, True) in rig.heard.calls and ("toggled", 0, False) in rig.heard.calls


def test_fourteen_bit_cc_and_nrpn_and_velocity() -> None:
    rig = Rig([
        bind("cc14", 1, "pan", input="desk"),
        bind("nrpn", 300, "tilt", input="desk"),
        bind("note", 40, "zoom", velocity=True, input="desk"),
    ])
    rig.event("cc", 1, 127, "desk")
    rig.event("cc", 33, 127, "desk")
    assert rig.last("stage") == "pan right 0x18, tilt stop"
    for number, value in ((99, 300 >> 7), (98, 300 & 0x7F), (6, 0), (38, 0)):
        rig.event("cc", number, value, "desk")
    assert rig.last("stage") == "pan right 0x18, tilt down 0x14"
    rig.event("note", 40, 63, "desk")  # half velocity: half speed
    assert rig.last("stage") == "zoom tele 3"


def test_a_fader_near_the_middle_means_stop() -> None:
    rig = Rig([bind("cc", 0, "pan", input="desk")])
    for value in (62, 63, 65, 66):
        rig.event("cc", 0, value, "desk")
    assert rig.said("stage") == []
    rig.event("cc", 0, 70, "desk")
    assert rig.last("stage").startswith("pan right")


def test_a_hat_pans_and_tilts_at_its_speed_and_a_hat_direction_is_a_button() -> None:
    rig = Rig([
        bind("hat", 0, "pan", value=0.5, input="stick"),
        bind("hat", 0, "tilt", value=0.5, input="stick"),
        bind("hat", 1, "preset", preset=2, direction="up", input="stick"),
    ])
    rig.event("hat", 0, 1 | 2, "stick")  # up-right
    assert rig.last("stage") == "pan right 0x0C, tilt up 0x0A"
    rig.event("hat", 0, 0, "stick")
    assert rig.last("stage") == "pan stop, tilt stop"
    rig.event("hat", 1, 1, "stick")
    rig.event("hat", 1, 1 | 2, "stick")  # still up: no second press
    assert rig.said("stage").count("preset recall 2") == 1


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pad.yaml"
    path.write_text("cameras:\n  stage: {protocol: visca-udp, host: 127.0.0.1}\n" + text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, button: rightshouldr, action: home}\n",
         "bindings[0].button: unknown gamepad button 'rightshouldr' (did you mean 'rightshoulder'?"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, axis: leftx, action: pan}\n"
         "  - {input: pad, axis: leftx, action: zoom}\n",
         "bindings[1]: axis leftx on input 'pad' is already bound at"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, button: a, action: layer, layer: s}\n"
         "  - {input: pad, button: a, action: home, layer: s}\n",
         "bindings[1]: button a on input 'pad' switches layer 's'"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, button: a, action: home, layer: shfit}\n",
         "bindings[0].layer: no binding switches layer 'shfit'"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, hat: 0, action: pan}\n",
         "bindings[0].hat: key 'hat' does not apply to input type 'gamepad'"),
        ("inputs:\n  pad: {type: gamepad, match: 2.5}\n",
         "inputs.pad.match: expected a device name glob, a GUID or an index, got 2.5"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, axis: leftx, action: pan, deadzone: 1.5}\n",
         "bindings[0].deadzone: 1.5 is out of range"),
        ("inputs:\n  pad: {type: gamepad}\nbindings:\n  - {input: pad, axis: leftx, action: pan, curve: {expo: 2}}\n",
         "bindings[0].curve: 2 is out of range"),
    ],
)
def test_check_catches_mapping_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(expected in problem for problem in error.value.problems), error.value.problems


def test_a_full_gamepad_profile_loads(tmp_path: Path) -> None:
    path = write(tmp_path, """\
inputs:
  pad: {type: gamepad, match: "*Xbox*", deadman: 2}
bindings:
  - {input: pad, axis: leftx, action: pan, deadzone: 0.15, curve: {expo: 0.4}}
  - {input: pad, axis: lefty, action: tilt, curve: [[0, 0], [0.5, 0.2], [1, 1]]}
  - {input: pad, axis: righttrigger, action: zoom, range: unipolar}
  - {input: pad, axis: lefttrigger, action: zoom, range: unipolar, invert: true}
  - {input: pad, button: rightshoulder, action: fine, factor: 0.3}
  - {input: pad, button: leftshoulder, action: layer, layer: shift}
  - {input: pad, button: a, action: preset, preset: 1, hold: 1.5}
  - {input: pad, button: a, action: preset, preset: 5, layer: shift}
  - {input: pad, button: dpup, action: preset, step: 1, presets: [1, 6]}
  - {input: pad, button: x, action: tally, mode: toggle}
  - {input: pad, button: start, action: select, camera: next}
""")
    config = load_config(path)
    assert config.inputs["pad"].match == "*Xbox*"
    first = config.bindings[0]
    assert (first.control, first.number, first.deadzone, first.expo) == ("axis", "leftx", 0.15, 0.4)
    assert config.bindings[1].points == ((0, 0), (0.5, 0.2), (1, 1))
    assert config.bindings[8].presets == (1, 6)


def test_a_motion_stopped_by_a_vanished_input_is_not_brought_back_by_fine_or_carry() -> None:
    rig = Rig([
        bind("axis", "leftx", "pan"),
        bind("note", 1, "fine", mode="toggle", input="desk"),
        bind("note", 2, "select", camera="pulpit", carry=True, input="desk"),
    ])
    rig.event("axis", "leftx", 1.0)
    rig.pipeline.on_input_state("pad", False)  # the pad is unplugged mid-pan
    rig.settle()
    assert rig.last("stage") == "pan stop, tilt stop"
    rig.press("note", 1, "desk")  # fine on: must not restart the pan at a quarter speed
    rig.press("note", 2, "desk")  # carry: nothing to carry
    assert rig.last("stage") == "pan stop, tilt stop"
    assert not [c for c in rig.said("pulpit") if c.startswith("pan right")]


def test_a_tap_across_a_layer_change_does_not_store_a_preset() -> None:
    rig = Rig([
        bind("note", 36, "preset", preset=1, hold=1.0, input="desk"),
        bind("note", 36, "preset", preset=11, layer="shift", input="desk"),
        bind("note", 40, "layer", layer="shift", input="desk"),
    ])
    rig.event("note", 36, 100, "desk")
    rig.event("note", 40, 100, "desk")  # shift comes on while the pad is still down
    rig.event("note", 36, 0, "desk")
    rig.settle(2.0)
    assert "preset store 1" not in rig.said("stage")


def test_an_unplugged_surface_releases_its_momentary_buttons() -> None:
    rig = Rig([bind("button", "y", "tally", mode="momentary")])
    rig.event("button", "y", 1)
    assert rig.said("stage") == ["tally on"]
    rig.pipeline.on_input_state("pad", False)
    rig.settle()
    assert rig.said("stage") == ["tally on", "tally off"]


def test_a_reversed_encoder_nudge_starts_afresh() -> None:
    rig = Rig([bind("cc", 16, "zoom", encoding="offset-64", input="desk")])
    rig.event("cc", 16, 67, "desk")  # three detents tele: 0.3 s
    rig.event("cc", 16, 63, "desk")  # one back: 0.1 s wide, not the 0.3 s left over
    assert rig.last("stage") == "zoom wide 3"
    rig.settle(0.15)
    assert rig.last("stage") == "zoom stop"


def test_stop_also_stops_the_zoom_estimate() -> None:
    from ptzmapd.motion.mixer import MotionProfile
    from ptzmapd.motion.shaping import ZoomCurve

    rig = Rig([bind("axis", "righttrigger", "zoom"), bind("axis", "leftx", "pan"), bind("button", "b", "stop")])
    rig.pipeline.mixer._profiles["stage"] = MotionProfile(zoom_curve=ZoomCurve(at_tele=0.2), zoom_travel_time=4.0)
    rig.event("axis", "righttrigger", 1.0)
    rig.settle(0.4)  # a tenth of the way to tele
    rig.press("button", "b")
    rig.settle(10.0)
    rig.event("axis", "righttrigger", 0.0)
    rig.event("axis", "leftx", 1.0)
    level = int(rig.last("stage").split()[2].rstrip(","), 16)
    assert level >= 0x15  # about 0.9 of full speed (the lens stopped an eighth of the way), not 0.2
