"""The generic IP camera CGI (CAS-3xx family, ``specs/ipcam-cgi-v1.2.txt``) as a sans-io codec.

Everything goes to ``POST /pantiltcontrol.cgi`` as form fields; the camera answers
``204 No Content``. It has no zoom, no focus and no position inquiry.

**Held speeds as repeated steps.** The API only has step moves (``PanTiltSingleMove`` with
``PanSingleMoveDegree``/``TiltSingleMoveDegree`` of 1..10 degrees), so a held speed is
emulated: each PanTilt becomes one step of ``ceil(|speed| × max)`` degrees (max = the
camera's ``max_pan_speed``/``max_tilt_speed``, 10 by default), and the protocol's
``refresh`` makes the controller send the held motion again every half second. Speed thus
sets the step size; the rate is the refresh. ``key()`` is the direction only, so a fader that
changes speed without changing direction does not fire extra steps: the next repeat simply
takes the newest size.

There is no stop: a step ends by itself. A stop encodes as an empty request, which the
HTTP transport does not send (and which expects no reply), so releasing the control just
ends the repeats.

The spec marks the diagonal codes (0, 2, 6, 8) "Reserved", so a diagonal alternates a pan
step and a tilt step, one per repeat.
"""

from __future__ import annotations

import math
from typing import Callable
from urllib.parse import parse_qsl, urlencode

