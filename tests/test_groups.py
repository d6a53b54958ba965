"""Selection groups: two operators on one daemon, each with a ``selected`` camera of their own,
through mapper, pipeline, controllers and the VISCA codec on memory wires with a fake clock;
their LEDs, their config key and what ``ptzmapd status`` shows of them."""

from __future__ import annotations

from pathlib import Path

from helpers import problems_of, write
from ptzmapd.app.status import GroupStatus, StatusSnapshot, render
from ptzmapd.clock import FakeClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import BindingConfig, InputConfig, LedConfig, Mark
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.intents import Move
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.read import describe_command
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.surfaces.feedback import Feedback, lights_of
from ptzmapd.vocabulary import DEFAULT_GROUP
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)
CAMERAS = ("stage", "pulpit", "choir")
#: Which group each test input belongs to: the desk is operator a's, the pad operator b's.
GROUPS = {"desk": "a", "pad": "b", "remote": DEFAULT_GROUP}


def bind(source: str, control: str, number: object, action: str, **keys: object) -> BindingConfig:
    return BindingConfig(input=source, control=control, number=number, action=action, mark=MARK,  # type: ignore[arg-type]
                         group=GROUPS[source], **keys)  # type: ignore[arg-type]


class Heard(PipelineObserver):
    def __init__(self) -> None:
        self.default: list[str | None] = []
        self.groups: list[tuple[str, str | None]] = []

    def selected(self, camera: str | None) -> None:
        self.default.append(camera)


class GroupHeard(Heard):
    def group_selected(self, group: str, camera: str | None) -> None:
        self.groups.append((group, camera))


class Rig:
    """Three cameras that answer everything; two operators' events in, commands out."""

    def __init__(self, bindings: list[BindingConfig]) -> None:
        self.clock = FakeClock()
        self.wires: dict[str, MemoryWire] = {}
        self.controllers: dict[str, CameraController] = {}
        for name in CAMERAS:
            wire = MemoryWire(self.clock)
            controller = CameraController(name, ViscaCodec(VISCA_LIMITS), wire, self.clock,
                                          ControllerSettings(min_interval=0.05, ack_timeout=0.2))
            controller.start()
            wire.settle(controller)
            self.wires[name] = wire
            self.controllers[name] = controller
        self.plain, self.grouped = Heard(), GroupHeard()
        self.pipeline = Pipeline(bindings, self.controllers, clock=self.clock, observers=[self.plain, self.grouped],
                                 groups=set(GROUPS.values()))

    def event(self, source: str, kind: str, number: object, value: float) -> None:
        self.pipeline.on_event(ControlEvent(source, kind, number, value, None, self.clock.now()))  # type: ignore[arg-type]
        self.settle()

    def press(self, source: str, kind: str, number: object) -> None:
        self.event(source, kind, number, 127 if kind in ("note", "cc") else 1)
        self.event(source, kind, number, 0)

    def settle(self, seconds: float = 0.06) -> None:
        for _ in range(6):
            for name, wire in self.wires.items():
                wire.answer_awaiting(self.controllers[name])
            self.clock.advance(seconds / 6)

    def said(self, camera: str) -> list[str]:
        return [describe_command(data) for _, data in self.wires[camera].sent]


def two_operators() -> Rig:
    return Rig([
        bind("desk", "cc", 0, "pan"),
        bind("desk", "note", 1, "select", camera="pulpit"),
        bind("desk", "note", 2, "select", camera="next"),
        bind("desk", "note", 3, "preset", preset=4),
        bind("desk", "note", 4, "stop"),
        bind("pad", "axis", "leftx", "pan"),
        bind("pad", "button", "dpright", "select", camera="next"),
        bind("pad", "button", "dpleft", "select", camera="previous"),
        bind("pad", "button", "a", "preset", preset=7),
    ])


def test_each_group_has_its_own_selection_and_both_steer_at_once() -> None:
    rig = two_operators()
    assert rig.pipeline.selections == {DEFAULT_GROUP: "stage", "a": "stage", "b": "stage"}
    rig.press("desk", "note", 1)  # operator a takes pulpit; b stays on stage
    assert rig.pipeline.selections == {DEFAULT_GROUP: "stage", "a": "pulpit", "b": "stage"}
    rig.event("desk", "cc", 0, 127)
    rig.event("pad", "axis", "leftx", -1.0)
    assert rig.said("pulpit")[-1] == "pan right 0x18, tilt stop"
    assert rig.said("stage")[-1] == "pan left 0x18, tilt stop"
    rig.press("desk", "note", 3)
    rig.press("pad", "button", "a")
    assert "preset recall 4" in rig.said("pulpit") and "preset recall 7" in rig.said("stage")
    assert "preset recall 4" not in rig.said("stage") and "preset recall 7" not in rig.said("pulpit")


def test_changing_one_groups_selection_stops_only_what_that_group_moved() -> None:
    rig = two_operators()
    rig.press("desk", "note", 1)
    rig.event("desk", "cc", 0, 127)  # a pans pulpit
    rig.event("pad", "axis", "leftx", 1.0)  # b pans stage
    stage_before = len(rig.said("stage"))
    rig.press("desk", "note", 2)  # a: next camera after pulpit is choir
    assert rig.pipeline.selections["a"] == "choir"
    assert rig.said("pulpit")[-1] == "pan stop, tilt stop"
    assert rig.said("stage")[stage_before:] == []  # b's camera keeps moving, untouched
    assert rig.said("choir") == []  # a's fader has to move again to mean choir
    rig.press("pad", "button", "dpright")  # b moves on to pulpit: now stage stops
    assert rig.said("stage")[-1] == "pan stop, tilt stop"
    assert rig.pipeline.selections == {DEFAULT_GROUP: "stage", "a": "choir", "b": "pulpit"}


