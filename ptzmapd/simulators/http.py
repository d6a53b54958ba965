"""Simulated HTTP cameras (``isapi``, ``ipcam-cgi``, ``ptzoptics-cgi``) and the PTZ image
``upload`` device, served on real sockets for ``ptzmapd simulate``, the demo and the tests.

The server is a small HTTP/1.1 implementation on asyncio streams: keep-alive, bodies by
``Content-Length`` or chunked, and real authentication — Digest (RFC 7616: MD5 by default,
``qop=auth`` by default, nonces that :meth:`HttpSimulator.expire_nonces` can make stale) for
ISAPI, Basic for the IP camera CGI, none for PTZOptics unless given a user (its manual shows
its urls without credentials), and the credentials in the query string for the upload
device (``specs/ptz-image-upload-cgi.txt``). Auth quirk modes: ``auth`` (``bearer``: a scheme
no client here answers), ``digest_qop`` (``auth-int``), ``digest_algorithm``.

Every command and inquiry of each document is answered: what ptzmapd sends is read by the
codecs, the rest comes from the tables of :mod:`.isapi_device` (ISAPI's PTZ service and the
``/ISAPI/System`` resources clients connect with) and :mod:`.ipcam_device` (the IP camera's
configuration and control CGIs); PTZOptics' photo booth is here. Requests are read with the codecs' own readers
(``read_request`` of each protocol module), so what a camera understands and what a trace
shows are one piece of code.

Each camera has a head (:class:`Head`) whose position follows its speeds over time, in the
protocol's units: ISAPI azimuth/elevation in tenths of a degree (full speed 90°/s) and zoom
0..1000 (full speed crosses it in 2 s); PTZOptics degrees (pan ±170, tilt −30..90) and
zoom/focus 0..1000; the CGI camera's step degrees (pan 0..340, tilt 0..135).

Fault knobs for tests: ``fail_status`` (answer every request, or the next ``fail_count``,
with that status), ``delay`` (seconds before answering), :meth:`HttpSimulator.expire_nonces`,
``namespace`` (ISAPI's XML namespace), ``upload_reply``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import re
import secrets
import ssl
from dataclasses import dataclass, field
from typing import Awaitable, Callable
from urllib.parse import parse_qs
from urllib.request import parse_http_list, parse_keqv_list

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.ipcam_cgi import codec as ipcam_cgi
from ptzmapd.protocols.isapi import codec as isapi
from ptzmapd.protocols.ptzoptics_cgi import codec as ptzoptics_cgi
from ptzmapd.protocols.http import Decoded, HttpRequest, HttpResponse, ResponseStatus, split_message
from ptzmapd.simulators.ipcam_device import MJPEG_BOUNDARY, IpcamDevice, mjpeg_stream, parameters_of
from ptzmapd.simulators.isapi_device import IsapiDevice

_logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("isapi", "ipcam-cgi", "ptzoptics-cgi", "upload")
DEFAULT_PASSWORD = "secret"
#: The smallest JPEG a viewer accepts the look of: SOI, a JFIF APP0 segment, EOI.
JPEG = bytes.fromhex("FFD8FFE000104A46494600010100000100010000FFD9")
REALM = "ptzmapd simulated camera"
HIKVISION_NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
#: Heads bigger than this are refused (a real camera's limit is smaller still).
MAX_HEAD = 16 * 1024
#: Authentication by kind: how the camera checks who asks. The PTZOptics manual shows its
#: CGI urls without credentials, so that camera is open unless a user is given (``--user``).
DEFAULT_AUTH: dict[str, str] = {"isapi": "digest", "ipcam-cgi": "basic", "ptzoptics-cgi": "none", "upload": "query"}
#: ``bearer``: a camera that asks for a scheme no camera client here answers (it accepts nothing).
AUTH_SCHEMES: tuple[str, ...] = ("digest", "basic", "none", "query", "bearer")
DEFAULT_USER = "admin"

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

REASONS: dict[int, str] = {
    200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 411: "Length Required", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 503: "Service Unavailable",
}

#: The stage-2 page of the upload document, as the device sends it.
UPLOAD_FORM = (
    b'<html><head><title>UPLOAD FILES</title></head>\r\n'
    b'<meta http-equiv="PRAGMA" content="NO-CACHE"><body>\r\n'
    b'<form name="UPLOAD_FORM" method="POST" enctype="multipart/form-data" action="update?PTZ_IMAGE_SAVE">\r\n'
    b'PTZ_IMAGE : <input type="FILE" name="URL_PTZ_IMAGE" value="" size="40">\r\n<br>\r\n'
    b'<input type="submit" value="Apply" name="URL_FIRMWARE_SUBMIT">\r\n'
    b'<input type="reset" value="Reset" name="URL_FIRMWARE_RESET">\r\n<br>\r\n</form></body></html>'
)


def response(status: int, body: bytes = b"", content_type: str | None = None, *headers: tuple[str, str]) -> HttpResponse:
    all_headers = ((("Content-Type", content_type),) if content_type else ()) + headers
    return HttpResponse(status, REASONS.get(status, ""), body, all_headers)


# --------------------------------------------------------------------------- the head


@dataclass(frozen=True, slots=True)
class Axis:
    low: float
    high: float
    #: Whether the axis turns all the way round (ISAPI azimuth) instead of stopping at its ends.
    wraps: bool = False

    def place(self, position: float) -> float:
        if self.wraps:
            return position % self.high
        return min(self.high, max(self.low, position))


@dataclass(slots=True)
class Head:
    """Where the camera points and how fast each axis moves (units per second)."""

    axes: dict[str, Axis]
    position: dict[str, float] = field(default_factory=dict)
    speed: dict[str, float] = field(default_factory=dict)
    #: A momentary move stops every axis at this time (ISAPI ``momentary``).
    stop_at: float | None = None
    presets: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Named switches: light, wiper, swing, auto-tracking.
    switches: dict[str, str] = field(default_factory=dict)
    _time: float | None = None

    def __post_init__(self) -> None:
        for name, axis in self.axes.items():
            self.position.setdefault(name, max(axis.low, 0.0))
            self.speed.setdefault(name, 0.0)

    def advance(self, now: float) -> None:
        """Integrate every axis's speed up to ``now`` (a momentary move ends on time)."""
        if self._time is None:
            self._time = now
        until = now if self.stop_at is None else min(now, self.stop_at)
        elapsed = max(0.0, until - self._time)
        for name, axis in self.axes.items():
            self.position[name] = axis.place(self.position[name] + self.speed[name] * elapsed)
        if self.stop_at is not None and now >= self.stop_at:
            self.speed = {name: 0.0 for name in self.axes}
            self.stop_at = None
        self._time = now

    def go(self, target: dict[str, float]) -> None:
        """Jump to a position and stand still (presets, home, absolute moves)."""
        for name, value in target.items():
            self.position[name] = self.axes[name].place(value)
        self.speed = {name: 0.0 for name in self.axes}
        self.stop_at = None

    @property
    def moving(self) -> bool:
        return any(speed != 0.0 for speed in self.speed.values())


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


