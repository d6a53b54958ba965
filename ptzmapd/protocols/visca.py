"""Raw VISCA: command frames, reply parsing and stream reassembly (sans-io).

This module owns the VISCA message layer that every VISCA transport shares: the bytes of
each command (``8x … FF``), the speed scaling from normalised -1..1 speeds to VISCA levels,
the parsing of replies (``z0 4y FF`` ACK, ``z0 5y FF`` completion, ``z0 50 … FF`` inquiry
answers, ``z0 6y EE FF`` errors), reading a command frame back into its parts (for logs and
the simulated camera), and splitting a byte stream on the ``FF`` terminator. It also owns
the named camera actions VISCA has (:data:`NAMED_COMMANDS`, :data:`DIRECT_COMMANDS`), raw
frames written in a config (:func:`parse_visca_raw`), and what all of that lets a binding do
(:data:`CAPABILITIES`, which every VISCA protocol declares).

:class:`ViscaCodec` is the codec for bare frames (PTZOptics UDP 1259 and TCP 5678);
:mod:`ptzmapd.protocols.visca_ip` wraps the same payloads in the Sony header.

The tables below are the single source of truth for both directions: encoding a command
and reading a frame back use the same rows, so a new camera action is one new row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

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
    PresetClear,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.vocabulary import (
    DIRECT_MODE,
    LEVELS,
    MOTION_ACTIONS,
    NAMED_ACTIONS,
    PRESET_CLEAR,
    named_capabilities,
    raw_capability,
)
from ptzmapd.protocols.base import (
    Ack,
    Completion,
    ErrorReply,
    Garbage,
    InquiryAnswer,
    Notice,
    Outgoing,
    Reply,
    SpeedLimits,
    UnreadableAnswer,
)
from ptzmapd.protocols.pairing import VISCA_SOCKETS, Pairing
from ptzmapd.protocols.framing import Cut, Piece, StreamSplitter

TERMINATOR = 0xFF
#: VISCA messages are 3..16 bytes long, terminator included.
MAX_FRAME = 16
#: Camera addresses 1..7 (8 is the serial broadcast address).
ADDRESSES = range(1, 8)

#: The protocol's own top levels: Pan_TiltDrive VV 0x01-0x18, WW 0x01-0x14, zoom/focus p 0-7.
PAN_TOP = 0x18
TILT_TOP = 0x14
VARIABLE_TOP = 7

#: Preset memory numbers the command can carry (ERRATA: sent as is, 0-127).
PRESET_NUMBERS = range(0, 128)


@dataclass(frozen=True, slots=True)
class Dialect:
    """Where VISCA vendors differ (ERRATA "One-push autofocus" and "Presets").

    ``one_push`` is the body of the one-push autofocus command (a :data:`FIXED_COMMANDS`
    name); ``preset_base`` is the preset number the vendor's own menus and remotes show for
    memory 0: a user's preset N goes out as memory ``N - preset_base``.
    """

    name: str
    one_push: str
    preset_base: int


#: A camera's ``dialect:``. PTZOptics (the vendor of the tables in specs/) shows the memory
#: number as is and triggers one-push AF with ``8x 01 04 38 04 FF``; Sony (and BirdDog, which
#: follows Sony's numbering) shows memory 0 as preset 1 and uses CAM_AF One Push Trigger
#: ``8x 01 04 18 01 FF`` (Sony's VISCA command lists, e.g. the BRC-X400 / SRG-X400 technical
#: manual; ERRATA).
DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (
        Dialect("ptzoptics", one_push="autofocus one-push", preset_base=0),
        Dialect("sony", one_push="autofocus one-push sony", preset_base=1),
    )
}
DEFAULT_DIALECT = "ptzoptics"


def preset_numbers(preset_base: int) -> range:
    """The preset numbers a user may write for a camera showing memory 0 as ``preset_base``."""
    return range(PRESET_NUMBERS.start + preset_base, PRESET_NUMBERS.stop + preset_base)


def hexbytes(data: bytes) -> str:
    """``81 01 06 01 18 14 02 03 FF``: how traces and tests show VISCA bytes."""
    return " ".join(f"{byte:02X}" for byte in data)


def is_reply_start(byte: int) -> bool:
    """A reply opens with ``z0``, z = camera address + 8 (0x90 for camera 1, up to 0xF0)."""
    return 0x90 <= byte <= 0xF0 and byte & 0x0F == 0


def is_command_start(byte: int) -> bool:
    """A command opens with ``8x``: x = 1..7 a camera, 8 the serial broadcast."""
    return 0x81 <= byte <= 0x88


# --------------------------------------------------------------------------- speed scaling


def _finite(speed: float) -> float:
    if not math.isfinite(speed):
        raise ProtocolError(f"speed must be a finite number in -1..1, got {speed!r}")
    return speed


def drive_level(speed: float, top: int) -> int:
    """Pan/tilt level 1..top for a nonzero normalised speed; full deflection gives ``top``.

    The 1e-9 keeps exact fractions (0.5 * 0x18 = 12) from rounding up a level through
    floating-point noise.
    """
    return min(top, max(1, math.ceil(min(1.0, abs(_finite(speed))) * top - 1e-9)))


def variable_level(speed: float, top: int) -> int:
    """Zoom/focus ``p`` 0..top for a nonzero speed: the range is cut into top+1 equal bands."""
    return min(top, max(0, math.ceil(min(1.0, abs(_finite(speed))) * (top + 1) - 1e-9) - 1))


def _direction(speed: float) -> int:
    """+1, -1 or 0 (stop); ProtocolError for NaN or infinity."""
    return (_finite(speed) > 0) - (speed < 0)


# --------------------------------------------------------------------------- the tables


@dataclass(frozen=True, slots=True)
class DriveAxis:
    """One axis of Pan_TiltDrive ``8x 01 06 01 VV WW pp tt FF``."""

    name: str
    top: int
    #: The pp/tt byte for a direction (+1 = right/up, -1 = left/down, 0 = stop).
    byte_of: dict[int, int]
    word_of: dict[int, str]

    def direction_of(self, byte: int) -> int | None:
        for direction, candidate in self.byte_of.items():
            if candidate == byte:
                return direction
        return None


# Pan and tilt number their directions the other way round: pan 01 is left, tilt 01 is up.
PAN_AXIS = DriveAxis("pan", PAN_TOP, {-1: 0x01, 1: 0x02, 0: 0x03}, {-1: "left", 1: "right"})
TILT_AXIS = DriveAxis("tilt", TILT_TOP, {1: 0x01, -1: 0x02, 0: 0x03}, {1: "up", -1: "down"})
PANTILT_DRIVE = bytes.fromhex("01 06 01")
#: A stopped axis still carries a speed byte; some cameras reject 0x00 there.
STOPPED_SPEED = 0x01


@dataclass(frozen=True, slots=True)
class VariableAxis:
    """Zoom or focus drive ``8x 01 04 <opcode> {00 stop | 2p | 3p} FF``."""

    name: str
    opcode: int
    #: Words for the 2p (+1: tele, far) and 3p (-1: wide, near) directions.
    word_of: dict[int, str]


ZOOM_AXIS = VariableAxis("zoom", 0x07, {1: "tele", -1: "wide"})
FOCUS_AXIS = VariableAxis("focus", 0x08, {1: "far", -1: "near"})
VARIABLE_AXES: dict[int, VariableAxis] = {axis.opcode: axis for axis in (ZOOM_AXIS, FOCUS_AXIS)}
#: High nibble of the zoom/focus byte by direction; the low nibble is p.
_VARIABLE_NIBBLE = {1: 0x20, -1: 0x30}

#: CAM_Memory ``8x 01 04 3F 0a pp FF``: the operation byte a.
MEMORY = bytes.fromhex("01 04 3F")
MEMORY_OPERATIONS: dict[int, str] = {0x00: "reset", 0x01: "store", 0x02: "recall"}
_MEMORY_BYTE: dict[str, int] = {name: byte for byte, name in MEMORY_OPERATIONS.items()}

#: Named camera actions (:data:`~ptzmapd.vocabulary.NAMED_ACTIONS`) that VISCA has:
#: (action, mode) → the bytes between the address and FF, as the PTZOptics VISCA tables
#: (``specs/ptzoptics-visca-over-ip-commands.txt``, the Move 4K manual) print them.
NAMED_COMMANDS: dict[tuple[str, str], bytes] = {
    ("power", "on"): bytes.fromhex("01 04 00 02"),
    ("power", "off"): bytes.fromhex("01 04 00 03"),
    # The same bytes as autofocus on/off/toggle: the two names are one VISCA command.
    ("focus-mode", "auto"): bytes.fromhex("01 04 38 02"),
    ("focus-mode", "manual"): bytes.fromhex("01 04 38 03"),
    ("focus-mode", "toggle"): bytes.fromhex("01 04 38 10"),
    # Focus Lock is a PTZOptics extension: category 0A, not 01.
    ("focus-lock", "on"): bytes.fromhex("0A 04 68 02"),
    ("focus-lock", "off"): bytes.fromhex("0A 04 68 03"),
    ("white-balance", "auto"): bytes.fromhex("01 04 35 00"),
    ("white-balance", "indoor"): bytes.fromhex("01 04 35 01"),
    ("white-balance", "outdoor"): bytes.fromhex("01 04 35 02"),
    ("white-balance", "one-push"): bytes.fromhex("01 04 35 03"),
    ("white-balance", "manual"): bytes.fromhex("01 04 35 05"),
    ("white-balance", "color-temperature"): bytes.fromhex("01 04 35 20"),
    # The trigger measures white once; the camera must be in the one-push mode above.
    ("white-balance-trigger", "one-push"): bytes.fromhex("01 04 10 05"),
    ("exposure", "auto"): bytes.fromhex("01 04 39 00"),
    ("exposure", "manual"): bytes.fromhex("01 04 39 03"),
    ("exposure", "shutter-priority"): bytes.fromhex("01 04 39 0A"),
    ("exposure", "iris-priority"): bytes.fromhex("01 04 39 0B"),
    ("exposure", "bright"): bytes.fromhex("01 04 39 0D"),
    ("iris", "reset"): bytes.fromhex("01 04 0B 00"),
    ("iris", "up"): bytes.fromhex("01 04 0B 02"),
    ("iris", "down"): bytes.fromhex("01 04 0B 03"),
    ("shutter", "reset"): bytes.fromhex("01 04 0A 00"),
    ("shutter", "up"): bytes.fromhex("01 04 0A 02"),
    ("shutter", "down"): bytes.fromhex("01 04 0A 03"),
    ("gain", "reset"): bytes.fromhex("01 04 0C 00"),
    ("gain", "up"): bytes.fromhex("01 04 0C 02"),
    ("gain", "down"): bytes.fromhex("01 04 0C 03"),
    ("bright", "reset"): bytes.fromhex("01 04 0D 00"),
    ("bright", "up"): bytes.fromhex("01 04 0D 02"),
    ("bright", "down"): bytes.fromhex("01 04 0D 03"),
    ("backlight", "on"): bytes.fromhex("01 04 33 02"),
    ("backlight", "off"): bytes.fromhex("01 04 33 03"),
    # CAM_Flip: one command for both directions (Flip-HV is in the Move 4K manual's table
    # and in CAM_FlipInq's answers). A ceiling mount needs "both".
    ("flip", "off"): bytes.fromhex("01 04 A4 00"),
    ("flip", "horizontal"): bytes.fromhex("01 04 A4 01"),
    ("flip", "vertical"): bytes.fromhex("01 04 A4 02"),
    ("flip", "both"): bytes.fromhex("01 04 A4 03"),
    # CAM_TallyLight 8x 0A 02 02 0p FF: p = 1 flashing, 2 always on, 3 normal (off).
    ("tally", "on"): bytes.fromhex("0A 02 02 02"),
    ("tally", "off"): bytes.fromhex("0A 02 02 03"),
    ("tally", "flash"): bytes.fromhex("0A 02 02 01"),
    # OSD_Control. ERRATA: PTZOptics reserves presets 90-99 for functions, and recalling 95
    # is its menu key, the table's "Open / Close": on an open menu it closes it. "close" is
    # a close that never opens (8x 01 06 06 03 FF, SYS_Menu off).
    ("menu", "open"): bytes.fromhex("01 04 3F 02 5F"),
    ("menu", "close"): bytes.fromhex("01 06 06 03"),
    # With the menu open the camera reads Pan_TiltDrive at speed 0x0E as a cursor key;
    # with it closed these move the camera like any drive command.
    ("menu", "up"): bytes.fromhex("01 06 01 0E 0E 03 01"),
    ("menu", "down"): bytes.fromhex("01 06 01 0E 0E 03 02"),
    ("menu", "left"): bytes.fromhex("01 06 01 0E 0E 01 03"),
    ("menu", "right"): bytes.fromhex("01 06 01 0E 0E 02 03"),
    ("menu", "enter"): bytes.fromhex("01 06 06 05"),
    ("menu", "back"): bytes.fromhex("01 06 06 04"),
    # CAM_SettingSave: keeps the picture settings over a power cycle.
    ("save-settings", "save"): bytes.fromhex("01 04 A5 10"),
}

#: Named actions whose ``direct`` mode sets a level: the bytes before the level, which goes
#: out as two nibble bytes ``0p 0q`` (``8x 01 04 4B 00 00 0p 0q FF`` for iris 0xpq).
DIRECT_COMMANDS: dict[str, bytes] = {
    "iris": bytes.fromhex("01 04 4B 00 00"),
    "shutter": bytes.fromhex("01 04 4A 00 00"),
    # ERRATA: Gain Direct is 4C and Bright Direct 4D; the tables print 0C / 0D, which are
    # the Reset/Up/Down commands above (the Bright inquiry 8x 09 04 4D agrees).
    "gain": bytes.fromhex("01 04 4C 00 00"),
    "bright": bytes.fromhex("01 04 4D 00 00"),
}

#: Commands without parameters: readable name → the bytes between the address and FF. A
#: named action's rows read as ``"<action> <mode>"`` (``tally on``).
FIXED_COMMANDS: dict[str, bytes] = {
    "home": bytes.fromhex("01 06 04"),
    "autofocus on": bytes.fromhex("01 04 38 02"),
    "autofocus off": bytes.fromhex("01 04 38 03"),
    "autofocus toggle": bytes.fromhex("01 04 38 10"),
    # ERRATA: one-push autofocus differs by vendor (see DIALECTS); the PTZOptics tables'
    # "OnePush Auto Focus" focuses once and stays in manual focus.
    "autofocus one-push": bytes.fromhex("01 04 38 04"),
    # Sony's CAM_AF One Push Trigger (Sony VISCA command lists; ERRATA "One-push autofocus").
    "autofocus one-push sony": bytes.fromhex("01 04 18 01"),
    **{f"{name} {mode}": body for (name, mode), body in NAMED_COMMANDS.items()},
}
#: Reading a frame back: the first name with those bytes (``autofocus on`` before the
#: ``focus-mode auto`` that is the same command).
_FIXED_BY_BODY: dict[bytes, str] = {body: name for name, body in reversed(FIXED_COMMANDS.items())}


def named_mode_known(name: str, mode: str) -> bool:
    """Whether VISCA encodes the named action ``name`` in ``mode``."""
    return (name, mode) in NAMED_COMMANDS or (mode == DIRECT_MODE and name in DIRECT_COMMANDS)


#: What a binding can ask of a VISCA camera (the vocabulary of :mod:`ptzmapd.vocabulary`),
#: read from the tables of this module. Every VISCA protocol declares exactly this.
CAPABILITIES: frozenset[str] = (
    frozenset(MOTION_ACTIONS)
    | {"stop", "home", "preset", PRESET_CLEAR, "autofocus", "position", raw_capability("visca")}
    | named_capabilities([*NAMED_COMMANDS, *((name, DIRECT_MODE) for name in DIRECT_COMMANDS)])
)


def _signed16(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


@dataclass(frozen=True, slots=True)
class Inquiry:
    """An inquiry and the shape of its answer ``z0 50 <values as 0n nibble bytes> FF``.

    Each value takes four nibble bytes; ``signed`` says per value whether it is a 16-bit
    two's complement number (pan/tilt positions left of and below centre are negative).
    """

    what: str
    text: str
    body: bytes
    signed: tuple[bool, ...]

    def decode(self, data: bytes) -> tuple[int, ...] | None:
        """The values in an answer's data bytes, or None when the data do not fit."""
        if len(data) != 4 * len(self.signed) or any(byte > 0x0F for byte in data):
            return None
        values: list[int] = []
        for index, signed in enumerate(self.signed):
            value = 0
            for nibble in data[4 * index : 4 * index + 4]:
                value = value << 4 | nibble
            values.append(_signed16(value) if signed else value)
        return tuple(values)

    def answer(self, values: tuple[int, ...], address: int = 1) -> bytes:
        """The answer a camera at ``address`` sends (the simulator's side)."""
        data = bytearray()
        for value in values:
            word = value & 0xFFFF
            data += bytes((word >> shift) & 0x0F for shift in (12, 8, 4, 0))
        return bytes([reply_start(address), 0x50]) + bytes(data) + bytes([TERMINATOR])


