"""Tours on the fake clock: dwell, travel speed, loop, abort by a hand, offline and on-air
pauses (told directly and by a switcher's program bus under the live lockout), LEDs, status, shutdown (the rig: ``programs_rig.py``)."""

from __future__ import annotations

import json
import logging

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import PresetRecall
from ptzmapd.config.model import TourConfig, TourStop
from ptzmapd.onair import Buses, SwitcherRules
from programs_rig import MARK, PACING, RECALL, SPEED_03, STOP_ALL, TOUR_BUTTON, Rig, bind


@pytest.fixture(autouse=True)
def _info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ptzmapd")


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


def test_stopping_every_camera_after_an_internal_error_ends_the_tours_too() -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.pipeline.stop_everything()  # what the daemon does on an unexpected error
    rig.clock.advance(30)
    assert rig.frames().count(RECALL.format(2)) == 0
    rig.press(9)  # and an operator can start it again
    assert rig.programs.tour_states()["sermon"].running


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


def test_recording_on_a_camera_ends_the_tour_running_there(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.press(9)
    rig.clock.advance(1)
    rig.press(10)
    assert "tour 'sermon' on camera 'pulpit': ended, trace 'walk-in' records there" in caplog.text
    rig.clock.advance(30)
    assert RECALL.format(2) not in rig.frames()


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


def test_status_says_why_a_tour_is_paused() -> None:
    from ptzmapd.app.status import StatusSnapshot, render

    rig = Rig()
    rig.press(9)
    rig.programs.on_air("pulpit", True)
    assert rig.programs.tour_states()["sermon"].waiting == "is on air"
    snapshot = StatusSnapshot("studio.yaml", {}, {}, tours=rig.programs.tour_states())
    assert "sermon     pulpit     stop 1: PAUSED: the camera is on air; next preset 2" in render(snapshot.to_json())


def test_a_switcher_putting_the_camera_on_program_pauses_its_tour_until_it_leaves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rig = Rig(switchers={"vision": SwitcherRules(live="block")})
    rig.press(9)
    rig.clock.advance(1)
    assert rig.frames() == [SPEED_03, RECALL.format(1)]
    rig.pipeline.on_buses("vision", Buses(program=frozenset({"pulpit"})))  # cut to the pulpit
    assert "tour 'sermon': camera 'pulpit' is on air; paused" in caplog.text
    on_air = len(rig.camera.sent)
    rig.clock.advance(60)  # well past every dwell
    assert rig.frames()[on_air:] == []  # nothing at all while it is on program
    assert rig.programs.tour_states()["sermon"].waiting == "is on air"
    rig.pipeline.on_buses("vision", Buses(preview=frozenset({"pulpit"})))  # cut away: it is on preview now
    assert "tour 'sermon': camera 'pulpit' is off air; going on" in caplog.text
    rig.clock.advance(0.1)
    assert rig.frames()[on_air:] == [RECALL.format(1)]  # the stop it was at, again
    rig.clock.advance(8)
    assert rig.frames()[on_air:] == [RECALL.format(1), RECALL.format(2)]


def test_a_tour_started_while_its_camera_is_on_program_waits_for_it_to_leave(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rig = Rig(switchers={"vision": SwitcherRules(live="block")})
    rig.pipeline.on_buses("vision", Buses(program=frozenset({"pulpit"})))
    rig.press(9)
    assert "tour 'sermon': camera 'pulpit' is on air; waiting" in caplog.text
    rig.clock.advance(30)
    assert rig.frames() == []
    assert rig.programs.tour_states()["sermon"].running is True
    rig.pipeline.on_buses("vision", Buses())
    rig.clock.advance(0.1)
    assert rig.frames() == [SPEED_03, RECALL.format(1)]


def test_a_recall_still_queued_when_the_camera_goes_on_program_is_never_sent() -> None:
    rig = Rig(switchers={"vision": SwitcherRules(live="block")})
    rig.press(9)
    assert rig.frames() == [SPEED_03]  # the recall waits behind its speed setting's answer
    rig.pipeline.on_buses("vision", Buses(program=frozenset({"pulpit"})))
    rig.clock.advance(30)
    assert rig.frames() == [SPEED_03]
    rig.pipeline.on_buses("vision", Buses())
    rig.clock.advance(0.1)
    assert rig.frames() == [SPEED_03, RECALL.format(1)]
