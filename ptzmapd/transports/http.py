"""HTTP transport: one camera's HTTP(S) endpoint, carrying the requests its codec writes.

The codec hands over a request as bytes (:mod:`ptzmapd.protocols.http`); this transport
sends it with httpx (keep-alive, the camera's ``timeout``, certificates verified for
https) and delivers the response as bytes. It interprets nothing.

- **One request at a time.** The controller keeps one command in flight, but when it stops
  waiting (its ack timeout) it sends again; the request it gave up on is cancelled first and
  the new one starts only when the old one is gone, so a camera never has two requests
  from us. The HTTP timeout is kept below the controller's ``ack_timeout`` for the same
  reason: a request is over (answered or failed) before the controller retries it.
- **Failures deliver nothing.** A timeout, a refused connection or a certificate problem
  is logged (once per streak, with the reason) and left to the controller's ack timeout,
  retries and offline backoff.
- **Auth**: Digest when the camera offers a challenge ptzmapd can sign, else Basic, learnt
  from its first 401 and kept (:class:`CameraAuth`); a challenge it cannot answer (Digest
  ``qop="auth-int"`` alone, another algorithm, another scheme) leaves the camera's 401 as
  the answer, and the refusal names what the camera asks for. A stale nonce (a 401 to a request signed with the old nonce) is
  answered with a fresh signature once, transparently. When the camera still says 401, the
  response goes to the codec (one clear error) and requests are held back for
  :data:`AUTH_HOLD_OFF` seconds: a fader must not hammer a camera with a wrong password
  (Hikvision locks a user out after a few failed logins). Stops are never held back
  (:meth:`HttpTransport.send_stop`): a camera that may be moving is told to stop at once, and
  the controller's stop rules bound how often it is asked again.
- An empty request is "nothing to send" (a step-move camera's stop) and is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import hashlib
import ssl
import time
from typing import TYPE_CHECKING, Callable, Generator
from urllib.parse import urlsplit

import httpx

from ptzmapd.config.model import HttpEndpoint
from ptzmapd.errors import TransportError
from ptzmapd.protocols.http import Challenge, HttpRequest, HttpResponse, answerable_scheme, parse_challenges
from ptzmapd.secrets import Credentials, install_log_redaction, redact
from ptzmapd.transports.base import Transport
from ptzmapd.transports.tls import certificate_check

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: Seconds a request may take, all in (connect, auth round trips, body), when the config is silent.
DEFAULT_TIMEOUT = 2.5
#: Seconds requests are held back after the camera rejected the credentials.
AUTH_HOLD_OFF = 30.0
#: The HTTP timeout is cut to this share of the controller's ack timeout when it is not below it.
PATIENCE_SHARE = 0.9

install_log_redaction()

#: What an httpx auth flow is fed and yields.
Flow = Generator[httpx.Request, httpx.Response, None]


def challenges_of(response: httpx.Response) -> list[Challenge]:
    return parse_challenges(response.headers.get_list("www-authenticate"))


def _resume(flow: Flow, response: httpx.Response) -> Flow:
    """Continue an httpx auth flow whose first, unsigned request was already answered."""
    next(flow)
    try:
        request = flow.send(response)
    except StopIteration:
        return
    while True:
        response = yield request
        try:
            request = flow.send(response)
        except StopIteration:
            return


def _guarded(flow: Flow, unsigned: httpx.Request | None = None) -> Flow:
    """Run httpx's Digest flow; if it fails on a challenge it cannot sign, end it there.

    httpx raises NotImplementedError (``qop="auth-int"``), KeyError (an algorithm it lacks),
    ValueError or its ProtocolError (a challenge it cannot read) from inside the flow. Ending
    the flow instead hands the camera's 401 to the codec: the camera is then treated like
    one that refused the password, and its challenge is named in that refusal
    (:func:`ptzmapd.protocols.http.http_error`). A flow that fails before its first request
    sends ``unsigned`` instead when given (a request must go out for the camera to answer).
    """
    try:
        request = next(flow)
    except StopIteration:
        return
    except Exception:  # noqa: BLE001 - see above: any failure of the library's signing
        if unsigned is not None:
            yield unsigned
        return
    while True:
        response = yield request
        try:
            request = flow.send(response)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001
            return


class CameraAuth(httpx.Auth):
    """Digest first, Basic when that is all the camera offers; nothing it cannot answer.

    The first request goes unsigned; the camera's 401 names its schemes
    (:func:`~ptzmapd.protocols.http.answerable_scheme` decides). Digest wins when ptzmapd can
    sign its challenge (httpx's :class:`~httpx.DigestAuth` signs, and signs again once on a
    401 with a fresh challenge: a stale nonce). Basic is sent up front from then on. A Basic
    camera that starts offering Digest (new firmware) is followed. A challenge nobody here
    answers (``qop="auth-int"`` alone, an unknown algorithm or scheme) is not answered: its
    401 is the camera's answer.
    """

    def __init__(self, credentials: Credentials, on_scheme: Callable[[str], None] | None = None) -> None:
        self._username = credentials.username
        self._password = credentials.password
        self._digest = httpx.DigestAuth(credentials.username, credentials.password.reveal())
        self._on_scheme = on_scheme
        self.scheme: str | None = None

    def __repr__(self) -> str:
        return f"CameraAuth(user={self._username!r}, scheme={self.scheme!r})"

    def _basic_header(self) -> str:
        token = base64.b64encode(f"{self._username}:{self._password.reveal()}".encode("utf-8")).decode("ascii")
        return f"Basic {token}"

    def _choose(self, scheme: str) -> None:
        if scheme != self.scheme:
            self.scheme = scheme
            if self._on_scheme is not None:
                self._on_scheme(scheme)

    def auth_flow(self, request: httpx.Request) -> Flow:
        if self.scheme == "digest":
            yield from _guarded(self._digest.auth_flow(request), request)
            return
        if self.scheme == "basic":
            request.headers["Authorization"] = self._basic_header()
        response = yield request
        if response.status_code != 401:
            return
        scheme = answerable_scheme(challenges_of(response))
        if scheme == "digest":
            self._choose("digest")
            yield from _guarded(_resume(self._digest.auth_flow(request), response))
        elif scheme == "basic" and self.scheme != "basic":
            self._choose("basic")
            request.headers["Authorization"] = self._basic_header()
            yield request


def fingerprint_of(der: bytes) -> str:
    """A certificate's SHA-256 fingerprint as ``ptzmapd`` and ``openssl x509 -fingerprint`` write it."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def normalise_fingerprint(text: str) -> str:
    return text.replace(":", "").replace(" ", "").upper()


