"""Hikvision ISAPI PTZ (``specs/hikvision-isapi-ptz-v2.0.txt``) as a sans-io codec.

Commands become HTTP requests under ``/ISAPI/PTZCtrl/channels/<N>/`` (see
:mod:`ptzmapd.protocols.http` for the byte format); replies are read from their HTTP status
and ``ResponseStatus`` XML, whatever its namespace.

Speeds: ISAPI continuous moves take −100..100 per axis (+pan right, +tilt up, +zoom tele);
the camera's ``max_*_speed`` caps them. Positions are tenths of a degree (azimuth 0..3600,
elevation −900..2700) and zoom 0..1000.

**Two slots, one request.** The controller keeps pan/tilt and zoom in separate slots, but
ISAPI has one ``continuous`` resource for all three axes. The spec marks each of ``<pan>``,
``<tilt>``, ``<zoom>`` optional without saying what an absent axis does, and firmware
differs (some read a missing axis as 0 and stop it). So every continuous request carries
all three axes: the codec remembers the speeds it last sent for the other slot, and a zoom
command repeats the pan/tilt speeds (and vice versa). A zoom change never stops a pan, and
a stop is explicit zeros, as the spec's readers agree. ``key()`` covers only the command's own
axes, so the controller still compares each slot on its own.

No focus speed exists in the PTZ service (focus lives in the imaging service), so ``Focus``
is refused; one-push focus is ``Autofocus("one-push")`` → ``onepushfoucs/start``, spelt as the
document spells it (ERRATA: that is what devices use).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable
from xml.etree import ElementTree

from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PanTiltPositionInquiry,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, InquiryAnswer, Outgoing, Reply, SpeedLimits, UnreadableAnswer
from ptzmapd.vocabulary import PRESET_CLEAR, named_capabilities, raw_capability
from ptzmapd.protocols.pairing import HTTP_EXCHANGE, Pairing
from ptzmapd.protocols.units import drive_level, finite_speed, speed_sign
from ptzmapd.protocols.http import (
    XML,
    Decoded,
    HttpRequest,
    HttpResponse,
    describe_request,
    http_error,
    parse_response_status,
    parse_xml,
    quote_body,
    raw_command_request,
    read_response,
    xml_int,
    xml_text,
)

#: Named actions and the PTZAux ``type`` they switch. ISAPI numbers aux devices per type,
#: so the first (and on domes the only) light and wiper are both id 1.
AUX_TYPES: dict[str, str] = {"light": "LIGHT", "wiper": "WIPER"}
AUX_ID = 1
AUX_MODES: tuple[str, ...] = ("on", "off")
#: Continuous speeds and absolute positions, in the protocol's units.
SPEED_RANGE = range(-100, 101)
AZIMUTH_RANGE = range(0, 3601)
ELEVATION_RANGE = range(-900, 2701)
ZOOM_RANGE = range(0, 1001)
#: The video channel whose PTZ is driven when the config names none (a camera's only one).
DEFAULT_CHANNEL = 1

_INQUIRIES: dict[type[Command], str] = {
    PanTiltPositionInquiry: "pantilt-position",
    ZoomPositionInquiry: "zoom-position",
}


def channel_base(channel: int) -> str:
    return f"/ISAPI/PTZCtrl/channels/{channel}"


def snapshot_path(channel: int) -> str:
    """The JPEG of the channel's main stream (stream ``N01``)."""
    return f"/ISAPI/Streaming/channels/{channel}01/picture"


def speed_units(speed: float, top: int) -> int:
    """A normalised speed as −top..top; any nonzero speed moves (at least 1)."""
    if finite_speed(speed) == 0.0:
        return 0
    return drive_level(speed, top) * speed_sign(speed)


def _put(path: str, body: str = "") -> HttpRequest:
    headers = (("Content-Type", XML),) if body else ()
    return HttpRequest("PUT", path, body.encode("utf-8"), headers)


