"""The network API's part of ``bench/run.py``: senders that turn one bench "value" (a MIDI CC
value, 0..127, 64 = centre) into an HTTP request or a WebSocket command, so the same latency
loop measures HTTP request → packet and WebSocket move → packet beside the MIDI path, against
the same daemon in the same run.

The HTTP client keeps one connection alive (as Companion or a script would); the WebSocket
client runs aiohttp on a loop in a thread of its own and reads (and drops) every push and
reply, as a page does.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from typing import Any

import aiohttp

#: The daemon's API listener in the bench config.
API_HOST = "127.0.0.1"


def api_section(port: int) -> str:
    """The ``api:`` lines the bench daemon runs with (the API on, loopback, no token)."""
    return f"api:\n  http: {API_HOST}:{port}\n"


def speed(value: int) -> float:
    """A CC value as the bipolar speed the MIDI binding gives it (64 = stop)."""
    return max(-1.0, min(1.0, (value - 64) / 63))


class HttpSender:
    """``POST /api/cameras/{camera}/move`` on one kept-alive connection."""

    def __init__(self, port: int, camera: str) -> None:
        self._connection = http.client.HTTPConnection(API_HOST, port, timeout=5)
        self._path = f"/api/cameras/{camera}/move"

    def __call__(self, value: int) -> None:
        body = json.dumps({"pan": speed(value)})
        self._connection.request("POST", self._path, body, {"Content-Type": "application/json"})
        response = self._connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"the API answered {response.status}")

    def close(self) -> None:
        self._connection.close()


class WebSocketSender:
    """``{"cmd": "move", …}`` on one WebSocket, its loop in a thread."""

    def __init__(self, port: int, camera: str) -> None:
        self._camera = camera
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._run(self._open(f"http://{API_HOST}:{port}/api/ws"))

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _open(self, url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for _ in self._ws:
            pass

    def __call__(self, value: int) -> None:
        assert self._ws is not None
        message = json.dumps({"cmd": "move", "camera": self._camera, "pan": speed(value)})
        self._run(self._ws.send_str(message))

    async def _close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await self._reader
        if self._session is not None:
            await self._session.close()

    def close(self) -> None:
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


