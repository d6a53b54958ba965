"""PTZOptics HTTP-CGI (``ptzctrl.cgi``, Move 4K / Link 4K manual and ERRATA) as a sans-io codec.

Every command is ``GET /cgi-bin/ptzctrl.cgi?<words joined by &>``; any 2xx answers it.
Speeds are VISCA's levels: pan 1..24, tilt 1..20, zoom/focus 0..7, so the shared scaling
functions (:mod:`ptzmapd.protocols.units`) serve here as for VISCA.

- pan/tilt: ``ptzcmd&{up|down|left|right|leftup|rightup|leftdown|rightdown}&PAN&TILT``;
  the axis that does not move gets level 1 (the range starts there); stop ``ptzcmd&ptzstop&0&0``;
- zoom: ``ptzcmd&zoomin&S`` (tele), ``zoomout&S`` (wide), ``zoomstop&0``;
- focus: ``ptzcmd&focusin&S`` / ``focusout&S`` / ``focusstop&0``. The documents do not say
  which way "in" goes; like ``zoomin`` (tele) it is taken as VISCA's ``2p`` direction, far;
- presets ``ptzcmd&poscall&N`` / ``posset&N``, N 0..89 and 100..254 (90..99 are camera
  functions: recalling 95 opens the OSD menu, ERRATA);
- ``ptzcmd&home``; auto-tracking ``post_image_value&autotrack&2`` (on) / ``&3`` (off).
"""

from __future__ import annotations

from typing import Callable

