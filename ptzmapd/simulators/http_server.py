"""The simulated cameras' HTTP/1.1 server, on h11: connections, authentication, fault knobs.

h11 reads and writes the protocol (keep-alive, bodies by ``Content-Length`` or chunked, heads
over :data:`MAX_HEAD` refused with 431, malformed requests with 400); this module owns the
sockets, and real authentication: Digest (RFC 7616: MD5 by default, ``qop=auth`` by default,
nonces that :meth:`HttpServer.expire_nonces` can make stale), Basic, none, the credentials in
the query string (the upload device, checked by its handler), and ``bearer`` (a scheme no
client here answers: it accepts nothing). Auth quirk modes: ``digest_qop`` (``auth-int``, or
both), ``digest_algorithm`` (SHA-256, SHA-512-256, each also ``-sess``).

Fault knobs for tests: ``fail_status`` (answer every request, or the next ``fail_count``,
with that status), ``delay`` (seconds before answering; a client that hangs up meanwhile is
not answered). What a camera answers is its subclass's :meth:`HttpServer.handle`
(:mod:`.http_cameras`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import secrets
import ssl
from abc import ABC, abstractmethod
from typing import Callable
from urllib.request import parse_http_list, parse_keqv_list

import h11

from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.http import HttpRequest, HttpResponse

_logger = logging.getLogger(__name__)

REALM = "ptzmapd simulated camera"
#: Heads bigger than this are refused (a real camera's limit is smaller still); h11 applies
#: it to anything it must hold whole (a head, a chunk-size line).
MAX_HEAD = 16 * 1024
#: How much a connection reads at a time.
_READ_SIZE = 65536
#: ``bearer``: a camera that asks for a scheme no camera client here answers (it accepts nothing).
AUTH_SCHEMES: tuple[str, ...] = ("digest", "basic", "none", "query", "bearer")

REASONS: dict[int, str] = {
    200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 411: "Length Required", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 503: "Service Unavailable",
}


def response(status: int, body: bytes = b"", content_type: str | None = None, *headers: tuple[str, str]) -> HttpResponse:
    """An answer with its reason phrase, and ``Content-Type`` when there is one."""
    all_headers = ((("Content-Type", content_type),) if content_type else ()) + headers
    return HttpResponse(status, REASONS.get(status, ""), body, all_headers)


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




def digest_server(user: str, password: str, qop: str = "auth", algorithm: str = "MD5") -> DigestServer:
    """A :class:`DigestServer` for ``--digest-qop`` / ``--digest-algorithm`` values.

    ``qop``: ``auth``, ``auth-int`` or ``auth,auth-int``. Raises PtzmapdError for a value it
    cannot serve, naming the valid ones.
    """
    offered = tuple(part.strip() for part in qop.split(","))
    if not offered or any(part not in DIGEST_QOPS for part in offered):
        raise PtzmapdError(f"unknown Digest qop {qop!r} (valid: auth, auth-int, or both comma-separated)")
    if algorithm.upper().removesuffix("-SESS") not in DIGEST_HASHES:
        valid = ", ".join(f"{name}[-sess]" for name in DIGEST_HASHES)
        raise PtzmapdError(f"unknown Digest algorithm {algorithm!r} (valid: {valid})")
    return DigestServer(user, password, offered, algorithm)


# --------------------------------------------------------------------------- forms


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


def _request_of(event: h11.Request, body: bytes) -> HttpRequest:
    # Latin-1, as the wire's bytes: a header with other bytes still reaches the auth checks.
    headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers.raw_items())
    return HttpRequest(event.method.decode("ascii"), event.target.decode("latin-1"), body, headers)


def _wire(connection: h11.Connection, answer: HttpResponse, method: str) -> bytes:
    """The answer's bytes, through h11 (which adds ``Connection: close`` when it will close)."""
    headers = [(name, value) for name, value in answer.headers if name.lower() != "content-length"]
    headers.append(("Content-Length", str(len(answer.body))))
    data = connection.send(h11.Response(status_code=answer.status, headers=headers, reason=answer.reason.encode()))
    if answer.body and method != "HEAD":  # a HEAD answer has the length, never the body
        data = (data or b"") + (connection.send(h11.Data(data=answer.body)) or b"")
    return (data or b"") + (connection.send(h11.EndOfMessage()) or b"")


