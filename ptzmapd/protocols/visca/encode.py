"""VISCA encoding (sans-io): a :class:`~ptzmapd.commands.Command` to its ``8x … FF`` frame,
with the speed scaling from normalised -1..1 speeds to VISCA levels (:mod:`..units`), and raw
frames written in a config (:func:`parse_visca_raw`).
"""

from __future__ import annotations

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
    PresetSpeed,
    PresetStore,
    PresetClear,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.vocabulary import DIRECT_MODE, LEVELS, NAMED_ACTIONS
from ptzmapd.protocols.base import SpeedLimits
from ptzmapd.protocols.units import NotHex, drive_level, finite_speed, parse_hex, speed_sign, variable_level
from ptzmapd.protocols.visca.tables import (
    ADDRESSES,
    DEFAULT_DIALECT,
    DIALECTS,
    DIRECT_COMMANDS,
    Dialect,
    FIXED_COMMANDS,
    FOCUS_AXIS,
    INQUIRIES,
    INQUIRY_OF,
    MAX_FRAME,
    MEMORY,
    NAMED_COMMANDS,
    PANTILT_DRIVE,
    PAN_AXIS,
    PRESET_SPEED_GLOBAL,
    PRESET_SPEED_PER_PRESET,
    PRESET_SPEED_TOP,
    STOPPED_SPEED,
    TERMINATOR,
    TILT_AXIS,
    VARIABLE_TOP,
    VariableAxis,
    ZOOM_AXIS,
    MEMORY_BYTE,
    VARIABLE_NIBBLE,
    named_mode_known,
    preset_numbers,
)

# --------------------------------------------------------------------------- encoding


def _pantilt_body(command: PanTilt, limits: SpeedLimits) -> bytes:
    speed_bytes: list[int] = []
    direction_bytes: list[int] = []
    for axis, speed, limit in ((PAN_AXIS, command.pan, limits.pan), (TILT_AXIS, command.tilt, limits.tilt)):
        top = min(max(limit, 1), axis.top)
        direction = speed_sign(speed)
        speed_bytes.append(drive_level(speed, top) if direction else STOPPED_SPEED)
        direction_bytes.append(axis.byte_of[direction])
    return PANTILT_DRIVE + bytes(speed_bytes + direction_bytes)


def _variable_body(axis: VariableAxis, speed: float, limit: int) -> bytes:
    direction = speed_sign(speed)
    if not direction:
        return bytes([0x01, 0x04, axis.opcode, 0x00])
    level = variable_level(speed, min(max(limit, 0), VARIABLE_TOP))
    return bytes([0x01, 0x04, axis.opcode, VARIABLE_NIBBLE[direction] | level])


def _memory_body(operation: str, number: int, preset_base: int) -> bytes:
    numbers = preset_numbers(preset_base)
    if number not in numbers:
        shown = f" (this camera shows memory 0 as preset {preset_base})" if preset_base else ""
        raise ProtocolError(f"visca preset number must be {numbers.start}..{numbers.stop - 1}{shown}, got {number!r}")
    # ERRATA: the command carries the memory number 0-127; the dialect says which number the
    # camera shows for memory 0 (PTZOptics: preset 1 is 81 01 04 3F 02 01 FF; Sony: 02 00).
    return MEMORY + bytes([MEMORY_BYTE[operation], number - preset_base])


def _zoom_body(command: Zoom, limits: SpeedLimits) -> bytes:
    return _variable_body(ZOOM_AXIS, command.speed, limits.zoom)


def _focus_body(command: Focus, limits: SpeedLimits) -> bytes:
    return _variable_body(FOCUS_AXIS, command.speed, limits.focus)


def _home_body(command: Home, limits: SpeedLimits) -> bytes:
    return FIXED_COMMANDS["home"]


def _recall_body(command: PresetRecall, dialect: Dialect, preset_base: int) -> bytes:
    return _memory_body("recall", command.number, preset_base)


def _preset_speed_body(command: PresetSpeed, dialect: Dialect, preset_base: int) -> bytes:
    speed = finite_speed(command.speed)
    if not 0 < speed <= 1:
        raise ProtocolError(f"visca preset speed must be more than 0, at most 1, got {command.speed!r}")
    level = drive_level(speed, PRESET_SPEED_TOP)
    if dialect.preset_speed == "global":
        # One setting for every recall: the preset number is not part of it.
        return PRESET_SPEED_GLOBAL + bytes([level])
    # One speed per preset, for the memory number the recall sends (see _memory_body).
    memory = _memory_body("recall", command.number, preset_base)[-1]
    return PRESET_SPEED_PER_PRESET + bytes([memory, level])


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
    PresetSpeed: _preset_speed_body,
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
    try:
        frame = bytearray(parse_hex(" ".join(tokens)))
    except NotHex as error:
        raise ProtocolError(
            f"{error.token!r} is not hex bytes: write each byte as two hex digits, like '81 01 04 38 02 FF'"
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
