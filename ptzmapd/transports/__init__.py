"""Thin transports (udp, tcp; serial, http), one per endpoint, shared by its cameras.

:class:`TransportPool` hands out one transport per endpoint and counts who uses it, so
several cameras on one daisy chain or RS-485 bus share a single writer. ``TRANSPORTS`` maps a
protocol's transport kind onto how to key and build one for a camera.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Hashable

from ptzmapd.clock import Clock
from ptzmapd.transports.base import Transport
from ptzmapd.transports.tcp import TcpTransport
from ptzmapd.transports.udp import UdpTransport

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: kind -> (endpoint key of a camera, factory). Cameras with the same key share a transport.
TransportKind = tuple[Callable[["CameraConfig"], Hashable], Callable[["CameraConfig", logging.Logger, Clock], Transport]]


def _host_port(camera: "CameraConfig") -> Hashable:
    return (camera.host, camera.port)


TRANSPORTS: dict[str, TransportKind] = {
    "udp": (_host_port, lambda camera, log, clock: UdpTransport(str(camera.host), int(camera.port or 0), log, clock=clock)),
    "tcp": (_host_port, lambda camera, log, clock: TcpTransport(str(camera.host), int(camera.port or 0), log, clock=clock)),
    # One per device (a daisy chain or bus shares its line); pyserial is imported only when a config has a serial camera.
    "serial": (lambda camera: __import__("ptzmapd.transports.serial", fromlist=["serial_endpoint"]).serial_endpoint(camera), lambda camera, log, clock: __import__("ptzmapd.transports.serial", fromlist=["make_serial_transport"]).make_serial_transport(camera, log, clock)),
    # One per camera (its own credentials); httpx is imported only when a config has an HTTP camera.
    "http": (lambda camera: camera.name, lambda camera, log, clock: __import__("ptzmapd.transports.http", fromlist=["HttpTransport"]).HttpTransport.for_camera(camera, log, clock)),
}


class TransportPool:
    def __init__(self, log: logging.Logger | None = None, *, clock: Clock) -> None:
        self.log = log or logging.getLogger("ptzmapd.transport")
        self.clock = clock
        self._transports: dict[tuple[str, Hashable], Transport] = {}

    async def for_camera(self, kind: str, camera: "CameraConfig") -> Transport:
        """The transport for ``camera``'s endpoint, opened on first use and shared after."""
        endpoint_key, factory = TRANSPORTS[kind]
        key = (kind, endpoint_key(camera))
        transport = self._transports.get(key)
        if transport is None:
            transport = factory(camera, self.log, self.clock)
            await transport.open()
            self._transports[key] = transport
        return transport

    async def close(self) -> None:
        for transport in self._transports.values():
            await transport.close()
        self._transports.clear()