class HttpServer(ABC):
    """A simulated camera's server: address, authentication, what it saw, fault knobs.

    Subclasses answer requests that got past authentication and the fault knobs
    (:meth:`handle`); ``kind`` names the camera in log lines.
    """

    def __init__(
        self,
        kind: str,
        user: str,
        password: str,
        auth: str,
        log: Callable[[str], None] | None,
        digest: DigestServer | None = None,
    ) -> None:
        self.kind = kind
        self.host = ""
        self.port = 0
        self.user = user
        self._password = password
        #: "digest", "basic", "none" (open camera), "query" (the upload device) or "bearer".
        self.auth = auth
        self.digest = digest or DigestServer(user, password)
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
        #: Serve HTTPS with this context (set before :meth:`open`).
        self.tls: ssl.SSLContext | None = None
        self._log_line: Callable[[str], None] = log if log is not None else _logger.info
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @abstractmethod
    async def handle(self, request: HttpRequest) -> HttpResponse:
        """The camera's answer to an authenticated request."""

    def refusal_body(self, request: HttpRequest) -> tuple[bytes, str]:
        """The body and content type of a Digest 401 (a camera may answer in its own format)."""
        return b"401 Unauthorized\n", "text/plain"

    @property
    def where(self) -> str:
        """What a config's ``url`` should say to reach this camera."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return f"{'https' if self.tls is not None else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.where

    def expire_nonces(self) -> None:
        """Forget every Digest nonce, as a camera does after a while or a reboot."""
        self.digest.expire()

    async def open(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self.tls)
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

    # ------------------------------------------------------------------------ connections

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
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            while True:
                try:
                    request = await self._next_request(connection, reader)
                except h11.RemoteProtocolError as exc:
                    self._log(f"bad request: {exc}")
                    if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                        status = exc.error_status_hint
                        answer = response(status, str(exc).encode(), "text/plain", ("Connection", "close"))
                        writer.write(_wire(connection, answer, ""))
                    break
                if request is None:
                    break
                answer = await self._answer(request, connection, reader)
                writer.write(_wire(connection, answer, request.method))
                await writer.drain()
                if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    break  # h11 says the connection ends here (Connection: close, HTTP/1.0)
                connection.start_next_cycle()
        except ConnectionError:
            pass  # the client went away (a cancelled request): nothing to answer
        except Exception as exc:  # noqa: BLE001 - whatever a client sends, the camera lives on
            self._log(f"connection dropped: {type(exc).__name__}: {exc}")

    @staticmethod
    async def _next_request(connection: h11.Connection, reader: asyncio.StreamReader) -> HttpRequest | None:
        """The next whole request on the connection; None when the client closed it.

        Raises ``h11.RemoteProtocolError`` for a request h11 refuses (with the status to answer).
        """
        start: h11.Request | None = None
        body = bytearray()
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(_READ_SIZE))
            elif isinstance(event, h11.Request):
                start = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert start is not None
                return _request_of(start, bytes(body))
            elif isinstance(event, h11.ConnectionClosed):
                return None
            else:  # PAUSED: only after a whole request, which returned above
                return None

    async def _answer(self, request: HttpRequest, connection: h11.Connection, reader: asyncio.StreamReader) -> HttpResponse:
        self.requests += 1
        self._active += 1
        self.most_at_once = max(self.most_at_once, self._active)
        try:
            if self.delay > 0:
                await self._hold(connection, reader)
            return await self._answer_one(request)
        except ConnectionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a camera answers 500 to what it cannot handle; it never dies of it
            self._log(f"internal error on {request.method} {request.path}: {type(exc).__name__}: {exc}")
            return response(500, b"500 Internal Server Error\n", "text/plain")
        finally:
            self._active -= 1

    async def _hold(self, connection: h11.Connection, reader: asyncio.StreamReader) -> None:
        """Wait ``delay`` before answering, unless the client hangs up first (it gave up).

        A client usually sends nothing while it waits for an answer; what it does send (a
        pipelined request) is kept for the connection to read next.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.delay
        while (left := deadline - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(reader.read(_READ_SIZE), left)
            except asyncio.TimeoutError:
                return
            if not data:
                raise ConnectionResetError("the client hung up while the camera was slow")
            connection.receive_data(data)

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
        return await self.handle(request)

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
        body, content_type = self.refusal_body(request)
        challenge = self.digest.challenge(stale=verdict == "stale")
        return response(401, body, content_type, ("WWW-Authenticate", challenge))


def check_auth_scheme(scheme: str) -> str:
    """``scheme`` if the server can check it; PtzmapdError naming the valid ones."""
    if scheme not in AUTH_SCHEMES:
        raise PtzmapdError(f"unknown auth {scheme!r} (valid: {', '.join(AUTH_SCHEMES)})")
    return scheme


#: Whom a simulated HTTP camera accepts when not told otherwise (``--user``, ``--password-env``).
DEFAULT_USER, DEFAULT_PASSWORD = "admin", "secret"


def login(user: str | None, password_env: str | None) -> tuple[str, str]:
    """The user and password a simulated HTTP camera accepts: ``user``, else
    :data:`DEFAULT_USER`; the password in the variable ``password_env``, else
    :data:`DEFAULT_PASSWORD`. PtzmapdError when that variable is unset or empty."""
    password = DEFAULT_PASSWORD
    if password_env is not None:
        password = os.environ.get(password_env) or ""
        if not password:
            raise PtzmapdError(f"environment variable {password_env!r} is not set (the simulator's password)")
    return (user if user is not None else DEFAULT_USER), password
