"""VISCA codecs, as specifications: golden bytes from the spec tables and ERRATA, speed
scaling, reply parsing, stream reassembly, the VISCA-over-IP header and its sequence."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    PanTilt,
    PanTiltPositionInquiry,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import (
    Ack,
    Completion,
    ErrorReply,
    Garbage,
    UnreadableAnswer,
    InquiryAnswer,
    Outgoing,
    Reply,
    SequenceReset,
    SpeedLimits,
)
from ptzmapd.protocols.units import drive_level, hexbytes, variable_level
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.encode import encode_payload
from ptzmapd.protocols.visca.read import describe_command, parse_reply, read_command
from ptzmapd.protocols.visca.ip import REPLY_SEQUENCE, SEQUENCE_MODES, ViscaIpCodec

RESET = "02 00 00 01 00 00 00 00 01"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# Every command the codecs send, with the bytes the spec tables give for it (x = 1).
GOLDEN: list[tuple[Command, str]] = [
    (PanTilt(1.0, 0.0), "81 01 06 01 18 01 02 03 FF"),  # Right
    (PanTilt(-1.0, 0.0), "81 01 06 01 18 01 01 03 FF"),  # Left
    (PanTilt(0.0, 1.0), "81 01 06 01 01 14 03 01 FF"),  # Up
    (PanTilt(0.0, -1.0), "81 01 06 01 01 14 03 02 FF"),  # Down
    (PanTilt(-1.0, 1.0), "81 01 06 01 18 14 01 01 FF"),  # UpLeft
    (PanTilt(1.0, 1.0), "81 01 06 01 18 14 02 01 FF"),  # UpRight
    (PanTilt(-1.0, -1.0), "81 01 06 01 18 14 01 02 FF"),  # DownLeft
    (PanTilt(1.0, -1.0), "81 01 06 01 18 14 02 02 FF"),  # DownRight
    (PanTilt(0.0, 0.0), "81 01 06 01 01 01 03 03 FF"),  # Stop: speed bytes 01, never 00
    (Zoom(1.0), "81 01 04 07 27 FF"),  # Tele (Variable), p = 7
    (Zoom(-1.0), "81 01 04 07 37 FF"),  # Wide (Variable)
    (Zoom(0.0), "81 01 04 07 00 FF"),  # Stop
    (Focus(1.0), "81 01 04 08 27 FF"),  # Far (Variable)
    (Focus(-1.0), "81 01 04 08 37 FF"),  # Near (Variable)
    (Focus(0.0), "81 01 04 08 00 FF"),  # Stop
    (Home(), "81 01 06 04 FF"),
    (PresetRecall(1), "81 01 04 3F 02 01 FF"),  # ERRATA: the memory number as is
    (PresetRecall(0), "81 01 04 3F 02 00 FF"),
    (PresetRecall(127), "81 01 04 3F 02 7F FF"),
    (PresetStore(3), "81 01 04 3F 01 03 FF"),
    (Autofocus("on"), "81 01 04 38 02 FF"),
    (Autofocus("off"), "81 01 04 38 03 FF"),
    (Autofocus("toggle"), "81 01 04 38 10 FF"),
    # The default dialect is PTZOptics' (specs/ptzoptics-visca-over-ip-commands.txt,
    # "OnePush Auto Focus"); Sony's 18 01 is in test_visca_dialects.py.
    (Autofocus("one-push"), "81 01 04 38 04 FF"),
    (PanTiltPositionInquiry(), "81 09 06 12 FF"),
    (ZoomPositionInquiry(), "81 09 04 47 FF"),
    # Named actions (every one of them: tests/test_named_actions.py) and raw frames.
    (CameraAction("tally", "on"), "81 0A 02 02 02 FF"),
    (CameraAction("iris", "direct", 8), "81 01 04 4B 00 00 00 08 FF"),
    (CameraAction("gain", "direct", 0x12), "81 01 04 4C 00 00 01 02 FF"),  # ERRATA: 4C, not 0C
    (CameraAction("bright", "direct", 0x12), "81 01 04 4D 00 00 01 02 FF"),  # ERRATA: 4D, not 0D
    (CameraAction("menu", "enter"), "81 01 06 06 05 FF"),
    (RawCommand("8x 01 04 38 02 FF", "visca"), "81 01 04 38 02 FF"),  # the address filled in
]


@pytest.mark.parametrize(("command", "expected"), GOLDEN)
def test_raw_visca_golden_bytes(command: Command, expected: str) -> None:
    outgoing = ViscaCodec(VISCA_LIMITS).encode(command)
    assert hexbytes(outgoing.data) == expected
    assert outgoing.token is None


@pytest.mark.parametrize(("command", "expected"), GOLDEN)
def test_visca_ip_wraps_the_same_payload_in_a_header(command: Command, expected: str) -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    outgoing = codec.encode(command)
    payload = h(expected)
    payload_type = "01 10" if command.inquiry else "01 00"
    assert hexbytes(outgoing.data) == f"{payload_type} 00 {len(payload):02X} 00 00 00 01 {expected}"
    assert outgoing.token == 1


@pytest.mark.parametrize(("command", "expected"), GOLDEN)
def test_every_golden_frame_reads_back(command: Command, expected: str) -> None:
    assert not describe_command(h(expected)).startswith("unknown")


def test_camera_address_goes_in_the_first_byte() -> None:
    assert hexbytes(encode_payload(Home(), VISCA_LIMITS, address=3)) == "83 01 06 04 FF"
    assert hexbytes(ViscaCodec(VISCA_LIMITS, address=7).encode(Home()).data) == "87 01 06 04 FF"
    with pytest.raises(ProtocolError, match="1..7"):
        encode_payload(Home(), VISCA_LIMITS, address=8)


# ---------------------------------------------------------------------------- VISCA over IP


def test_reset_then_the_errata_example() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    assert codec.start() == [Outgoing(h(RESET), token=0)]
    # ERRATA: recall memory 1 as the first command after RESET.
    first = codec.encode(PresetRecall(1))
    assert hexbytes(first.data) == "01 00 00 07 00 00 00 01 81 01 04 3F 02 01 FF"
    assert first.token == 1
    assert codec.encode(Home()).token == 2


def test_reset_starts_counting_again() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    for _ in range(5):
        codec.encode(Home())
    assert codec.reset() == [Outgoing(h(RESET), token=0)]
    assert codec.encode(Home()).token == 1


def test_sequence_number_wraps_at_32_bits() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.next_sequence = 2**32 - 1
    last = codec.encode(Home())
    assert hexbytes(last.data[:8]) == "01 00 00 05 FF FF FF FF"
    wrapped = codec.encode(Home())
    assert hexbytes(wrapped.data[:8]) == "01 00 00 05 00 00 00 00"
    assert (last.token, wrapped.token) == (2**32 - 1, 0)


def test_key_is_the_visca_frame_and_does_not_use_a_sequence_number() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    assert hexbytes(codec.key(PanTilt(1.0, 0.0))) == "81 01 06 01 18 01 02 03 FF"
    assert codec.encode(Home()).token == 1
    assert ViscaCodec(VISCA_LIMITS).key(Zoom(0.0)) == h("81 01 04 07 00 FF")


@pytest.mark.parametrize(
    ("datagram", "expected"),
    [
        ("01 11 00 03 00 00 00 07 90 41 FF", Ack(7, socket=1)),
        ("01 11 00 03 00 00 00 07 90 52 FF", Completion(7, socket=2)),
        ("01 11 00 04 00 00 00 07 90 60 02 FF", ErrorReply(7, kind="syntax", data=h("90 60 02 FF"))),
        ("02 01 00 01 00 00 00 00 01", SequenceReset(0)),
        ("02 01 00 02 00 00 00 09 0F 01", ErrorReply(9, kind="sequence", data=h("0F 01"))),
        ("02 01 00 02 00 00 00 09 0F 02", ErrorReply(9, kind="message-length", data=h("0F 02"))),
        # ERRATA: cameras that get the length field wrong; the datagram's size counts.
        ("01 11 00 09 00 00 00 07 90 41 FF", Ack(7, socket=1)),
        ("01 11 00 00 00 00 00 07 90 51 FF", Completion(7, socket=1)),
        # A camera that answers without the header.
        ("90 41 FF", Ack(None, socket=1)),
    ],
)
def test_visca_ip_replies(datagram: str, expected: Reply) -> None:
    assert ViscaIpCodec(VISCA_LIMITS).receive(h(datagram)) == [expected]


@pytest.mark.parametrize(
    "datagram",
    [
        "",
        "01 11 00",  # shorter than a header
        "01 11 00 00 00 00 00 01",  # header, no payload
        "01 20 00 03 00 00 00 01 90 41 FF",  # device setting: not a reply
        "02 01 00 02 00 00 00 01 0F 07",  # unknown control reply
        "01 11 00 03 00 00 00 01 90 41",  # reply cut short
        "12 34",
    ],
)
def test_visca_ip_garbage(datagram: str) -> None:
    replies = ViscaIpCodec(VISCA_LIMITS).receive(h(datagram))
    assert replies and all(isinstance(reply, Garbage) for reply in replies)


def test_inquiry_answers_are_matched_by_sequence_number() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    pantilt = codec.encode(PanTiltPositionInquiry())
    zoom = codec.encode(ZoomPositionInquiry())
    assert hexbytes(pantilt.data[:2]) == "01 10"  # payload type: inquiry
    # The answers arrive out of order; each gets the right name through its sequence number.
    assert codec.receive(h("01 11 00 07 00 00 00 02 90 50 04 00 00 00 FF")) == [
        InquiryAnswer(2, what="zoom-position", values=(0x4000,))
    ]
    assert codec.receive(h("01 11 00 0B 00 00 00 01 90 50 0F 0F 06 00 00 01 02 03 FF")) == [
        InquiryAnswer(1, what="pantilt-position", values=(-160, 0x123))
    ]
    assert zoom.token == 2


def test_no_sequence_mode_sends_bare_frames() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="none")
    assert codec.start() == []
    assert codec.reset() == []
    outgoing = codec.encode(PresetRecall(1))
    assert outgoing == Outgoing(h("81 01 04 3F 02 01 FF"), token=None)
    # Replies are read with or without a header.
    assert codec.receive(h("90 41 FF")) == [Ack(None, socket=1)]
    assert codec.receive(h("01 11 00 03 00 00 00 01 90 51 FF")) == [Completion(1, socket=1)]
    codec.encode(ZoomPositionInquiry())
    assert codec.receive(h("90 50 00 01 02 03 FF")) == [InquiryAnswer(None, "zoom-position", (0x0123,))]


def test_visca_ip_describe_shows_the_sequence_number() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    reset = codec.start()[0]
    assert codec.describe(reset.data) == "#0 reset sequence"
    for _ in range(4):
        codec.encode(Home())
    assert codec.describe(codec.encode(PanTilt(1.0, 0.0)).data) == "#5 pan right 0x18, tilt stop"
    assert ViscaIpCodec(VISCA_LIMITS, sequence="none").describe(h("81 01 06 04 FF")) == "home"


# ---------------------------------------------------------------------------- speed scaling


@pytest.mark.parametrize(
    ("speed", "top", "level"),
    [
        (0.001, 0x18, 0x01),  # the tiniest touch still moves
        (1 / 24, 0x18, 0x01),  # exactly one band: no rounding up through float noise
        (1 / 24 + 0.001, 0x18, 0x02),
        (0.5, 0x18, 0x0C),
        (-0.5, 0x18, 0x0C),
        (1.0, 0x18, 0x18),
        (1.5, 0x18, 0x18),  # beyond full deflection: the top, never more
        (0.5, 0x14, 0x0A),
        (1.0, 0x0C, 0x0C),  # a configured top lower than the protocol's
        (0.5, 0x0C, 0x06),
    ],
)
def test_pan_tilt_level(speed: float, top: int, level: int) -> None:
    assert drive_level(speed, top) == level


@pytest.mark.parametrize(
    ("speed", "top", "p"),
    [
        (0.001, 7, 0),
        (0.125, 7, 0),
        (0.126, 7, 1),
        (0.5, 7, 3),
        (-0.5, 7, 3),
        (1.0, 7, 7),
        (1.0, 3, 3),
        (0.5, 3, 1),
        (1.0, 0, 0),
    ],
)
def test_zoom_focus_level(speed: float, top: int, p: int) -> None:
    assert variable_level(speed, top) == p


def test_limits_below_the_protocol_top_scale_full_deflection_down() -> None:
    codec = ViscaCodec(SpeedLimits(pan=0x0C, tilt=0x0A, zoom=3, focus=2))
    assert hexbytes(codec.encode(PanTilt(1.0, -1.0)).data) == "81 01 06 01 0C 0A 02 02 FF"
    assert hexbytes(codec.encode(PanTilt(-0.5, 0.0)).data) == "81 01 06 01 06 01 01 03 FF"
    assert hexbytes(codec.encode(Zoom(1.0)).data) == "81 01 04 07 23 FF"
    assert hexbytes(codec.encode(Zoom(-0.5)).data) == "81 01 04 07 31 FF"
    assert hexbytes(codec.encode(Focus(1.0)).data) == "81 01 04 08 22 FF"


def test_limits_above_the_protocol_top_are_capped() -> None:
    codec = ViscaCodec(SpeedLimits(pan=0x30, tilt=0x30, zoom=9, focus=9))
    assert hexbytes(codec.encode(PanTilt(1.0, 1.0)).data) == "81 01 06 01 18 14 02 01 FF"
    assert hexbytes(codec.encode(Zoom(1.0)).data) == "81 01 04 07 27 FF"


@given(st.floats(min_value=-1.0, max_value=1.0), st.floats(min_value=-1.0, max_value=1.0))
def test_any_pan_tilt_speed_reads_back_with_its_direction(pan: float, tilt: float) -> None:
    frame = read_command(encode_payload(PanTilt(pan, tilt), VISCA_LIMITS))
    assert frame is not None and frame.action == "pantilt"
    pan_direction, pan_level, tilt_direction, tilt_level = frame.args
    assert pan_direction == (pan > 0) - (pan < 0)
    assert tilt_direction == (tilt > 0) - (tilt < 0)
    assert 1 <= pan_level <= 0x18 and 1 <= tilt_level <= 0x14


# ---------------------------------------------------------------------------- refusals


@dataclass(frozen=True, slots=True)
class Wobble(Command):
    """A command VISCA has no words for."""


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (PresetRecall(128), "0..127"),
        (PresetStore(-1), "0..127"),
        (Wobble(), "Wobble"),
        (PanTilt(float("nan"), 0.0), "finite"),
        (Zoom(float("inf")), "finite"),
        (CameraAction("swing", "on"), "visca cannot do swing on"),
        (CameraAction("iris", "direct", 300), "0..255"),
        (RawCommand("PUT /ISAPI/PTZCtrl/channels/1/presets/2/goto", "http"), "raw http"),
        (RawCommand("81 01 04 38 02", "visca"), "ends with FF"),
    ],
)
def test_what_visca_cannot_say_is_a_protocol_error(command: Command, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        ViscaCodec(VISCA_LIMITS).encode(command)
    with pytest.raises(ProtocolError, match=message):
        ViscaIpCodec(VISCA_LIMITS).encode(command)


# ---------------------------------------------------------------------------- replies


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("90 41 FF", Ack(None, socket=1)),
        ("90 42 FF", Ack(None, socket=2)),
        ("A0 41 FF", Ack(None, socket=1)),  # camera 2 on a serial chain
        ("90 51 FF", Completion(None, socket=1)),
        ("90 52 FF", Completion(None, socket=2)),
        ("90 60 01 FF", ErrorReply(None, kind="message-length", data=h("90 60 01 FF"))),
        ("90 60 02 FF", ErrorReply(None, kind="syntax", data=h("90 60 02 FF"))),
        ("90 60 03 FF", ErrorReply(None, kind="buffer-full", data=h("90 60 03 FF"))),
        ("90 61 04 FF", ErrorReply(None, kind="cancelled", data=h("90 61 04 FF"), socket=1)),
        ("90 62 05 FF", ErrorReply(None, kind="no-socket", data=h("90 62 05 FF"), socket=2)),
        ("90 61 41 FF", ErrorReply(None, kind="not-executable", data=h("90 61 41 FF"), socket=1)),
    ],
)
def test_reply_types(frame: str, expected: Reply) -> None:
    assert parse_reply(h(frame), None, None) == expected
    assert ViscaCodec(VISCA_LIMITS).receive(h(frame)) == [expected]


@pytest.mark.parametrize(
    "frame",
    [
        "90 41 01 FF",  # an ACK carries no data
        "90 60 99 FF",  # no such error
        "90 70 FF",  # no such reply type
        "81 01 06 04 FF",  # a command, not a reply
        "91 41 FF",  # not z0
        "90 FF",
        "90 41 FF FF",
    ],
)
def test_malformed_replies_are_garbage(frame: str) -> None:
    assert isinstance(parse_reply(h(frame), None, None), Garbage)


def test_pan_tilt_answer_is_signed() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(PanTiltPositionInquiry())
    # Pan 0xF830 = -2000 (left of centre), tilt 0xFE50 = -432 (the lowest tilt).
    assert codec.receive(h("90 50 0F 08 03 00 0F 0E 05 00 FF")) == [
        InquiryAnswer(None, what="pantilt-position", values=(-2000, -432))
    ]
    assert codec.receive(h("90 50 00 09 09 00 00 05 01 00 FF")) == [
        InquiryAnswer(None, what="pantilt-position", values=(2448, 1296))
    ]


def test_zoom_answer_is_unsigned() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(ZoomPositionInquiry())
    assert codec.receive(h("90 50 0F 0F 0F 0F FF")) == [InquiryAnswer(None, "zoom-position", (0xFFFF,))]


def test_answer_that_does_not_fit_the_inquiry_is_an_unreadable_answer() -> None:
    # Issue 9 item 9: the camera did answer; the inquiry is given up, the camera stays online.
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(ZoomPositionInquiry())
    [reply] = codec.receive(h("90 50 01 02 03 FF"))  # three nibbles, not four
    assert isinstance(reply, UnreadableAnswer) and "does not fit" in reply.reason
    [reply] = codec.receive(h("90 50 10 00 00 00 FF"))  # not a nibble
    assert isinstance(reply, UnreadableAnswer)


def test_answer_without_an_inquiry_keeps_its_bytes() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(Home())
    assert codec.receive(h("90 50 02 FF")) == [InquiryAnswer(None, what="", values=(0x02,))]


# ---------------------------------------------------------------------------- stream reassembly


def test_a_reply_split_across_chunks() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    assert codec.receive(h("90")) == []
    assert codec.receive(h("41 FF 90")) == [Ack(None, socket=1)]
    assert codec.receive(h("51")) == []
    assert codec.receive(h("FF")) == [Completion(None, socket=1)]


def test_concatenated_replies_in_one_chunk() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    assert codec.receive(h("90 41 FF 90 51 FF 90 60 03 FF")) == [
        Ack(None, socket=1),
        Completion(None, socket=1),
        ErrorReply(None, kind="buffer-full", data=h("90 60 03 FF")),
    ]


def test_bytes_before_a_reply_are_one_garbage() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    assert codec.receive(h("12 34 56 90 41 FF")) == [
        Garbage(None, h("12 34 56"), "bytes before a frame start"),
        Ack(None, socket=1),
    ]
    assert codec.receive(h("00 FF")) == [Garbage(None, h("00 FF"), "no frame start")]


def test_a_frame_without_terminator_is_dropped_and_the_stream_resyncs() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    # A start byte and no FF within 16 bytes: give up on it...
    replies = codec.receive(h("90 50" + " 01" * 15))
    assert len(replies) == 1 and isinstance(replies[0], Garbage)
    # ... and the next reply reads normally.
    assert codec.receive(h("01 90 41 FF")) == [
        Garbage(None, h("01"), "bytes before a frame start"),
        Ack(None, socket=1),
    ]


def test_a_lost_terminator_costs_one_frame() -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    # The ACK lost its FF; the completion after it still reads.
    assert codec.receive(h("90 41 90 51 FF")) == [
        Garbage(None, h("90 41"), "frame cut short"),
        Completion(None, socket=1),
    ]


def test_byte_by_byte_gives_the_same_replies() -> None:
    stream = h("90 41 FF 90 51 FF 90 61 41 FF")
    whole = ViscaCodec(VISCA_LIMITS).receive(stream)
    codec = ViscaCodec(VISCA_LIMITS)
    pieces = [reply for byte in stream for reply in codec.receive(bytes([byte]))]
    assert pieces == whole


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_raw_receive_never_raises(chunks: list[bytes]) -> None:
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(PanTiltPositionInquiry())
    for chunk in chunks:
        assert all(isinstance(reply, Reply) for reply in codec.receive(chunk))


@given(st.binary(max_size=40), st.sampled_from(sorted(SEQUENCE_MODES)), st.sampled_from(REPLY_SEQUENCE))
def test_visca_ip_receive_never_raises(datagram: bytes, sequence: str, reply_sequence: str) -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence=sequence, reply_sequence=reply_sequence)
    codec.start()
    codec.encode(ZoomPositionInquiry())
    assert all(isinstance(reply, Reply) for reply in codec.receive(datagram))
    assert isinstance(codec.describe(datagram), str)


@given(st.binary(max_size=24))
def test_describe_never_raises(frame: bytes) -> None:
    assert isinstance(describe_command(frame), str)


# ---------------------------------------------------------------------------- readable frames


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        ("81 01 06 01 18 14 02 03 FF", "pan right 0x18, tilt stop"),
        ("81 01 06 01 01 14 03 01 FF", "pan stop, tilt up 0x14"),
        ("81 01 06 01 05 06 01 02 FF", "pan left 0x05, tilt down 0x06"),
        ("81 01 06 01 00 00 03 03 FF", "pan stop, tilt stop"),  # some controllers send 00 when stopped
        ("81 01 04 07 27 FF", "zoom tele 7"),
        ("81 01 04 07 32 FF", "zoom wide 2"),
        ("81 01 04 07 00 FF", "zoom stop"),
        ("81 01 04 08 33 FF", "focus near 3"),
        ("81 01 04 08 20 FF", "focus far 0"),
        ("81 01 04 08 00 FF", "focus stop"),
        ("81 01 04 3F 02 03 FF", "preset recall 3"),
        ("81 01 04 3F 01 03 FF", "preset store 3"),
        ("81 01 04 3F 00 03 FF", "preset reset 3"),
        ("81 01 06 04 FF", "home"),
        ("81 01 04 38 02 FF", "autofocus on"),
        ("81 01 04 38 04 FF", "autofocus one-push"),
        ("81 01 04 18 01 FF", "autofocus one-push sony"),
        ("81 09 06 12 FF", "inquiry pan/tilt position"),
        ("81 09 04 47 FF", "inquiry zoom position"),
        ("81 01 04 4B 00 00 01 0A FF", "iris direct 26"),
        ("81 01 04 4C 00 00 00 03 FF", "gain direct 3"),
        ("81 01 04 4C 00 00 10 03 FF", "unknown 81 01 04 4C 00 00 10 03 FF"),  # a level byte above 0F
        ("81 0A 02 02 01 FF", "tally flash"),
        ("81 01 04 3F 02 5F FF", "menu open"),  # ERRATA: preset 95 is PTZOptics' menu key
        ("81 01 06 01 0E 0E 02 03 FF", "menu right"),
        ("81 01 04 A5 10 FF", "save-settings save"),
        # Preset Recall Speed shares Pan_TiltDrive's prefix; its length tells it apart (ERRATA).
        ("81 01 06 01 18 FF", "preset speed 0x18"),
        ("81 01 06 01 19 01 02 03 FF", "unknown 81 01 06 01 19 01 02 03 FF"),  # pan speed above 0x18
        ("81 01 04 07 28 FF", "unknown 81 01 04 07 28 FF"),  # p above 7
        ("81 01 04 3F 02 80 FF", "unknown 81 01 04 3F 02 80 FF"),
        ("90 41 FF", "unknown 90 41 FF"),
        ("", "unknown "),
    ],
)
def test_describe_command(frame: str, text: str) -> None:
    assert describe_command(h(frame)) == text
