"""What the switchers have on air, in the pipeline: targets preview/program, follow, the live
lockout (block, slow, override), switcher actions. Fake clock, cameras on memory wires."""

from __future__ import annotations

import logging

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.onair import Buses, SwitcherRules
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)
PAN_RIGHT_FULL = "81 01 06 01 18 01 02 03 FF"
PAN_STOP = "81 01 06 01 01 01 03 03 FF"


def bind(control: str, number: int | None, action: str, **extra: object) -> BindingConfig:
    return BindingConfig(input="desk", control=control, number=number, action=action, mark=MARK, **extra)  # type: ignore[arg-type]


class Heard(PipelineObserver):
    def __init__(self) -> None:
        self.tallies: list[tuple[str, bool, bool]] = []
        self.refusals: list[int] = []
        self.toggles: list[tuple[int, bool]] = []

    def tally(self, camera: str, program: bool, preview: bool) -> None:
        self.tallies.append((camera, program, preview))

    def refused(self, binding: int) -> None:
        self.refusals.append(binding)

    def toggled(self, binding: int, on: bool) -> None:
        self.toggles.append((binding, on))


class Desk:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None, str | None]] = []

    def request(self, action: str, camera: str | None, switcher: str | None) -> None:
        self.requests.append((action, camera, switcher))


class Rig:
    """Three cameras answering everything; one switcher 'vision' with the given rules."""

    def __init__(self, bindings: list[BindingConfig], **rules: object) -> None:
        self.clock = FakeClock()
        self.wires: dict[str, MemoryWire] = {}
        controllers = {}
        for name in ("stage", "pulpit", "wide"):
            wire = MemoryWire(self.clock)
            controller = CameraController(name, ViscaCodec(VISCA_LIMITS), wire, self.clock,
                                          ControllerSettings(min_interval=0.05, ack_timeout=0.2))
            controller.start()
            wire.settle(controller)
            self.wires[name] = wire
            controllers[name] = controller
        self.heard = Heard()
        self.desk = Desk()
        self.pipeline = Pipeline(bindings, controllers, clock=self.clock, observers=[self.heard],
                                 switchers={"vision": SwitcherRules(**rules)}, desk=self.desk)  # type: ignore[arg-type]

    def send(self, kind: str, number: int | None, value: float) -> None:
        self.pipeline.on_event(ControlEvent("desk", kind, number, value, 1, self.clock.now()))
        self.tick()

    def tick(self) -> None:
        for _ in range(3):
            for wire in self.wires.values():
                if wire.sent:
                    wire.answer("90 41 FF")
            self.clock.advance(0.06)

    def air(self, program: set[str], preview: set[str]) -> None:
        self.pipeline.on_buses("vision", Buses(frozenset(program), frozenset(preview)))
        self.tick()

    def frames(self, camera: str) -> list[str]:
        return self.wires[camera].frames


def test_camera_preview_and_program_targets_follow_the_buses() -> None:
    rig = Rig([bind("cc", 0, "pan", camera="preview"), bind("note", 1, "home", camera="program")])
    rig.send("cc", 0, 127)
    assert all(not rig.frames(name) for name in rig.wires)  # nothing on preview: nothing moves
    rig.air(program={"stage"}, preview={"pulpit"})
    rig.send("cc", 0, 127)
    rig.send("note", 1, 127)
    assert rig.frames("pulpit") == [PAN_RIGHT_FULL]
    assert rig.frames("stage") == ["81 01 06 04 FF"]
    assert rig.pipeline.resolve("preview") == ["pulpit"] and rig.pipeline.resolve("program") == ["stage"]


def test_follow_preview_selects_the_new_preview_camera_and_stops_the_old_one() -> None:
    rig = Rig([bind("cc", 0, "pan"), bind("note", 5, "select", camera="wide")], follow="preview")
    rig.air(program={"stage"}, preview={"pulpit"})
    assert rig.pipeline.selected == "pulpit"
    rig.send("cc", 0, 127)
    assert rig.frames("pulpit") == [PAN_RIGHT_FULL]
    rig.air(program={"pulpit"}, preview={"stage"})  # a cut swaps them
    assert rig.pipeline.selected == "stage"
    assert rig.frames("pulpit")[-1] == PAN_STOP  # left behind: stopped
    assert rig.frames("stage") == []  # no carry: the held fader does not move the new one
    # A manual select works until the switcher's next change.
    rig.send("note", 5, 127)
    assert rig.pipeline.selected == "wide"
    rig.air(program={"pulpit"}, preview=set())  # a preview without a mapped camera
    assert rig.pipeline.selected == "wide"
    rig.air(program={"stage"}, preview={"pulpit"})
    assert rig.pipeline.selected == "pulpit"


def test_follow_with_carry_keeps_moving_on_the_new_camera() -> None:
    rig = Rig([bind("cc", 0, "pan")], follow="preview", carry=True)
    rig.air(program=set(), preview={"stage"})
    rig.send("cc", 0, 127)
    rig.air(program=set(), preview={"pulpit"})
    assert rig.frames("stage")[-1] == PAN_STOP
    assert rig.frames("pulpit") == [PAN_RIGHT_FULL]


