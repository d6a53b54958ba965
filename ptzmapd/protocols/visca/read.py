"""Reading VISCA (sans-io): a command frame back into its parts (for logs and the simulated
camera), replies (``z0 4y FF`` ACK, ``z0 5y FF`` completion, ``z0 50 … FF`` inquiry answers,
``z0 6y EE FF`` errors), and splitting a byte stream on the ``FF`` terminator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ptzmapd.vocabulary import DIRECT_MODE
from ptzmapd.protocols.base import Ack, Completion, ErrorReply, Garbage, InquiryAnswer, Notice, Reply, UnreadableAnswer
from ptzmapd.protocols.framing import Cut, Piece, StreamSplitter
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.tables import (
    DIRECT_COMMANDS,
    FOCUS_AXIS,
    INQUIRIES,
    MAX_FRAME,
    MEMORY,
    MEMORY_OPERATIONS,
    PANTILT_DRIVE,
    PAN_AXIS,
    PRESET_SPEED_GLOBAL,
    PRESET_SPEED_PER_PRESET,
    PRESET_SPEED_TOP,
    PRESET_NUMBERS,
    TERMINATOR,
    TILT_AXIS,
    VARIABLE_AXES,
    VARIABLE_TOP,
    ZOOM_AXIS,
    FIXED_BY_BODY,
    INQUIRY_BY_BODY,
    VARIABLE_NIBBLE,
    is_command_start,
    is_reply_start,
)

# --------------------------------------------------------------------------- reading commands


@dataclass(frozen=True, slots=True)
class CommandFrame:
    """A command frame read back into its parts: what a camera (the simulator) acts on.

    ``action`` is ``pantilt`` (args: pan direction, VV, tilt direction, WW; direction +1
    right/up, -1 left/down, 0 stop), ``zoom`` / ``focus`` (args: direction, p),
    ``preset recall`` / ``preset store`` / ``preset reset`` (args: memory number), ``preset
    speed`` (args: pp; PTZOptics' one setting) or ``preset memory speed`` (args: memory number,
    qq; Sony's per preset), a
    :data:`FIXED_COMMANDS` name (``tally on``; args those of the parametrised command with
    the same bytes, if any), ``<action> direct`` (args: level), or an :data:`INQUIRIES` key
    (``pantilt-position``, …).
    """

    address: int
    action: str
    args: tuple[int, ...]
    text: str


def _read_pantilt(address: int, body: bytes) -> CommandFrame | None:
    pan_speed, tilt_speed, pan_byte, tilt_byte = body[3:7]
    pan_direction = PAN_AXIS.direction_of(pan_byte)
    tilt_direction = TILT_AXIS.direction_of(tilt_byte)
    if pan_direction is None or tilt_direction is None:
        return None
    parts: list[str] = []
    for axis, direction, level in ((PAN_AXIS, pan_direction, pan_speed), (TILT_AXIS, tilt_direction, tilt_speed)):
        if direction and not 1 <= level <= axis.top:
            return None
        parts.append(f"{axis.name} {axis.word_of[direction]} 0x{level:02X}" if direction else f"{axis.name} stop")
    return CommandFrame(
        address, "pantilt", (pan_direction, pan_speed, tilt_direction, tilt_speed), ", ".join(parts)
    )


def _read_variable(address: int, body: bytes) -> CommandFrame | None:
    axis = VARIABLE_AXES[body[2]]
    value = body[3]
    if value == 0x00:
        return CommandFrame(address, axis.name, (0, 0), f"{axis.name} stop")
    for direction, nibble in VARIABLE_NIBBLE.items():
        if value & 0xF0 == nibble and value & 0x0F <= VARIABLE_TOP:
            level = value & 0x0F
            return CommandFrame(address, axis.name, (direction, level), f"{axis.name} {axis.word_of[direction]} {level}")
    return None


def _read_memory(address: int, body: bytes) -> CommandFrame | None:
    operation = MEMORY_OPERATIONS.get(body[3])
    number = body[4]
    if operation is None or number not in PRESET_NUMBERS:
        return None
    return CommandFrame(address, f"preset {operation}", (number,), f"preset {operation} {number}")


def _read_preset_speed(address: int, body: bytes) -> CommandFrame | None:
    level = body[-1]
    if not 1 <= level <= PRESET_SPEED_TOP:
        return None
    if body[:-1] == PRESET_SPEED_GLOBAL:
        return CommandFrame(address, "preset speed", (level,), f"preset speed 0x{level:02X}")
    if body[:-2] != PRESET_SPEED_PER_PRESET or body[-2] not in PRESET_NUMBERS:
        return None  # another 7E 01 setting of the same length (Sony's tally)
    return CommandFrame(address, "preset memory speed", (body[-2], level),
                        f"preset memory {body[-2]} speed 0x{level:02X}")


_DIRECT_BY_PREFIX: dict[bytes, str] = {prefix[:3]: name for name, prefix in DIRECT_COMMANDS.items()}


def _read_direct(address: int, body: bytes) -> CommandFrame | None:
    name = _DIRECT_BY_PREFIX[body[:3]]
    if body[:-2] != DIRECT_COMMANDS[name] or body[-2] > 0x0F or body[-1] > 0x0F:
        return None
    level = body[-2] << 4 | body[-1]
    return CommandFrame(address, f"{name} {DIRECT_MODE}", (level,), f"{name} {DIRECT_MODE} {level}")


#: Parametrised commands by (leading body bytes, body length). The length matters: Preset
#: Recall Speed ``8x 01 06 01 pp FF`` shares Pan_TiltDrive's prefix (ERRATA).
_READERS: dict[tuple[bytes, int], Callable[[int, bytes], CommandFrame | None]] = {
    (PANTILT_DRIVE, 7): _read_pantilt,
    (PRESET_SPEED_GLOBAL, len(PRESET_SPEED_GLOBAL) + 1): _read_preset_speed,
    (PRESET_SPEED_PER_PRESET[:3], len(PRESET_SPEED_PER_PRESET) + 2): _read_preset_speed,
    (bytes([0x01, 0x04, ZOOM_AXIS.opcode]), 4): _read_variable,
    (bytes([0x01, 0x04, FOCUS_AXIS.opcode]), 4): _read_variable,
    (MEMORY, 5): _read_memory,
    **{(prefix[:3], len(prefix) + 2): _read_direct for prefix in DIRECT_COMMANDS.values()},
}


def read_command(frame: bytes) -> CommandFrame | None:
    """Read a command frame ``8x … FF`` back into its parts; None if it is not one we know."""
    if len(frame) < 3 or not is_command_start(frame[0]) or frame[-1] != TERMINATOR:
        return None
    body = frame[1:-1]
    if TERMINATOR in body:
        return None
    address = frame[0] & 0x0F
    reader = _READERS.get((body[:3], len(body)))
    name = FIXED_BY_BODY.get(body)
    if name is not None:
        # A named row that is also a parametrised command (menu up is a Pan_TiltDrive, menu
        # open a preset recall) keeps that reading's args, for a camera on which the name
        # does not apply (the menu is closed: menu up moves the camera).
        reading = reader(address, body) if reader is not None else None
        return CommandFrame(address, name, reading.args if reading is not None else (), name)
    inquiry = INQUIRY_BY_BODY.get(body)
    if inquiry is not None:
        return CommandFrame(address, inquiry.what, (), inquiry.text)
    return reader(address, body) if reader is not None else None


def describe_command(frame: bytes) -> str:
    """Readable text for a command frame: ``pan right 0x18, tilt stop``, ``preset recall 3``,
    ``iris direct 8``, ``menu enter``."""
    command = read_command(frame)
    return command.text if command is not None else f"unknown {hexbytes(frame)}"


# --------------------------------------------------------------------------- replies

#: Error replies ``z0 6y EE FF`` by EE.
ERROR_KINDS: dict[int, str] = {
    0x01: "message-length",
    0x02: "syntax",
    0x03: "buffer-full",
    0x04: "cancelled",
    0x05: "no-socket",
    0x41: "not-executable",
}


def _ack(frame: bytes, token: int | None, pending_inquiry: str | None) -> Reply:
    if len(frame) != 3:
        return Garbage(token, frame, "ack with data")
    return Ack(token, socket=frame[1] & 0x0F)


def _completion(frame: bytes, token: int | None, pending_inquiry: str | None) -> Reply:
    data = frame[2:-1]
    if not data:
        return Completion(token, socket=frame[1] & 0x0F)
    if pending_inquiry is None:
        # No inquiry was asked: hand the raw bytes on rather than guess their meaning.
        return InquiryAnswer(token, what="", values=tuple(data))
    inquiry = INQUIRIES.get(pending_inquiry)
    values = inquiry.decode(data) if inquiry is not None else None
    if values is None:
        return UnreadableAnswer(token, frame, f"answer does not fit inquiry {pending_inquiry!r}")
    return InquiryAnswer(token, what=pending_inquiry, values=values)


def _error(frame: bytes, token: int | None, pending_inquiry: str | None) -> Reply:
    kind = ERROR_KINDS.get(frame[2]) if len(frame) == 4 else None
    if kind is None:
        return Garbage(token, frame, "unknown error reply")
    return ErrorReply(token, kind=kind, data=frame, socket=frame[1] & 0x0F)


#: Network change ``z0 38 FF`` (ERRATA): the cameras on a serial chain were re-addressed or
#: one was added; some IP cameras send it once at connect. Standard VISCA, not garbage.
NETWORK_CHANGE = 0x38


def _network_change(frame: bytes, token: int | None, pending_inquiry: str | None) -> Reply:
    if frame[1:] != bytes([NETWORK_CHANGE, TERMINATOR]):
        return Garbage(token, frame, "unknown reply type")
    return Notice(token, text="network change (z0 38 FF)")


#: Reply parsers by the high nibble of the second byte: 3 network change, 4 ACK,
#: 5 completion/answer, 6 error.
_REPLY_PARSERS: dict[int, Callable[[bytes, int | None, str | None], Reply]] = {
    0x3: _network_change,
    0x4: _ack,
    0x5: _completion,
    0x6: _error,
}


def parse_reply(frame: bytes, token: int | None, pending_inquiry: str | None) -> Reply:
    """One complete reply frame ``z0 … FF`` → a Reply event; Garbage for anything else.

    ``pending_inquiry`` names the inquiry in flight (an :data:`INQUIRIES` key) so that
    ``z0 50 <data> FF`` decodes into its values.
    """
    if len(frame) < 3 or frame[-1] != TERMINATOR or TERMINATOR in frame[:-1]:
        return Garbage(token, frame, "not one frame ending in FF")
    if not is_reply_start(frame[0]):
        return Garbage(token, frame, "not a reply start byte")
    parser = _REPLY_PARSERS.get(frame[1] >> 4)
    if parser is None:
        return Garbage(token, frame, "unknown reply type")
    return parser(frame, token, pending_inquiry)


# --------------------------------------------------------------------------- stream reassembly


class FrameSplitter(StreamSplitter):
    """Cut a byte stream into ``FF``-terminated frames that open with a given start byte.

    Bytes before a start byte are junk. Start bytes never occur inside a frame (data bytes
    are nibbles or small numbers), so a start byte before the FF means the frame in hand
    lost its FF: it becomes junk and the new frame is read, so one lost FF costs one frame,
    not the stream. More than :data:`MAX_FRAME` bytes without FF or a new start are junk.
    """

    def __init__(self, is_start: Callable[[int], bool]) -> None:
        super().__init__()
        self._is_start = is_start

    def _find_start(self, buffer: bytearray) -> int | None:
        return next((i for i, byte in enumerate(buffer) if self._is_start(byte)), None)

    def _cut(self, buffer: bytearray) -> Cut | None:
        end = next(
            (i for i, byte in enumerate(buffer) if i and (byte == TERMINATOR or self._is_start(byte))),
            None,
        )
        if end is None:
            if len(buffer) <= MAX_FRAME:
                return None
            return Cut(len(buffer), f"no FF within {MAX_FRAME} bytes")
        if end + 1 > MAX_FRAME:
            return Cut(end + 1 if buffer[end] == TERMINATOR else end, f"no FF within {MAX_FRAME} bytes")
        if buffer[end] != TERMINATOR:
            # Another frame starts before this one ended: this one lost its FF.
            return Cut(end, "frame cut short")
        return Cut(end + 1)


def replies_from(pieces: list[Piece], token: int | None, pending_inquiry: str | None) -> list[Reply]:
    """Reply events for the pieces a splitter found."""
    return [
        Garbage(token, piece.data, piece.junk) if piece.junk else parse_reply(piece.data, token, pending_inquiry)
        for piece in pieces
    ]
