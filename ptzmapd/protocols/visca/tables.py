"""VISCA's tables (sans-io): frame limits and addresses, the vendors' dialects, the bytes of
each command (:data:`NAMED_COMMANDS`, :data:`DIRECT_COMMANDS`, :data:`FIXED_COMMANDS`), the
inquiries and what all of that lets a binding do (:data:`CAPABILITIES`, which every VISCA
protocol declares).

The tables are the single source of truth for both directions: encoding a command
(:mod:`.encode`) and reading a frame back (:mod:`.read`) use the same rows, so a new camera
action is one new row.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.commands import Command, PanTiltPositionInquiry, ZoomPositionInquiry
from ptzmapd.vocabulary import DIRECT_MODE, MOTION_ACTIONS, PRESET_CLEAR, PRESET_SPEED, named_capabilities, raw_capability


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
    memory 0: a user's preset N goes out as memory ``N - preset_base``; ``preset_speed`` is
    how the camera takes a preset travel speed: one setting for every recall (``global``) or
    one per preset (``per-preset``), see :data:`PRESET_SPEED_GLOBAL`.
    """

    name: str
    one_push: str
    preset_base: int
    preset_speed: str


#: A camera's ``dialect:``. PTZOptics (the vendor of the tables in specs/) shows the memory
#: number as is and triggers one-push AF with ``8x 01 04 38 04 FF``; Sony (and BirdDog, which
#: follows Sony's numbering) shows memory 0 as preset 1 and uses CAM_AF One Push Trigger
#: ``8x 01 04 18 01 FF`` (Sony's VISCA command lists, e.g. the BRC-X400 / SRG-X400 technical
#: manual; ERRATA).
DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (
        Dialect("ptzoptics", one_push="autofocus one-push", preset_base=0, preset_speed="global"),
        Dialect("sony", one_push="autofocus one-push sony", preset_base=1, preset_speed="per-preset"),
    )
}
DEFAULT_DIALECT = "ptzoptics"


def preset_numbers(preset_base: int) -> range:
    """The preset numbers a user may write for a camera showing memory 0 as ``preset_base``."""
    return range(PRESET_NUMBERS.start + preset_base, PRESET_NUMBERS.stop + preset_base)


def is_reply_start(byte: int) -> bool:
    """A reply opens with ``z0``, z = camera address + 8 (0x90 for camera 1, up to 0xF0)."""
    return 0x90 <= byte <= 0xF0 and byte & 0x0F == 0


def reply_start(address: int) -> int:
    """The first byte of a reply from the camera at ``address``: z0 with z = address + 8."""
    return (address + 8) << 4


def is_command_start(byte: int) -> bool:
    """A command opens with ``8x``: x = 1..7 a camera, 8 the serial broadcast."""
    return 0x81 <= byte <= 0x88




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
VARIABLE_NIBBLE = {1: 0x20, -1: 0x30}

#: CAM_Memory ``8x 01 04 3F 0a pp FF``: the operation byte a.
MEMORY = bytes.fromhex("01 04 3F")
MEMORY_OPERATIONS: dict[int, str] = {0x00: "reset", 0x01: "store", 0x02: "recall"}
MEMORY_BYTE: dict[str, int] = {name: byte for byte, name in MEMORY_OPERATIONS.items()}

#: Preset travel speed, pp 0x01 (slow) .. 0x18 (fast) in both forms. PTZOptics' "Preset Recall
#: Speed" ``8x 01 06 01 pp FF`` (specs/ptzoptics-visca-over-ip-commands.txt, the Move 4K
#: manual's Preset_Recall_Speed) is one setting on the camera for every recall. ERRATA: it
#: shares Pan_TiltDrive's prefix ``01 06 01`` and is told apart only by its length.
PRESET_SPEED_GLOBAL = bytes.fromhex("01 06 01")
#: Sony keeps a speed per preset: PanTilt_Memory_Speed ``8x 01 7E 01 0B pp qq FF`` (pp memory
#: number, qq speed). Sources: Sony's BRC-300 command list reads it back with
#: ``8x 09 7E 01 0B 0p FF`` → ``y0 50 0q FF`` ("q: Speed 1 to 24"); NRK Sofie's
#: sony-visca-connection sends the set command in this form (PresetDriveSpeedCommand).
PRESET_SPEED_PER_PRESET = bytes.fromhex("01 7E 01 0B")
PRESET_SPEED_TOP = 0x18

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
FIXED_BY_BODY: dict[bytes, str] = {body: name for name, body in reversed(FIXED_COMMANDS.items())}


def named_mode_known(name: str, mode: str) -> bool:
    """Whether VISCA encodes the named action ``name`` in ``mode``."""
    return (name, mode) in NAMED_COMMANDS or (mode == DIRECT_MODE and name in DIRECT_COMMANDS)


#: What a binding can ask of a VISCA camera (the vocabulary of :mod:`ptzmapd.vocabulary`),
#: read from the tables of this module. Every VISCA protocol declares exactly this.
CAPABILITIES: frozenset[str] = (
    frozenset(MOTION_ACTIONS)
    | {"stop", "home", "preset", PRESET_CLEAR, PRESET_SPEED, "autofocus", "position", raw_capability("visca")}
    | named_capabilities([*NAMED_COMMANDS, *((name, DIRECT_MODE) for name in DIRECT_COMMANDS)])
)


def signed16(value: int) -> int:
    """A 16-bit two's-complement value (a position sent as four nibbles) as a signed int."""
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
            values.append(signed16(value) if signed else value)
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
INQUIRY_BY_BODY: dict[bytes, Inquiry] = {inquiry.body: inquiry for inquiry in INQUIRIES.values()}
#: Which inquiry each inquiry command is.
INQUIRY_OF: dict[type[Command], str] = {
    PanTiltPositionInquiry: "pantilt-position",
    ZoomPositionInquiry: "zoom-position",
}