from ptzmapd.commands import (
    CameraAction,
    Command,
    Focus,
    Home,
    PanTilt,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Garbage, Outgoing, Reply, SpeedLimits
from ptzmapd.protocols.pairing import HTTP_EXCHANGE, Pairing
from ptzmapd.protocols.http import Decoded, HttpRequest, describe_request, plain_reply, raw_command_request, read_response
from ptzmapd.vocabulary import named_capabilities, raw_capability
from ptzmapd.protocols.units import drive_level, finite_speed, variable_level

CONTROL_PATH = "/cgi-bin/ptzctrl.cgi"
SNAPSHOT_PATH = "/snapshot.jpg"
#: The photo booth: four photos or videos, DELAY 1..9 s apart, videos LENGTH 1..10 s.
BOOTH_PATH = "/cgi-bin/booth.cgi"
BOOTH_KINDS: tuple[str, ...] = ("photo", "video")
BOOTH_DELAYS = range(1, 10)
BOOTH_LENGTHS = range(1, 11)
#: (tilt sign, pan sign) → the direction word.
DIRECTIONS: dict[tuple[int, int], str] = {
    (1, 0): "up", (-1, 0): "down", (0, -1): "left", (0, 1): "right",
    (1, -1): "leftup", (1, 1): "rightup", (-1, -1): "leftdown", (-1, 1): "rightdown",
}
DIRECTION_SIGNS: dict[str, tuple[int, int]] = {word: signs for signs, word in DIRECTIONS.items()}
PAN_LEVELS = range(1, 25)
TILT_LEVELS = range(1, 21)
VARIABLE_LEVELS = range(0, 8)
#: Preset numbers the camera keeps for presets (90..99 trigger functions).
PRESET_NUMBERS: tuple[range, ...] = (range(0, 90), range(100, 255))
AUTOTRACK: dict[str, int] = {"on": 2, "off": 3}
#: The words for (+direction, −direction, stop) of zoom and focus.
_VARIABLE = {Zoom: ("zoomin", "zoomout", "zoomstop"), Focus: ("focusin", "focusout", "focusstop")}


def cgi_request(*words: str | int) -> HttpRequest:
    return HttpRequest("GET", f"{CONTROL_PATH}?{'&'.join(str(word) for word in words)}")


def _sign(speed: float) -> int:
    return (speed > 0) - (speed < 0)


def _speed(speed: float) -> float:
    """A speed held to −1..1 (a NaN is refused, not clamped)."""
    return max(-1.0, min(1.0, finite_speed(speed)))


def _pantilt(command: PanTilt, limits: SpeedLimits) -> HttpRequest:
    if command.is_stop():
        return cgi_request("ptzcmd", "ptzstop", 0, 0)
    pan = drive_level(_speed(command.pan), limits.pan) if command.pan != 0.0 else 1
    tilt = drive_level(_speed(command.tilt), limits.tilt) if command.tilt != 0.0 else 1
    return cgi_request("ptzcmd", DIRECTIONS[(_sign(command.tilt), _sign(command.pan))], pan, tilt)


def _variable(command: Zoom | Focus, limits: SpeedLimits) -> HttpRequest:
    forward, backward, stop = _VARIABLE[type(command)]
    if command.is_stop():
        return cgi_request("ptzcmd", stop, 0)
    top = limits.zoom if isinstance(command, Zoom) else limits.focus
    level = variable_level(_speed(command.speed), top)
    return cgi_request("ptzcmd", forward if command.speed > 0 else backward, level)


def _preset(number: int) -> int:
    if not any(number in numbers for numbers in PRESET_NUMBERS):
        raise ProtocolError(
            f"ptzoptics presets are 0..89 and 100..254 (90..99 trigger camera functions), got {number}"
        )
    return number


def _home(command: Home, limits: SpeedLimits) -> HttpRequest:
    return cgi_request("ptzcmd", "home")


def _recall(command: PresetRecall, limits: SpeedLimits) -> HttpRequest:
    return cgi_request("ptzcmd", "poscall", _preset(command.number))


def _store(command: PresetStore, limits: SpeedLimits) -> HttpRequest:
    return cgi_request("ptzcmd", "posset", _preset(command.number))


def _action(command: CameraAction, limits: SpeedLimits) -> HttpRequest:
    if command.name != "auto-tracking":
        raise ProtocolError(f"ptzoptics-cgi has no action {command.name!r} (valid: auto-tracking)")
    value = AUTOTRACK.get(command.mode)
    if value is None:
        raise ProtocolError(f"auto-tracking mode must be on or off, got {command.mode!r}")
    return cgi_request("post_image_value", "autotrack", value)


def _raw(command: RawCommand, limits: SpeedLimits) -> HttpRequest:
    return raw_command_request(command)


_REQUESTS: dict[type[Command], Callable[..., HttpRequest]] = {
    PanTilt: _pantilt,
    Zoom: _variable,
    Focus: _variable,
    Home: _home,
    PresetRecall: _recall,
    PresetStore: _store,
    CameraAction: _action,
    RawCommand: _raw,
}

#: What a binding may ask of this camera: a capability per row of :data:`_REQUESTS` (VISCA's
#: levels, so zoom/focus speed 0 still moves), auto-tracking, raw requests.
CAPABILITIES: frozenset[str] = (
    frozenset({"pan", "tilt", "zoom", "focus", "stop", "home", "preset"})
    | named_capabilities(("auto-tracking", mode) for mode in AUTOTRACK)
    | {raw_capability("http")}
)


def encode_request(command: Command, limits: SpeedLimits) -> HttpRequest:
    build = _REQUESTS.get(type(command))
    if build is None:
        valid = ", ".join(kind.__name__ for kind in _REQUESTS)
        raise ProtocolError(f"ptzoptics-cgi cannot send {type(command).__name__} (valid: {valid})")
    return build(command, limits)


class PtzopticsCgiCodec:
    text_wire = True  # HTTP: requests and replies are traced as their text
    #: One request, one response.
    pairing: Pairing = HTTP_EXCHANGE

    def __init__(self, limits: SpeedLimits) -> None:
        self.limits = limits

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        return []

    def key(self, command: Command) -> bytes:
        return encode_request(command, self.limits).to_bytes()

    def encode(self, command: Command) -> Outgoing:
        return Outgoing(encode_request(command, self.limits).to_bytes())

    def receive(self, data: bytes) -> list[Reply]:
        response = read_response(data)
        return [response if isinstance(response, Garbage) else plain_reply(response)]

    def describe(self, data: bytes) -> str:
        return describe_request(data, read_request)


def _read_booth(query: str) -> Decoded:
    """``0&4&DELAY&photo&0`` or ``0&4&DELAY&video&LENGTH`` (manual, Photobooth Functionality)."""
    # The manual prints "&;photo": an "&amp;" that lost its "amp" on the way to paper.
    words = query.replace("&;", "&").split("&")
    if len(words) != 5 or words[:2] != ["0", "4"] or words[3] not in BOOTH_KINDS:
        return Decoded("invalid", f"booth.cgi takes 0&4&DELAY&photo&0 or 0&4&DELAY&video&LENGTH, got {query[:60]!r}")
    delay, length = _int(words[2]), _int(words[4])
    kind = words[3]
    if delay is None or delay not in BOOTH_DELAYS:
        return Decoded("invalid", f"booth delay must be 1..9 s, got {words[2][:10]!r}")
    if kind == "video" and (length is None or length not in BOOTH_LENGTHS):
        return Decoded("invalid", f"booth video length must be 1..10 s, got {words[4][:10]!r}")
    text = f"booth 4 {kind}s {delay} s apart" + (f", {length} s each" if kind == "video" else "")
    return Decoded("booth", text, {"kind": kind, "delay": delay, "length": length or 0})


def _int(word: str) -> int | None:
    return int(word) if word.isdigit() else None


def read_request(request: HttpRequest) -> Decoded | None:
    """What a ``ptzctrl.cgi`` request asks (for traces and the simulator)."""
    if request.method == "GET" and request.path == SNAPSHOT_PATH:
        return Decoded("snapshot", "snapshot")
    if request.method == "GET" and request.path == BOOTH_PATH:
        return _read_booth(request.query)
    if request.method != "GET" or request.path != CONTROL_PATH:
        return None
    words = request.query.split("&")
    numbers = [_int(word) for word in words[2:]]
    if any(number is None for number in numbers):
        return Decoded("invalid", f"not a number in {request.query!r}")
    values = [number for number in numbers if number is not None]
    head = tuple(words[:2])
    if head == ("post_image_value", "autotrack") and len(values) == 1:
        mode = {code: name for name, code in AUTOTRACK.items()}.get(values[0])
        return Decoded("auto-tracking", f"auto-tracking {mode or values[0]}", {"mode": mode or str(values[0])})
    if len(head) < 2 or head[0] != "ptzcmd":
        return None
    word = head[1]
    if word in DIRECTION_SIGNS and len(values) == 2:
        pan, tilt = values
        if pan not in PAN_LEVELS or tilt not in TILT_LEVELS:
            return Decoded("invalid", f"{word} speeds out of range: pan {pan} (1..24), tilt {tilt} (1..20)")
        return Decoded("pantilt", f"{word} pan {pan} tilt {tilt}", {"direction": word, "pan": pan, "tilt": tilt})
    if word == "ptzstop":
        return Decoded("pantilt-stop", "pan/tilt stop")
    for kind, (forward, backward, stop) in _VARIABLE.items():
        name = kind.__name__.lower()
        if word in (forward, backward) and len(values) == 1:
            if values[0] not in VARIABLE_LEVELS:
                return Decoded("invalid", f"{word} speed {values[0]} out of range (0..7)")
            return Decoded(name, f"{word} {values[0]}", {"direction": 1 if word == forward else -1, "speed": values[0]})
        if word == stop:
            return Decoded(f"{name}-stop", f"{name} stop")
    if word in ("poscall", "posset") and len(values) == 1:
        action = "preset-recall" if word == "poscall" else "preset-set"
        return Decoded(action, f"{word} {values[0]}", {"number": values[0]})
    if word == "home" and not values:
        return Decoded("home", "home")
    return None
