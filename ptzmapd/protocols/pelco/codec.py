"""Pelco-D and Pelco-P: frames, checksums, speed scaling and reading frames back (sans-io).

This module owns both Pelco dialects. They share one body of four command bytes (two bytes
of function bits, pan speed, tilt speed; presets put an operation in the second byte and the
number in the fourth) and differ in framing, checksum, address base, turbo value and which
bit means what. Each dialect is one :class:`Dialect` row, and encoding a command and reading
a frame back (DEBUG traces, the simulated dome) use the same rows.

ERRATA: the Move 4K manual prints the Pelco-D table under its Pelco-P heading. Real Pelco-P
is ``A0 addr d1 d2 d3 d4 AF xor`` with a zero-based address, and its focus/iris bits differ
from Pelco-D's. RS-485 wiring is often one-way, so no Pelco frame expects a reply: the
controller repeats stops and refreshes held motion instead.

A Pelco frame states everything the dome should do at once (pan, tilt, zoom, focus, iris):
a zoom-only frame stops a running pan. So the codec remembers the newest value it encoded
for each motion slot and every motion frame carries all of them; :meth:`PelcoCodec.key`
still describes one command alone, which is what the controller compares.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar

from ptzmapd.commands import (
    CameraAction,
    Command,
    Focus,
    Home,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.vocabulary import MOTION_ACTIONS, PRESET_CLEAR, named_capabilities, raw_capability
from ptzmapd.protocols.base import Garbage, Outgoing, Reply, SpeedLimits
from ptzmapd.protocols.pairing import ONE_WAY, Pairing
from ptzmapd.protocols.framing import Cut, StreamSplitter
from ptzmapd.protocols.units import NotHex, drive_level, hexbytes, parse_hex, speed_sign

#: Pan/tilt speed bytes 0x00-0x3F (ERRATA); turbo is a dialect's own value above that.
PAN_TOP = 0x3F
TILT_TOP = 0x3F
#: The four command bytes between the address and the framing/checksum.
BODY_LENGTH = 4

#: Presets: the operation in the second command byte, the number in the fourth (ERRATA:
#: Pelco-D d2, Pelco-P d4 — the same place in the shared body).
PRESET_OPERATIONS: dict[int, str] = {0x03: "set", 0x05: "clear", 0x07: "goto"}
_PRESET_BYTE: dict[str, int] = {name: byte for byte, name in PRESET_OPERATIONS.items()}
PRESET_NUMBERS = range(1, 256)
#: Pelco has no "home" command. Pelco's own domes reserve preset 34 for "pan zero" (go to the
#: factory zero pan position; Pelco manual C466M-E section 4.3, and its extended-command table
#: lists "Zero pan position 00 07 00 22" as a goto of preset 34), and many third-party Pelco
#: domes copy that. So ``home`` is a goto of preset 34: it pans to zero and leaves tilt and zoom.
HOME_PRESET = 34

#: The words of each axis's directions; a dialect's bit table is keyed by these words.
DIRECTIONS: dict[str, dict[int, str]] = {
    "pan": {1: "right", -1: "left"},
    "tilt": {1: "up", -1: "down"},
    "zoom": {1: "tele", -1: "wide"},
    "focus": {1: "far", -1: "near"},
    "iris": {1: "iris open", -1: "iris close"},
}

#: ``iris`` action modes (ptzmapd.vocabulary) and the direction each drives the iris.
IRIS_MODES: dict[str, int] = {"open": 1, "up": 1, "close": -1, "down": -1}

#: What a binding can ask of a Pelco camera (the vocabulary of :mod:`ptzmapd.vocabulary`),
#: read from the tables of this module: no autofocus and no position inquiries in Pelco.
CAPABILITIES: frozenset[str] = (
    frozenset(MOTION_ACTIONS)
    | {"stop", "home", "preset", PRESET_CLEAR, raw_capability("pelco")}
    | named_capabilities(("iris", mode) for mode in IRIS_MODES)
)


@dataclass(frozen=True, slots=True)
class Motion:
    """What one PTZ frame asks of every axis: a direction (-1, 0, +1) each, and the pan/tilt
    speed bytes as sent (a stopped axis sends 0)."""

    pan: int = 0
    pan_speed: int = 0
    tilt: int = 0
    tilt_speed: int = 0
    zoom: int = 0
    focus: int = 0
    iris: int = 0


STOPPED = Motion()


def _sum_after_sync(head: bytes) -> int:
    # ERRATA: Pelco-D sums address..d2; the sync byte is left out.
    return sum(head[1:]) & 0xFF


def _xor_all(head: bytes) -> int:
    # ERRATA: Pelco-P XORs all seven bytes before the check, STX and ETX included.
    return functools.reduce(operator.xor, head, 0)


@dataclass(frozen=True, slots=True)
class Dialect:
    """One Pelco dialect: its framing and its meaning of each function bit."""

    name: str
    #: Sync (Pelco-D) or STX (Pelco-P).
    start: int
    #: Bytes after the body and before the check byte (Pelco-P's ETX).
    trailer: bytes
    #: The check byte, computed over everything before it.
    checksum: Callable[[bytes], int]
    #: Wire address = dial address - this (ERRATA: Pelco-P is zero-based).
    address_offset: int
    #: Addresses as the dial shows them.
    addresses: range
    #: The pan speed byte that means turbo.
    turbo: int
    #: Direction word -> (index of the command byte in the body: 0 or 1, bit mask).
    bits: dict[str, tuple[int, int]]

    @property
    def length(self) -> int:
        return 2 + BODY_LENGTH + len(self.trailer) + 1

    def frame(self, address: int, body: bytes) -> bytes:
        """The whole frame for a four-byte body to the dome whose dial shows ``address``."""
        head = bytes([self.start, address - self.address_offset]) + body + self.trailer
        return head + bytes([self.checksum(head)])

    def is_frame(self, data: bytes) -> bool:
        """Whether ``data`` is exactly one frame with a good checksum."""
        return (
            len(data) == self.length
            and data[0] == self.start
            and data[2 + BODY_LENGTH : -1] == self.trailer
            and self.checksum(data[:-1]) == data[-1]
        )

    def motion_body(self, motion: Motion) -> bytes:
        command = [0, 0]
        for axis, words in DIRECTIONS.items():
            direction = getattr(motion, axis)
            if direction:
                index, mask = self.bits[words[direction]]
                command[index] |= mask
        return bytes(command + [motion.pan_speed if motion.pan else 0, motion.tilt_speed if motion.tilt else 0])

    def read_motion(self, body: bytes) -> Motion | None:
        """The motion a PTZ body asks for; None for bits this table does not know, or both
        directions of one axis at once."""
        known = [0, 0]
        for index, mask in self.bits.values():
            known[index] |= mask
        if body[0] & ~known[0] or body[1] & ~known[1]:
            return None
        directions: dict[str, int] = {}
        for axis, words in DIRECTIONS.items():
            found = [direction for direction, word in words.items() if body[self.bits[word][0]] & self.bits[word][1]]
            if len(found) > 1:
                return None
            directions[axis] = found[0] if found else 0
        return Motion(
            pan=directions["pan"], pan_speed=body[2] if directions["pan"] else 0,
            tilt=directions["tilt"], tilt_speed=body[3] if directions["tilt"] else 0,
            zoom=directions["zoom"], focus=directions["focus"], iris=directions["iris"],
        )

    def motion_text(self, motion: Motion) -> str:
        """``pan left 0x20, tilt stop``, ``zoom tele``, ``stop``: how logs and the simulator
        show a PTZ frame (the words of the VISCA traces)."""
        if motion == STOPPED:
            return "stop"
        parts: list[str] = []
        if motion.pan or motion.tilt:
            for axis, direction, speed in (("pan", motion.pan, motion.pan_speed), ("tilt", motion.tilt, motion.tilt_speed)):
                if not direction:
                    parts.append(f"{axis} stop")
                elif axis == "pan" and speed == self.turbo:
                    parts.append(f"pan {DIRECTIONS['pan'][direction]} turbo")
                else:
                    parts.append(f"{axis} {DIRECTIONS[axis][direction]} 0x{speed:02X}")
        for axis in ("zoom", "focus"):
            direction = getattr(motion, axis)
            if direction:
                parts.append(f"{axis} {DIRECTIONS[axis][direction]}")
        if motion.iris:
            parts.append(DIRECTIONS["iris"][motion.iris])
        return ", ".join(parts)


PELCO_D = Dialect(
    name="pelco-d",
    start=0xFF,
    trailer=b"",
    checksum=_sum_after_sync,
    address_offset=0,
    addresses=range(1, 256),
    turbo=0xFF,
    # ERRATA: cmd1 0x01 focus near, 0x02 iris open, 0x04 iris close; cmd2 0x02 right ...
    # 0x80 focus far. (The Move 4K manual's "Focus Near 0x00 0x00" row is wrong.)
    bits={
        "near": (0, 0x01), "iris open": (0, 0x02), "iris close": (0, 0x04),
        "right": (1, 0x02), "left": (1, 0x04), "up": (1, 0x08), "down": (1, 0x10),
        "tele": (1, 0x20), "wide": (1, 0x40), "far": (1, 0x80),
    },
)

PELCO_P = Dialect(
    name="pelco-p",
    start=0xA0,
    trailer=b"\xaf",
    checksum=_xor_all,
    # ERRATA: Pelco-P addresses are zero-based on the wire: the dial's camera 1 is 0x00.
    address_offset=1,
    addresses=range(1, 257),
    turbo=0x40,
    # ERRATA: d1 0x01 focus far, 0x02 focus near, 0x04 iris open, 0x08 iris close; d2 as Pelco-D.
    bits={
        "far": (0, 0x01), "near": (0, 0x02), "iris open": (0, 0x04), "iris close": (0, 0x08),
        "right": (1, 0x02), "left": (1, 0x04), "up": (1, 0x08), "down": (1, 0x10),
        "tele": (1, 0x20), "wide": (1, 0x40),
    },
)

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (PELCO_D, PELCO_P)}


# --------------------------------------------------------------------------- reading frames


@dataclass(frozen=True, slots=True)
class PelcoFrame:
    """A frame read back into its parts: what a dome (the simulator) acts on.

    ``action`` is ``motion`` (see ``motion``), ``preset set`` / ``preset clear`` /
    ``preset goto`` (see ``number``), or ``unknown`` (a command this module has no row for).
    """

    address: int
    body: bytes
    action: str
    text: str
    motion: Motion | None = None
    number: int | None = None


def read_frame(dialect: Dialect, frame: bytes) -> PelcoFrame | None:
    """One frame with a good checksum read into its parts; None if it is not one."""
    if not dialect.is_frame(frame):
        return None
    address = frame[1] + dialect.address_offset
    body = frame[2 : 2 + BODY_LENGTH]
    if body[1] & 0x01:
        # Bit 0 of the second command byte marks an extended command (presets and more).
        operation = PRESET_OPERATIONS.get(body[1])
        if operation is not None and body[0] == 0 and body[2] == 0:
            return PelcoFrame(address, body, f"preset {operation}", f"preset {operation} {body[3]}", number=body[3])
        return PelcoFrame(address, body, "unknown", f"unknown {hexbytes(body)}")
    motion = dialect.read_motion(body)
    if motion is None:
        return PelcoFrame(address, body, "unknown", f"unknown {hexbytes(body)}")
    return PelcoFrame(address, body, "motion", dialect.motion_text(motion), motion=motion)


class PelcoSplitter(StreamSplitter):
    """Cut a byte stream into frames of one dialect, resynchronising after garbage.

    A frame is a start byte, the right length and a good checksum. The start byte can also
    occur inside a frame (Pelco-D's 0xFF turbo speed, any checksum), so a candidate with a
    bad checksum costs one byte: the search goes on from the next start byte.
    """

    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self.dialect = dialect

    def _find_start(self, buffer: bytearray) -> int | None:
        start = buffer.find(self.dialect.start)
        return None if start < 0 else start

    def _cut(self, buffer: bytearray) -> Cut | None:
        length = self.dialect.length
        if len(buffer) < length:
            return None
        if not self.dialect.is_frame(bytes(buffer[:length])):
            return Cut(1, "bad checksum or framing")
        return Cut(length)


def describe_frames(dialect: Dialect, data: bytes) -> str:
    """Readable text for bytes holding one or more frames (an iris step is two)."""
    splitter = PelcoSplitter(dialect)
    texts: list[str] = []
    for piece in splitter.feed(data):
        frame = None if piece.junk else read_frame(dialect, piece.data)
        texts.append(frame.text if frame is not None else f"garbage {hexbytes(piece.data)}")
    texts.extend(f"garbage {hexbytes(piece.data)}" for piece in splitter.flush())
    return " + ".join(texts) if texts else "nothing"


# --------------------------------------------------------------------------- raw commands


def parse_pelco_raw(text: str) -> bytes:
    """The four command bytes of a raw Pelco action (``"00 07 00 05"``: cmd1 cmd2 data1 data2
    for Pelco-D, d1 d2 d3 d4 for Pelco-P); the codec adds sync, address and checksum.

    ValueError with a message that shows the expected form.
    """
    try:
        body = parse_hex(text)
    except NotHex:
        raise ValueError(
            f"pelco raw command must be 4 hex bytes (cmd1 cmd2 data1 data2, e.g. '00 07 00 05'), got {text!r}"
        ) from None
    if len(body) != BODY_LENGTH:
        raise ValueError(
            f"pelco raw command must be 4 hex bytes (cmd1 cmd2 data1 data2, e.g. '00 07 00 05'), "
            f"got {len(body)} byte(s) in {text!r}"
        )
    return body


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one command becomes: the bodies to send, in order, and the motion the dome is
    left with (what later motion frames carry along)."""

    bodies: tuple[bytes, ...]
    motion: Motion


def _pantilt(codec: "PelcoCodec", command: PanTilt, motion: Motion) -> _Plan:
    pan, tilt = speed_sign(command.pan), speed_sign(command.tilt)
    pan_top = min(max(codec.limits.pan, 1), PAN_TOP)
    pan_speed = drive_level(command.pan, pan_top) if pan else 0
    if pan and codec.turbo and abs(command.pan) >= 1.0 and codec.limits.pan >= PAN_TOP:
        # Turbo only at full deflection, and only when the camera's top speed is not capped.
        pan_speed = codec.dialect.turbo
    tilt_speed = drive_level(command.tilt, min(max(codec.limits.tilt, 1), TILT_TOP)) if tilt else 0
    moved = replace(motion, pan=pan, pan_speed=pan_speed, tilt=tilt, tilt_speed=tilt_speed)
    return _Plan((codec.dialect.motion_body(moved),), moved)


def _zoom(codec: "PelcoCodec", command: Zoom, motion: Motion) -> _Plan:
    # Zoom and focus are on/off in Pelco (PELCO_LIMITS zoom/focus 1): any speed moves.
    moved = replace(motion, zoom=speed_sign(command.speed))
    return _Plan((codec.dialect.motion_body(moved),), moved)


def _focus(codec: "PelcoCodec", command: Focus, motion: Motion) -> _Plan:
    moved = replace(motion, focus=speed_sign(command.speed))
    return _Plan((codec.dialect.motion_body(moved),), moved)


def _preset(operation: str, number: int, motion: Motion) -> _Plan:
    if number not in PRESET_NUMBERS:
        raise ProtocolError(
            f"pelco preset number must be {PRESET_NUMBERS.start}..{PRESET_NUMBERS.stop - 1}, got {number!r}"
        )
    return _Plan((bytes([0x00, _PRESET_BYTE[operation], 0x00, number]),), motion)


def _recall(codec: "PelcoCodec", command: PresetRecall, motion: Motion) -> _Plan:
    return _preset("goto", command.number, motion)


def _store(codec: "PelcoCodec", command: PresetStore, motion: Motion) -> _Plan:
    return _preset("set", command.number, motion)


def _clear(codec: "PelcoCodec", command: PresetClear, motion: Motion) -> _Plan:
    return _preset("clear", command.number, motion)


def _home(codec: "PelcoCodec", command: Home, motion: Motion) -> _Plan:
    return _preset("goto", HOME_PRESET, motion)


def _action(codec: "PelcoCodec", command: CameraAction, motion: Motion) -> _Plan:
    direction = IRIS_MODES.get(command.mode) if command.name == "iris" else None
    if direction is None:
        raise ProtocolError(
            f"{codec.dialect.name} cannot do {command.name!r} mode {command.mode!r} "
            f"(valid: iris {', '.join(IRIS_MODES)})"
        )
    # A momentary step: the iris moves while the bit is set, so the iris frame is followed at
    # once by the same motion without it. Both carry the motion of the other axes along.
    stepped = replace(motion, iris=direction)
    return _Plan((codec.dialect.motion_body(stepped), codec.dialect.motion_body(motion)), motion)


def _raw(codec: "PelcoCodec", command: RawCommand, motion: Motion) -> _Plan:
    if command.kind not in ("", "pelco"):
        raise ProtocolError(f"{codec.dialect.name} cannot send a raw {command.kind} command")
    try:
        return _Plan((parse_pelco_raw(command.text),), motion)
    except ValueError as error:
        raise ProtocolError(str(error)) from None


#: Command type -> its plan. Each encoder is typed for its own command class; the table holds
#: them loosely because a dict cannot pair key and value types.
_ENCODERS: dict[type[Command], Callable[[Any, Any, Motion], _Plan]] = {
    PanTilt: _pantilt,
    Zoom: _zoom,
    Focus: _focus,
    PresetRecall: _recall,
    PresetStore: _store,
    PresetClear: _clear,
    Home: _home,
    CameraAction: _action,
    RawCommand: _raw,
}


class PelcoCodec:
    """One Pelco dome on a bus. Frames never expect a reply; bytes from the line (echoes of
    the bus, answers of domes that do talk) are only checked, and garbage is reported."""

    text_wire = False

    dialect: ClassVar[Dialect]

    #: Nothing answers on one-way wiring.
    pairing: Pairing = ONE_WAY

    def __init__(self, limits: SpeedLimits, address: int, turbo: bool = False) -> None:
        if address not in self.dialect.addresses:
            raise ProtocolError(
                f"{self.dialect.name} camera address must be "
                f"{self.dialect.addresses.start}..{self.dialect.addresses.stop - 1}, got {address!r}"
            )
        self.limits = limits
        self.address = address
        self.turbo = turbo
        #: The newest value encoded for every axis: what each motion frame carries along.
        self._motion = STOPPED
        self._splitter = PelcoSplitter(self.dialect)

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        self._splitter.clear()
        return []

    def _plan(self, command: Command, motion: Motion) -> _Plan:
        encoder = _ENCODERS.get(type(command))
        if encoder is None:
            valid = ", ".join(kind.__name__ for kind in _ENCODERS)
            raise ProtocolError(f"{self.dialect.name} cannot send {type(command).__name__} (valid: {valid})")
        return encoder(self, command, motion)

    def _frames(self, plan: _Plan) -> bytes:
        return b"".join(self.dialect.frame(self.address, body) for body in plan.bodies)

    def key(self, command: Command) -> bytes:
        """The frame(s) of ``command`` on a dome otherwise at rest: one slot's value alone."""
        return self._frames(self._plan(command, STOPPED))

    def encode(self, command: Command) -> Outgoing:
        plan = self._plan(command, self._motion)
        self._motion = plan.motion
        return Outgoing(self._frames(plan), token=None, expects_reply=False)

    def receive(self, data: bytes) -> list[Reply]:
        # Good frames are echoes of the bus or answers nobody asked for: nothing to act on.
        return [Garbage(None, piece.data, piece.junk) for piece in self._splitter.feed(data) if piece.junk]

    def describe(self, data: bytes) -> str:
        return describe_frames(self.dialect, data)


class PelcoDCodec(PelcoCodec):
    dialect = PELCO_D


class PelcoPCodec(PelcoCodec):
    dialect = PELCO_P
