"""Panasonic AW-HE/UE HTTP control as tables: the two CGI paths, the commands ptzmapd sends,
how the camera answers each, and how it refuses.

Sources, Panasonic's public interface specifications (only the section numbers checked here
are given):

- "HD Integrated Camera Interface Specifications" (AW-HE40/HE42 series; the AW-HE50/HE60/
  HE120/HE130 edition, version 1.05, has the same commands): its command list (``#O`` power,
  ``#P``/``#T``/``#Z``/``#F`` speeds, ``#R``/``#M`` presets, ``#APC`` absolute position,
  ``#D1`` auto focus, each with its "Response"), 3.1.5.2 "Focus" (``#F`` answered ``fS``,
  ``#D1`` answered ``d1``, speed digits "01 … 49 Near, 50 Stop, 51 … 99 Far"), 3.1.8 "Tally"
  (``#DA``), and the note on pan-tilt head commands: "send the commands with a gap of 130 ms
  between each command" (AW-HE40; other models publish their own interval);
- "HD/4K Integrated Camera Interface Specifications" (AW-UE100, 2022): 4 "Communication
  method" (``GET /cgi-bin/aw_ptz?cmd=%23…&res=1`` for pan-tilt head commands,
  ``/cgi-bin/aw_cam?cmd=…&res=1`` for camera commands), 7 "Error return" (``eR1``/``eR2``/
  ``eR3`` on ``aw_ptz``, ``ER1``/``ER2``/``ER3`` on ``aw_cam``, with its examples ``eR1:AX``,
  ``eR2:AXZ``, ``ER1:XF``), 9 "Command List" (tally: red ``TLR:0|1``, green ``TLG:0|1`` on
  ``aw_cam``, answered unchanged).

What those give:

- Speeds: two decimal digits 01–99, 50 is stop, 51–99 one way at rising speed (pan right,
  tilt up, zoom tele, focus far), 49–01 the other way. ``#PTS`` carries pan and tilt together
  (``#PTS7550``: pan right, tilt stopped).
- Presets: ``#R`` recall, ``#M`` store, ``#C`` clear, two digits 00–99: the camera's web page
  and controllers show ``00`` as "Preset 1", so a config's ``preset: N`` is ``N-1``.
- No home command: home is the absolute centre, ``#APC80008000`` (pan and tilt 0000–FFFF,
  8000 the centre of each).
- Preset travel speed ``#UPVS`` + three digits, answered ``uPVS…``. The document's row was
  not in reach here; the command and its values are as the Bitfocus Companion Panasonic PTZ
  module sends them (``UPVS`` + 275…999 in 30 steps of 25, "Speed 1" to "Speed 30") and as
  heMote lists its answer (``uPVS``, "Preset Speed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ptzmapd.protocols.http import Decoded, HttpRequest

PTZ_PATH = "/cgi-bin/aw_ptz"
CAM_PATH = "/cgi-bin/aw_cam"
#: The least time between two pan-tilt head commands (the AW-HE40 document's note on them).
MIN_INTERVAL = 0.13

#: Speed digits: 50 stops, 51..99 and 49..01 move one way and the other.
STOP = 50
SPEED_STEPS = 49
SPEED_DIGITS = range(1, 100)
#: Preset memories 00..99; a config numbers them from 1, as the camera's own pages do.
PRESET_MEMORIES = range(0, 100)
#: ``#APC`` pan and tilt positions; 8000 is the centre of each.
POSITIONS = range(0, 0x10000)
CENTRE = 0x8000
#: ``#UPVS`` values: "Speed 1" is 275, each step 25 more, "Speed 30" is 999 (not 1000).
PRESET_SPEEDS = range(275, 1000)
PRESET_SPEED_STEPS = 30
PRESET_SPEED_STEP = 25

#: ``#O``: standby and power on; ``p3`` answers the query while the camera is starting.
POWER: dict[str, int] = {"off": 0, "on": 1}
#: ``#D1``: auto focus off (manual) and on.
AUTOFOCUS: dict[str, int] = {"off": 0, "on": 1}
#: One-touch auto focus on ``aw_cam`` (focus once, stay in manual), answered unchanged: as
#: the Bitfocus Companion module and imec's panasonic-camera-controller send it.
ONE_TOUCH_FOCUS = "OSE:69:1"
#: The tally lamps on ``aw_cam``: red (program) and green (preview).
RED_LAMP = "TLR"
GREEN_LAMP = "TLG"
LAMPS: tuple[str, ...] = (RED_LAMP, GREEN_LAMP)


def ptz(command: str) -> HttpRequest:
    """``GET /cgi-bin/aw_ptz?cmd=%23<command>&res=1`` (the ``#`` percent-encoded; AW-UE100 4)."""
    return HttpRequest("GET", f"{PTZ_PATH}?cmd=%23{command}&res=1")


def cam(command: str) -> HttpRequest:
    """``GET /cgi-bin/aw_cam?cmd=<command>&res=1``."""
    return HttpRequest("GET", f"{CAM_PATH}?cmd={command}&res=1")


def command_of(request: HttpRequest) -> tuple[str, str] | None:
    """(path, command) of an ``aw_ptz``/``aw_cam`` request, the ``#`` kept; None for another."""
    if request.method != "GET" or request.path not in (PTZ_PATH, CAM_PATH):
        return None
    fields = dict(parse_qsl(request.query, keep_blank_values=True))
    command = fields.get("cmd")
    return None if command is None else (request.path, command)


# --------------------------------------------------------------------------- the reply table

#: How ``aw_ptz`` answers a command (``#`` removed), first matching row wins; any other
#: command is echoed with its first letter in lower case (``#PTS5050`` → ``pTS5050``,
#: ``#APC80008000`` → ``aPC80008000``, ``#UPVS500`` → ``uPVS500``). ``aw_cam`` commands
#: come back unchanged (``TLR:1`` → ``TLR:1``). The command lists' "Response" columns.
PTZ_REPLIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"P(\d\d)"), r"pS\1"),   # pan speed
    (re.compile(r"T(\d\d)"), r"tS\1"),   # tilt speed
    (re.compile(r"Z(\d\d)"), r"zS\1"),   # zoom speed
    (re.compile(r"F(\d\d)"), r"fS\1"),   # focus speed
    (re.compile(r"[RM](\d\d)"), r"s\1"),  # preset recall / store: the preset now selected
    (re.compile(r"O(\d)"), r"p\1"),      # power
)