INQUIRIES: dict[str, Inquiry] = {
    inquiry.what: inquiry
    for inquiry in (
        Inquiry("pantilt-position", "inquiry pan/tilt position", bytes.fromhex("09 06 12"), (True, True)),
        Inquiry("zoom-position", "inquiry zoom position", bytes.fromhex("09 04 47"), (False,)),
    )
}
_INQUIRY_BY_BODY: dict[bytes, Inquiry] = {inquiry.body: inquiry for inquiry in INQUIRIES.values()}
#: Which inquiry each inquiry command is.
INQUIRY_OF: dict[type[Command], str] = {
    PanTiltPositionInquiry: "pantilt-position",
    ZoomPositionInquiry: "zoom-position",
}

# --------------------------------------------------------------------------- encoding


def _pantilt_body(command: PanTilt, limits: SpeedLimits) -> bytes:
    speed_bytes: list[int] = []
    direction_bytes: list[int] = []
    for axis, speed, limit in ((PAN_AXIS, command.pan, limits.pan), (TILT_AXIS, command.tilt, limits.tilt)):
        top = min(max(limit, 1), axis.top)
        direction = _direction(speed)
        speed_bytes.append(drive_level(speed, top) if direction else STOPPED_SPEED)
        direction_bytes.append(axis.byte_of[direction])
    return PANTILT_DRIVE + bytes(speed_bytes + direction_bytes)


