"""The per-camera controller's rules of the road, driven by a fake clock and a memory wire."""

from __future__ import annotations

import logging

import pytest

from ptzmapd.camera import BUSY_RETRY, STOP_REFUSED_TRIES, STOP_RETRY, CameraController, ControllerSettings
from ptzmapd.clock import FakeClock
from ptzmapd.commands import Home, PanTilt, PresetRecall, Zoom
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from wire import MemoryWire

ACK = "90 41 FF"
DONE = "90 51 FF"
PAN_RIGHT_FULL = "81 01 06 01 18 01 02 03 FF"
PAN_STOP = "81 01 06 01 01 01 03 03 FF"
SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2)


def make(settings: ControllerSettings = SETTINGS, codec: object | None = None) -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", codec or ViscaCodec(VISCA_LIMITS), wire, clock, settings)  # type: ignore[arg-type]
    controller.start()
    wire.settle(controller)  # the opening stops (and RESET), answered
    return controller, wire, clock


def test_the_first_words_to_a_camera_are_a_reset_and_stops() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaIpCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.start()
    for _ in range(4):
        wire.answer_awaiting(controller)
        clock.advance(SETTINGS.min_interval)
    assert wire.frames == [
        "02 00 00 01 00 00 00 00 01",  # RESET of the sequence number
        "01 00 00 09 00 00 00 01 81 01 06 01 01 01 03 03 FF",  # nobody knows if it is moving:
        "01 00 00 06 00 00 00 02 81 01 04 07 00 FF",  # stop pan/tilt, zoom and focus
        "01 00 00 06 00 00 00 03 81 01 04 08 00 FF",
    ]


def ack(wire: MemoryWire) -> None:
    wire.answer(ACK)
    wire.answer(DONE)


def test_first_motion_goes_out_at_once() -> None:
    controller, wire, _ = make()
    controller.set_motion(PanTilt(1.0, 0.0))
    assert wire.frames == [PAN_RIGHT_FULL]


def test_a_flood_collapses_to_the_newest_value() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(0.1, 0.0))
    ack(wire)
    for step in range(1, 101):  # 100 fader messages within one pacing interval
        controller.set_motion(PanTilt(step / 100, 0.0))
    assert len(wire.sent) == 1
    clock.advance(SETTINGS.min_interval)
    assert wire.frames == ["81 01 06 01 03 01 02 03 FF", PAN_RIGHT_FULL]


def test_never_two_commands_closer_than_the_minimum_interval() -> None:
    controller, wire, clock = make()
    for step in range(200):  # 1 kHz flood for 200 ms, every command answered at once
        controller.set_motion(PanTilt((step % 24 + 1) / 24, 0.0))
        wire.answer_awaiting(controller)
        clock.advance(0.001)
    times = [t for t, _ in wire.sent]
    assert len(times) >= 3
    assert all(b - a >= SETTINGS.min_interval - 1e-9 for a, b in zip(times, times[1:]))


def test_the_last_value_of_a_flood_is_on_the_wire_within_one_interval() -> None:
    controller, wire, clock = make()
    for step in range(100):
        controller.set_motion(PanTilt(-(step + 1) / 100, 0.0))
        wire.answer_awaiting(controller)
        clock.advance(0.001)
    flood_end = clock.now()
    clock.advance(SETTINGS.min_interval)
    last_time, last = wire.sent[-1]
    assert last.hex(" ").upper() == "81 01 06 01 18 01 01 03 FF"  # full left, the final value
    assert last_time - flood_end <= SETTINGS.min_interval


def test_a_resting_hand_sends_nothing_new() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(0.5, 0.0))
    ack(wire)
    clock.advance(1.0)
    for wobble in (0.47, 0.5, 0.48, 0.49):  # all quantise to the same VISCA speed (12)
        controller.set_motion(PanTilt(wobble, 0.0))
        clock.advance(0.1)
    assert len(wire.sent) == 1


def test_one_command_in_flight_until_acknowledged() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(1.0, 0.0))
    controller.submit(PresetRecall(3))
    clock.advance(0.1)  # the interval has passed, but the ACK has not come
    assert wire.frames == [PAN_RIGHT_FULL]
    wire.answer(ACK)  # the ACK frees the way at once
    assert wire.frames == [PAN_RIGHT_FULL, "81 01 04 3F 02 03 FF"]