def expected_reply(path: str, command: str) -> str:
    """What a camera answers to ``command`` sent on ``path`` (the table above)."""
    if path == CAM_PATH:
        return command
    bare = command.removeprefix("#")
    for pattern, template in PTZ_REPLIES:
        match = pattern.fullmatch(bare)
        if match is not None:
            return match.expand(template)
    return bare[:1].lower() + bare[1:]


@dataclass(frozen=True, slots=True)
class Refusal:
    """``eR<n>:NAME`` / ``ER<n>:NAME`` (AW-UE100 7 "Error return"): what was refused and why."""

    number: int
    name: str

    @property
    def kind(self) -> str:
        return REFUSALS[self.number][0]

    @property
    def meaning(self) -> str:
        return REFUSALS[self.number][1]


#: AW-UE100 7 "Error return": ER1 the camera has no such command; ER2 it is busy, or in standby (power off);
#: ER3 a value out of range (or a command invalid in the camera's mode: a focus speed
#: while auto focus is on).
REFUSALS: dict[int, tuple[str, str]] = {
    1: ("aw-unsupported", "the camera has no such command"),
    2: ("aw-busy", "the camera is busy or in standby"),
    3: ("aw-out-of-range", "a value is out of the camera's range, or not allowed in its current mode"),
}
_REFUSAL = re.compile(r"[eE]R([123]):?(.*)")


def read_refusal(text: str) -> Refusal | None:
    """The refusal an answer carries (``eR2:PTS``, ``ER1:XF``), or None."""
    match = _REFUSAL.fullmatch(text)
    if match is None:
        return None
    return Refusal(int(match.group(1)), match.group(2)[:20])


def refusal_text(path: str, number: int, name: str) -> str:
    """How a camera words a refusal: ``eR3:R`` on ``aw_ptz``, ``ER1:XF`` on ``aw_cam``."""
    return f"{'e' if path == PTZ_PATH else 'E'}R{number}:{name}"


# --------------------------------------------------------------------------- reading requests

