"""Traces on the fake clock: record/replay timing, ping-pong, loop, abort by a hand, offline
pause, files that outlive the daemon, ``ptzmapd traces`` (the rig: ``programs_rig.py``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ptzmapd.commands import PanTilt, Zoom
from ptzmapd.tours.store import Trace, read_trace, trace_path, write_trace
from ptzmapd.tours.trace import reversed_moves
from programs_rig import ANSWER_DELAY, MOVES, PACING, PLAY, RECALL, RECORD, STOP, STOP_ALL, Rig, record


@pytest.fixture(autouse=True)
def _info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ptzmapd")


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


def test_a_short_first_move_still_paced_when_its_stop_is_due_reaches_the_camera() -> None:
    rig = Rig()
    record(rig, [(0.01, 0, 127), (0.03, 0, 64)])  # a 20 ms pan, just after the recording began
    trace = rig.programs.traces["walk-in"]
    assert [at for at, _ in trace.moves] == pytest.approx([0.01, 0.03])
    rig.clock.advance(1)
    mark = len(rig.camera.sent)
    rig.press(11)
    assert rig.frames()[mark:] == [RECALL.format(3)]
    recalled = rig.camera.sent[mark][0]
    rig.clock.advance(2)
    replayed = [(when - recalled, frame) for when, frame in rig.timed()[mark + 1:]]
    # Both fall due inside the recall's pacing interval: the pan goes when the wire lets it,
    # and its stop after it (alone, the stop would have replaced the pan in its slot).
    assert [frame for _, frame in replayed] == ["81 01 06 01 18 01 02 03 FF", STOP]
    assert replayed[0][0] == pytest.approx(PACING)
    assert replayed[1][0] == pytest.approx(2 * PACING)
    assert rig.programs.trace_states() == {}


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