# --------------------------------------------------------------------------- auth


#: Digest algorithms the simulated camera can check (RFC 7616 names), and their hash.
DIGEST_HASHES: dict[str, str] = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
#: The ``qop`` values a simulated camera may offer (``--digest-qop``).
DIGEST_QOPS: tuple[str, ...] = ("auth", "auth-int")


def _hash(algorithm: str, text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.new(DIGEST_HASHES[algorithm.upper().removesuffix("-SESS")], data).hexdigest()


class DigestServer:
    """The server side of RFC 7616 Digest.

    ``qop`` is what the challenge offers (``auth``, ``auth-int`` or both: quirk modes for
    clients that only do ``auth``); ``algorithm`` is MD5 by default, or SHA-256,
    SHA-512-256, with or without ``-sess``. Nonces live until :meth:`expire` (a camera
    forgets them after a reboot or a timeout); a correct signature over a forgotten nonce
    gets a new challenge marked ``stale=true``.
    """

    def __init__(self, user: str, password: str, qop: tuple[str, ...] = ("auth",), algorithm: str = "MD5") -> None:
        self.user = user
        self._password = password
        self.qop = qop
        self.algorithm = algorithm
        self.opaque = secrets.token_hex(8)
        #: nonce → the highest nonce count seen (replays are refused).
        self._nonces: dict[str, int] = {}

    def challenge(self, stale: bool = False) -> str:
        nonce = secrets.token_hex(16)
        self._nonces[nonce] = 0
        return (
            f'Digest realm="{REALM}", qop="{",".join(self.qop)}", nonce="{nonce}", opaque="{self.opaque}", '
            f"algorithm={self.algorithm}" + (", stale=true" if stale else "")
        )

    def expire(self) -> None:
        self._nonces.clear()

    def check(self, request: HttpRequest) -> str:
        """``ok``, ``stale`` (right password, forgotten nonce) or ``bad``."""
        header = request.header("Authorization") or ""
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            return "bad"
        fields = parse_keqv_list(parse_http_list(rest))
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(name not in fields for name in needed):
            return "bad"
        if fields["username"] != self.user or fields["realm"] != REALM or fields["uri"] != request.target:
            return "bad"
        algorithm = fields.get("algorithm", "MD5")
        if fields["qop"] not in self.qop or algorithm.upper() != self.algorithm.upper():
            return "bad"
        if algorithm.upper().removesuffix("-SESS") not in DIGEST_HASHES:
            return "bad"
        ha1 = _hash(algorithm, f"{self.user}:{REALM}:{self._password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = _hash(algorithm, f"{ha1}:{fields['nonce']}:{fields['cnonce']}")
        # RFC 7616 3.4.3: auth-int also signs the body.
        body = f":{_hash(algorithm, request.body)}" if fields["qop"] == "auth-int" else ""
        ha2 = _hash(algorithm, f"{request.method}:{fields['uri']}{body}")
        expected = _hash(algorithm, f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
        if not same(expected, fields["response"]):
            return "bad"
        try:
            count = int(fields["nc"], 16)
        except ValueError:
            return "bad"
        last = self._nonces.get(fields["nonce"])
        if last is None or count <= last:
            return "stale"
        self._nonces[fields["nonce"]] = count
        return "ok"


def same(given: str, expected: str) -> bool:
    """A constant-time comparison that also takes non-ASCII text (a client may send any)."""
    return secrets.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def basic_ok(request: HttpRequest, user: str, password: str) -> bool:
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return same(given, f"{user}:{password}")


# --------------------------------------------------------------------------- reading requests


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _BadRequest(400, "bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_http_request(reader: asyncio.StreamReader) -> tuple[HttpRequest, bool] | None:
    """The next request on a connection and whether to keep it open; None at its end."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequest(400, "connection closed inside a request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest(431, "request head too large") from None
    try:
        request = HttpRequest.from_bytes(head)
        start, _, _ = split_message(head)
    except ValueError as exc:
        raise _BadRequest(400, str(exc)) from None
    connection = (request.header("Connection") or "").lower()
    keep_alive = connection != "close" if start.endswith("HTTP/1.1") else connection == "keep-alive"
    if (request.header("Transfer-Encoding") or "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = request.header("Content-Length") or "0"
        if not length.isdigit():
            raise _BadRequest(400, f"bad Content-Length {length[:20]!r}")
        body = await reader.readexactly(int(length))
    return HttpRequest(request.method, request.target, body, request.headers), keep_alive


def multipart_fields(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """``name → (filename, content)`` of a multipart/form-data body; empty if it is not one."""
    boundary = ""
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        return {}
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            continue
        content = content.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        params: dict[str, str] = {}
        for item in disposition.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            params[key.lower()] = value.strip('"')
        if "name" in params:
            fields[params["name"]] = (params.get("filename"), content)
    return fields


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str | None
    data: bytes


class HttpSimulator:
    """A running simulated HTTP camera (or upload device): address, what it saw, fault knobs."""

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
        self.kind = kind
        self.host = ""
        self.port = 0
        self.user = user
        self._password = password
        #: "digest", "basic", "none" (open camera) or "query" (the upload device).
        self.auth = auth
        self.digest = digest or DigestServer(user, password)
        self.head = HEADS[kind]()
        #: The CAS-3xx camera's settings CGIs.
        self.ipcam_device = IpcamDevice(user)
        #: PTZOptics photo booth: numbers of the photos and videos taken (1..4).
        self.booth: dict[str, set[int]] = {"photo": set(), "video": set()}
        #: ISAPI resources beyond the PTZ commands (documents, lists, patrols…).
        self.isapi_device = IsapiDevice(self.head, HIKVISION_NAMESPACE)
        #: Readable text of every request the camera acted on, in order.
        self.received: list[str] = []
        #: Every request that arrived, answered or not (401s included).
        self.requests = 0
        #: Requests refused for their credentials.
        self.unauthorized = 0
        #: The most requests it was answering at one time (one client should keep this at 1).
        self.most_at_once = 0
        self._active = 0
        self.fail_status: int | None = None
        #: How many requests ``fail_status`` answers (None: all of them, until cleared).
        self.fail_count: int | None = None
        self.delay = 0.0
        #: ISAPI answers' XML namespace (None: none at all, as some firmware sends).
        self.namespace: str | None = HIKVISION_NAMESPACE
        #: The upload device's stage-4 answer; None: OK for a non-empty image.
        self.upload_reply: str | None = None
        self.uploads: list[Upload] = []
        self.channel = 1
        #: Serve HTTPS with this context (set before :meth:`open`).
        self.tls: ssl.SSLContext | None = None
        self._upload_armed = False
        self._clock = clock
        self._started = clock.now()
        self._log_line: Callable[[str], None] = log if log is not None else _logger.info
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, Callable[[HttpRequest], Awaitable[HttpResponse]]] = {
            "isapi": self._isapi,
            "ipcam-cgi": self._ipcam,
            "ptzoptics-cgi": self._ptzoptics,
            "upload": self._upload,
        }

    def __repr__(self) -> str:
        return f"HttpSimulator({self.kind!r}, {self.where!r}, user={self.user!r}, auth={self.auth!r})"

    @property
    def where(self) -> str:
        """What a config's ``url`` should say to reach this camera."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return f"{'https' if self.tls is not None else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.where

    @property
    def state(self) -> Head:
        """The head, moved on to now."""
        self.head.advance(self._clock.now())
        return self.head

    def expire_nonces(self) -> None:
        """Forget every Digest nonce, as a camera does after a while or a reboot."""
        self.digest.expire()

    async def open(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_HEAD, ssl=self.tls)
        sockname = self._server.sockets[0].getsockname()
        self.host, self.port = sockname[0], sockname[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):  # a request held by ``delay`` would outlive us
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _log(self, text: str) -> None:
        self._log_line(f"[{self.kind} {self.host}:{self.port}] {text}")

    def _note(self, text: str) -> None:
        self.received.append(text)
        self._log(text)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve_connection(reader, writer)
        except asyncio.CancelledError:
            pass  # the simulator is closing: this connection ends here, quietly
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    read = await read_http_request(reader)
                except _BadRequest as exc:
                    self._log(f"bad request: {exc}")
                    answer = response(exc.status, str(exc).encode(), "text/plain", ("Connection", "close"))
                    writer.write(answer.to_bytes(content_length=True))
                    break
                if read is None:
                    break
                request, keep_alive = read
                answer = await self._answer(request, reader)
                if not keep_alive:
                    answer = HttpResponse(answer.status, answer.reason, answer.body, answer.headers + (("Connection", "close"),))
                writer.write(answer.to_bytes(content_length=True))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (a cancelled request): nothing to answer
        except Exception as exc:  # noqa: BLE001 - whatever a client sends, the camera lives on
            self._log(f"connection dropped: {type(exc).__name__}: {exc}")

    async def _answer(self, request: HttpRequest, reader: asyncio.StreamReader) -> HttpResponse:
        self.requests += 1
        self._active += 1
        self.most_at_once = max(self.most_at_once, self._active)
        try:
            if self.delay > 0:
                await self._hold(reader)
            return await self._answer_one(request)
        except Exception as exc:  # noqa: BLE001 - a camera answers 500 to what it cannot handle; it never dies of it
            self._log(f"internal error on {request.method} {request.path}: {type(exc).__name__}: {exc}")
            return response(500, b"500 Internal Server Error\n", "text/plain")
        finally:
            self._active -= 1

    async def _hold(self, reader: asyncio.StreamReader) -> None:
        """Wait ``delay`` before answering, unless the client hangs up first (it gave up).

        A client sends nothing while it waits for an answer, so reading here only sees the
        end of the connection.
        """
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait({hangup}, timeout=self.delay)
        finally:
            if not hangup.done():
                hangup.cancel()
        if hangup.done() and not hangup.cancelled() and hangup.result() == b"":
            raise ConnectionResetError("the client hung up while the camera was slow")

    async def _answer_one(self, request: HttpRequest) -> HttpResponse:
        if self.fail_status is not None:
            status = self.fail_status
            if self.fail_count is not None:
                self.fail_count -= 1
                if self.fail_count <= 0:
                    self.fail_status, self.fail_count = None, None
            self._log(f"failing {request.method} {request.target} with {status}")
            return response(status, f"{status} {REASONS.get(status, '')}\n".encode(), "text/plain")
        refusal = self._authenticate(request)
        if refusal is not None:
            self.unauthorized += 1
            self._log(f"401 for {request.method} {request.path}")
            return refusal
        return await self._handlers[self.kind](request)

    def _authenticate(self, request: HttpRequest) -> HttpResponse | None:
        """None when the request may go on, else the 401 to send."""
        if self.auth in ("none", "query"):
            return None
        if self.auth == "bearer":
            return response(401, b"401 Unauthorized\n", "text/plain", ("WWW-Authenticate", f'Bearer realm="{REALM}"'))
        if self.auth == "basic":
            if basic_ok(request, self.user, self._password):
                return None
            return response(401, b"401 Unauthorized\n", "text/plain", ("WWW-Authenticate", f'Basic realm="{REALM}"'))
        verdict = self.digest.check(request)
        if verdict == "ok":
            return None
        body = ResponseStatus(4, "Invalid Operation", "unAuthorized", request.path).to_xml(self.namespace)
        challenge = self.digest.challenge(stale=verdict == "stale")
        return response(401, body, "application/xml", ("WWW-Authenticate", challenge))

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
    scheme = auth or ("basic" if kind == "ptzoptics-cgi" and user is not None else DEFAULT_AUTH[kind])
    if scheme not in AUTH_SCHEMES:
        raise PtzmapdError(f"unknown auth {scheme!r} (valid: {', '.join(AUTH_SCHEMES)})")
    qop = tuple(part.strip() for part in digest_qop.split(","))
    if not qop or any(part not in DIGEST_QOPS for part in qop):
        raise PtzmapdError(f"unknown Digest qop {digest_qop!r} (valid: auth, auth-int, or both comma-separated)")
    if digest_algorithm.upper().removesuffix("-SESS") not in DIGEST_HASHES:
        valid = ", ".join(f"{name}[-sess]" for name in DIGEST_HASHES)
        raise PtzmapdError(f"unknown Digest algorithm {digest_algorithm!r} (valid: {valid})")
    user = user if user is not None else DEFAULT_USER
    password = DEFAULT_PASSWORD
    if password_env is not None:
        value = os.environ.get(password_env)
        if not value:
            raise PtzmapdError(f"environment variable {password_env!r} is not set (the simulator's password)")
        password = value
    digest = DigestServer(user, password, qop, digest_algorithm)
    handle = HttpSimulator(kind, user, password, scheme, clock or MonotonicClock(), log, digest)
    handle.tls = tls
    await handle.open(host, port)
    return handle