def continuous_request(channel: int, pan: int, tilt: int, zoom: int) -> HttpRequest:
    return _put(
        f"{channel_base(channel)}/continuous",
        f"<PTZData><pan>{pan}</pan><tilt>{tilt}</tilt><zoom>{zoom}</zoom></PTZData>",
    )


def _preset_number(number: int) -> int:
    if number < 1:
        raise ProtocolError(f"isapi presets are numbered from 1, got {number}")
    return number


def _home(command: Home, channel: int) -> HttpRequest:
    return _put(f"{channel_base(channel)}/homeposition/goto")


def _recall(command: PresetRecall, channel: int) -> HttpRequest:
    return _put(f"{channel_base(channel)}/presets/{_preset_number(command.number)}/goto")


def _clear(command: PresetClear, channel: int) -> HttpRequest:
    return HttpRequest("DELETE", f"{channel_base(channel)}/presets/{_preset_number(command.number)}")


def _tenths(value: float, valid: range, what: str) -> int:
    """Degrees (or zoom) as the document's tenths, checked against its range."""
    if not math.isfinite(value) or round(value * 10) not in valid:
        raise ProtocolError(f"isapi {what} must be {valid.start / 10:g}..{(valid.stop - 1) / 10:g}, got {value!r}")
    return round(value * 10)


def _move_to(command: MoveTo, channel: int) -> HttpRequest:
    # Only the axes asked for are sent: the camera leaves the others where they are.
    fields = [
        (tag, _tenths(value, valid, what))
        for tag, value, valid, what in (
            ("elevation", command.tilt, ELEVATION_RANGE, "tilt"),
            ("azimuth", command.pan, AZIMUTH_RANGE, "pan"),
            ("absoluteZoom", command.zoom, ZOOM_RANGE, "zoom"),
        )
        if value is not None
    ]
    if not fields:
        raise ProtocolError("move-to needs at least one of pan, tilt, zoom")
    inner = "".join(f"<{tag}>{number}</{tag}>" for tag, number in fields)
    return _put(f"{channel_base(channel)}/absolute", f"<PTZData><AbsoluteHigh>{inner}</AbsoluteHigh></PTZData>")


def _jog(command: Jog, channel: int, limits: SpeedLimits) -> HttpRequest:
    if not (math.isfinite(command.seconds) and command.seconds > 0):
        raise ProtocolError(f"jog needs a duration above 0 s, got {command.seconds!r}")
    pan, tilt = speed_units(command.pan, limits.pan), speed_units(command.tilt, limits.tilt)
    zoom = speed_units(command.zoom, limits.zoom)
    return _put(
        f"{channel_base(channel)}/momentary",
        f"<PTZData><pan>{pan}</pan><tilt>{tilt}</tilt><zoom>{zoom}</zoom>"
        f"<Momentary><duration>{round(command.seconds * 1000)}</duration></Momentary></PTZData>",
    )


def _store(command: PresetStore, channel: int) -> HttpRequest:
    number = _preset_number(command.number)
    # presetName is required; "Preset N" is the name the camera's own UI gives a new preset.
    return _put(
        f"{channel_base(channel)}/presets/{number}",
        f"<PTZPreset><enabled>true</enabled><id>{number}</id><presetName>Preset {number}</presetName></PTZPreset>",
    )


# ERRATA: devices answer to "onepushfoucs", as the document's contents spell it; the section
# headings drop the first "e" ("onpushfoucs"), a typo of the typo.
def _autofocus(command: Autofocus, channel: int) -> HttpRequest:
    if command.mode != "one-push":
        raise ProtocolError(f"isapi has only one-push focus, not autofocus {command.mode!r} (valid: one-push)")
    return _put(f"{channel_base(channel)}/onepushfoucs/start")


