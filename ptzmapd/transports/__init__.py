"""Thin transports (udp, tcp; serial, http), one per endpoint, shared by its cameras.

:class:`TransportPool` opens one transport per endpoint on first use and hands the same one
to every camera on it, so several cameras on one daisy chain or RS-485 bus share a single
writer. ``TRANSPORTS`` is the
registry of transport kinds a protocol spec can name: each a
:class:`~ptzmapd.transports.base.TransportKind` (how to key a camera's endpoint, how to open
one), imported when a config first uses it — pyserial only with a serial camera, httpx only
with an HTTP one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Hashable

from ptzmapd.clock import Clock
from ptzmapd.registry import Registry
from ptzmapd.transports.base import Transport, TransportKind

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

TRANSPORTS: Registry[TransportKind] = Registry("transport", {
    "udp": "ptzmapd.transports.udp:UDP",
    "tcp": "ptzmapd.transports.tcp:TCP",
    "serial": "ptzmapd.transports.serial:SERIAL",
    "http": "ptzmapd.transports.http:HTTP",
})


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