def _variable_body(axis: VariableAxis, speed: float, limit: int) -> bytes:
    direction = _direction(speed)
    if not direction:
        return bytes([0x01, 0x04, axis.opcode, 0x00])
    level = variable_level(speed, min(max(limit, 0), VARIABLE_TOP))
    return bytes([0x01, 0x04, axis.opcode, _VARIABLE_NIBBLE[direction] | level])


def _memory_body(operation: str, number: int, preset_base: int) -> bytes:
    numbers = preset_numbers(preset_base)
    if number not in numbers:
        shown = f" (this camera shows memory 0 as preset {preset_base})" if preset_base else ""
        raise ProtocolError(f"visca preset number must be {numbers.start}..{numbers.stop - 1}{shown}, got {number!r}")
    # ERRATA: the command carries the memory number 0-127; the dialect says which number the
    # camera shows for memory 0 (PTZOptics: preset 1 is 81 01 04 3F 02 01 FF; Sony: 02 00).
    return MEMORY + bytes([_MEMORY_BYTE[operation], number - preset_base])


def _zoom_body(command: Zoom, limits: SpeedLimits) -> bytes:
    return _variable_body(ZOOM_AXIS, command.speed, limits.zoom)


def _focus_body(command: Focus, limits: SpeedLimits) -> bytes:
    return _variable_body(FOCUS_AXIS, command.speed, limits.focus)


