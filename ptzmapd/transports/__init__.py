"""Thin transports (udp, tcp; later serial, http), one per endpoint, shared by its cameras.

:class:`TransportPool` hands out one transport per endpoint key and counts its users, so
several cameras on one daisy chain or RS-485 bus share a single writer.
"""

from __future__ import annotations

import logging

from ptzmapd.errors import PtzmapdError
from ptzmapd.transports.base import Transport
from ptzmapd.transports.tcp import TcpTransport
from ptzmapd.transports.udp import UdpTransport


class TransportPool:
    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger("ptzmapd.transport")
        self._transports: dict[tuple[str, str, int], Transport] = {}

    async def get(self, kind: str, host: str, port: int) -> Transport:
        key = (kind, host, port)
        transport = self._transports.get(key)
        if transport is None:
            if kind == "udp":
                transport = UdpTransport(host, port, self.log)
            elif kind == "tcp":
                transport = TcpTransport(host, port, self.log)
            else:
                raise PtzmapdError(f"unknown transport {kind!r} (valid: tcp, udp)")
            await transport.open()
            self._transports[key] = transport
        return transport

    async def close(self) -> None:
        for transport in self._transports.values():
            await transport.close()
        self._transports.clear()
