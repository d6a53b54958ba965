"""Pelco-D and Pelco-P: golden frames both ways (the codec's bytes, the simulated dome's
reading of them), garbage and resynchronisation, and the controller's rules for protocols
that never answer (stop repeats, refresh), driven by a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.clock import FakeClock
from ptzmapd.commands import (
    CameraAction,
    Command,
    Focus,
    Home,
    PanTilt,
    PanTiltPositionInquiry,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.vocabulary import can
from ptzmapd.protocols.pelco.specs import PELCO_LIMITS
from ptzmapd.protocols.base import Garbage, SpeedLimits
from ptzmapd.protocols.pelco.codec import (
    CAPABILITIES,
    PELCO_D,
    PELCO_P,
    PelcoCodec,
    PelcoDCodec,
    PelcoPCodec,
    PelcoSplitter,
    parse_pelco_raw,
    read_frame,
)
from ptzmapd.protocols.units import hexbytes
from ptzmapd.simulators.serial import PelcoBus, PelcoDome, Recorder
from wire import MemoryWire

#: Speeds that give pan/tilt speed bytes 0x20 and 0x10 (drive levels round up: ceil(s * 0x3F)).
HALF = 32 / 63
QUARTER = 16 / 63

# Every command the codecs can send, with its frame for the dome at dial address 1.
# ERRATA examples: D pan left FF 01 00 04 20 00 25, goto 1 FF 01 00 07 00 01 09, focus near
# FF 01 01 00 00 00 02; P pan left A0 00 00 04 20 00 AF 2B, goto 1 A0 00 00 07 00 01 AF 09,
# focus far A0 00 01 00 00 00 AF 0E.
GOLDEN: list[tuple[Command, str, str, str]] = [
    # command, Pelco-D frame, Pelco-P frame, what the dome reads
    (PanTilt(-HALF, 0.0), "FF 01 00 04 20 00 25", "A0 00 00 04 20 00 AF 2B", "pan left 0x20, tilt stop"),
    (PanTilt(1.0, 0.0), "FF 01 00 02 3F 00 42", "A0 00 00 02 3F 00 AF 32", "pan right 0x3F, tilt stop"),
    (PanTilt(0.0, 1.0), "FF 01 00 08 00 3F 48", "A0 00 00 08 00 3F AF 38", "pan stop, tilt up 0x3F"),
    (PanTilt(0.0, -QUARTER), "FF 01 00 10 00 10 21", "A0 00 00 10 00 10 AF 0F", "pan stop, tilt down 0x10"),
    (PanTilt(-HALF, QUARTER), "FF 01 00 0C 20 10 3D", "A0 00 00 0C 20 10 AF 33", "pan left 0x20, tilt up 0x10"),
    (Zoom(1.0), "FF 01 00 20 00 00 21", "A0 00 00 20 00 00 AF 2F", "zoom tele"),
    (Zoom(-0.1), "FF 01 00 40 00 00 41", "A0 00 00 40 00 00 AF 4F", "zoom wide"),
    (Focus(1.0), "FF 01 00 80 00 00 81", "A0 00 01 00 00 00 AF 0E", "focus far"),
    (Focus(-1.0), "FF 01 01 00 00 00 02", "A0 00 02 00 00 00 AF 0D", "focus near"),
    (PanTilt(0.0, 0.0), "FF 01 00 00 00 00 01", "A0 00 00 00 00 00 AF 0F", "stop"),
    (PresetStore(5), "FF 01 00 03 00 05 09", "A0 00 00 03 00 05 AF 09", "preset set 5"),
    (PresetClear(5), "FF 01 00 05 00 05 0B", "A0 00 00 05 00 05 AF 0F", "preset clear 5"),
    (PresetRecall(1), "FF 01 00 07 00 01 09", "A0 00 00 07 00 01 AF 09", "preset goto 1"),
    (PresetRecall(255), "FF 01 00 07 00 FF 07", "A0 00 00 07 00 FF AF F7", "preset goto 255"),
    # Pelco has no home command: preset 34 is Pelco's "pan zero" (see pelco.HOME_PRESET).
    (Home(), "FF 01 00 07 00 22 2A", "A0 00 00 07 00 22 AF 2A", "preset goto 34"),
    (RawCommand(text="00 05 00 05"), "FF 01 00 05 00 05 0B", "A0 00 00 05 00 05 AF 0F", "preset clear 5"),
    (RawCommand(text="00070003", kind="pelco"), "FF 01 00 07 00 03 0B", "A0 00 00 07 00 03 AF 0B", "preset goto 3"),
]

# Iris is a momentary step: the iris frame, then at once the same motion without it.
IRIS: list[tuple[str, str, str]] = [
    ("open", "FF 01 02 00 00 00 03 FF 01 00 00 00 00 01", "A0 00 04 00 00 00 AF 0B A0 00 00 00 00 00 AF 0F"),
    ("up", "FF 01 02 00 00 00 03 FF 01 00 00 00 00 01", "A0 00 04 00 00 00 AF 0B A0 00 00 00 00 00 AF 0F"),
    ("close", "FF 01 04 00 00 00 05 FF 01 00 00 00 00 01", "A0 00 08 00 00 00 AF 07 A0 00 00 00 00 00 AF 0F"),
    ("down", "FF 01 04 00 00 00 05 FF 01 00 00 00 00 01", "A0 00 08 00 00 00 AF 07 A0 00 00 00 00 00 AF 0F"),
]


def hexes(data: bytes) -> str:
    return hexbytes(data)


@pytest.mark.parametrize(("command", "pelco_d", "pelco_p", "text"), GOLDEN)
def test_golden_frames_both_ways(command: Command, pelco_d: str, pelco_p: str, text: str) -> None:
    for codec, expected in ((PelcoDCodec(PELCO_LIMITS, 1), pelco_d), (PelcoPCodec(PELCO_LIMITS, 1), pelco_p)):
        outgoing = codec.encode(command)
        assert hexes(outgoing.data) == expected
        assert not outgoing.expects_reply  # one-way RS-485: nothing ever answers
        assert codec.describe(outgoing.data) == text
        frame = read_frame(codec.dialect, bytes.fromhex(expected))
        assert frame is not None and frame.address == 1 and frame.text == text


@pytest.mark.parametrize(("mode", "pelco_d", "pelco_p"), IRIS)
def test_iris_is_a_step_then_the_motion_without_it(mode: str, pelco_d: str, pelco_p: str) -> None:
    assert hexes(PelcoDCodec(PELCO_LIMITS, 1).encode(CameraAction("iris", mode)).data) == pelco_d
    assert hexes(PelcoPCodec(PELCO_LIMITS, 1).encode(CameraAction("iris", mode)).data) == pelco_p
    word = "open" if mode in ("open", "up") else "close"
    assert PelcoDCodec(PELCO_LIMITS, 1).describe(bytes.fromhex(pelco_d)) == f"iris {word} + stop"


def test_pelco_p_addresses_are_zero_based_on_the_wire() -> None:
    # ERRATA: the dial's camera 1 is 0x00 in Pelco-P; Pelco-D sends the dial's number.
    assert hexes(PelcoPCodec(PELCO_LIMITS, 2).encode(PanTilt(-HALF, 0.0)).data) == "A0 01 00 04 20 00 AF 2A"
    assert hexes(PelcoDCodec(PELCO_LIMITS, 2).encode(PanTilt(-HALF, 0.0)).data) == "FF 02 00 04 20 00 26"
    assert hexes(PelcoPCodec(PELCO_LIMITS, 256).encode(Home()).data) == "A0 FF 00 07 00 22 AF D5"
    frame = read_frame(PELCO_P, bytes.fromhex("A0 01 00 04 20 00 AF 2A"))
    assert frame is not None and frame.address == 2


def test_pelco_d_checksum_wraps_modulo_256() -> None:
    # 0xC8 + 0x12 + 0x3F + 0x3F = 0x158 -> 0x58
    assert hexes(PelcoDCodec(PELCO_LIMITS, 0xC8).encode(PanTilt(1.0, -1.0)).data) == "FF C8 00 12 3F 3F 58"


def test_turbo_at_full_deflection_only_when_asked() -> None:
    limits = PELCO_LIMITS
    assert hexes(PelcoDCodec(limits, 1, turbo=True).encode(PanTilt(-1.0, 0.0)).data) == "FF 01 00 04 FF 00 04"
    assert hexes(PelcoPCodec(limits, 1, turbo=True).encode(PanTilt(-1.0, 0.0)).data) == "A0 00 00 04 40 00 AF 4B"
    assert PelcoDCodec(limits, 1, turbo=True).describe(bytes.fromhex("FF 01 00 04 FF 00 04")) == "pan left turbo, tilt stop"
    # Just short of full deflection, or without the option, the top speed is 0x3F.
    assert hexes(PelcoDCodec(limits, 1, turbo=True).encode(PanTilt(-0.99, 0.0)).data) == "FF 01 00 04 3F 00 44"
    assert hexes(PelcoDCodec(limits, 1).encode(PanTilt(-1.0, 0.0)).data) == "FF 01 00 04 3F 00 44"
    # Tilt has no turbo; a camera whose top pan speed is capped gets no turbo either.
    assert hexes(PelcoDCodec(limits, 1, turbo=True).encode(PanTilt(0.0, 1.0)).data) == "FF 01 00 08 00 3F 48"
    capped = SpeedLimits(pan=0x20, tilt=0x3F, zoom=1, focus=1)
    assert hexes(PelcoDCodec(capped, 1, turbo=True).encode(PanTilt(1.0, 0.0)).data) == "FF 01 00 02 20 00 23"


def test_every_frame_carries_every_axis() -> None:
    """A Pelco frame is the whole state: a zoom frame must not stop a running pan."""
    codec = PelcoDCodec(PELCO_LIMITS, 1)
    codec.encode(PanTilt(-HALF, 0.0))
    both = codec.encode(Zoom(1.0)).data
    assert codec.describe(both) == "pan left 0x20, tilt stop, zoom tele"
    assert hexes(codec.encode(PanTilt(0.0, 0.0)).data) == "FF 01 00 20 00 00 21"  # pan stops, zoom goes on
    assert hexes(codec.encode(Zoom(0.0)).data) == "FF 01 00 00 00 00 01"
    # A preset leaves the remembered motion alone; the key is the command alone.
    codec.encode(Focus(1.0))
    assert hexes(codec.encode(PresetRecall(2)).data) == "FF 01 00 07 00 02 0A"
    assert hexes(codec.key(Zoom(1.0))) == "FF 01 00 20 00 00 21"
    assert hexes(codec.encode(Zoom(1.0)).data) == "FF 01 00 A0 00 00 A1"
    # The iris step carries the motion along and returns to it.
    assert codec.describe(codec.encode(CameraAction("iris", "open")).data) == "zoom tele, focus far, iris open + zoom tele, focus far"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (PresetRecall(0), "pelco preset number must be 1..255, got 0"),
        (PresetStore(256), "pelco preset number must be 1..255, got 256"),
        (CameraAction("iris", "direct", 8), "cannot do 'iris' mode 'direct' (valid: iris open, up, close, down)"),
        (CameraAction("tally", "on"), "cannot do 'tally' mode 'on'"),
        (RawCommand(text="00 07 00"), "must be 4 hex bytes"),
        (RawCommand(text="00 07 00 zz"), "must be 4 hex bytes"),
        (RawCommand(text="81 01 04 38 02 FF", kind="visca"), "cannot send a raw visca command"),
        (PanTiltPositionInquiry(), "cannot send PanTiltPositionInquiry"),
        (PanTilt(float("nan"), 0.0), "finite"),
    ],
)
def test_what_pelco_cannot_say_is_a_protocol_error(command: Command, message: str) -> None:
    for codec in (PelcoDCodec(PELCO_LIMITS, 1), PelcoPCodec(PELCO_LIMITS, 1)):
        with pytest.raises(ProtocolError, match=message.replace("(", r"\(").replace(")", r"\)")):
            codec.encode(command)


def test_addresses_outside_the_dial_are_refused() -> None:
    with pytest.raises(ProtocolError, match="pelco-d camera address must be 1..255, got 0"):
        PelcoDCodec(PELCO_LIMITS, 0)
    with pytest.raises(ProtocolError, match="pelco-p camera address must be 1..256, got 257"):
        PelcoPCodec(PELCO_LIMITS, 257)


def test_parse_pelco_raw_for_the_config_check() -> None:
    assert parse_pelco_raw("00 07 00 05") == bytes([0, 7, 0, 5])
    assert parse_pelco_raw("0007 0005") == bytes([0, 7, 0, 5])
    with pytest.raises(ValueError, match=r"4 hex bytes \(cmd1 cmd2 data1 data2, e.g. '00 07 00 05'\), got 'x1'"):
        parse_pelco_raw("x1")
    with pytest.raises(ValueError, match="got 5 byte"):
        parse_pelco_raw("FF 01 00 07 00")


def test_capabilities_come_from_the_tables() -> None:
    assert can(CAPABILITIES, "iris", "open") and can(CAPABILITIES, "iris", "down")
    assert not can(CAPABILITIES, "iris", "direct")
    assert can(CAPABILITIES, "raw", "pelco") and not can(CAPABILITIES, "raw", "visca")
    assert {"pan", "tilt", "zoom", "focus", "stop", "home", "preset"} <= CAPABILITIES
    assert not can(CAPABILITIES, "autofocus") and not can(CAPABILITIES, "position")


# ---------------------------------------------------------------------------- reading the line


@pytest.mark.parametrize("codec", [PelcoDCodec(PELCO_LIMITS, 1), PelcoPCodec(PELCO_LIMITS, 1)])
def test_good_frames_are_quiet_garbage_is_reported_and_the_stream_resyncs(codec: PelcoCodec) -> None:
    good = codec.key(PanTilt(-HALF, 0.0))
    # An echo of the bus (or a dome that does answer) is nothing to act on.
    assert codec.receive(good + good) == []
    bad = bytearray(good)
    bad[-1] ^= 0x01  # wrong checksum
    replies = codec.receive(bytes(bad) + b"\x13\x37" + good[:3])
    assert [type(reply) for reply in replies] == [Garbage]
    assert replies[0].data.startswith(bytes(bad[:1]))  # type: ignore[attr-defined]
    assert codec.receive(good[3:]) == []  # the split frame is whole again: resynchronised


def test_a_start_byte_inside_a_frame_costs_only_that_candidate() -> None:
    splitter = PelcoSplitter(PELCO_D)
    turbo = PelcoDCodec(PELCO_LIMITS, 1, turbo=True).key(PanTilt(-1.0, 0.0))  # FF 01 00 04 FF 00 04
    pieces = splitter.feed(b"\xff" + turbo + turbo[:4])  # a stray sync byte, then a frame
    assert [(piece.junk != "", hexes(piece.data)) for piece in pieces] == [(True, "FF"), (False, hexes(turbo))]
    pieces = splitter.feed(turbo[4:])
    assert [piece.data for piece in pieces] == [turbo]


@pytest.mark.parametrize("codec_class", [PelcoDCodec, PelcoPCodec])
@given(chunks=st.lists(st.binary(max_size=40), max_size=20))
def test_receive_never_raises(codec_class: type[PelcoCodec], chunks: list[bytes]) -> None:
    codec = codec_class(PELCO_LIMITS, 1)
    for chunk in chunks:
        for reply in codec.receive(chunk):
            assert isinstance(reply, Garbage)


@given(prefix=st.binary(max_size=30))
def test_a_good_frame_after_any_junk_is_found(prefix: bytes) -> None:
    frame = PelcoDCodec(PELCO_LIMITS, 3).key(PresetRecall(7))
    pieces = PelcoSplitter(PELCO_D).feed(prefix + frame + frame)
    assert [piece.data for piece in pieces if not piece.junk][-1] == frame


# ---------------------------------------------------------------------------- the simulated dome


def test_the_bus_reads_frames_counts_garbage_and_never_answers() -> None:
    lines: list[str] = []
    recorder = Recorder("pelco-d", lines.append)
    bus = PelcoBus(PELCO_D, cameras=2, baud=2400, recorder=recorder)
    codec1, codec2 = PelcoDCodec(PELCO_LIMITS, 1), PelcoDCodec(PELCO_LIMITS, 2)
    assert bus.feed(codec1.encode(PanTilt(-HALF, 0.0)).data, now=10.0) == []
    corrupt = bytearray(codec2.encode(Zoom(1.0)).data)
    corrupt[3] ^= 0x40
    assert bus.feed(bytes(corrupt) + codec2.encode(PresetRecall(1)).data, now=10.1) == []
    assert recorder.received == ["[pelco-d #1] pan left 0x20, tilt stop", "[pelco-d #2] preset goto 1"]
    assert recorder.frame_times == [10.0, 10.1]
    assert recorder.bad_frames == 1
    assert lines[1].startswith("[pelco-d] garbage")
    assert bus.early_frames == 0
    bus.feed(codec2.encode(Zoom(1.0)).data, now=10.101)  # 1 ms after the previous: faster than 2400 baud
    assert bus.early_frames == 1


def test_the_dome_moves_at_the_speed_it_is_given_and_keeps_presets() -> None:
    dome = PelcoDome(PELCO_P, 1)
    codec = PelcoPCodec(PELCO_LIMITS, 1, turbo=True)

    def send(command: Command, now: float) -> None:
        frame = read_frame(PELCO_P, codec.encode(command).data)
        assert frame is not None
        dome.handle(frame, now)

    send(PanTilt(1.0, 0.0), 0.0)  # turbo: 200 degrees/s
    assert dome.state(0.5).pan == pytest.approx(100.0)
    send(PanTilt(-HALF, 1.0), 0.5)  # 0x20/0x3F of 100 degrees/s left, 60 degrees/s up
    state = dome.state(1.5)
    assert state.pan == pytest.approx(100.0 - 100.0 * 32 / 63)
    assert state.tilt == pytest.approx(60.0)
    assert state.moving and state.last_command == "pan left 0x20, tilt up 0x3F"
    send(PanTilt(0.0, 0.0), 1.5)
    send(PresetStore(3), 1.5)
    send(Zoom(1.0), 1.5)
    assert dome.state(3.5).zoom == pytest.approx(0.5)
    send(Zoom(0.0), 3.5)
    send(PanTilt(0.0, -1.0), 3.5)
    assert dome.state(10.0).tilt == -90.0  # the end stop
    send(PresetRecall(3), 10.0)
    state = dome.state(10.0)
    assert state.pan == pytest.approx(100.0 - 100.0 * 32 / 63)
    assert state.tilt == pytest.approx(60.0) and state.zoom == 0.0
    assert not dome.state(11.0).moving
    send(Home(), 11.0)  # nothing stored at 34: Pelco's pan zero
    assert dome.state(11.0).pan == 0.0
    send(RawCommand(text="00 05 00 03"), 11.0)  # clear preset 3
    assert dome.state(11.0).presets == ()


# ---------------------------------------------------------------------------- the controller

PELCO_SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.0, stop_repeats=2, refresh=1.0)
STOP = "FF 01 00 00 00 00 01"
PAN_LEFT = "FF 01 00 04 20 00 25"


def make(settings: ControllerSettings = PELCO_SETTINGS) -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("dome", PelcoDCodec(PELCO_LIMITS, 1), wire, clock, settings)
    controller.start()
    return controller, wire, clock


def run_until_idle(controller: CameraController, clock: FakeClock, limit: int = 100) -> None:
    for _ in range(limit):
        if controller.idle:
            return
        clock.advance(0.01)
    raise AssertionError("the controller never became idle")


def test_the_first_words_are_one_stop_and_its_repeats() -> None:
    controller, wire, clock = make()
    run_until_idle(controller, clock)
    # Three slots start "unknown", but one all-stop frame stops every axis (each Pelco frame
    # carries them all): one stop per camera plus stop_repeats, not nine (issue 9, item 12).
    assert wire.frames == [STOP] * (1 + PELCO_SETTINGS.stop_repeats)
    times = [t for t, _ in wire.sent]
    assert all(b - a >= PELCO_SETTINGS.min_interval - 1e-9 for a, b in zip(times, times[1:]))


def test_a_stop_is_sent_stop_repeats_more_times_and_then_the_controller_is_idle() -> None:
    controller, wire, clock = make()
    run_until_idle(controller, clock)
    wire.sent.clear()
    controller.set_motion(PanTilt(-HALF, 0.0))
    clock.advance(0.1)
    controller.stop()
    run_until_idle(controller, clock)
    assert wire.frames == [PAN_LEFT, STOP, STOP, STOP]
    clock.advance(5.0)  # an idle controller stays quiet: no refresh of a stop
    assert len(wire.sent) == 4


def test_a_held_motion_is_refreshed() -> None:
    controller, wire, clock = make()
    run_until_idle(controller, clock)
    wire.sent.clear()
    controller.set_motion(PanTilt(-HALF, 0.0))
    clock.advance(3.05)
    assert wire.frames == [PAN_LEFT] * 4  # at 0, 1, 2 and 3 s


def test_a_stop_after_a_short_move_gets_all_its_repeats() -> None:
    controller, wire, clock = make()
    run_until_idle(controller, clock)
    wire.sent.clear()
    controller.set_motion(PanTilt(-HALF, 0.0))
    clock.advance(0.05)
    controller.stop()  # repeats owed ...
    clock.advance(0.05)
    controller.set_motion(PanTilt(-HALF, 0.0))  # ... when the hand moves again
    clock.advance(0.05)
    controller.stop()
    run_until_idle(controller, clock)
    frames = wire.frames
    last_move = max(i for i, frame in enumerate(frames) if frame == PAN_LEFT)
    assert frames[last_move + 1 :] == [STOP] * 3


def test_first_stops_go_before_repeats() -> None:
    """With every frame carrying every axis, a zoom stop waiting behind the pan stop's
    repeats would keep the zoom running: all first stops go out before any repeat."""
    controller, wire, clock = make()
    run_until_idle(controller, clock)
    controller.set_motion(PanTilt(-HALF, 0.0))
    clock.advance(0.05)
    controller.set_motion(Zoom(1.0))
    clock.advance(0.05)
    wire.sent.clear()
    controller.stop()
    run_until_idle(controller, clock)
    assert wire.frames[:2] == ["FF 01 00 20 00 00 21", STOP]  # pan stops (zoom still on), then zoom
    assert wire.frames[2:] == [STOP] * 4