def _home_body(command: Home, limits: SpeedLimits) -> bytes:
    return FIXED_COMMANDS["home"]


def _recall_body(command: PresetRecall, dialect: Dialect, preset_base: int) -> bytes:
    return _memory_body("recall", command.number, preset_base)


def _store_body(command: PresetStore, dialect: Dialect, preset_base: int) -> bytes:
    return _memory_body("store", command.number, preset_base)


def _clear_body(command: PresetClear, dialect: Dialect, preset_base: int) -> bytes:
    return _memory_body("reset", command.number, preset_base)  # VISCA calls clearing a memory "reset"


def _autofocus_body(command: Autofocus, dialect: Dialect, preset_base: int) -> bytes:
    return FIXED_COMMANDS[dialect.one_push if command.mode == "one-push" else f"autofocus {command.mode}"]


def _inquiry_body(command: Command, limits: SpeedLimits) -> bytes:
    return INQUIRIES[INQUIRY_OF[type(command)]].body


def _level_nibbles(command: CameraAction) -> bytes:
    levels = LEVELS[command.name]
    if command.level is None or command.level not in levels:
        raise ProtocolError(
            f"visca {command.name} {DIRECT_MODE} needs a level {levels.start}..{levels.stop - 1}, got {command.level!r}"
        )
    return bytes([command.level >> 4, command.level & 0x0F])


