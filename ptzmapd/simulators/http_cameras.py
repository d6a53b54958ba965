"""Simulated HTTP cameras (``isapi``, ``ipcam-cgi``, ``ptzoptics-cgi``) and the PTZ image
``upload`` device, served on real sockets for ``ptzmapd simulate``, the demo and the tests.

The server side (h11, authentication, fault knobs) is :mod:`.http_server`'s; each kind's
default authentication is Digest for ISAPI, Basic for the IP camera CGI, none for PTZOptics
unless given a user (its manual shows its urls without credentials), and the credentials in
the query string for the upload device (``specs/ptz-image-upload-cgi.txt``).

Every command and inquiry of each document is answered: what ptzmapd sends is read by the
codecs, the rest comes from the tables of :mod:`.isapi_device` (ISAPI's PTZ service and the
``/ISAPI/System`` resources clients connect with) and :mod:`.ipcam_device` (the IP camera's
configuration and control CGIs); PTZOptics' photo booth is here. Requests are read with the
codecs' own readers (``read_request`` of each protocol module), so what a camera understands
and what a trace shows are one piece of code.

Each camera has a head (:class:`~.head.Head`) whose position follows its speeds over time, in
the protocol's units: ISAPI azimuth/elevation in tenths of a degree (full speed 90°/s) and
zoom 0..1000 (full speed crosses it in 2 s); PTZOptics degrees (pan ±170, tilt −30..90) and
zoom/focus 0..1000; the CGI camera's step degrees (pan 0..340, tilt 0..135).

Camera knobs for tests (besides the server's): ``namespace`` (ISAPI's XML namespace),
``upload_reply``.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import parse_qs

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.ipcam_cgi import codec as ipcam_cgi
from ptzmapd.protocols.isapi import codec as isapi
from ptzmapd.protocols.ptzoptics_cgi import codec as ptzoptics_cgi
from ptzmapd.protocols.http import Decoded, HttpRequest, HttpResponse, ResponseStatus
from ptzmapd.simulators.head import Axis, Head
from ptzmapd.simulators.http_server import (
    REASONS,
    DigestServer,
    HttpServer,
    check_auth_scheme,
    digest_server,
    login,
    multipart_fields,
    response,
    same,
)
from ptzmapd.simulators.ipcam_device import MJPEG_BOUNDARY, IpcamDevice, mjpeg_stream, parameters_of
from ptzmapd.simulators.isapi_device import IsapiDevice

KINDS: tuple[str, ...] = ("isapi", "ipcam-cgi", "ptzoptics-cgi", "upload")
#: The smallest JPEG a viewer accepts the look of: SOI, a JFIF APP0 segment, EOI.
JPEG = bytes.fromhex("FFD8FFE000104A46494600010100000100010000FFD9")
HIKVISION_NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
#: Authentication by kind: how the camera checks who asks. The PTZOptics manual shows its
#: CGI urls without credentials, so that camera is open unless a user is given (``--user``).
DEFAULT_AUTH: dict[str, str] = {"isapi": "digest", "ipcam-cgi": "basic", "ptzoptics-cgi": "none", "upload": "query"}

#: The ISAPI camera's presets (its capabilities' maxPresetNum).
PRESET_NUMBERS = range(1, 257)
#: Photo booth downloads (``/photo[num].jpg``, ``/video[num].mp4``, num 1..4) and what they hold:
#: a JPEG, and the smallest MP4 a player recognises (an ``ftyp`` box).
_BOOTH_FILE = re.compile(r"/(photo|video)([1-4])\.(?:jpg|mp4)")
BOOTH_FILES: dict[str, tuple[bytes, str]] = {
    "photo": (JPEG, "image/jpeg"),
    "video": (bytes.fromhex("00000018667479706973736f6d0000020069736f6d69736f32"), "video/mp4"),
}
#: A PTZ channel and what follows it (the codec's reader needs something after the number).
_ISAPI_CHANNEL = re.compile(r"/ISAPI/PTZCtrl/channels/(\d+)(?:/(.+))?")

#: The stage-2 page of the upload document, as the device sends it.
UPLOAD_FORM = (
    b'<html><head><title>UPLOAD FILES</title></head>\r\n'
    b'<meta http-equiv="PRAGMA" content="NO-CACHE"><body>\r\n'
    b'<form name="UPLOAD_FORM" method="POST" enctype="multipart/form-data" action="update?PTZ_IMAGE_SAVE">\r\n'
    b'PTZ_IMAGE : <input type="FILE" name="URL_PTZ_IMAGE" value="" size="40">\r\n<br>\r\n'
    b'<input type="submit" value="Apply" name="URL_FIRMWARE_SUBMIT">\r\n'
    b'<input type="reset" value="Reset" name="URL_FIRMWARE_RESET">\r\n<br>\r\n</form></body></html>'
)


def _isapi_head() -> Head:
    return Head({"pan": Axis(0, 3600, wraps=True), "tilt": Axis(-900, 2700), "zoom": Axis(0, 1000)})


def _ptzoptics_head() -> Head:
    return Head({"pan": Axis(-170, 170), "tilt": Axis(-30, 90), "zoom": Axis(0, 1000), "focus": Axis(0, 1000)})


#: The CGI camera's home: the middle of its pan range, level-ish.
IPCAM_HOME: dict[str, float] = {"pan": 170.0, "tilt": 45.0}


def _ipcam_head() -> Head:
    return Head({"pan": Axis(0, 340), "tilt": Axis(0, 135)}, position=dict(IPCAM_HOME))


HEADS: dict[str, Callable[[], Head]] = {
    "isapi": _isapi_head,
    "ipcam-cgi": _ipcam_head,
    "ptzoptics-cgi": _ptzoptics_head,
    "upload": lambda: Head({}),
}


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str | None
    data: bytes


class HttpSimulator(HttpServer):
    """A running simulated HTTP camera (or upload device): its head, its devices, what it saw."""

    def __init__(
        self,
        kind: str,
        user: str,
        password: str,
        auth: str,
        clock: Clock,
        log: Callable[[str], None] | None,
        digest: DigestServer | None = None,
    ) -> None:
        super().__init__(kind, user, password, auth, log, digest)
        self.head = HEADS[kind]()
        #: The CAS-3xx camera's settings CGIs.
        self.ipcam_device = IpcamDevice(user)
        #: PTZOptics photo booth: numbers of the photos and videos taken (1..4).
        self.booth: dict[str, set[int]] = {"photo": set(), "video": set()}
        #: ISAPI resources beyond the PTZ commands (documents, lists, patrols…).
        self.isapi_device = IsapiDevice(self.head, HIKVISION_NAMESPACE)
        #: Readable text of every request the camera acted on, in order.
        self.received: list[str] = []
        #: Every request past authentication, as it arrived (the codecs' ``read_request`` reads one).
        self.handled: list[HttpRequest] = []
        #: ISAPI answers' XML namespace (None: none at all, as some firmware sends).
        self.namespace: str | None = HIKVISION_NAMESPACE
        #: The upload device's stage-4 answer; None: OK for a non-empty image.
        self.upload_reply: str | None = None
        self.uploads: list[Upload] = []
        self.channel = 1
        self._upload_armed = False
        self._clock = clock
        self._started = clock.now()
        self._handlers: dict[str, Callable[[HttpRequest], Awaitable[HttpResponse]]] = {
            "isapi": self._isapi,
            "ipcam-cgi": self._ipcam,
            "ptzoptics-cgi": self._ptzoptics,
            "upload": self._upload,
        }

    def __repr__(self) -> str:
        return f"HttpSimulator({self.kind!r}, {self.where!r}, user={self.user!r}, auth={self.auth!r})"

    @property
    def state(self) -> Head:
        """The head, moved on to now."""
        self.head.advance(self._clock.now())
        return self.head

    async def handle(self, request: HttpRequest) -> HttpResponse:
        self.handled.append(request)
        return await self._handlers[self.kind](request)

    def refusal_body(self, request: HttpRequest) -> tuple[bytes, str]:
        # Every simulated camera refuses Digest as ISAPI does: with its status document.
        body = ResponseStatus(4, "Invalid Operation", "unAuthorized", request.path).to_xml(self.namespace)
        return body, "application/xml"

    def _note(self, text: str) -> None:
        self.received.append(text)
        self._log(text)

    # ------------------------------------------------------------------------ ISAPI

    def _status(self, code: int, text: str, sub: str, request: HttpRequest, http_status: int = 200) -> HttpResponse:
        body = ResponseStatus(code, text, sub, request.path).to_xml(self.namespace)
        return response(http_status, body, "application/xml")

    def _isapi_resource(self, request: HttpRequest) -> HttpResponse:
        """Every ISAPI resource ptzmapd does not send itself (:mod:`.isapi_device`'s table)."""
        device = self.isapi_device
        device.namespace = self.namespace
        now = self._clock.now()
        self.head.advance(now)
        answer = device.system(request, now, self._started)
        if answer is None:
            match = _ISAPI_CHANNEL.fullmatch(request.path)
            if match is not None and int(match.group(1)) != self.channel:
                self._log(f"no PTZ channel {match.group(1)}")
                return self._status(4, "Invalid Operation", "invalidChannel", request, 403)
            if match is not None:
                answer = device.answer(request, self.channel, match.group(2) or "", now)
        for note in device.notes:
            self._note(note)
        device.notes.clear()
        if answer is None:
            self._log(f"unknown request {request.method} {request.target}")
            return self._status(4, "Invalid Operation", "notSupport", request, 404)
        return HttpResponse(answer.status, REASONS.get(answer.status, ""), answer.body, answer.headers)

    async def _isapi(self, request: HttpRequest) -> HttpResponse:
        decoded = isapi.read_request(request)
        if decoded is None:
            return self._isapi_resource(request)
        if decoded.action == "invalid":
            self._log(decoded.text)
            return self._status(5, "Invalid XML Format", "badXmlFormat", request, 400)
        if decoded.action == "snapshot":
            self._note(decoded.text)
            return response(200, JPEG, "image/jpeg")
        if decoded.values.get("channel") != self.channel:
            self._log(f"no PTZ channel {decoded.values.get('channel')}")
            return self._status(4, "Invalid Operation", "invalidChannel", request, 403)
        head = self.state
        now = self._clock.now()
        values = decoded.values
        if decoded.action in ("continuous", "momentary"):
            speeds = {axis: int(values.get(axis, 0)) for axis in ("pan", "tilt", "zoom")}
            if any(speed not in isapi.SPEED_RANGE for speed in speeds.values()):
                self._log(f"out of range: {decoded.text}")
                return self._status(6, "Invalid XML Content", "badXmlContent", request, 400)
            # A missing axis stops, as strict firmware reads it: a codec that left one out shows.
            head.speed = {"pan": speeds["pan"] * 9.0, "tilt": speeds["tilt"] * 9.0, "zoom": speeds["zoom"] * 5.0}
            duration = values.get("duration")
            head.stop_at = now + int(duration) / 1000 if decoded.action == "momentary" and duration is not None else None
        elif decoded.action == "absolute":
            target = {"pan": values.get("azimuth"), "tilt": values.get("elevation"), "zoom": values.get("absoluteZoom")}
            ranges = {"pan": isapi.AZIMUTH_RANGE, "tilt": isapi.ELEVATION_RANGE, "zoom": isapi.ZOOM_RANGE}
            if any(value is not None and int(value) not in ranges[axis] for axis, value in target.items()):
                return self._status(6, "Invalid XML Content", "badXmlContent", request, 400)
            head.go({axis: float(value) for axis, value in target.items() if value is not None})
        elif decoded.action.startswith("preset-") and int(values["number"]) not in PRESET_NUMBERS:
            self._log(f"no preset {values['number']} (1..{PRESET_NUMBERS.stop - 1})")
            return self._status(4, "Invalid Operation", "notSupport", request, 403)
        elif decoded.action == "preset-goto":
            head.go(head.presets.get(int(values["number"]), dict(head.position)))
        elif decoded.action == "preset-set":
            head.presets[int(values["number"])] = dict(head.position)
            self.isapi_device.preset_names[int(values["number"])] = str(values.get("name", ""))
        elif decoded.action == "preset-clear":
            head.presets.pop(int(values["number"]), None)
            self.isapi_device.preset_names.pop(int(values["number"]), None)
        elif decoded.action == "home":
            head.go(dict(self.isapi_device.home))
        elif decoded.action == "aux":
            if values.get("type") not in ("light", "wiper", "fan", "heater") or values.get("status") not in ("on", "off"):
                return self._status(6, "Invalid XML Content", "badXmlContent", request, 400)
            head.switches[str(values["type"])] = str(values["status"])
        elif decoded.action == "status":
            self._note(decoded.text)
            position = head.position
            body = isapi.status_xml(
                round(position["pan"]) % 3600, round(position["tilt"]), round(position["zoom"]), self.namespace
            )
            return response(200, body, "application/xml")
        self._note(decoded.text)
        return self._status(1, "OK", "ok", request)

    # ------------------------------------------------------------------------ both CGIs

    def _cgi_request(self, request: HttpRequest, decoded: Decoded | None) -> Decoded | HttpResponse:
        """The request to act on, noted in the log; or the whole answer to one that moves
        nothing (unknown, invalid, a snapshot)."""
        if decoded is None:
            self._log(f"unknown request {request.method} {request.target}")
            return response(404, b"404 Not Found\n", "text/plain")
        if decoded.action == "invalid":
            self._log(decoded.text)
            return response(400, decoded.text.encode(), "text/plain")
        self._note(decoded.text)
        if decoded.action == "snapshot":
            return response(200, JPEG, "image/jpeg")
        return decoded

    # ------------------------------------------------------------------------ IP camera CGI

    async def _ipcam(self, request: HttpRequest) -> HttpResponse:
        device = self.ipcam_device
        if device.handles(request.path):
            answer = device.answer(request.method, request.path, parameters_of(request.method, request.query, request.body))
            if answer.note:
                self._note(answer.note)
            return response(answer.status, answer.body.encode("utf-8"), "text/html" if answer.body else None)
        if request.path == "/mjpeg.cgi" and request.method == "GET":
            self._note("motion JPEG stream")
            head = self.state
            stream = mjpeg_stream(JPEG, head.position["pan"], head.position["tilt"], device.switches)
            return response(200, stream, f"multipart/x-mixed-replace;boundary={MJPEG_BOUNDARY}")
        decoded = self._cgi_request(request, ipcam_cgi.read_request(request))
        if isinstance(decoded, HttpResponse):
            return decoded
        head = self.state
        values = decoded.values
        if decoded.action == "step":
            delta = {"up": ("tilt", 1), "down": ("tilt", -1), "left": ("pan", -1), "right": ("pan", 1)}
            axis, sign = delta[str(values["direction"])]
            head.go({axis: head.position[axis] + sign * int(values["degrees"])})
        elif decoded.action == "home" or (decoded.action == "preset-move" and values["number"] == 0):
            head.go(dict(IPCAM_HOME))
        elif decoded.action == "preset-move":
            if int(values["number"]) not in ipcam_cgi.PRESETS:
                return response(400, b"preset out of range\n", "text/plain")
            head.go(head.presets.get(int(values["number"]), dict(head.position)))
        elif decoded.action == "preset-set":
            if int(values["number"]) not in ipcam_cgi.PRESETS:  # 0 is home: "Can't modify"
                return response(400, b"preset out of range\n", "text/plain")
            given = {"pan": float(values["pan"]), "tilt": float(values["tilt"])} if "pan" in values else None
            head.presets[int(values["number"])] = given or dict(head.position)
        elif decoded.action == "preset-clear":
            head.presets.pop(int(values["number"]), None)
        elif decoded.action == "swing":
            head.switches["swing"] = "on" if values["mode"] == 2 else "off"
        elif decoded.action == "move-to":
            head.go({"pan": float(values["pan"]), "tilt": float(values["tilt"])})
        return response(204)

    # ------------------------------------------------------------------------ PTZOptics CGI

    async def _ptzoptics(self, request: HttpRequest) -> HttpResponse:
        download = _BOOTH_FILE.fullmatch(request.path)
        if download is not None and request.method == "GET":
            kind, number = download.group(1), int(download.group(2))
            if number not in self.booth[kind]:
                self._log(f"no {kind} {number} taken yet")
                return response(404, b"404 Not Found\n", "text/plain")
            self._note(f"{kind} {number} downloaded")
            return response(200, *BOOTH_FILES[kind])
        decoded = self._cgi_request(request, ptzoptics_cgi.read_request(request))
        if isinstance(decoded, HttpResponse):
            return decoded
        if decoded.action == "booth":
            # The manual's series of four; taken at once here (the delay is a camera's wait).
            self.booth[str(decoded.values["kind"])] = {1, 2, 3, 4}
        self._ptzoptics_move(self.state, decoded)
        return response(200)

    @staticmethod
    def _ptzoptics_move(head: Head, decoded: Decoded) -> None:
        values = decoded.values
        if decoded.action == "pantilt":
            tilt_sign, pan_sign = ptzoptics_cgi.DIRECTION_SIGNS[str(values["direction"])]
            # VISCA-like rates: top pan level 100°/s, top tilt level 60°/s.
            head.speed["pan"] = pan_sign * int(values["pan"]) / 24 * 100
            head.speed["tilt"] = tilt_sign * int(values["tilt"]) / 20 * 60
        elif decoded.action == "pantilt-stop":
            head.speed["pan"] = head.speed["tilt"] = 0.0
        elif decoded.action in ("zoom", "focus"):
            # Level p crosses the 0..1000 range in 3 s at the top level, 8× slower at 0.
            head.speed[decoded.action] = int(values["direction"]) * (int(values["speed"]) + 1) / 8 * 1000 / 3
        elif decoded.action in ("zoom-stop", "focus-stop"):
            head.speed[decoded.action.removesuffix("-stop")] = 0.0
        elif decoded.action == "preset-recall":
            head.go(head.presets.get(int(values["number"]), dict(head.position)))
        elif decoded.action == "preset-set":
            head.presets[int(values["number"])] = dict(head.position)
        elif decoded.action == "home":
            head.go({"pan": 0.0, "tilt": 0.0})
        elif decoded.action == "auto-tracking":
            head.switches["auto-tracking"] = str(values["mode"])

    # ------------------------------------------------------------------------ PTZ image upload

    async def _upload(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/cgi-bin/update":
            return response(404, b"404 Not Found\n", "text/plain")
        query = parse_qs(request.query, keep_blank_values=True)
        if request.method == "GET" and "PTZ_IMAGE" in query:
            user, password = query.get("USER", [""])[0], query.get("PWD", [""])[0]
            if not (same(user, self.user) and same(password, self._password)):
                self.unauthorized += 1
                self._log(f"upload form refused to user {user!r}")  # never the password
                return response(401, b"ERROR: wrong user name or password\n", "text/plain")
            self._upload_armed = True
            self._note(f"upload form for user {user!r}")
            return response(200, UPLOAD_FORM, "text/html")
        if request.method == "POST" and "PTZ_IMAGE_SAVE" in query:
            if not self._upload_armed:
                self.unauthorized += 1
                return response(401, b"ERROR: open the upload form first\n", "text/plain")
            fields = multipart_fields(request.header("Content-Type") or "", request.body)
            filename, data = fields.get("URL_PTZ_IMAGE", (None, b""))
            submitted = fields.get("URL_FIRMWARE_SUBMIT", (None, b""))[1] == b"Apply"
            self._upload_armed = False  # the device reboots after an upload, whatever its result
            self.uploads.append(Upload(filename, data))
            self._note(f"upload {filename} {len(data)} bytes")
            if self.upload_reply is not None:
                answer = self.upload_reply
            elif "URL_PTZ_IMAGE" not in fields or not submitted:
                answer = "ERROR: no PTZ image in the form"
            elif not data:
                answer = "ERROR: empty image"
            else:
                answer = "OK"
            return response(200, answer.encode(), "text/plain")
        return response(400, b"ERROR: unknown request\n", "text/plain")

async def start(
    kind: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    user: str | None = None,
    password_env: str | None = None,
    auth: str | None = None,
    digest_qop: str = "auth",
    digest_algorithm: str = "MD5",
    clock: Clock | None = None,
    tls: ssl.SSLContext | None = None,
    **_: object,
) -> HttpSimulator:
    """Serve a simulated ``kind`` on ``host:port`` (port 0: any free port; see ``.where``).

    The password it accepts comes from the variable ``password_env``, else it is
    ``"secret"``; the user is ``user``, else ``admin``. ``auth`` overrides the kind's scheme
    (``basic`` makes a Basic-only ISAPI camera, as older firmware is; ``bearer`` one that
    asks for a scheme nobody here answers); a PTZOptics camera given a ``user`` asks for
    Basic. ``digest_qop`` is what a Digest challenge offers (``auth``, ``auth-int`` or
    ``auth,auth-int``), ``digest_algorithm`` its algorithm (MD5, SHA-256, SHA-512-256, each
    also ``-sess``); ``tls`` serves HTTPS. PtzmapdError for a value it cannot serve.
    """
    if kind not in KINDS:
        raise PtzmapdError(f"unknown HTTP simulator {kind!r} (valid: {', '.join(KINDS)})")
    scheme = check_auth_scheme(auth or ("basic" if kind == "ptzoptics-cgi" and user is not None else DEFAULT_AUTH[kind]))
    user, password = login(user, password_env)
    digest = digest_server(user, password, digest_qop, digest_algorithm)
    handle = HttpSimulator(kind, user, password, scheme, clock or MonotonicClock(), log, digest)
    handle.tls = tls
    await handle.open(host, port)
    return handle
