"""Tours and traces on the fake clock: dwell, travel speed, loop, record/replay timing,
ping-pong, abort by a hand, offline pause, LEDs, status, shutdown, files that outlive the
daemon. Each camera is a real VISCA controller on an in-memory wire that answers like a
camera (ACK, then completion) a few milliseconds after each command, until it is unplugged."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import PanTilt, PresetRecall, Zoom
from ptzmapd.config.model import BindingConfig, Mark, TourConfig, TourStop
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.tours.programs import Programs
from ptzmapd.tours.store import Trace, read_trace, trace_path, write_trace
from ptzmapd.tours.trace import reversed_moves
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


@pytest.fixture(autouse=True)
def _info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ptzmapd")


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
TOUR_BUTTON, RECORD, PLAY, PING_PONG, LOOP, STOP_BUTTON = 3, 4, 5, 6, 7, 8


class Rig:
    """The pipeline with tours and traces over one camera, ``pulpit`` (selected)."""

    def __init__(self, state_dir: str = "", bindings: list[BindingConfig] = BINDINGS,
                 tours: dict[str, TourConfig] | None = None, clock: FakeClock | None = None,
                 surface: PipelineObserver | None = None) -> None:
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
                                 programs=self.programs)
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


# ---------------------------------------------------------------------------- tours

def test_a_tour_recalls_each_stop_at_its_speed_dwells_and_loops() -> None:
    rig = Rig()
    recalls: list[PresetRecall] = []
    submit = rig.controller.submit
    rig.controller.submit = lambda command: (recalls.append(command), submit(command))[1]  # type: ignore[method-assign, assignment, func-returns-value]
    start = rig.clock.now()
    rig.press(9)
    rig.clock.advance(PACING)
    assert rig.frames() == [SPEED_03, RECALL.format(1)]
    rig.clock.advance(7.9)  # answered within milliseconds; the dwell is 8 s from then
    assert rig.frames() == [SPEED_03, RECALL.format(1)]
    rig.clock.advance(0.2)
    assert rig.frames() == [SPEED_03, RECALL.format(1), RECALL.format(2)]  # the speed is set already
    rig.clock.advance(5.1)  # 5 s at stop 2, then stop 1 again: it loops
    assert rig.frames() == [SPEED_03, RECALL.format(1), RECALL.format(2), RECALL.format(1)]
    at = [when - start for when, _ in rig.timed()]
    assert at[2] - at[1] == pytest.approx(8.0, abs=0.01) and at[3] - at[2] == pytest.approx(5.0, abs=0.01)
    assert recalls == [PresetRecall(1, 0.3), PresetRecall(2, 0.3), PresetRecall(1, 0.3)]


def test_a_tour_that_does_not_loop_ends_after_its_last_dwell_and_its_light_goes_out() -> None:
    once = TourConfig("sermon", "pulpit", (TourStop(4, 1.0, MARK),), MARK)
    rig = Rig(tours={"sermon": once})
    rig.press(9)
    assert rig.lights.toggles == {TOUR_BUTTON: True, 10: True}  # the toggle and the stop button
    rig.clock.advance(1.1)
    assert rig.frames() == [RECALL.format(4)]
    assert rig.lights.toggles == {TOUR_BUTTON: False, 10: False}
    assert rig.programs.tour_states()["sermon"].running is False
    rig.clock.advance(20)
    assert rig.frames() == [RECALL.format(4)]


def test_status_shows_the_running_stop_and_the_next() -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(3.0)
    state = rig.programs.tour_states()["sermon"]
    assert (state.running, state.stop, state.preset, state.next_preset) == (True, 1, 1, 2)
    assert state.seconds_left == pytest.approx(5.0, abs=0.1)
    rig.clock.advance(5.5)
    state = rig.programs.tour_states()["sermon"]
    assert (state.stop, state.preset, state.next_preset) == (2, 2, 1)


def test_toggle_and_stop_end_the_tour_where_the_camera_is(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.press(9)  # toggled off
    rig.clock.advance(3 * PACING)
    assert rig.frames() == [SPEED_03, RECALL.format(1), *STOP_ALL]  # the camera stops where it is
    assert "tour 'sermon' on camera 'pulpit': ended, stopped by its button" in caplog.text
    rig.clock.advance(30)
    assert rig.frames() == [SPEED_03, RECALL.format(1), *STOP_ALL]
    rig.press(9)
    rig.press(16)  # the stop button
    rig.clock.advance(30)
    assert rig.frames() == [SPEED_03, RECALL.format(1), *STOP_ALL, RECALL.format(1), *STOP_ALL]


@pytest.mark.parametrize(("control", "number", "value", "what"), [
    ("cc", 0, 127, "moved by hand"),
    ("note", 8, 127, "given PresetRecall by hand"),
    ("note", 15, 127, "given Home by hand"),
    ("note", 14, 127, "stopped by hand"),
])
def test_a_manual_move_or_preset_stops_the_tour_and_says_so(
    caplog: pytest.LogCaptureFixture, control: str, number: int, value: float, what: str,
) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(2)
    rig.event(control, number, value)
    assert f"tour 'sermon' on camera 'pulpit': ended, camera 'pulpit' was {what}" in caplog.text
    assert rig.lights.toggles[TOUR_BUTTON] is False
    rig.event(control, number, 64 if control == "cc" else 0)
    rig.clock.advance(60)
    assert rig.frames().count(RECALL.format(2)) == 0  # the tour went no further


def test_a_zero_speed_from_a_fader_at_rest_does_not_stop_the_tour() -> None:
    rig = Rig()
    rig.press(9)
    rig.event("cc", 0, 64)
    assert rig.programs.tour_states()["sermon"].running


def test_a_camera_going_offline_pauses_the_tour_which_resumes_when_it_answers(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.camera.answering = False
    rig.clock.advance(8.5)  # the dwell ends; recall 2 is not answered, nor its retries
    assert not rig.controller.state.online
    assert "camera 'pulpit' does not answer; paused" in caplog.text
    assert rig.programs.tour_states()["sermon"].paused
    sent = len(rig.frames())
    rig.clock.advance(30)
    assert all(frame == RECALL.format(2) for frame in rig.frames()[sent:])  # only the controller's probes
    rig.camera.answering = True
    rig.clock.advance(6)  # a probe is answered: the stop is done again, then the dwell
    assert "camera 'pulpit' answers again; going on" in caplog.text
    assert not rig.programs.tour_states()["sermon"].paused
    rig.clock.advance(5)
    assert rig.frames()[-1] == RECALL.format(1)


# ---------------------------------------------------------------------------- traces

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


def test_a_replayed_trace_sends_the_same_commands_within_one_pacing_interval_of_their_times() -> None:
    rig = Rig()
    _, recorded = record(rig, MOVES)
    trace = rig.programs.traces["walk-in"]
    assert trace.start_preset == 3 and trace.camera == "pulpit" and trace.duration == pytest.approx(3.5)
    assert len(recorded) >= 5
    rig.clock.advance(2)
    mark = len(rig.camera.sent)
    rig.press(11)
    assert rig.frames()[mark:] == [RECALL.format(3)]  # to the start first
    rig.clock.advance(ANSWER_DELAY * 2)
    begun = rig.clock.now()
    rig.clock.advance(5)
    replayed = [(when - begun, frame) for when, frame in rig.timed()[mark + 1:]]
    # The trace ended still, so its closing stop is confirmed without being sent again.
    assert [frame for _, frame in replayed] == [frame for _, frame in recorded]
    for (was, frame), (now, _) in zip(recorded, replayed):
        assert abs(now - was) <= PACING, (frame, was, now)
    assert rig.programs.trace_states() == {} and rig.lights.toggles[PLAY] is False


def test_the_recording_holds_normalised_commands_and_ends_still() -> None:
    rig = Rig()
    record(rig, [(0.5, 0, 127), (1.0, 1, 127)])  # still moving when recording stops
    trace = rig.programs.traces["walk-in"]
    commands = [command for _, command in trace.moves]
    assert commands == [PanTilt(1.0, 0.0), Zoom(1.0), PanTilt(0.0, 0.0), Zoom(0.0)]
    assert [at for at, _ in trace.moves] == pytest.approx([0.5, 1.0, 1.5, 1.5])


def test_a_trace_that_ends_moving_gets_a_stop_on_the_wire_at_its_end() -> None:
    rig = Rig()
    record(rig, [(0.5, 0, 127)])  # still panning when the recording ends, at 1.0
    rig.event("cc", 0, 64)  # the hand lets go after it
    rig.clock.advance(1)
    mark = len(rig.camera.sent)
    rig.press(11)
    rig.clock.advance(ANSWER_DELAY * 2)
    begun = rig.clock.now()
    rig.clock.advance(3)
    replayed = [(when - begun, frame) for when, frame in rig.timed()[mark + 1:]]
    assert [frame for _, frame in replayed] == ["81 01 06 01 18 01 02 03 FF", STOP]
    assert replayed[1][0] == pytest.approx(1.0, abs=PACING)


def test_ping_pong_plays_forwards_then_backwards_with_negated_speeds() -> None:
    rig = Rig()
    record(rig, [(0.5, 0, 127), (1.5, 0, 64)])  # pan right 1 s
    rig.clock.advance(1)
    mark = len(rig.camera.sent)
    rig.press(12)
    rig.clock.advance(2.0 + 0.1)  # forwards: right at 0.5, stop at 1.5, pass ends at 2.0
    rig.clock.advance(2.0)  # backwards: left at 0.5 (2 - 1.5), stop at 1.5
    frames = rig.frames()[mark:]
    right, left = "81 01 06 01 18 01 02 03 FF", "81 01 06 01 18 01 01 03 FF"
    assert frames[:3] == [RECALL.format(3), right, STOP]
    assert frames[3:5] == [left, STOP]
    assert rig.programs.trace_states()["walk-in"].doing == "playing"


def test_reversed_moves_mirror_each_axis_in_time() -> None:
    moves = ((0.0, PanTilt(0.5, 0.0)), (1.0, Zoom(0.3)), (2.0, PanTilt(0.0, 0.0)), (3.0, Zoom(0.0)))
    # Pan 0.5 over [0, 2) runs backwards over [2, 4); zoom 0.3 over [1, 3) over [1, 3).
    assert reversed_moves(moves, 4.0) == (
        (0.0, PanTilt(0.0, 0.0)), (0.0, Zoom(0.0)), (1.0, Zoom(-0.3)), (2.0, PanTilt(-0.5, 0.0)),
        (3.0, Zoom(0.0)), (4.0, PanTilt(0.0, 0.0)),
    )


def test_loop_goes_back_to_the_start_preset_before_each_pass() -> None:
    rig = Rig()
    record(rig, [(0.2, 0, 127), (0.4, 0, 64)])
    mark = len(rig.camera.sent)
    rig.press(13)
    rig.clock.advance(3.0)
    assert rig.frames()[mark:].count(RECALL.format(3)) >= 2
    rig.press(13)  # pressed again: it stops
    rig.clock.advance(0.1)
    assert rig.frames()[-3:] == STOP_ALL and "walk-in" not in rig.programs.trace_states()


def test_a_manual_move_aborts_playback_and_stops_what_the_trace_was_moving(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    record(rig, [(0.2, 1, 127), (3.0, 1, 64)])  # a long zoom
    rig.press(11)
    rig.clock.advance(1.0)
    assert rig.frames()[-1] == "81 01 04 07 27 FF"  # zooming in
    rig.event("cc", 0, 127)
    rig.clock.advance(0.2)
    assert "trace 'walk-in' on camera 'pulpit': ended, camera 'pulpit' was moved by hand" in caplog.text
    assert "81 01 04 07 00 FF" in rig.frames()  # the zoom it had started is stopped
    assert rig.frames()[-1] == "81 01 06 01 18 01 02 03 FF"  # and the hand pans
    rig.clock.advance(5)
    assert "81 01 04 07 27 FF" not in rig.frames(since=rig.clock.now() - 4.5)


def test_playback_pauses_while_the_camera_is_offline_and_goes_on_from_there(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    record(rig, [(0.2, 0, 127), (1.5, 0, 0), (3.0, 0, 64)])  # right, then left, then stop
    rig.press(11)
    rig.clock.advance(1.0)
    rig.camera.answering = False
    rig.clock.advance(1.5)  # "left" at 1.5 is not answered, nor its retries: offline, paused
    assert "trace 'walk-in': camera 'pulpit' does not answer; paused" in caplog.text
    paused = rig.programs.trace_states()["walk-in"]
    assert paused.paused and 1.5 < paused.seconds < 2.5
    rig.clock.advance(3.0)
    assert rig.programs.trace_states()["walk-in"].seconds == paused.seconds  # it waits where it was
    rig.camera.answering = True
    mark = len(rig.camera.sent)
    rig.clock.advance(6.0)
    assert "trace 'walk-in': camera 'pulpit' answers again; going on" in caplog.text
    left = "81 01 06 01 18 01 01 03 FF"
    timed = rig.timed()[mark:]
    resumed = next(at for at, frame in timed if frame == left)  # moving again as at that place
    stopped = next(at for at, frame in timed if frame == STOP and at > resumed)
    assert stopped - resumed == pytest.approx(3.0 - paused.seconds, abs=PACING)  # the rest of the trace
    assert RECALL.format(3) not in [frame for _, frame in timed]  # not from the start again
    assert "walk-in" not in rig.programs.trace_states()


def test_recording_lights_its_button_and_status_shows_it() -> None:
    rig = Rig()
    rig.press(10)
    rig.clock.advance(1.5)
    assert rig.lights.toggles[RECORD] is True
    assert rig.programs.trace_states()["walk-in"].doing == "recording"
    assert rig.programs.trace_states()["walk-in"].seconds == pytest.approx(1.5)
    rig.press(10)
    assert rig.lights.toggles[RECORD] is False


def test_a_recording_in_which_nothing_moved_keeps_the_stored_trace(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    record(rig, [(0.2, 0, 127), (0.4, 0, 64)])
    before = rig.programs.traces["walk-in"]
    rig.press(10)
    rig.clock.advance(1)
    rig.press(10)
    assert rig.programs.traces["walk-in"] is before
    assert "nothing moved camera 'pulpit' while recording; not saved (the stored one is kept)" in caplog.text


def test_playing_a_trace_never_recorded_says_so(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(11)
    rig.clock.advance(1)
    assert rig.frames() == []
    assert "trace 'walk-in' has not been recorded yet" in caplog.text


def test_no_tour_or_trace_outlives_the_daemon() -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.pipeline.mute()  # what shutdown does first
    rig.clock.advance(0.2)
    sent = len(rig.camera.sent)
    assert rig.programs.tour_states()["sermon"].running is False
    rig.press(9)  # an event still in flight starts nothing
    rig.programs.control_tour(__import__("ptzmapd.mapping.intents", fromlist=["TourControl"]).TourControl("sermon", "start"))
    rig.clock.advance(60)
    assert len(rig.camera.sent) == sent
    rig.pipeline.close()


# ---------------------------------------------------------------------------- files

def test_traces_are_files_that_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    rig = Rig(state)
    record(rig, MOVES)
    rig.pipeline.mute()
    rig.pipeline.close()  # waits for the file
    path = trace_path(state, "walk-in")
    document = json.loads(Path(path).read_text())
    assert document["camera"] == "pulpit" and document["start_preset"] == 3
    assert document["moves"][0] == {"at": 0.5, "pan": pytest.approx(document["moves"][0]["pan"]), "tilt": 0.0}
    assert (tmp_path / "state" / "traces").stat().st_mode & 0o777 == 0o700
    assert [entry.name for entry in (tmp_path / "state" / "traces").iterdir()] == ["walk-in.json"]  # no temporary left
    again = Rig(state)  # a new daemon
    stored, recorded = again.programs.traces["walk-in"].moves, rig.programs.traces["walk-in"].moves
    assert [command for _, command in stored] == [command for _, command in recorded]
    assert [at for at, _ in stored] == pytest.approx([at for at, _ in recorded], abs=1e-4)
    again.press(11)
    again.clock.advance(0.1)
    assert again.frames()[0] == RECALL.format(3)


def test_a_recording_under_way_at_shutdown_is_saved(tmp_path: Path) -> None:
    state = str(tmp_path)
    rig = Rig(state)
    rig.press(10)
    rig.event("cc", 0, 127)
    rig.clock.advance(1)
    rig.pipeline.mute()
    rig.pipeline.close()
    assert read_trace(trace_path(state, "walk-in")).moves[0] == (0.0, PanTilt(1.0, 0.0))


def test_a_broken_trace_file_is_logged_not_a_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "traces"
    folder.mkdir()
    (folder / "walk-in.json").write_text("{not json")
    (folder / "other.json").write_text(json.dumps({"format": 1, "camera": "pulpit", "duration": 1,
                                                   "moves": [{"at": 0.5, "pan": 7}]}))
    rig = Rig(str(tmp_path))
    assert rig.programs.traces == {}
    assert "walk-in.json cannot be used: not JSON" in caplog.text
    assert "other.json cannot be used: not a ptzmapd trace (7 is not a number in -1..1)" in caplog.text


def test_write_trace_replaces_the_old_file_whole(tmp_path: Path) -> None:
    first = Trace("a", "pulpit", 1.0, ((0.0, PanTilt(0.5, 0.0)),), 2, 1_700_000_000.0)
    second = Trace("a", "pulpit", 2.0, ((0.0, Zoom(-0.5)), (1.0, Zoom(0.0))), None, 1_700_000_100.0)
    write_trace(str(tmp_path), first)
    write_trace(str(tmp_path), second)
    assert read_trace(trace_path(str(tmp_path), "a")) == second


def test_stopping_every_camera_after_an_internal_error_ends_the_tours_too() -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.pipeline.stop_everything()  # what the daemon does on an unexpected error
    rig.clock.advance(30)
    assert rig.frames().count(RECALL.format(2)) == 0
    rig.press(9)  # and an operator can start it again
    assert rig.programs.tour_states()["sermon"].running


def test_ptzmapd_traces_lists_each_trace_and_names_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ptzmapd.cli import main

    assert main(["traces", "--state-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"no traces in {tmp_path / 'traces'}\n"
    write_trace(str(tmp_path), Trace("walk-in", "pulpit", 12.34, ((0.0, PanTilt(0.5, 0.0)), (12.34, PanTilt())), 3,
                                     1_700_000_000.0))
    write_trace(str(tmp_path), Trace("aisle", "stage", 3.0, ((1.0, Zoom(0.2)),), None, 1_700_000_000.0))
    assert main(["traces", "--state-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"traces in {tmp_path / 'traces'}:"
    assert lines[1].split() == ["name", "camera", "duration", "moves", "starts", "at", "recorded"]
    assert lines[2].split()[:6] == ["aisle", "stage", "3.0", "s", "1", "where"]
    assert lines[3].split()[:7] == ["walk-in", "pulpit", "12.3", "s", "2", "preset", "3"]
    assert lines[3].split()[7].startswith("2023-11-1")  # recorded 2023-11-14 22:13 UTC, in local time
    (tmp_path / "traces" / "junk.json").write_text("[]")
    assert main(["traces", "--state-dir", str(tmp_path)]) == 1
    assert f"cannot read {tmp_path / 'traces' / 'junk.json'}: not a ptzmapd trace" in capsys.readouterr().out


def test_status_shows_the_running_tour_its_next_stop_and_a_recording() -> None:
    from ptzmapd.app.status import StatusSnapshot, render

    rig = Rig()
    rig.press(10)  # a recording first (recording ends a tour on its camera)
    rig.clock.advance(1)
    rig.press(9)
    rig.clock.advance(2)
    snapshot = StatusSnapshot("studio.yaml", {}, {}, tours=rig.programs.tour_states(), traces=rig.programs.trace_states())
    text = render(json.loads(json.dumps(snapshot.to_json())))
    assert "tours:\n    sermon     pulpit     stop 1: at preset 1, 6.1 s left; next preset 2" in text  # 8 s from its answer
    assert "traces:\n    walk-in    pulpit     recording 3 s" in text


def test_a_camera_on_air_is_never_moved_by_its_tour_until_the_lockout_lets_go(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.programs.on_air("pulpit", True)
    assert "tour 'sermon': camera 'pulpit' is on air; paused" in caplog.text
    rig.camera.answering = False  # and it stops answering meanwhile: two reasons to wait
    rig.clock.advance(3)
    rig.camera.answering = True
    rig.clock.advance(30)
    assert RECALL.format(2) not in rig.frames()
    rig.programs.on_air("pulpit", False)
    assert "tour 'sermon': camera 'pulpit' is off air; going on" in caplog.text
    rig.clock.advance(0.1)
    assert rig.frames()[-1] == RECALL.format(1)  # the stop it was at, again, then on
    rig.clock.advance(8)
    assert rig.frames()[-1] == RECALL.format(2)


def test_a_trace_started_on_a_camera_on_air_waits_for_it() -> None:
    rig = Rig()
    record(rig, [(0.2, 0, 127), (0.6, 0, 64)])
    rig.programs.on_air("pulpit", True)
    mark = len(rig.camera.sent)
    rig.press(11)
    rig.clock.advance(5)
    assert rig.frames()[mark:] == []
    assert rig.programs.trace_states()["walk-in"].paused
    rig.programs.on_air("pulpit", False)
    rig.clock.advance(2)
    assert rig.frames()[mark:][:2] == [RECALL.format(3), "81 01 06 01 18 01 02 03 FF"]


def test_a_start_position_is_kept_in_the_file_and_isapi_goes_back_to_what_it_reported(tmp_path: Path) -> None:
    from ptzmapd.commands import MoveTo
    from ptzmapd.protocols import PROTOCOLS

    back = PROTOCOLS["isapi"].return_to
    assert back is not None and back((125, 30), 100) == MoveTo(12.5, 3.0, 10.0)  # PTZStatus tenths
    assert back(None, 100) is None
    assert PROTOCOLS["visca-ip"].return_to is None  # it reports a position, but has no move to one here
    trace = Trace("a", "gate", 1.0, ((0.0, PanTilt(0.5, 0.0)), (1.0, PanTilt())), None, 1.7e9, MoveTo(12.5, 3.0, 10.0))
    write_trace(str(tmp_path), trace)
    assert json.loads(Path(trace_path(str(tmp_path), "a")).read_text())["start_position"] == {
        "pan": 12.5, "tilt": 3.0, "zoom": 10.0}
    assert read_trace(trace_path(str(tmp_path), "a")) == trace


def test_recording_on_a_camera_ends_the_tour_running_there(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.press(10)
    assert "tour 'sermon' on camera 'pulpit': ended, trace 'walk-in' records there" in caplog.text
    rig.clock.advance(30)
    assert RECALL.format(2) not in rig.frames()


def test_a_trace_that_cannot_be_written_is_logged_and_kept_for_this_run(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # state_dir is a file: its traces/ folder cannot be made
    rig = Rig(str(blocked))
    record(rig, [(0.2, 0, 127), (0.4, 0, 64)])
    rig.programs.flush()
    assert "trace 'walk-in' could not be saved: " in caplog.text
    rig.press(11)  # still playable until the daemon stops
    rig.clock.advance(0.1)
    assert rig.frames()[-1] == RECALL.format(3)
    rig.pipeline.mute()
    rig.pipeline.close()


def test_the_tour_and_record_buttons_light_on_the_surface_while_they_run() -> None:
    from ptzmapd.config.model import InputConfig, LedConfig
    from ptzmapd.surfaces.feedback import Feedback, lights_of

    lit = [bind("note", 9, "tour", tour="sermon", mode="toggle", led=LedConfig("note", 9)),
           bind("note", 10, "trace", trace="walk-in", mode="record", led=LedConfig("note", 10))]
    sent: list[bytes] = []
    clock = FakeClock()
    feedback = Feedback(lights_of(lit, {"desk": InputConfig("desk", "midi", MARK, virtual="desk")}), clock,
                        lambda _, message: sent.append(message) or True)
    rig = Rig(bindings=lit, clock=clock, surface=feedback)  # as the runtime gives Programs the surface's
    sent.clear()
    rig.press(9)
    assert sent == [bytes([0x90, 9, 127])]
    rig.press(9)
    assert sent[-1] == bytes([0x90, 9, 0])
    rig.press(10)
    assert sent[-1] == bytes([0x90, 10, 127])
    rig.press(10)
    assert sent[-1] == bytes([0x90, 10, 0])