def _named_body(command: CameraAction, limits: SpeedLimits) -> bytes:
    if command.mode == DIRECT_MODE and command.name in DIRECT_COMMANDS:
        return DIRECT_COMMANDS[command.name] + _level_nibbles(command)
    body = NAMED_COMMANDS.get((command.name, command.mode))
    if body is None:
        modes = [mode for mode in NAMED_ACTIONS.get(command.name, ()) if named_mode_known(command.name, mode)]
        valid = ", ".join(modes) if modes else "none; it has " + ", ".join(dict.fromkeys(n for n, _ in NAMED_COMMANDS))
        raise ProtocolError(f"visca cannot do {command.name} {command.mode} (valid: {valid})")
    if command.level is not None:
        raise ProtocolError(f"visca {command.name} {command.mode} takes no level (only {DIRECT_MODE} does)")
    return body


def _raw_body(command: RawCommand, limits: SpeedLimits) -> bytes:
    if command.kind not in ("", "visca"):
        raise ProtocolError(f"visca cannot send a raw {command.kind} command")
    # The body alone: encode_payload puts the camera's own address in front.
    return parse_visca_raw(command.text)[1:-1]


#: Command type → the bytes between the address byte and FF. Each encoder is typed for its
#: own command class; the table holds them loosely because a dict cannot pair key and value types.
_ENCODERS: dict[type[Command], Callable[[Any, SpeedLimits], bytes]] = {
    PanTilt: _pantilt_body,
    Zoom: _zoom_body,
    Focus: _focus_body,
    Home: _home_body,
    PanTiltPositionInquiry: _inquiry_body,
    ZoomPositionInquiry: _inquiry_body,
    CameraAction: _named_body,
    RawCommand: _raw_body,
}