def test_unanswered_command_is_retransmitted_with_the_same_bytes() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="on")
    controller, wire, clock = make(codec=codec)
    controller.submit(PresetRecall(1))
    first = wire.frames[-1]
    assert first == "01 00 00 07 00 00 00 04 81 01 04 3F 02 01 FF"  # after RESET and three stops
    clock.advance(SETTINGS.ack_timeout)
    assert wire.frames[-1] == first  # same sequence number: the camera can tell it is a repeat
    assert controller.state.retransmissions == 1


def test_stop_goes_ahead_of_queued_commands_and_motion() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(1.0, 0.0))  # in flight
    controller.submit(PresetRecall(2))
    controller.set_motion(Zoom(1.0))
    controller.stop()
    ack(wire)
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == PAN_STOP
    ack(wire)
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == "81 01 04 3F 02 02 FF"  # the preset is not dropped


def test_presets_survive_a_motion_flood() -> None:
    controller, wire, clock = make()
    for step in range(50):
        controller.set_motion(PanTilt((step % 10 + 1) / 10, 0.0))
        if step == 10:
            controller.submit(PresetRecall(7))
        wire.answer_awaiting(controller)
        clock.advance(0.002)
    wire.settle(controller, forget=False)
    assert "81 01 04 3F 02 07 FF" in wire.frames


def test_slots_take_turns() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(0.1, 0.0))
    ack(wire)
    controller.set_motion(Zoom(1.0))
    for step in range(10):  # pan keeps changing; zoom must still get its turn
        controller.set_motion(PanTilt((step + 2) / 12, 0.0))
        clock.advance(SETTINGS.min_interval)
        ack(wire)
    assert "81 01 04 07 27 FF" in wire.frames


def test_buffer_full_resends_the_newest_state_later() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(1.0, 0.0))
    wire.answer("90 60 03 FF")
    controller.set_motion(PanTilt(0.5, 0.0))
    clock.advance(BUSY_RETRY - 0.001)
    assert len(wire.sent) == 1
    clock.advance(0.002)
    assert wire.frames[-1] == "81 01 06 01 0C 01 02 03 FF"


def test_syntax_error_is_logged_with_the_bytes_and_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    controller, wire, clock = make()
    with caplog.at_level(logging.WARNING):
        controller.submit(Home())
        wire.answer("90 60 02 FF")
        clock.advance(1.0)
    assert wire.frames == ["81 01 06 04 FF"]
    assert "syntax" in caplog.text and "90 60 02 ff" in caplog.text.lower()
    assert controller.state.online


def test_a_silent_camera_goes_offline_then_comes_back_with_the_newest_state(caplog: pytest.LogCaptureFixture) -> None:
    controller, wire, clock = make()
    with caplog.at_level(logging.INFO):
        controller.set_motion(PanTilt(1.0, 0.0))
        clock.advance(SETTINGS.ack_timeout * 3 + 0.01)  # first try + 2 retries
        assert not controller.state.online
        assert "not answering" in caplog.text
        sent_while_down = len(wire.sent)
        controller.set_motion(PanTilt(0.5, 0.0))  # a new speed waits for the backoff...
        clock.advance(0.3)
        assert len(wire.sent) == sent_while_down  # backing off, not hammering
        controller.stop()  # ...but when the hand lets go, the stop is tried at every chance
        clock.advance(0.01)
        assert wire.frames[-1] == PAN_STOP
        clock.advance(1.0)
        stop_times = [t for t, data in wire.sent[sent_while_down:]]
        assert all(b - a >= SETTINGS.ack_timeout - 1e-9 for a, b in zip(stop_times, stop_times[1:]))
        clock.advance(2.0)
        wire.answer(ACK)
        assert controller.state.online
        assert "answering again" in caplog.text
    assert wire.frames[-1] == PAN_STOP


def test_a_motion_that_times_out_is_replaced_by_the_newest_value() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(1.0, 0.0))
    controller.set_motion(PanTilt(0.0, 0.0))  # released before any answer
    clock.advance(SETTINGS.ack_timeout)
    assert wire.frames == [PAN_RIGHT_FULL, PAN_STOP]  # not a retransmission of the old speed


def test_sequence_error_resets_then_sends_again() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="on")
    controller, wire, clock = make(codec=codec)
    controller.submit(PresetRecall(4))
    wire.answer("02 01 00 02 00 00 00 04 0F 01")  # abnormality in sequence number
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == "02 00 00 01 00 00 00 00 01"
    wire.answer("02 01 00 01 00 00 00 00 01")
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == "01 00 00 07 00 00 00 01 81 01 04 3F 02 04 FF"


