"""The HTTP API, the WebSocket and the web page, served by aiohttp on the daemon's own loop.

Routes (``camera`` is a name, ``selected``, ``all``, or a target the pipeline knows)::

    GET  /                                  the web page (and its files under /web/)
    GET  /api/state                         the state (:mod:`.state`)
    POST /api/select/{camera}
    POST /api/cameras/{camera}/preset/{n}   body {"store": true} or {"clear": true}, optional
    POST /api/cameras/{camera}/move         body {"pan": -1..1, "tilt": …, "zoom": …, "focus": …}
    POST /api/cameras/{camera}/stop
    POST /api/cameras/{camera}/action       body {"action": "tally", "mode": "on", "level": n}
    GET  /api/ws                            the WebSocket (:mod:`.websocket`)

Answers are JSON; an error is ``{"error": message, "field": key, "valid": [values]}`` with a
status that means what it says: 400 a bad value, 401 no or a wrong token, 403 a request
from another site's page (``Origin``) or, without a token, to a name that is not loopback
(DNS rebinding), 404 an unknown
camera or route, 405 a wrong method, 409 a target that reaches no camera now, 413 a body over
64 KiB, 503 shutting down. With a token (``api.token_env``) every ``/api/…`` route needs it,
on loopback too: ``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` on ``/api/ws`` (a
browser cannot set headers there); only the page and its files are open. A refusal is
logged (rate-limited) without either token. Nothing here reads a file a request names or
runs a command: the page's files are read from the package once, at start.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ptzmapd.api.commands import ACTION_KEYS, PRESET_FLAGS, preset_flags, refuse_unknown
from ptzmapd.api.remote import Remote, RemoteError
from ptzmapd.api.state import Snapshot, build_state
from ptzmapd.api.websocket import WebSocketHub
from ptzmapd.clock import Clock
from ptzmapd.transports.addresses import is_loopback
from ptzmapd.errors import PtzmapdError
from ptzmapd.logs import LogLimit

#: The largest request body taken (a bigger one is answered 413 unread).
MAX_BODY = 64 * 1024
#: Seconds between two log lines of one kind of complaint about a peer (a wrong token,
#: malformed JSON); the next line counts the ones left out.
COMPLAINT_INTERVAL = 10.0
#: The web page's files: name → content type. Only these are served.
WEB_FILES = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
#: HTTP status of each kind of :class:`RemoteError`.
STATUS = {"not-found": 404, "invalid": 400, "conflict": 409, "unavailable": 503}
ROUTES = (
    "GET /", "GET /api/state", "POST /api/select/{camera}", "POST /api/cameras/{camera}/preset/{n}",
    "POST /api/cameras/{camera}/move", "POST /api/cameras/{camera}/stop", "POST /api/cameras/{camera}/action",
    "GET /api/ws",
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, message: str, field: str = "", valid: tuple[str, ...] | list[str] = (),
          headers: dict[str, str] | None = None) -> web.Response:
    """An error answer: ``{"error": message, "field": key, "valid": [values]}`` with HTTP
    ``status`` (the same object as :meth:`RemoteError.to_json`)."""
    return web.json_response({"error": message, "field": field, "valid": list(valid)}, status=status, headers=headers)


def web_files() -> dict[str, bytes]:
    """The page's files, read from the package (``ptzmapd/api/web``)."""
    folder = resources.files("ptzmapd.api").joinpath("web")
    return {name: folder.joinpath(name).read_bytes() for name in WEB_FILES}


