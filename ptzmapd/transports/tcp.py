"""TCP transport: one stream per camera endpoint (raw VISCA on 5678), reconnecting with backoff.

The stream is opened in the background: a camera that is off at start, or that resets the
connection later, is retried with exponential backoff (0.5 s doubling to 10 s) while the
rest of the daemon runs on. Writes never block: asyncio buffers them.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from ptzmapd.clock import Clock
from ptzmapd.errors import TransportError
from ptzmapd.tasks import cancel_and_wait
from ptzmapd.transports.backoff import Backoff
from ptzmapd.transports.base import Transport, TransportKind, host_and_port, net_link

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0
#: A connection that lasted less than this was not a real recovery (a peer that accepts and
#: closes at once): the backoff keeps growing instead of starting over.
STABLE_AFTER = 5.0


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: "TcpTransport") -> None:
        self.owner = owner

    def data_received(self, data: bytes) -> None:
        self.owner._deliver(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._lost(exc)


class TcpTransport(Transport):
    def __init__(self, host: str, port: int, log: logging.Logger | None = None, *, clock: Clock) -> None:
        super().__init__(f"tcp://{host}:{port}", log, clock=clock)
        self.host = host
        self.port = port
        self._stream: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lost_event = asyncio.Event()
        self._losses = 0

    async def open(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def _keep_connected(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = Backoff(self.clock, BACKOFF_FIRST, BACKOFF_MAX)
        while not self._closing:
            try:
                stream, _ = await asyncio.wait_for(
                    loop.create_connection(lambda: _Protocol(self), self.host, self.port), timeout=5.0
                )
            except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, UnicodeError (a name IDNA refuses): never end the task
                await backoff.retry(self.log, "[%s] cannot connect (%s); retrying with backoff", self.endpoint, exc or "timeout")
                continue
            sock = stream.get_extra_info("socket")
            if sock is not None:  # commands are tiny and latency matters more than packing
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if backoff.failures:
                self.log.info("[%s] connected", self.endpoint)
            self._stream = stream
            self._lost_event.clear()
            connected_at = self.clock.now()
            self._set_connected(True)
            await self._lost_event.wait()
            if self.clock.now() - connected_at >= STABLE_AFTER:
                backoff.reset()
            else:
                # Dropped at once: wait before the next try, and say so only once per burst.
                await backoff.retry()

    def _lost(self, exc: Exception | None) -> None:
        self._stream = None
        self._set_connected(False)
        if not self._closing and not self._lost_event.is_set():
            self._losses += 1
            level = logging.WARNING if self._losses <= 3 else logging.DEBUG
            self.log.log(level, "[%s] connection lost%s; reconnecting", self.endpoint, f" ({exc})" if exc else "")
        self._lost_event.set()

    def send(self, data: bytes) -> None:
        if self._stream is None or self._stream.is_closing():
            raise TransportError(f"{self.endpoint}: not connected")
        self._stream.write(data)

    async def close(self) -> None:
        self._closing = True
        if self._stream is not None:
            self._stream.close()
        await cancel_and_wait(self._task)
        await super().close()


#: How the pool keys and builds a TCP socket (see ptzmapd.transports.TRANSPORTS).
TCP = TransportKind(
    host_and_port, lambda camera, log, clock: TcpTransport(net_link(camera).host, net_link(camera).port, log, clock=clock)
)