#: Commands whose bytes depend on the camera's dialect (:data:`DIALECTS`): the same loose
#: typing as :data:`_ENCODERS`, with the dialect and the preset base instead of the limits.
_DIALECT_ENCODERS: dict[type[Command], Callable[[Any, Dialect, int], bytes]] = {
    PresetRecall: _recall_body,
    PresetStore: _store_body,
    PresetClear: _clear_body,
    Autofocus: _autofocus_body,
}


def encode_payload(
    command: Command,
    limits: SpeedLimits,
    address: int = 1,
    dialect: Dialect = DIALECTS[DEFAULT_DIALECT],
    preset_base: int | None = None,
) -> bytes:
    """The VISCA frame ``8x … FF`` for ``command``; ProtocolError if VISCA cannot say it.

    ``dialect`` decides the bytes where vendors differ; ``preset_base`` (default: the
    dialect's) is the preset number the camera shows for memory 0.
    """
    if address not in ADDRESSES:
        raise ProtocolError(f"visca camera address must be 1..7, got {address!r}")
    worded = _DIALECT_ENCODERS.get(type(command))
    if worded is not None:
        base = dialect.preset_base if preset_base is None else preset_base
        return bytes([0x80 | address]) + worded(command, dialect, base) + bytes([TERMINATOR])
    encoder = _ENCODERS.get(type(command))
    if encoder is None:
        valid = ", ".join(kind.__name__ for kind in [*_ENCODERS, *_DIALECT_ENCODERS])
        raise ProtocolError(f"visca cannot send {type(command).__name__} (valid: {valid})")
    return bytes([0x80 | address]) + encoder(command, limits) + bytes([TERMINATOR])


def parse_visca_raw(text: str, address: int = 1) -> bytes:
    """The frame for a raw VISCA command written in hex (``"81 01 04 38 02 FF"``), with the
    address nibble set to ``address``; ProtocolError saying what is wrong otherwise.

    Bytes are pairs of hex digits, spaced or not (``"8101043802FF"``); the first may be
    written ``8x`` as the spec tables do, since the address is filled in either way. The
    frame opens with ``8x``, ends with its only ``FF`` and is 3..16 bytes long.
    """
    if address not in ADDRESSES:
        raise ProtocolError(f"visca camera address must be 1..7, got {address!r}")
    tokens = text.split()
    if not tokens:
        raise ProtocolError(f"expected VISCA bytes in hex like '81 01 04 38 02 FF', got {text!r}")
    if tokens[0][:2] in ("8x", "8X"):
        tokens[0] = "80" + tokens[0][2:]
    frame = bytearray()
    for token in tokens:
        try:
            if len(token) % 2:
                raise ValueError
            frame += bytes.fromhex(token)
        except ValueError:
            raise ProtocolError(
                f"{token!r} is not hex bytes: write each byte as two hex digits, like '81 01 04 38 02 FF'"
            ) from None
    if frame[0] >> 4 != 0x8:
        raise ProtocolError(f"a VISCA command starts with 8x (x: the camera address), not {frame[0]:02X}")
    if frame[-1] != TERMINATOR:
        raise ProtocolError(f"a VISCA command ends with FF, not {frame[-1]:02X}")
    if TERMINATOR in frame[:-1]:
        raise ProtocolError(f"FF ends a VISCA command, so it cannot be byte {frame.index(TERMINATOR) + 1} as well")
    if not 3 <= len(frame) <= MAX_FRAME:
        raise ProtocolError(f"a VISCA command is 3 to {MAX_FRAME} bytes long, not {len(frame)}")
    frame[0] = 0x80 | address
    return bytes(frame)