def test_next_and_previous_step_from_the_groups_own_camera() -> None:
    rig = two_operators()
    rig.press("desk", "note", 1)  # a on pulpit
    rig.press("pad", "button", "dpleft")  # b: previous from stage wraps to choir
    assert rig.pipeline.selections["b"] == "choir"
    rig.press("desk", "note", 2)  # a: next from pulpit
    assert rig.pipeline.selections["a"] == "choir"
    rig.press("pad", "button", "dpright")  # b: next from choir wraps to stage
    assert rig.pipeline.selections["b"] == "stage"


def test_two_groups_on_one_camera_share_it_and_a_stop_button_stops_it() -> None:
    rig = two_operators()
    rig.event("desk", "cc", 0, 127)
    rig.event("pad", "axis", "leftx", 0.5)
    assert rig.said("stage")[-1].startswith("pan right")
    before = len(rig.said("stage"))
    rig.press("desk", "note", 4)  # a's stop on its selected camera: stage, which b shares
    assert "pan stop, tilt stop" in rig.said("stage")[before:]


def test_observers_hear_every_group_or_just_the_default_one() -> None:
    rig = two_operators()
    rig.press("desk", "note", 1)
    rig.pipeline.select("choir")  # the default group: the remote API's
    assert rig.grouped.groups == [("a", "pulpit"), (DEFAULT_GROUP, "choir")]
    assert rig.plain.default == ["choir"]  # an observer that knows no groups hears the default one


def test_a_remote_move_on_the_default_group_follows_its_own_selection() -> None:
    rig = two_operators()
    rig.press("desk", "note", 1)
    rig.pipeline.apply(Move("selected", "pan", 1.0, ("remote", 0)))  # type: ignore[arg-type]
    rig.settle()
    assert rig.said("stage")[-1] == "pan right 0x18, tilt stop" and rig.said("pulpit") == []
    assert rig.pipeline.cameras("selected", "a") == ["pulpit"] and rig.pipeline.cameras("selected") == ["stage"]


def test_select_pads_light_for_their_own_groups_selection(fake_clock: FakeClock) -> None:
    inputs = {
        name: InputConfig(name, "midi", MARK, port="x", feedback="x", group=GROUPS[name]) for name in ("desk", "pad")
    }
    bindings = [
        BindingConfig(input=source, control="note", number=number, action="select", mark=MARK,  # type: ignore[arg-type]
                      camera=camera, led=LedConfig("note", number), group=GROUPS[source])
        for source in ("desk", "pad") for number, camera in ((10, "stage"), (11, "pulpit"))
    ]
    shown: dict[tuple[str, int], int] = {}

    def send(input_name: str, message: bytes) -> bool:
        shown[(input_name, message[1])] = message[2]
        return True

    feedback = Feedback(lights_of(bindings, inputs), fake_clock, send, "stage")
    assert shown == {("desk", 10): 127, ("desk", 11): 0, ("pad", 10): 127, ("pad", 11): 0}
    feedback.group_selected("a", "pulpit")
    assert shown == {("desk", 10): 0, ("desk", 11): 127, ("pad", 10): 127, ("pad", 11): 0}
    feedback.selected("pulpit")  # the default group: neither surface belongs to it
    assert shown[("pad", 10)] == 127 and shown[("pad", 11)] == 0


def test_the_issue_config_names_groups_and_a_bad_group_name_is_placed(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
  pulpit: {protocol: visca-udp, host: 127.0.0.3}
inputs:
  desk:  {type: midi, port: "*X-TOUCH MINI*", group: a}
  pad:   {type: gamepad, group: b}            # group: each group has its own selected camera
  keys:  {type: midi, virtual: keys}
bindings:
  - {input: desk, note: 8, action: preset, preset: 3, speed: 0.2}   # travel at 20 % of full speed
  - {input: pad, button: a, action: select, camera: next}
""")
    config = load_config(good)
    assert {name: device.group for name, device in config.inputs.items()} == {"desk": "a", "pad": "b", "keys": DEFAULT_GROUP}
    assert [binding.group for binding in config.bindings] == ["a", "b"]
    bad = write(tmp_path, "bad.yaml", """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  desk: {type: midi, port: "*X*", group: "operator one"}
  pad: {type: gamepad, groupe: b}
bindings: []
""")
    assert problems_of(bad) == [
        f"{bad}:4:42: inputs.desk.group: group name 'operator one' may only use letters, digits, '_' and '-'",
        f"{bad}:5:24: inputs.pad.groupe: unknown key 'groupe' (did you mean 'group'?"
        " valid: type, match, deadman, group)",
    ]


def test_status_shows_each_groups_selection_and_its_inputs() -> None:
    snapshot = StatusSnapshot("studio.yaml", {}, {}, {
        DEFAULT_GROUP: GroupStatus("stage", ()), "a": GroupStatus("pulpit", ("desk",)), "b": GroupStatus("all", ("pad", "joy")),
    })
    text = render(snapshot.to_json())
    assert text.splitlines()[-4:] == [
        "groups:",
        "    default    > stage      (no input)",
        "    a          > pulpit     (desk)",
        "    b          > all        (pad, joy)",
    ]
    alone = StatusSnapshot("studio.yaml", {}, {}, {DEFAULT_GROUP: GroupStatus("stage", ("desk",))})
    assert "groups:" not in render(alone.to_json())  # one operator: the camera list's '>' says it