def pinned_context(pem: str) -> ssl.SSLContext:
    """Trust exactly this certificate, for every connection to the camera.

    A self-signed camera certificate rarely names the address it is reached at, so the name
    check is off; the pin is what identifies the camera: anyone else would need its key.
    """
    context = ssl.create_default_context(cadata=pem)
    context.check_hostname = False
    context.verify_flags |= getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    return context


class HttpTransport(Transport):
    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        log: logging.Logger | None = None,
        name: str = "",
        auth_hold_off: float = AUTH_HOLD_OFF,
        tls_fingerprint: str | None = None,
    ) -> None:
        super().__init__(url.rstrip("/"), log)
        self.url = url.rstrip("/")
        self.timeout = timeout
        #: The camera's name, for log lines.
        self.name = name or self.url
        self.auth_hold_off = auth_hold_off
        self.auth = CameraAuth(credentials, self._on_scheme) if credentials is not None else None
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._rejected_at: float | None = None
        self._failing = False
        #: A pinned certificate (``tls_fingerprint:``): SHA-256, upper-case hex without colons.
        self.tls_fingerprint = normalise_fingerprint(tls_fingerprint) if tls_fingerprint else None
        self._pinning: asyncio.Task[None] | None = None

    @classmethod
    def for_camera(cls, camera: "CameraConfig", log: logging.Logger) -> "HttpTransport":
        """The transport for a camera's config: its url, credentials (resolved when the config
        was loaded) and timeout."""
        endpoint = camera.link
        if not isinstance(endpoint, HttpEndpoint):  # a protocol spec naming the wrong transport: a bug
            raise TypeError(f"camera {camera.name!r}: {camera.protocol} is not carried over HTTP")
        if endpoint.password_in_config:
            log.warning("camera %r: password in the config file; use password_env or password_file", camera.name)
        timeout = endpoint.timeout
        ack_timeout = camera.pacing.ack_timeout
        if timeout >= ack_timeout * PATIENCE_SHARE:
            capped = round(ack_timeout * PATIENCE_SHARE, 3)
            log.warning(
                "camera %r: timeout %g s is not below ack_timeout %g s; requests are cut off after %g s",
                camera.name, timeout, ack_timeout, capped,
            )
            timeout = capped
        return cls(endpoint.url, endpoint.credentials, timeout, log, name=camera.name,
                   tls_fingerprint=endpoint.tls_fingerprint)

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, name={self.name!r}, timeout={self.timeout}, auth={self.auth!r})"

    def _on_scheme(self, scheme: str) -> None:
        if scheme == "basic" and self.url.startswith("http://"):
            self.log.info("camera %r uses Basic auth over plain HTTP: its password crosses the network readable", self.name)
        else:
            self.log.debug("camera %r: %s auth", self.name, scheme)

    async def open(self) -> None:
        if self.tls_fingerprint is not None and self.url.startswith("https://"):
            # Nothing goes to the camera until its certificate matches the pin.
            self._pinning = asyncio.get_running_loop().create_task(self._pin())
            return
        self._open_client(certificate_check())

    async def _pin(self) -> None:
        """Fetch the camera's certificate until it answers; use it only if it matches the pin."""
        parts = urlsplit(self.url)
        address = (parts.hostname or "", parts.port or 443)
        delay = 1.0
        while True:
            try:
                pem = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: ssl.get_server_certificate(address, timeout=self.timeout)
                )
            except Exception as exc:  # noqa: BLE001 - OSError, SSLError, UnicodeError (a host name IDNA refuses)
                self.log.warning("camera %r: cannot fetch its certificate (%s); retrying in %.0f s", self.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            try:
                got = fingerprint_of(ssl.PEM_cert_to_DER_cert(pem))
            except ValueError as exc:
                self.log.warning("camera %r: its certificate cannot be read (%s); retrying in 60 s", self.name, exc)
                await asyncio.sleep(60.0)
                continue
            if normalise_fingerprint(got) == self.tls_fingerprint:
                self._open_client(pinned_context(pem))
                self.log.info("camera %r: certificate matches its tls_fingerprint", self.name)
                return
            self.log.error(
                "camera %r: its certificate's fingerprint is %s, not the configured tls_fingerprint; "
                "nothing is sent to it (another device, or someone in between)", self.name, got,
            )
            await asyncio.sleep(60.0)  # a replaced camera is rare: look again now and then

    def _open_client(self, verify: ssl.SSLContext | bool) -> None:
        # trust_env=False: cameras live on the local network; a desktop's HTTP_PROXY or
        # ~/.netrc must not reroute or re-sign their control traffic. The CA variables are
        # still honoured (verification stays on): they are how a camera's own CA is trusted.
        self._client = httpx.AsyncClient(
            auth=self.auth,
            verify=verify,
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
            follow_redirects=False,
            trust_env=False,
        )
        self._set_connected(True)

    def send(self, data: bytes) -> None:
        self._send(data, hold_off=True)

    def send_stop(self, data: bytes) -> None:
        """A stop: sent at once, even while other requests are held back after a 401."""
        self._send(data, hold_off=False)

    def _send(self, data: bytes, hold_off: bool) -> None:
        if self._client is None:
            raise TransportError(f"{self.url}: not open")
        if not data:
            return  # nothing to put on the wire (see the module docstring)
        loop = asyncio.get_running_loop()
        if hold_off and self._rejected_at is not None:
            left = self.auth_hold_off - (loop.time() - self._rejected_at)
            if left > 0:
                raise TransportError(f"{self.url}: the camera rejected the credentials; asking again in {left:.0f} s")
        try:
            request = HttpRequest.from_bytes(data)
        except ValueError as exc:
            raise TransportError(f"{self.url}: not an HTTP request ({exc})") from None
        previous = self._task
        if previous is not None and not previous.done():
            # The controller gave up on it. Cancelled here, it can no longer deliver an answer
            # the controller would take for the new command's; the new one waits until it is
            # off the wire.
            previous.cancel()
        else:
            previous = None
        self._task = loop.create_task(self._exchange(request, previous))

    async def _exchange(self, request: HttpRequest, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        started = time.monotonic()
        try:
            response = await self.fetch(request)
        except TransportError as exc:
            level = logging.DEBUG if self._failing else logging.WARNING
            self._failing = True
            self.log.log(level, "[%s] %s %s failed: %s", self.name, request.method, request.path, exc)
            return
        if self._failing:
            self._failing = False
            self.log.debug("[%s] %s answers again", self.name, self.url)
        self._rejected_at = asyncio.get_running_loop().time() if response.status == 401 else None
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "[%s] %s %s -> %d %s (%.0f ms)", self.name, request.method, request.target,
                response.status, response.reason, (time.monotonic() - started) * 1000,
            )
        self._deliver(response.to_bytes())

    async def fetch(self, request: HttpRequest) -> HttpResponse:
        """Send one request and read the whole answer, within ``timeout`` all told.

        Raises :class:`TransportError` with the reason (never a password) when no answer
        came; any HTTP status is an answer. Whatever the HTTP client raises becomes that
        TransportError too: nothing a library throws may escape the transport's task.
        """
        client = self._client
        if client is None:
            raise TransportError(f"{self.url}: not open")
        try:
            async with asyncio.timeout(self.timeout):
                answer = await client.send(
                    client.build_request(
                        request.method, self.url + request.target,
                        content=request.body or None, headers=list(request.headers),
                    )
                )
        except (TimeoutError, httpx.TimeoutException):
            raise TransportError(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise TransportError(redact(str(exc) or type(exc).__name__)) from None
        except Exception as exc:  # noqa: BLE001 - httpx.InvalidURL, or a fault inside the library
            raise TransportError(f"the HTTP client failed: {type(exc).__name__}: {redact(str(exc))}") from None
        return HttpResponse(answer.status_code, answer.reason_phrase, answer.content, tuple(answer.headers.multi_items()))

    async def close(self) -> None:
        if self._pinning is not None and not self._pinning.done():
            self._pinning.cancel()
            await asyncio.wait({self._pinning})
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await super().close()
