"""The WebSocket at ``/api/ws``: state pushed out, commands taken in.

On connect the socket gets the whole state (the object of ``GET /api/state``); from then on
only the keys that changed (:func:`~ptzmapd.api.state.changes`), looked at every
:data:`PUSH_INTERVAL` seconds while any socket is open, so positions and speeds go out at
most ten times a second and an idle daemon with no page open does nothing.

A command is a JSON object ``{"cmd": "select" | "preset" | "move" | "stop" | "action" | "ping",
"camera": NAME, …}`` with the HTTP body's keys (``"preset": N`` for presets). Each is
answered with ``{"reply": CMD, "ok": true, "cameras": [...]}`` or ``{"reply": CMD, "ok":
false, "error": …, "field": …, "valid": […]}``. Each socket is a client of its own
(:class:`~ptzmapd.api.remote.RemoteClient`): when it closes, what it moved stops.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from ptzmapd.api.commands import run_command
from ptzmapd.api.remote import Remote, RemoteClient, RemoteError
from ptzmapd.api.state import changes
from ptzmapd.clock import Clock
from ptzmapd.logs import LogLimit

#: Seconds between two looks at the state while a socket is open (10 pushes a second at most).
PUSH_INTERVAL = 0.1
#: Seconds between pings; a peer that stops answering them is closed (and stops its moves).
HEARTBEAT = 5.0
#: The largest command message taken (as the HTTP body limit).
MAX_MESSAGE = 64 * 1024


class _Socket:
    __slots__ = ("ws", "client", "sent")

    def __init__(self, ws: web.WebSocketResponse, client: RemoteClient, sent: dict[str, Any]) -> None:
        self.ws = ws
        self.client = client
        #: The state as this socket last got it.
        self.sent = sent


class WebSocketHub:
    """Every open socket of one HTTP listener, and the pushes to them."""

    def __init__(
        self, remote: Remote, state: Callable[[], dict[str, Any]], clock: Clock, log: logging.Logger,
        complaints: LogLimit,
    ) -> None:
        self.remote = remote
        self._state = state
        self._clock = clock
        self._log = log
        self._complaints = complaints
        self._sockets: set[_Socket] = set()
        self._numbers = itertools.count(1)
        self._pusher: asyncio.Task[None] | None = None

    @property
    def open_sockets(self) -> int:
        """How many sockets are open now."""
        return len(self._sockets)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/ws``: one socket from handshake to close (the token was checked before):
        the whole state, then changes out and commands in; what it moved stops when it ends."""
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        name = f"ws {next(self._numbers)} {request.remote}"
        state = self._state()
        socket = _Socket(ws, self.remote.client(name), state)
        self._sockets.add(socket)
        self._log.info("WebSocket client '%s' connected", name)
        try:
            await ws.send_json(state)
            if self._pusher is None:
                self._pusher = asyncio.get_running_loop().create_task(self._push())
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    reply = self._command(name, socket.client, message.data)
                    if reply is not None:
                        await ws.send_json(reply)
                elif message.type == WSMsgType.BINARY:
                    self._complaints.warn(f"ws binary {request.remote}", "ignored a binary WebSocket message from %s", request.remote)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the peer went away mid-send; or the server is closing
        finally:
            self._sockets.discard(socket)
            stopped = self.remote.release(name)
            self._log.info("WebSocket client '%s' left%s", name,
                           f"; stopped {', '.join(f'{c} {a}' for c, a in stopped)}" if stopped else "")
            if not self._sockets and self._pusher is not None:
                self._pusher.cancel()
                self._pusher = None
        return ws

    def _command(self, name: str, client: RemoteClient, text: str) -> dict[str, Any] | None:
        try:
            command = json.loads(text)
        except ValueError:
            self._complaints.warn(f"ws json {name}", "ignored a WebSocket message from '%s' that is not JSON", name)
            return None
        if not isinstance(command, dict):
            self._complaints.warn(f"ws json {name}", "ignored a WebSocket message from '%s' that is not a JSON object", name)
            return None
        cmd = command.get("cmd")
        try:
            return {"reply": cmd, "ok": True, **run_command(client, command)}
        except RemoteError as refused:
            return {"reply": cmd, "ok": False, **refused.to_json()}

    async def _push(self) -> None:
        """While any socket is open: every interval, what changed to each."""
        while self._sockets:
            await self._clock.sleep(PUSH_INTERVAL)
            try:
                state = self._state()
            except Exception:  # a status that cannot be built must not end the pushes
                self._log.exception("building the API state failed")
                continue
            for socket in list(self._sockets):
                diff = changes(socket.sent, state)
                if not diff or socket.ws.closed:
                    continue
                socket.sent = state
                try:
                    await socket.ws.send_json(diff)
                except (ConnectionError, RuntimeError):
                    pass  # closing: its handler cleans up

    async def close(self) -> None:
        """Close every socket (each one's handler stops what it moved)."""
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None
        for socket in list(self._sockets):
            await socket.ws.close(code=1001, message=b"ptzmapd is stopping")