def inquiry_what(command: Command) -> str | None:
    """The ``InquiryAnswer.what`` an inquiry command will be answered with, else None."""
    return INQUIRY_OF.get(type(command))


def reply_start(address: int) -> int:
    """The first byte of a reply from the camera at ``address``: z0 with z = address + 8."""
    return (address + 8) << 4


# --------------------------------------------------------------------------- reading commands


@dataclass(frozen=True, slots=True)
class CommandFrame:
    """A command frame read back into its parts: what a camera (the simulator) acts on.

    ``action`` is ``pantilt`` (args: pan direction, VV, tilt direction, WW; direction +1
    right/up, -1 left/down, 0 stop), ``zoom`` / ``focus`` (args: direction, p),
    ``preset recall`` / ``preset store`` / ``preset reset`` (args: memory number), a
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
    for direction, nibble in _VARIABLE_NIBBLE.items():
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
    name = _FIXED_BY_BODY.get(body)
    if name is not None:
        # A named row that is also a parametrised command (menu up is a Pan_TiltDrive, menu
        # open a preset recall) keeps that reading's args, for a camera on which the name
        # does not apply (the menu is closed: menu up moves the camera).
        reading = reader(address, body) if reader is not None else None
        return CommandFrame(address, name, reading.args if reading is not None else (), name)
    inquiry = _INQUIRY_BY_BODY.get(body)
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


# --------------------------------------------------------------------------- the codec


def dialect_of(name: str) -> Dialect:
    """The :data:`DIALECTS` row called ``name``; ProtocolError listing them otherwise."""
    dialect = DIALECTS.get(name)
    if dialect is None:
        raise ProtocolError(f"unknown visca dialect {name!r} (valid: {', '.join(DIALECTS)})")
    return dialect


class ViscaCodec:
    """Bare VISCA frames to one camera, over UDP datagrams or a TCP stream alike.

    Raw VISCA has no token: the controller keeps one command in flight, and the codec
    remembers the last inquiry it encoded so the answer can be decoded. ``dialect`` and
    ``preset_base`` (None: the dialect's) are the camera's :data:`DIALECTS` settings. A
    network change message is accepted silently (some IP cameras send one at connect).
    """

    text_wire = False
    #: Completions pair by the socket their ACK named (ERRATA: replies interleave).
    pairing: Pairing = VISCA_SOCKETS

    def __init__(
        self, limits: SpeedLimits, address: int = 1, dialect: str = DEFAULT_DIALECT, preset_base: int | None = None
    ) -> None:
        if address not in ADDRESSES:
            raise ProtocolError(f"visca camera address must be 1..7, got {address!r}")
        self.limits = limits
        self.address = address
        self.dialect = dialect_of(dialect)
        self.preset_base = self.dialect.preset_base if preset_base is None else preset_base
        self._splitter = FrameSplitter(is_reply_start)
        self._pending_inquiry: str | None = None

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        self._splitter.clear()
        return []

    def key(self, command: Command) -> bytes:
        return self.payload(command)

    def payload(self, command: Command) -> bytes:
        """The frame ``8x … FF`` for ``command`` in this camera's dialect."""
        return encode_payload(command, self.limits, self.address, self.dialect, self.preset_base)

    def encode(self, command: Command) -> Outgoing:
        data = self.payload(command)
        self._pending_inquiry = inquiry_what(command)
        return Outgoing(data=data, token=None)

    def receive(self, data: bytes) -> list[Reply]:
        replies = replies_from(self._splitter.feed(data), None, self._pending_inquiry)
        # A network change at connect (ERRATA) is accepted silently on the network: there is
        # no chain to re-address (the serial codec overrides this).
        return [reply for reply in replies if not isinstance(reply, Notice)]

    def describe(self, data: bytes) -> str:
        return describe_command(data)