def _aux(command: CameraAction, channel: int) -> HttpRequest:
    aux_type = AUX_TYPES.get(command.name)
    if aux_type is None:
        raise ProtocolError(f"isapi has no action {command.name!r} (valid: {', '.join(AUX_TYPES)})")
    if command.mode not in AUX_MODES:
        raise ProtocolError(f"{command.name} mode must be on or off, got {command.mode!r}")
    return _put(
        f"{channel_base(channel)}/auxcontrols/{AUX_ID}",
        f"<PTZAux><id>{AUX_ID}</id><type>{aux_type}</type><status>{command.mode}</status></PTZAux>",
    )


def _status(command: Command, channel: int) -> HttpRequest:
    return HttpRequest("GET", f"{channel_base(channel)}/status")


def _raw(command: RawCommand, channel: int) -> HttpRequest:
    return raw_command_request(command)


#: Discrete commands → their request. Continuous moves are built by the codec (it combines slots).
_REQUESTS: dict[type[Command], Callable[..., HttpRequest]] = {
    Home: _home,
    PresetRecall: _recall,
    PresetStore: _store,
    PresetClear: _clear,
    MoveTo: _move_to,
    Autofocus: _autofocus,
    CameraAction: _aux,
    PanTiltPositionInquiry: _status,
    ZoomPositionInquiry: _status,
    RawCommand: _raw,
}

#: What a binding may ask of an ISAPI camera: the continuous moves the codec builds (no focus
#: speed in the PTZ service), then a capability per row of :data:`_REQUESTS` (autofocus is
#: one-push only, "onepushfoucs"; the position inquiries), the aux switches, raw requests.
CAPABILITIES: frozenset[str] = (
    frozenset({"pan", "tilt", "zoom", "stop", "jog", "home", "preset", PRESET_CLEAR, "move-to", "autofocus", "position"})
    | named_capabilities((aux, mode) for aux in AUX_TYPES for mode in AUX_MODES)
    | {raw_capability("http")}
)


@dataclass(slots=True)
class _Speeds:
    """The continuous speeds last sent, so one slot's request can repeat the other's."""

    pan: int = 0
    tilt: int = 0
    zoom: int = 0


class IsapiCodec:
    text_wire = True  # HTTP: requests and replies are traced as their text
    #: One request, one response.
    pairing: Pairing = HTTP_EXCHANGE

    def __init__(self, limits: SpeedLimits, channel: int = DEFAULT_CHANNEL) -> None:
        self.limits = limits
        self.channel = channel
        self._speeds = _Speeds()
        self._pending_inquiry: str | None = None

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        return []

    def _pantilt(self, command: PanTilt) -> tuple[int, int]:
        return speed_units(command.pan, self.limits.pan), speed_units(command.tilt, self.limits.tilt)

    def key(self, command: Command) -> bytes:
        # Each slot is keyed on its own axes only: the other slot's speeds ride along on the
        # wire but do not make this slot "changed".
        if isinstance(command, PanTilt):
            pan, tilt = self._pantilt(command)
            return f"continuous pan {pan} tilt {tilt}".encode()
        if isinstance(command, Zoom):
            return f"continuous zoom {speed_units(command.speed, self.limits.zoom)}".encode()
        return self._request(command).to_bytes()

    def _request(self, command: Command) -> HttpRequest:
        if isinstance(command, Jog):
            return _jog(command, self.channel, self.limits)
        build = _REQUESTS.get(type(command))
        if build is None:
            if isinstance(command, Focus):
                raise ProtocolError("isapi PTZ control has no focus speed (use autofocus one-push)")
            valid = ", ".join(kind.__name__ for kind in (PanTilt, Zoom, Jog, *_REQUESTS))
            raise ProtocolError(f"isapi cannot send {type(command).__name__} (valid: {valid})")
        return build(command, self.channel)

    def encode(self, command: Command) -> Outgoing:
        if isinstance(command, PanTilt):
            self._speeds.pan, self._speeds.tilt = self._pantilt(command)
        elif isinstance(command, Zoom):
            self._speeds.zoom = speed_units(command.speed, self.limits.zoom)
        else:
            request = self._request(command)
            self._pending_inquiry = _INQUIRIES.get(type(command))
            return Outgoing(request.to_bytes())
        self._pending_inquiry = None
        speeds = self._speeds
        return Outgoing(continuous_request(self.channel, speeds.pan, speeds.tilt, speeds.zoom).to_bytes())

    def receive(self, data: bytes) -> list[Reply]:
        response = read_response(data)
        if isinstance(response, Garbage):
            return [response]
        what, self._pending_inquiry = self._pending_inquiry, None
        return [interpret_response(response, what)]

    def describe(self, data: bytes) -> str:
        return describe_request(data, read_request)