from ptzmapd.commands import (
    CameraAction,
    Command,
    Home,
    MoveTo,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Garbage, Outgoing, Reply, SpeedLimits
from ptzmapd.vocabulary import PRESET_CLEAR, named_capabilities, raw_capability
from ptzmapd.protocols.pairing import HTTP_EXCHANGE, Pairing
from ptzmapd.protocols.units import drive_level, speed_sign
from ptzmapd.protocols.http import (
    FORM,
    Decoded,
    HttpRequest,
    describe_request,
    plain_reply,
    quote_body,
    raw_command_request,
    read_response,
)

CONTROL_PATH = "/pantiltcontrol.cgi"
SNAPSHOT_PATH = "/image.jpg"
#: ``PanTiltSingleMove`` codes (5.1.5); the others are reserved.
MOVES: dict[str, int] = {"up": 1, "left": 3, "home": 4, "right": 5, "down": 7}
MOVE_NAMES: dict[int, str] = {code: name for name, code in MOVES.items()}
STEP_DEGREES = range(1, 11)
PRESETS = range(1, 25)
#: ``PanTiltPositionMove`` positions, as the document gives them (PanTiltHorizontal, PanTiltVertical).
PAN_POSITIONS = range(0, 341)
TILT_POSITIONS = range(0, 136)
#: ``PanTiltSwingMode``: 0 disable, 2 preset position swing (1 is reserved).
SWING_MODES: dict[str, int] = {"on": 2, "off": 0}
#: Names are cut to the camera's 12 characters.
PRESET_NAME_LENGTH = 12
#: An empty request: nothing goes on the wire (see the module docstring).
NOTHING = Outgoing(b"", expects_reply=False)


def _post(fields: list[tuple[str, str | int]]) -> HttpRequest:
    return HttpRequest("POST", CONTROL_PATH, urlencode(fields).encode("ascii"), (("Content-Type", FORM),))


def step_degrees(speed: float, top: int) -> int:
    """Degrees per step for a nonzero speed: 1..top (top ≤ 10)."""
    return min(STEP_DEGREES[-1], drive_level(speed, top))


def direction(command: PanTilt) -> str:
    """``up``, ``down-left``… or ``stop``: what ``key()`` compares."""
    vertical = {1: "up", -1: "down", 0: ""}[speed_sign(command.tilt)]
    horizontal = {1: "right", -1: "left", 0: ""}[speed_sign(command.pan)]
    return "-".join(part for part in (vertical, horizontal) if part) or "stop"


def step_request(move: str, degrees: int) -> HttpRequest:
    # Both degree fields go with every step: the camera reads the one its direction needs.
    return _post([("PanSingleMoveDegree", degrees), ("TiltSingleMoveDegree", degrees), ("PanTiltSingleMove", MOVES[move])])


def _preset(number: int) -> int:
    if number not in PRESETS:
        raise ProtocolError(f"ipcam-cgi presets are 1..24, got {number}")
    return number


def _home(command: Home) -> HttpRequest:
    return _post([("PanTiltSingleMove", MOVES["home"])])


def _recall(command: PresetRecall) -> HttpRequest:
    return _post([("PanTiltPresetPositionMove", _preset(command.number))])


def _store(command: PresetStore) -> HttpRequest:
    # Without PanTiltHorizontal/Vertical the camera stores where it is now.
    number = _preset(command.number)
    return _post([("SetPosition", number), ("SetName", f"Preset {number}"[:PRESET_NAME_LENGTH])])


def _clear(command: PresetClear) -> HttpRequest:
    return _post([("ClearPosition", _preset(command.number))])


def _position(value: float | None, valid: range, what: str) -> int:
    if value is None:
        raise ProtocolError("ipcam-cgi move-to needs both pan and tilt (it has no zoom)")
    if not math.isfinite(value) or round(value) not in valid:
        raise ProtocolError(f"ipcam-cgi {what} position must be {valid.start}..{valid.stop - 1}, got {value!r}")
    return round(value)


def _move_to(command: MoveTo) -> HttpRequest:
    if command.zoom is not None:
        raise ProtocolError("ipcam-cgi has no zoom: move-to takes pan and tilt only")
    pan = _position(command.pan, PAN_POSITIONS, "pan")
    tilt = _position(command.tilt, TILT_POSITIONS, "tilt")
    return _post([("PanTiltHorizontal", pan), ("PanTiltVertical", tilt), ("PanTiltPositionMove", "true")])


def _action(command: CameraAction) -> HttpRequest:
    if command.name != "swing":
        raise ProtocolError(f"ipcam-cgi has no action {command.name!r} (valid: swing)")
    mode = SWING_MODES.get(command.mode)
    if mode is None:
        raise ProtocolError(f"swing mode must be on or off, got {command.mode!r}")
    return _post([("PanTiltSwingMode", mode)])


def _raw(command: RawCommand) -> HttpRequest:
    return raw_command_request(command)


_REQUESTS: dict[type[Command], Callable[..., HttpRequest]] = {
    Home: _home,
    PresetRecall: _recall,
    PresetStore: _store,
    PresetClear: _clear,
    MoveTo: _move_to,
    CameraAction: _action,
    RawCommand: _raw,
}

#: What a binding may ask of this camera: step moves on pan/tilt (no zoom or focus over this
#: API), a capability per row of :data:`_REQUESTS`, the swing modes, raw requests.
CAPABILITIES: frozenset[str] = (
    frozenset({"pan", "tilt", "stop", "home", "preset", PRESET_CLEAR, "move-to"})
    | named_capabilities(("swing", mode) for mode in SWING_MODES)
    | {raw_capability("http")}
)


class IpcamCgiCodec:
    text_wire = True  # HTTP: requests and replies are traced as their text
    #: One request, one response.
    pairing: Pairing = HTTP_EXCHANGE

    def __init__(self, limits: SpeedLimits) -> None:
        self.limits = limits
        #: A diagonal alternates its axes; True: the next step is the tilt one.
        self._tilt_turn = False

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        return []

    def key(self, command: Command) -> bytes:
        if isinstance(command, PanTilt):
            return f"step {direction(command)}".encode()
        return self._request(command).to_bytes()

    def _request(self, command: Command) -> HttpRequest:
        build = _REQUESTS.get(type(command))
        if build is None:
            valid = ", ".join([PanTilt.__name__, *(kind.__name__ for kind in _REQUESTS)])
            raise ProtocolError(f"ipcam-cgi cannot send {type(command).__name__} (valid: {valid})")
        return build(command)

    def encode(self, command: Command) -> Outgoing:
        if not isinstance(command, PanTilt):
            return Outgoing(self._request(command).to_bytes())
        if command.is_stop():
            return NOTHING
        pan, tilt = speed_sign(command.pan), speed_sign(command.tilt)
        use_tilt = tilt != 0 and (pan == 0 or self._tilt_turn)
        if pan != 0 and tilt != 0:
            self._tilt_turn = not self._tilt_turn
        if use_tilt:
            move, degrees = ("up" if tilt > 0 else "down"), step_degrees(command.tilt, self.limits.tilt)
        else:
            move, degrees = ("right" if pan > 0 else "left"), step_degrees(command.pan, self.limits.pan)
        return Outgoing(step_request(move, degrees).to_bytes())

    def receive(self, data: bytes) -> list[Reply]:
        response = read_response(data)
        return [response if isinstance(response, Garbage) else plain_reply(response)]

    def describe(self, data: bytes) -> str:
        return describe_request(data, read_request)


def _number(fields: dict[str, str], name: str) -> int | None:
    text = fields.get(name)
    return int(text) if text is not None and text.strip().lstrip("-").isdigit() else None


def read_request(request: HttpRequest) -> Decoded | None:
    """What a CGI request asks (for traces and the simulator); None if it is not one of these."""
    if request.method == "GET" and request.path == SNAPSHOT_PATH:
        return Decoded("snapshot", "snapshot")
    # Section 2.1: parameters may come as a GET query or a POST form (5.1.x show POST).
    if request.method not in ("GET", "POST") or request.path != CONTROL_PATH:
        return None
    body = request.body.decode("utf-8", "replace") if request.method == "POST" else ""
    fields = dict(parse_qsl(body or request.query, keep_blank_values=True))
    move = _number(fields, "PanTiltSingleMove")
    if move is not None:
        name = MOVE_NAMES.get(move)
        if name is None:
            return Decoded("invalid", f"PanTiltSingleMove {move} is reserved")
        if name == "home":
            return Decoded("home", "home")
        axis = "PanSingleMoveDegree" if name in ("left", "right") else "TiltSingleMoveDegree"
        degrees = _number(fields, axis)
        if degrees is None or degrees not in STEP_DEGREES:
            return Decoded("invalid", f"step {name} needs {axis} 1..10, got {fields.get(axis)!r}")
        return Decoded("step", f"step {name} {degrees}°", {"direction": name, "degrees": degrees})
    for field, action, verb in (
        ("PanTiltPresetPositionMove", "preset-move", "preset move"),
        ("SetPosition", "preset-set", "preset set"),
        ("ClearPosition", "preset-clear", "preset clear"),
    ):
        number = _number(fields, field)
        if number is not None:
            name = fields.get("SetName", "")
            text = f"{verb} {number}" + (f" {name!r}" if action == "preset-set" and name else "")
            values: dict[str, int | str] = {"number": number, "name": name}
            horizontal, vertical = _number(fields, "PanTiltHorizontal"), _number(fields, "PanTiltVertical")
            if action == "preset-set" and horizontal is not None and vertical is not None:
                # 5.1.7: the preset is that position; without it, where the camera points now.
                values.update(pan=horizontal, tilt=vertical)
                text += f" at {horizontal},{vertical}"
            return Decoded(action, text, values)
    swing = _number(fields, "PanTiltSwingMode")
    if swing is not None:
        word = {mode: name for name, mode in SWING_MODES.items()}.get(swing, f"mode {swing}")
        return Decoded("swing", f"swing {word}", {"mode": swing})
    if fields.get("PanTiltPositionMove") == "true":
        horizontal, vertical = _number(fields, "PanTiltHorizontal"), _number(fields, "PanTiltVertical")
        if horizontal is None or vertical is None:
            return Decoded("invalid", "PanTiltPositionMove needs PanTiltHorizontal and PanTiltVertical")
        return Decoded("move-to", f"move to {horizontal},{vertical}", {"pan": horizontal, "tilt": vertical})
    return Decoded("invalid", f"no PanTilt parameter in {quote_body((body or request.query).encode(), 60)!r}")