def test_a_down_wire_holds_commands_until_it_is_back() -> None:
    controller, wire, clock = make()
    wire.plug(False)
    controller.submit(PresetRecall(5))
    clock.advance(1.0)
    assert wire.sent == []
    wire.plug(True)  # a reconnection: the camera may have missed anything
    assert wire.frames[0] == PAN_STOP  # so the newest state goes first, stops ahead
    wire.settle(controller)
    clock.advance(1.0)
    assert controller.idle


def test_garbage_is_counted_and_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    controller, wire, clock = make()
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            wire.answer("13 37 FF")
            clock.advance(1.0)
    assert controller.state.garbage_replies == 5
    assert caplog.text.count("garbage") == 1


def test_position_is_polled_while_moving() -> None:
    settings = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2, position_poll=0.5)
    controller, wire, clock = make(settings)
    controller.set_motion(PanTilt(1.0, 0.0))
    ack(wire)
    clock.advance(0.6)
    assert wire.frames[-1] in ("81 09 06 12 FF", "81 09 04 47 FF")
    if wire.frames[-1] == "81 09 06 12 FF":
        wire.answer("90 50 00 01 00 00 0F 0F 0F 0F FF")
        assert controller.state.pan_tilt_position == (0x100, -1)
    else:
        wire.answer("90 50 01 00 00 00 FF")
        assert controller.state.zoom_position == 0x1000


def test_a_refused_stop_is_sent_again_until_the_camera_takes_it() -> None:
    controller, wire, clock = make()
    controller.set_motion(PanTilt(1.0, 0.0))
    ack(wire)
    clock.advance(SETTINGS.min_interval)
    controller.stop()
    assert wire.frames[-1] == PAN_STOP
    wire.answer("90 60 41 FF")  # not executable now: a permanent refusal
    clock.advance(0.1)
    assert wire.frames[-1] == PAN_STOP and len(wire.frames) == 2  # logged, not hammered
    # Issue 9 item 4: a permanently refused stop is tried STOP_REFUSED_TRIES times in all,
    # then the camera is marked "stop refused" and nothing more is sent for it.
    for tries in range(2, STOP_REFUSED_TRIES + 1):
        clock.advance(STOP_RETRY)
        assert wire.frames.count(PAN_STOP) == tries
        wire.answer("90 60 41 FF")
    clock.advance(2.0)
    assert wire.frames.count(PAN_STOP) == STOP_REFUSED_TRIES
    assert controller.state.stop_refused is not None and "not-executable" in controller.state.stop_refused
    controller.set_motion(PanTilt(1.0, 0.0))
    ack(wire)
    clock.advance(SETTINGS.min_interval)
    controller.stop()
    wire.answer("90 60 04 FF")  # cancelled: nothing to retry
    sent = len(wire.frames)
    clock.advance(1.0)
    assert len(wire.frames) == sent


def test_a_late_completion_does_not_answer_the_command_in_flight() -> None:
    controller, wire, clock = make()
    controller.submit(PresetRecall(1))
    wire.answer("90 41 FF")  # ACK on socket 1: the preset moves, its completion comes later
    clock.advance(SETTINGS.min_interval)
    controller.set_motion(PanTilt(1.0, 0.0))
    wire.answer("90 42 FF")
    clock.advance(SETTINGS.min_interval)
    controller.stop()  # in flight...
    wire.answer("90 51 FF")  # ...when the preset's completion arrives: not the stop's answer
    wire.answer("90 60 03 FF")  # the stop's real answer: buffer full
    clock.advance(0.2)
    assert wire.frames[-1] == PAN_STOP and wire.frames.count(PAN_STOP) == 2  # so it is sent again


def test_a_camera_answering_with_one_sequence_number_is_paired_by_order(caplog: pytest.LogCaptureFixture) -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="on")
    controller, wire, clock = make(codec=codec)
    with caplog.at_level(logging.WARNING):
        for preset in (2, 3, 4, 5):
            controller.submit(PresetRecall(preset))
        for _ in range(12):
            wire.answer("01 11 00 03 00 00 00 01 90 41 FF")  # always "sequence 1"
            clock.advance(SETTINGS.ack_timeout / 2)
    recalls = [f for f in wire.frames if f.endswith("81 01 04 3F 02 05 FF")]
    assert recalls, wire.frames  # the queue moved on to the last preset
    assert "pairing its replies by order" in caplog.text


def test_a_camera_that_never_answers_the_reset_still_gets_commands(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaIpCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    with caplog.at_level(logging.WARNING):
        controller.start()
        clock.advance(SETTINGS.ack_timeout * 4)
    assert "no answer to the sequence RESET" in caplog.text
    clock.advance(5.0)
    assert any(frame.startswith("01 00") for frame in wire.frames)  # commands went out after it
