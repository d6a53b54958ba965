"""Thin transports (udp, tcp; serial, http), one per endpoint, shared by its cameras.

:class:`TransportPool` hands out one transport per endpoint and counts who uses it, so
several cameras on one daisy chain or RS-485 bus share a single writer. ``TRANSPORTS`` maps a
protocol's transport kind onto how to key and build one for a camera.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Hashable

from ptzmapd.config.model import NetLink
from ptzmapd.transports.base import Transport
from ptzmapd.transports.tcp import TcpTransport
from ptzmapd.transports.udp import UdpTransport

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: kind -> (endpoint key of a camera, factory). Cameras with the same key share a transport.
TransportKind = tuple[Callable[["CameraConfig"], Hashable], Callable[["CameraConfig", logging.Logger], Transport]]


def _net_link(camera: "CameraConfig") -> NetLink:
    link = camera.link
    if not isinstance(link, NetLink):  # a protocol spec naming the wrong transport: a bug
        raise TypeError(f"camera {camera.name!r}: {camera.protocol} is not carried by host and port")
    return link


def _host_port(camera: "CameraConfig") -> Hashable:
    link = _net_link(camera)
    return (link.host, link.port)


TRANSPORTS: dict[str, TransportKind] = {
    "udp": (_host_port, lambda camera, log: UdpTransport(_net_link(camera).host, _net_link(camera).port, log)),
    "tcp": (_host_port, lambda camera, log: TcpTransport(_net_link(camera).host, _net_link(camera).port, log)),
    # One per device (a daisy chain or bus shares its line); pyserial is imported only when a config has a serial camera.
    "serial": (lambda camera: __import__("ptzmapd.transports.serial", fromlist=["serial_endpoint"]).serial_endpoint(camera), lambda camera, log: __import__("ptzmapd.transports.serial", fromlist=["make_serial_transport"]).make_serial_transport(camera, log)),
    # One per camera (its own credentials); httpx is imported only when a config has an HTTP camera.
    "http": (lambda camera: camera.name, lambda camera, log: __import__("ptzmapd.transports.http", fromlist=["HttpTransport"]).HttpTransport.for_camera(camera, log)),
}


class TransportPool:
    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger("ptzmapd.transport")
        self._transports: dict[tuple[str, Hashable], Transport] = {}

    async def for_camera(self, kind: str, camera: "CameraConfig") -> Transport:
        """The transport for ``camera``'s endpoint, opened on first use and shared after."""
        endpoint_key, factory = TRANSPORTS[kind]
        key = (kind, endpoint_key(camera))
        transport = self._transports.get(key)
        if transport is None:
            transport = factory(camera, self.log)
            await transport.open()
            self._transports[key] = transport
        return transport

    async def close(self) -> None:
        for transport in self._transports.values():
            await transport.close()
        self._transports.clear()