def interpret_response(response: HttpResponse, inquiry: str | None = None) -> Reply:
    """A camera response as a reply: ResponseStatus first, then the HTTP status.

    401 stays ``http-401`` even with a ResponseStatus body, so a wrong password reads the
    same on every firmware.
    """
    if response.status == 401:
        return http_error(response)
    status = parse_response_status(response.body)
    if status is not None:
        if status.ok and response.ok:
            return Ack(None)
        code = status.sub_status_code or (f"status-{status.status_code}" if status.status_code is not None else "error")
        message = f"HTTP {response.status} {response.reason}: {status.message}".replace("  ", " ")
        return ErrorReply(
            None, kind=f"isapi-{code}", data=message.encode("utf-8"),
            http_status=response.status, status_code=status.status_code,
        )
    if not response.ok:
        return http_error(response)
    if inquiry is None:
        return Ack(None)
    values = read_position(response.body, inquiry)
    if values is None:
        return UnreadableAnswer(None, response.body, f"no position in the status answer: {quote_body(response.body)}")
    return InquiryAnswer(None, what=inquiry, values=values)


def read_position(body: bytes, inquiry: str) -> tuple[int, ...] | None:
    """(azimuth, elevation) or (zoom,) in tenths from a ``PTZStatus`` document."""
    root = parse_xml(body)
    if root is None or root.tag != "PTZStatus":
        return None
    if inquiry == "pantilt-position":
        azimuth, elevation = xml_int(root, "AbsoluteHigh/azimuth"), xml_int(root, "AbsoluteHigh/elevation")
        return None if azimuth is None or elevation is None else (azimuth, elevation)
    zoom = xml_int(root, "AbsoluteHigh/absoluteZoom")
    return None if zoom is None else (zoom,)


