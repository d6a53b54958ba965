"""Bindings → intents → cameras: what a fader, a pad and a vanished input do."""

from __future__ import annotations

import pytest

from ptzmapd.camera import CameraController, ControllerSettings
from ptzmapd.clock import FakeClock
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.values import cc_bipolar, cc_unipolar, pitchbend
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.visca.codec import ViscaCodec
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)


def bind(control: str, number: int | None, action: str, **extra: object) -> BindingConfig:
    return BindingConfig(input=str(extra.pop("input", "desk")), control=control, number=number, action=action, mark=MARK, **extra)  # type: ignore[arg-type]


class Rig:
    """Two cameras on memory wires that answer every command at once."""

    def __init__(self, bindings: list[BindingConfig]) -> None:
        self.clock = FakeClock()
        self.wires: dict[str, MemoryWire] = {}
        controllers = {}
        for name in ("stage", "pulpit"):
            wire = MemoryWire(self.clock)
            controller = CameraController(name, ViscaCodec(VISCA_LIMITS), wire, self.clock,
                                          ControllerSettings(min_interval=0.05, ack_timeout=0.2))
            controller.start()
            wire.settle(controller)
            self.wires[name] = wire
            controllers[name] = controller
        self.pipeline = Pipeline(bindings, controllers, clock=self.clock)

    def send(self, kind: str, number: int | None, value: float, channel: int = 1, source: str = "desk") -> None:
        self.pipeline.on_event(ControlEvent(source, kind, number, value, channel, self.clock.now()))
        for wire in self.wires.values():
            if wire.sent:  # the camera answers whatever it was sent
                wire.answer("90 41 FF")
        self.clock.advance(0.06)
        for wire in self.wires.values():
            if wire.sent:
                wire.answer("90 41 FF")

    def frames(self, camera: str) -> list[str]:
        return self.wires[camera].frames


@pytest.mark.parametrize(("raw", "speed"), [(0, -1.0), (32, -0.5), (64, 0.0), (127, 1.0), (95.5, 0.5)])
def test_cc_is_bipolar_around_64(raw: float, speed: float) -> None:
    assert cc_bipolar(raw) == pytest.approx(speed)


def test_cc_unipolar_and_pitchbend() -> None:
    assert cc_unipolar(0) == 0.0 and cc_unipolar(127) == 1.0
    assert pitchbend(-8192) == -1.0 and pitchbend(0) == 0.0 and pitchbend(8191) == 1.0


def test_a_fader_pans_the_selected_camera_and_centre_stops_it() -> None:
    rig = Rig([bind("cc", 0, "pan")])
    rig.send("cc", 0, 127)
    rig.send("cc", 0, 64)
    assert rig.frames("stage") == ["81 01 06 01 18 01 02 03 FF", "81 01 06 01 01 01 03 03 FF"]
    assert rig.frames("pulpit") == []


def test_pan_and_tilt_faders_travel_together() -> None:
    rig = Rig([bind("cc", 0, "pan"), bind("cc", 1, "tilt")])
    rig.send("cc", 0, 0)  # full left
    rig.send("cc", 1, 127)  # full up, while still panning
    assert rig.frames("stage")[-1] == "81 01 06 01 18 14 01 01 FF"


def test_unipolar_range() -> None:
    rig = Rig([bind("cc", 2, "zoom", range="unipolar")])
    rig.send("cc", 2, 127)
    assert rig.frames("stage")[-1] == "81 01 04 07 27 FF"


def test_a_note_moves_at_its_value_while_held() -> None:
    rig = Rig([bind("note", 36, "pan", value=-0.5)])
    rig.send("note", 36, 100)
    assert rig.frames("stage")[-1] == "81 01 06 01 0C 01 01 03 FF"
    rig.send("note", 36, 0)
    assert rig.frames("stage")[-1] == "81 01 06 01 01 01 03 03 FF"


def test_select_switches_camera_and_stops_the_one_left_behind() -> None:
    rig = Rig([bind("cc", 0, "pan"), bind("note", 42, "select", camera="pulpit")])
    rig.send("cc", 0, 127)
    rig.send("note", 42, 127)
    assert rig.frames("stage")[-1] == "81 01 06 01 01 01 03 03 FF"  # stage stopped
    rig.send("cc", 0, 0)
    assert rig.frames("pulpit") == ["81 01 06 01 18 01 01 03 FF"]