class HttpApi:
    """The HTTP + WebSocket + web page listener on ``host:port``. ``token``: the API token
    (None: none asked); ``snapshot``: the runtime's status as JSON."""

    def __init__(
        self, remote: Remote, snapshot: Snapshot, host: str, port: int, *,
        token: str | None, clock: Clock, log: logging.Logger,
    ) -> None:
        self.remote = remote
        self.host = host
        self.port = port
        self.log = log
        self._token = token
        self._snapshot = snapshot
        self._complaints = LogLimit(log, clock, COMPLAINT_INTERVAL)
        self._files = web_files()
        self.hub = WebSocketHub(remote, self.state, clock, log, self._complaints)
        self._runner: web.AppRunner | None = None

    def state(self) -> dict[str, Any]:
        """The API state now (:func:`~ptzmapd.api.state.build_state`), as ``GET /api/state`` answers."""
        return build_state(self._snapshot(), self.remote.selected)

    def app(self) -> web.Application:
        """The aiohttp application: the routes of the module docstring behind the body-size,
        origin and token checks, every error answered as JSON."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._errors, self._guard])
        app.router.add_get("/", self._page)
        app.router.add_get("/web/{name}", self._file)
        app.router.add_get("/api/state", self._state)
        app.router.add_post("/api/select/{camera}", self._select)
        app.router.add_post("/api/cameras/{camera}/preset/{n}", self._preset)
        app.router.add_post("/api/cameras/{camera}/move", self._move)
        app.router.add_post("/api/cameras/{camera}/stop", self._stop)
        app.router.add_post("/api/cameras/{camera}/action", self._action)
        app.router.add_get("/api/ws", self.hub.handle)
        return app

    async def start(self) -> None:
        """Listen; PtzmapdError when the address cannot be bound (in use, not this machine's)."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise PtzmapdError(f"api.http: cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self.log.info("HTTP API and web page on http://%s:%d/%s", self.host if ":" not in self.host else f"[{self.host}]",
                      self.port, " (token required)" if self._token else "")

    async def close(self) -> None:
        """Close every WebSocket (each stops what it moved) and stop listening."""
        await self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ middlewares

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every answer JSON, whatever aiohttp itself refuses (no route, wrong method, 413)."""
        try:
            return await handler(request)
        except RemoteError as refused:
            return web.json_response(refused.to_json(), status=STATUS[refused.kind])
        except web.HTTPRequestEntityTooLarge:
            return error(413, f"the body is larger than {MAX_BODY // 1024} KiB")
        except web.HTTPMethodNotAllowed as wrong:
            return error(405, f"{request.method} is not allowed here", "method", sorted(wrong.allowed_methods),
                         {"Allow": ",".join(sorted(wrong.allowed_methods))})
        except web.HTTPNotFound:
            return error(404, f"no route {request.path!r}", "path", ROUTES)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return error(413, f"the body is larger than {MAX_BODY // 1024} KiB")
        if request.path.startswith("/api/") and (refusal := self._foreign(request)) is not None:
            self._complaints.warn(f"origin {request.remote}", "refused %s %s from %s: %s", request.method,
                                  request.path, request.remote, refusal)
            return error(403, refusal, "origin")
        if self._token is not None and request.path.startswith("/api/"):
            if request.path == "/api/ws":
                presented = request.query.get("token")
            else:
                scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
                presented = presented.strip() if scheme.lower() == "bearer" else None
            if not presented or not hmac.compare_digest(presented.encode(), self._token.encode()):
                # Neither token is logged: the presented one may be a near miss of the real one.
                self._complaints.warn(
                    f"token {request.remote}", "refused %s %s from %s: %s", request.method, request.path,
                    request.remote, "no token" if not presented else "wrong token",
                )
                return error(401, "this API needs its token: 'Authorization: Bearer TOKEN' "
                             "(on /api/ws: ?token=TOKEN)", "token", headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    def _foreign(self, request: web.Request) -> str | None:
        """Why a request comes from another site's page in a browser, or None. Browsers send
        ``Origin`` with every cross-site POST and WebSocket handshake (which no CORS rule
        stops), so a page elsewhere cannot drive the cameras through a browser on this
        machine; without a token, the Host must be loopback too, so a name an attacker points
        at 127.0.0.1 (DNS rebinding) is refused. Scripts and Companion send no Origin."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            return f"a request from the page of another site ({origin}) is refused"
        if self._token is None and not is_loopback(urlsplit(f"//{request.host}").hostname or ""):
            return f"without a token this API answers only to a loopback address, not {request.host!r}"
        return None

    # ------------------------------------------------------------------ the page

    async def _page(self, request: web.Request) -> web.Response:
        return self._serve("index.html")

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in WEB_FILES:
            return error(404, f"no file {name!r}", "name", tuple(WEB_FILES))
        return self._serve(name)

    def _serve(self, name: str) -> web.Response:
        # The page loads nothing from elsewhere; the policy says so to the browser too.
        return web.Response(body=self._files[name], content_type=WEB_FILES[name], charset="utf-8", headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:",
            "X-Content-Type-Options": "nosniff",
        })

    # ------------------------------------------------------------------ the API

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _body(self, request: web.Request) -> Mapping[str, Any]:
        """The JSON object of the body; an empty body is ``{}``. RemoteError when it is not."""
        data = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge
        if not data.strip():
            return {}
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            self._complaints.warn(f"json {request.remote}", "ignored a request from %s with a body that is not JSON",
                                  request.remote)
            raise RemoteError("the body is not JSON", field="body", valid=("a JSON object",)) from None
        if not isinstance(body, dict):
            raise RemoteError("the body must be a JSON object", field="body", valid=("a JSON object",))
        return body

    def _client(self, request: web.Request) -> str:
        return f"http {request.remote}"

    async def _select(self, request: web.Request) -> web.Response:
        await self._body(request)
        return web.json_response({"selected": self.remote.select(request.match_info["camera"])})

    async def _preset(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        text = request.match_info["n"]
        number: object = int(text) if text.isascii() and text.isdigit() else text
        refuse_unknown(body, PRESET_FLAGS, "a preset")
        store, clear = preset_flags(body)
        cameras = self.remote.client(self._client(request)).preset(
            request.match_info["camera"], number, store=store, clear=clear)
        return web.json_response({"cameras": cameras})

    async def _move(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        cameras = self.remote.client(self._client(request)).move(request.match_info["camera"], body)
        return web.json_response({"cameras": cameras, "hold": self.remote.hold})

    async def _stop(self, request: web.Request) -> web.Response:
        await self._body(request)
        return web.json_response({"cameras": self.remote.client(self._client(request)).stop(request.match_info["camera"])})

    async def _action(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        refuse_unknown(body, ACTION_KEYS, "an action")
        cameras = self.remote.client(self._client(request)).action(
            request.match_info["camera"], body.get("action"), body.get("mode"), body.get("level"))
        return web.json_response({"cameras": cameras})