def status_xml(azimuth: int, elevation: int, zoom: int, namespace: str | None) -> bytes:
    """A ``PTZStatus`` document as a camera sends it (for the simulator)."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<PTZStatus version="2.0"{xmlns}><AbsoluteHigh>'
        f"<elevation>{elevation}</elevation><azimuth>{azimuth}</azimuth><absoluteZoom>{zoom}</absoluteZoom>"
        f"</AbsoluteHigh></PTZStatus>"
    ).encode("utf-8")


# --------------------------------------------------------------------------- reading requests

_PTZ_PATH = re.compile(r"/ISAPI/PTZCtrl/channels/(\d+)/(.+)")
_PICTURE_PATH = re.compile(r"/ISAPI/Streaming/channels/(\d+)/picture")


class _Invalid(Exception):
    pass


def _body(request: HttpRequest, tag: str) -> ElementTree.Element:
    root = parse_xml(request.body)
    if root is None:
        raise _Invalid("bad XML")
    if root.tag != tag:
        raise _Invalid(f"expected <{tag}>, got <{root.tag}>")
    return root


def _axes(root: ElementTree.Element, names: tuple[str, ...], prefix: str = "") -> dict[str, int | str]:
    values: dict[str, int | str] = {}
    for name in names:
        text = xml_text(root, prefix + name)
        if text is None:
            continue
        try:
            values[name] = int(text)
        except ValueError:
            raise _Invalid(f"{name} is not an integer: {text[:20]!r}") from None
    return values


def _words(values: dict[str, int | str]) -> str:
    return " ".join(f"{name} {value}" for name, value in values.items())


def _read_continuous(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    values = _axes(_body(request, "PTZData"), ("pan", "tilt", "zoom"))
    return Decoded("continuous", f"continuous {_words(values)}".rstrip(), values)


def _read_momentary(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    root = _body(request, "PTZData")
    values = _axes(root, ("pan", "tilt", "zoom"))
    values.update(_axes(root, ("duration",), "Momentary/"))
    duration = values.pop("duration", None)
    text = f"momentary {_words(values)}".rstrip() + (f" for {duration} ms" if duration is not None else "")
    if duration is not None:
        values["duration"] = duration
    return Decoded("momentary", text, values)


def _read_absolute(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    values = _axes(_body(request, "PTZData"), ("azimuth", "elevation", "absoluteZoom"), "AbsoluteHigh/")
    return Decoded("absolute", f"absolute {_words(values)}".rstrip(), values)


def _read_goto(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    number = int(rest.group(1))
    return Decoded("preset-goto", f"preset goto {number}", {"number": number})


def _read_preset_set(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    number = int(rest.group(1))
    name = xml_text(_body(request, "PTZPreset"), "presetName") or ""
    return Decoded("preset-set", f"preset set {number} {name!r}", {"number": number, "name": name})


def _read_preset_clear(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    number = int(rest.group(1))
    return Decoded("preset-clear", f"preset clear {number}", {"number": number})


def _read_home(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    return Decoded("home", "home goto")


def _read_aux(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    root = _body(request, "PTZAux")
    aux_type = (xml_text(root, "type") or "").lower()
    status = xml_text(root, "status") or ""
    return Decoded("aux", f"aux {aux_type} {status}", {"id": int(rest.group(1)), "type": aux_type, "status": status})


def _read_focus(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    return Decoded("one-push-focus", "one-push focus")


def _read_status(request: HttpRequest, rest: re.Match[str]) -> Decoded:
    return Decoded("status", "status")


#: (method, resource under the channel) → reader. One table for the simulator and traces.
_ROUTES: tuple[tuple[str, re.Pattern[str], Callable[[HttpRequest, re.Match[str]], Decoded]], ...] = (
    ("PUT", re.compile(r"continuous"), _read_continuous),
    ("PUT", re.compile(r"momentary"), _read_momentary),
    ("PUT", re.compile(r"absolute"), _read_absolute),
    ("PUT", re.compile(r"presets/(\d+)/goto"), _read_goto),
    ("PUT", re.compile(r"presets/(\d+)"), _read_preset_set),
    ("DELETE", re.compile(r"presets/(\d+)"), _read_preset_clear),
    ("PUT", re.compile(r"homeposition/goto"), _read_home),
    ("PUT", re.compile(r"auxcontrols/(\d+)"), _read_aux),
    ("PUT", re.compile(r"onepushfoucs/start"), _read_focus),
    ("GET", re.compile(r"status"), _read_status),
)


def read_request(request: HttpRequest) -> Decoded | None:
    """What an ISAPI request asks; ``invalid`` when its body cannot be read; None if unknown.

    ``values["channel"]`` is the PTZ channel (or the stream id of a snapshot).
    """
    picture = _PICTURE_PATH.fullmatch(request.path)
    if picture is not None and request.method == "GET":
        stream = int(picture.group(1))
        return Decoded("snapshot", f"snapshot stream {stream}", {"channel": stream})
    match = _PTZ_PATH.fullmatch(request.path)
    if match is None:
        return None
    channel, resource = int(match.group(1)), match.group(2)
    for method, pattern, reader in _ROUTES:
        rest = pattern.fullmatch(resource)
        if rest is None or method != request.method:
            continue
        try:
            decoded = reader(request, rest)
        except _Invalid as exc:
            return Decoded("invalid", f"{request.method} {resource}: {exc}", {"channel": channel})
        decoded.values["channel"] = channel
        return decoded
    return None