def test_preset_recall_store_and_home_all() -> None:
    rig = Rig([
        bind("note", 43, "preset", preset=1),
        bind("note", 45, "preset", preset=1, store=True),
        bind("note", 44, "home", camera="all"),
    ])
    rig.send("note", 43, 127)
    rig.send("note", 43, 0)  # release: nothing more
    rig.send("note", 45, 127)
    rig.send("note", 44, 127)
    assert rig.frames("stage") == ["81 01 04 3F 02 01 FF", "81 01 04 3F 01 01 FF", "81 01 06 04 FF"]
    assert rig.frames("pulpit") == ["81 01 06 04 FF"]


def test_a_cc_pad_fires_once_per_press() -> None:
    rig = Rig([bind("cc", 20, "preset", preset=2)])
    for value in (127, 127, 0, 127):
        rig.send("cc", 20, value)
    assert rig.frames("stage") == ["81 01 04 3F 02 02 FF", "81 01 04 3F 02 02 FF"]


def test_program_change_recalls_its_number() -> None:
    rig = Rig([BindingConfig(input="desk", control="program", number=None, action="preset", mark=MARK)])
    rig.send("program", None, 9)
    assert rig.frames("stage") == ["81 01 04 3F 02 09 FF"]


def test_channel_filter_on_a_binding() -> None:
    rig = Rig([bind("cc", 0, "pan", channel=2)])
    rig.send("cc", 0, 127, channel=1)
    assert rig.frames("stage") == []
    rig.send("cc", 0, 127, channel=2)
    assert rig.frames("stage") == ["81 01 06 01 18 01 02 03 FF"]


def test_an_input_that_vanishes_stops_only_what_it_drove() -> None:
    rig = Rig([
        bind("cc", 0, "pan", camera="stage"),
        bind("cc", 0, "pan", camera="pulpit", input="pad"),
    ])
    rig.send("cc", 0, 127, source="desk")
    rig.send("cc", 0, 0, source="pad")
    rig.pipeline.on_input_state("desk", False)
    rig.clock.advance(0.1)
    assert rig.frames("stage")[-1] == "81 01 06 01 01 01 03 03 FF"
    assert rig.frames("pulpit")[-1] == "81 01 06 01 18 01 01 03 FF"  # still moving: another input drives it


def test_stop_and_autofocus_actions() -> None:
    rig = Rig([bind("cc", 0, "pan"), bind("note", 1, "stop"), bind("note", 2, "autofocus", mode="one-push")])
    rig.send("cc", 0, 127)
    rig.send("note", 1, 127)
    assert rig.frames("stage")[-1] == "81 01 06 01 01 01 03 03 FF"
    rig.send("note", 2, 127)
    assert rig.frames("stage")[-1] == "81 01 04 38 04 FF"  # one-push AF in the default (PTZOptics) dialect


def test_unbound_controls_do_nothing() -> None:
    rig = Rig([bind("cc", 0, "pan")])
    rig.send("cc", 99, 127)
    rig.send("pitchbend", None, 8191)
    assert rig.frames("stage") == []


def test_an_input_that_goes_silent_past_its_deadman_stops_what_it_drives(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([bind("cc", 0, "pan", input="osc"), bind("cc", 1, "pan", camera="pulpit")])
    rig.pipeline.deadman = {"osc": 0.5}
    rig.send("cc", 0, 127, source="osc")
    rig.send("cc", 1, 127)  # another input, no deadman: keeps going
    for _ in range(4):  # the stream keeps coming: nothing stops
        rig.clock.advance(0.2)
        rig.send("cc", 0, 127, source="osc")
    assert rig.frames("stage")[-1] == "81 01 06 01 18 01 02 03 FF"
    with caplog.at_level("WARNING"):
        rig.clock.advance(0.8)  # silence
    assert rig.frames("stage")[-1] == "81 01 06 01 01 01 03 03 FF"
    assert rig.frames("pulpit")[-1] == "81 01 06 01 18 01 02 03 FF"
    assert "silent" in caplog.text and "deadman" in caplog.text