_SPEED = re.compile(r"#([PTZF])(\d\d)")
_PANTILT = re.compile(r"#PTS(\d\d)(\d\d)")
_PRESET = re.compile(r"#([RMC])(\d\d)")
_ABSOLUTE = re.compile(r"#APC([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})")
_SWITCH = re.compile(r"#(O|D1)(\d)")
_PRESET_SPEED = re.compile(r"#UPVS(\d{3})")
_LAMP = re.compile(r"(TLR|TLG):(\d)")
_LAMP_QUERY = re.compile(r"Q(LR|LG)")
_NAME = re.compile(r"#?([A-Za-z]+)")

_SPEED_AXES = {"P": "pan", "T": "tilt", "Z": "zoom", "F": "focus"}
_PRESET_ACTIONS = {"R": "preset-recall", "M": "preset-store", "C": "preset-clear"}
_DIRECTION_WORDS = {"pan": ("left", "right"), "tilt": ("down", "up"), "zoom": ("wide", "tele"), "focus": ("near", "far")}


def name_of(command: str) -> str:
    """The command's name as a refusal quotes it (``#AXZ555`` → ``AXZ``, ``XSF:1`` → ``XSF``)."""
    if ":" in command:
        return command.partition(":")[0]
    match = _NAME.match(command)
    return match.group(1) if match else command[:8]


def speed_words(axis: str, digits: int) -> str:
    """``pan right 25`` for ``75``, ``pan stop`` for ``50``: a speed digit pair as a person reads it."""
    if digits == STOP:
        return f"{axis} stop"
    backward, forward = _DIRECTION_WORDS[axis]
    return f"{axis} {forward if digits > STOP else backward} {abs(digits - STOP)}"


def read_request(request: HttpRequest) -> Decoded | None:
    """What an ``aw_ptz``/``aw_cam`` request asks (for traces and the simulator); None for a
    request that is not one of ours. Values are as sent: a simulated camera checks ranges."""
    found = command_of(request)
    return None if found is None else read_command(*found)


def read_command(path: str, command: str) -> Decoded | None:
    """What ``command`` on ``path`` asks; None for a command that has no row here."""
    if path == PTZ_PATH:
        return _read_ptz(command)
    if (match := _LAMP.fullmatch(command)) is not None:
        lamp, value = match.group(1), int(match.group(2))
        colour = "red" if lamp == RED_LAMP else "green"
        return Decoded("tally-lamp", f"tally {colour} {'on' if value else 'off'}", {"lamp": lamp, "value": value})
    if command == ONE_TOUCH_FOCUS:
        return Decoded("one-push-focus", "one-push focus")
    if (match := _LAMP_QUERY.fullmatch(command)) is not None:
        return Decoded("tally-query", f"tally query T{match.group(1)}", {"lamp": f"T{match.group(1)}"})
    return None


def _read_ptz(command: str) -> Decoded | None:
    if (match := _PANTILT.fullmatch(command)) is not None:
        pan, tilt = int(match.group(1)), int(match.group(2))
        return Decoded("pantilt", f"{speed_words('pan', pan)}, {speed_words('tilt', tilt)}", {"pan": pan, "tilt": tilt})
    if (match := _SPEED.fullmatch(command)) is not None:
        axis, digits = _SPEED_AXES[match.group(1)], int(match.group(2))
        return Decoded(axis, speed_words(axis, digits), {"speed": digits})
    if (match := _PRESET.fullmatch(command)) is not None:
        action, memory = _PRESET_ACTIONS[match.group(1)], int(match.group(2))
        return Decoded(action, f"{action.replace('-', ' ')} {memory:02d} (preset {memory + 1})", {"memory": memory})
    if (match := _ABSOLUTE.fullmatch(command)) is not None:
        pan, tilt = int(match.group(1), 16), int(match.group(2), 16)
        text = "home" if (pan, tilt) == (CENTRE, CENTRE) else f"absolute pan {pan:04X} tilt {tilt:04X}"
        return Decoded("absolute", text, {"pan": pan, "tilt": tilt})
    if (match := _SWITCH.fullmatch(command)) is not None:
        what, value = ("power", "autofocus")[match.group(1) == "D1"], int(match.group(2))
        return Decoded(what, f"{what} {'on' if value else 'off'}" if value in (0, 1) else f"{what} {value}",
                       {"value": value})
    if (match := _PRESET_SPEED.fullmatch(command)) is not None:
        return Decoded("preset-speed", f"preset speed {match.group(1)}", {"speed": int(match.group(1))})
    if command == "#O":
        return Decoded("power-query", "power query")
    if command == "#D1":
        return Decoded("autofocus-query", "autofocus query")
    return None
