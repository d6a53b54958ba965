"""The rig of the tour and trace tests: the pipeline with tours and traces over one camera,
``pulpit``, a real VISCA controller on an in-memory wire that answers like a camera (ACK, then
completion) a few milliseconds after each command, until it is unplugged; a fake clock."""

from __future__ import annotations

import logging

from ptzmapd.clock import FakeClock
from ptzmapd.config.model import BindingConfig, Mark, TourConfig, TourStop
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.onair import SwitcherRules
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.tours.programs import Programs
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)
PACING = 0.05
#: How long the simulated camera takes to answer a command.
ANSWER_DELAY = 0.004

RECALL = "81 01 04 3F 02 {:02X} FF"
STOP = "81 01 06 01 01 01 03 03 FF"
#: The tour's travel speed 0.3, set ahead of its first recall: PTZOptics "Preset Recall Speed"
#: 8x 01 06 01 pp FF (pp 01..18; 0.3 of 0x18 → 08), sent only when it changes.
SPEED_03 = "81 01 06 01 08 FF"
#: A stop of every axis: pan/tilt, zoom, focus.
STOP_ALL = [STOP, "81 01 04 07 00 FF", "81 01 04 08 00 FF"]


class Camera(MemoryWire):
    """A wire with a camera on it: ACK and completion shortly after each command."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.answering = True

    def send(self, data: bytes) -> None:
        super().send(data)
        if self.answering:
            self.clock.call_later(ANSWER_DELAY, lambda: self._deliver(b"\x90\x41\xff"))
            self.clock.call_later(ANSWER_DELAY * 1.5, lambda: self._deliver(b"\x90\x51\xff"))


class Lights(PipelineObserver):
    def __init__(self) -> None:
        self.toggles: dict[int, bool] = {}

    def toggled(self, binding: int, on: bool) -> None:
        self.toggles[binding] = on


def bind(control: str, number: int, action: str, **extra: object) -> BindingConfig:
    return BindingConfig(input="desk", control=control, number=number, action=action, mark=MARK, **extra)  # type: ignore[arg-type]


SERMON = TourConfig("sermon", "pulpit", (TourStop(1, 8.0, MARK), TourStop(2, 5.0, MARK)), MARK, speed=0.3, loop=True)
BINDINGS = [
    bind("cc", 0, "pan"),
    bind("cc", 1, "zoom"),
    bind("note", 8, "preset", preset=3),
    bind("note", 9, "tour", tour="sermon", mode="toggle"),
    bind("note", 10, "trace", trace="walk-in", mode="record"),
    bind("note", 11, "trace", trace="walk-in", mode="play"),
    bind("note", 12, "trace", trace="walk-in", mode="play", loop="ping-pong"),
    bind("note", 13, "trace", trace="walk-in", mode="play", loop="loop"),
    bind("note", 14, "stop"),
    bind("note", 15, "home"),
    bind("note", 16, "tour", tour="sermon", mode="stop"),
]
#: Binding indexes, for their lights.
TOUR_BUTTON, RECORD, PLAY = 3, 4, 5


class Rig:
    """The pipeline with tours and traces over one camera, ``pulpit`` (selected)."""

    def __init__(self, state_dir: str = "", bindings: list[BindingConfig] = BINDINGS,
                 tours: dict[str, TourConfig] | None = None, clock: FakeClock | None = None,
                 surface: PipelineObserver | None = None, switchers: dict[str, SwitcherRules] | None = None) -> None:
        self.clock = clock or FakeClock()
        self.camera = Camera(self.clock)
        controllers: dict[str, CameraController] = {}
        self.lights = Lights()
        self.log = logging.getLogger("ptzmapd")
        self.programs = Programs(tours if tours is not None else {"sermon": SERMON}, bindings, controllers,
                                 self.clock, self.log, state_dir, (self.lights, *([surface] if surface else [])))
        controller = CameraController("pulpit", ViscaCodec(VISCA_LIMITS), self.camera, self.clock,
                                      ControllerSettings(min_interval=PACING, ack_timeout=0.2),
                                      watchers=(self.programs,))
        controllers["pulpit"] = controller
        controller.start()
        self.controller = controller
        self.clock.advance(0.1)
        self.pipeline = Pipeline(bindings, controllers, clock=self.clock, observers=(self.lights,),
                                 programs=self.programs, switchers=switchers)
        self.clock.advance(0.1)
        self.camera.sent.clear()

    def event(self, kind: str, number: int, value: float) -> None:
        self.pipeline.on_event(ControlEvent("desk", kind, number, value, 1, self.clock.now()))

    def press(self, note: int) -> None:
        self.event("note", note, 127)
        self.event("note", note, 0)

    def frames(self, since: float = 0.0) -> list[str]:
        return [data.hex(" ").upper() for at, data in self.camera.sent if at >= since]

    def timed(self) -> list[tuple[float, str]]:
        return [(at, data.hex(" ").upper()) for at, data in self.camera.sent]


def record(rig: Rig, moves: list[tuple[float, int, int]]) -> tuple[float, list[tuple[float, str]]]:
    """Recall preset 3, record the fader ``moves`` (at seconds, cc, value), stop at the end.
    Returns when the recording began and the frames sent while it ran (times from then)."""
    rig.press(8)  # preset 3: where the trace starts
    rig.clock.advance(0.5)
    begun = rig.clock.now()
    mark = len(rig.camera.sent)
    rig.press(10)
    for at, cc, value in moves:
        rig.clock.advance(begun + at - rig.clock.now())
        rig.event("cc", cc, value)
    rig.clock.advance(0.5)
    rig.press(10)
    return begun, [(when - begun, frame) for when, frame in rig.timed()[mark:]]


MOVES = [(0.5, 0, 100), (1.2, 0, 20), (1.25, 0, 30), (1.3, 0, 40), (2.0, 1, 127), (2.4, 0, 64), (3.0, 1, 64)]
