"""UDP transport: one datagram socket per camera endpoint (VISCA over IP, raw VISCA/UDP).

The socket is bound to an ephemeral local port, never to the camera's port: some VISCA
controllers bind 52381 locally, which collides with a camera or simulator on the same host
(DESIGN.md, pitfalls). It is connected to the camera so only its datagrams reach us and an
ICMP "port unreachable" surfaces as an error we can log.
"""

from __future__ import annotations

import asyncio
import logging

from ptzmapd.clock import Clock
from ptzmapd.errors import TransportError
from ptzmapd.tasks import cancel_and_wait
from ptzmapd.transports.backoff import Backoff
from ptzmapd.transports.base import Transport, TransportKind, host_and_port, net_link

#: A socket that cannot be opened (a name that does not resolve yet) is tried again after
#: 0.5 s, doubling to 10 s.
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: "UdpTransport") -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.owner._deliver(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port/host unreachable: the camera is not there (yet). The controller's
        # ACK timeout handles it; log at debug so a dead camera does not flood the log.
        self.owner.log.debug("[%s] %s", self.owner.endpoint, exc)


class UdpTransport(Transport):
    def __init__(self, host: str, port: int, log: logging.Logger | None = None, *, clock: Clock) -> None:
        super().__init__(f"udp://{host}:{port}", log, clock=clock)
        self.host = host
        self.port = port
        self._sock: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        # In the background: a camera whose name does not resolve yet (DNS, mDNS after a
        # power cut) must not keep the daemon, or the other cameras, from starting.
        self._task = asyncio.get_running_loop().create_task(self._keep_open())

    async def _keep_open(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = Backoff(self.clock, BACKOFF_FIRST, BACKOFF_MAX)
        while self._sock is None:
            try:
                self._sock, _ = await loop.create_datagram_endpoint(
                    lambda: _Protocol(self), remote_addr=(self.host, self.port)
                )
            except Exception as exc:  # noqa: BLE001 - OSError, UnicodeError (a name IDNA refuses): never end the task
                await backoff.retry(self.log, "[%s] cannot open a UDP socket (%s); retrying with backoff", self.endpoint, exc)
        if backoff.failures:
            self.log.info("[%s] reachable", self.endpoint)
        self._set_connected(True)

    def send(self, data: bytes) -> None:
        if self._sock is None or self._sock.is_closing():
            raise TransportError(f"{self.endpoint}: socket is closed")
        self._sock.sendto(data)

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        await super().close()


#: How the pool keys and builds a UDP socket (see ptzmapd.transports.TRANSPORTS).
UDP = TransportKind(
    host_and_port, lambda camera, log, clock: UdpTransport(net_link(camera).host, net_link(camera).port, log, clock=clock)
)