def test_follow_program() -> None:
    rig = Rig([], follow="program")
    rig.air(program={"wide"}, preview={"pulpit"})
    assert rig.pipeline.selected == "wide"


def test_block_holds_back_motion_presets_and_home_once_per_press(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([bind("cc", 0, "pan", camera="stage"), bind("note", 1, "preset", camera="stage", preset=3),
               bind("note", 2, "home", camera="stage"), bind("note", 3, "autofocus", camera="stage")], live="block")
    rig.air(program={"stage"}, preview=set())
    with caplog.at_level(logging.WARNING):
        for value in (100, 110, 127):  # one press of a fader: many values
            rig.send("cc", 0, value)
        rig.send("note", 1, 127)
        rig.send("note", 2, 127)
        rig.send("note", 3, 127)  # not a move: it goes
    assert rig.frames("stage") == ["81 01 04 38 10 FF"]
    held = [r.getMessage() for r in caplog.records if "live lockout" in r.getMessage()]
    assert len(held) == 3, held
    assert rig.heard.refusals == [0, 1, 2]
    # Off air, the same fader moves it again.
    rig.send("cc", 0, 64)
    rig.air(program={"pulpit"}, preview=set())
    rig.send("cc", 0, 127)
    assert rig.frames("stage")[-1] == PAN_RIGHT_FULL


def test_a_move_running_when_its_camera_goes_to_air_is_stopped_at_once() -> None:
    rig = Rig([bind("cc", 0, "pan", camera="stage")], live="block")
    rig.send("cc", 0, 127)
    assert rig.frames("stage") == [PAN_RIGHT_FULL]
    rig.air(program={"stage"}, preview=set())
    assert rig.frames("stage")[-1] == PAN_STOP
    rig.send("cc", 0, 120)  # the hand is still on it: nothing moves
    assert rig.frames("stage")[-1] == PAN_STOP


def test_slow_scales_motion_at_once_and_still_blocks_presets() -> None:
    rig = Rig([bind("cc", 0, "pan", camera="stage"), bind("note", 1, "preset", camera="stage", preset=3)],
              live="slow", live_factor=0.25)
    rig.send("cc", 0, 127)
    rig.air(program={"stage"}, preview=set())
    assert rig.frames("stage")[-1] == "81 01 06 01 06 01 02 03 FF"  # 0x18 * 0.25
    rig.send("note", 1, 127)
    assert not any("3F 02" in frame for frame in rig.frames("stage"))
    rig.air(program=set(), preview=set())
    assert rig.frames("stage")[-1] == PAN_RIGHT_FULL


def test_a_held_live_override_lifts_the_lockout() -> None:
    rig = Rig([bind("cc", 0, "pan", camera="stage"), bind("note", 20, "live-override", mode="hold")], live="block")
    rig.air(program={"stage"}, preview=set())
    rig.send("note", 20, 127)
    assert rig.heard.toggles == [(1, True)]
    rig.send("cc", 0, 127)
    assert rig.frames("stage") == [PAN_RIGHT_FULL]
    rig.send("note", 20, 0)  # let go: the lockout is back, and what moves stops at once
    assert rig.frames("stage")[-1] == PAN_STOP
    assert rig.heard.toggles[-1] == (1, False)


def test_tally_is_told_per_camera() -> None:
    rig = Rig([])
    rig.air(program={"stage"}, preview={"pulpit"})
    rig.air(program={"pulpit"}, preview={"stage"})
    assert rig.heard.tallies == [("stage", True, False), ("pulpit", False, True),
                                 ("stage", False, True), ("pulpit", True, False)]


def test_switcher_actions_go_to_the_desk_with_the_camera_resolved() -> None:
    rig = Rig([bind("note", 21, "switcher-preview", camera="pulpit"), bind("note", 22, "switcher-cut"),
               bind("note", 23, "switcher-preview", camera="selected"),
               bind("note", 24, "switcher-auto", switcher="vision")])
    for note in (21, 22, 23, 24):
        rig.send("note", note, 127)
    assert rig.desk.requests == [("switcher-preview", "pulpit", None), ("switcher-cut", None, None),
                                 ("switcher-preview", "stage", None), ("switcher-auto", None, "vision")]


def test_select_preview_selects_the_camera_on_preview() -> None:
    rig = Rig([bind("note", 5, "select", camera="preview")])
    rig.send("note", 5, 127)
    assert rig.pipeline.selected == "stage"  # nothing on preview: the selection stays
    rig.air(program=set(), preview={"wide"})
    rig.send("note", 5, 127)
    assert rig.pipeline.selected == "wide"


def test_follow_with_carry_never_hands_a_move_to_a_locked_camera() -> None:
    rig = Rig([bind("cc", 0, "pan")], follow="program", carry=True, live="block")
    rig.air(program=set(), preview=set())
    rig.send("cc", 0, 127)  # stage (selected at start) pans
    rig.air(program={"pulpit"}, preview=set())  # selected follows program, which is locked
    assert rig.pipeline.selected == "pulpit"
    assert rig.frames("stage")[-1] == PAN_STOP
    assert rig.frames("pulpit") == []
    assert rig.heard.refusals == [0]
