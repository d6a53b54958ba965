"""One OSC UDP socket on the event loop: datagrams in, parsed by python-osc, handed on as
``(address, arguments, sender)``; messages out to a sender's host and port.

It owns what every OSC listener of ptzmapd needs (the OSC input and the OSC API alike):
binding the socket (a port in use is a :class:`~ptzmapd.errors.PtzmapdError` that says so),
refusing senders outside the ``allow`` networks, and dropping malformed packets, each with a
rate-limited log line (:class:`~ptzmapd.logs.LogLimit`) so a flood of garbage costs a line
a minute, not one per packet. Messages of a bundle are delivered at once, in order: a
timetag in the future would only delay a live control.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from ptzmapd.clock import Clock
from ptzmapd.errors import PtzmapdError
from ptzmapd.logs import LogLimit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A sender's (host, port), as asyncio gives it.
Sender = tuple[str, int]
#: Called on the loop's thread for each message: its address, its arguments, who sent it.
OnMessage = Callable[[str, list[Any], Sender], None]


def sender_allowed(host: str, allow: Sequence[Network]) -> bool:
    """Whether a datagram from ``host`` is obeyed: any sender when ``allow`` is empty, else
    one inside an allowed network (an IPv4 sender on an IPv6 socket counts as IPv4)."""
    if not allow:
        return True
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allow)


#: What an outgoing message's arguments may be.
Argument = str | int | float | bool


def osc_datagram(address: str, *arguments: Argument) -> bytes:
    """One OSC message as bytes (python-osc picks each argument's type tag: s, i, f, T/F)."""
    builder = OscMessageBuilder(address)
    for argument in arguments:
        builder.add_arg(argument)
    return bytes(builder.build().dgram)


class OscEndpoint(asyncio.DatagramProtocol):
    """An OSC socket bound by :meth:`open`. ``label`` names it in log lines ("osc input
    'touchosc'"); ``on_message`` hears every message of an allowed sender."""

    def __init__(
        self, label: str, on_message: OnMessage, clock: Clock, log: logging.Logger,
        allow: Sequence[Network] = (),
    ) -> None:
        self.label = label
        self._on_message = on_message
        self._allow = tuple(allow)
        self._log = log
        self._limit = LogLimit(log, clock)
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def bound(self) -> tuple[str, int] | None:
        """The (host, port) the socket is bound to; None before :meth:`open` and after :meth:`close`."""
        if self._transport is None:
            return None
        name = self._transport.get_extra_info("sockname")
        return (str(name[0]), int(name[1])) if name else None

    async def open(self, host: str, port: int) -> None:
        """Bind the socket; raises PtzmapdError when it cannot (port in use, no such address)."""
        loop = asyncio.get_running_loop()
        try:
            self._transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        except OSError as error:
            raise PtzmapdError(f"{self.label}: cannot listen on {host}:{port}: {error.strerror or error}") from None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def send(self, to: Sender, address: str, *arguments: Argument) -> None:
        """Send one message to ``to`` from this socket; a closed socket sends nothing."""
        if self._transport is not None:
            self._transport.sendto(osc_datagram(address, *arguments), to)

    # -- asyncio's side ---------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        sender = (str(addr[0]), int(addr[1]))
        if not sender_allowed(sender[0], self._allow):
            self._limit.warn("refused", "%s: ignored a message from %s, outside 'allow'", self.label, sender[0])
            return
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except Exception as error:  # python-osc's ParseError, or worse on hostile bytes
            self._limit.warn("malformed", "%s: ignored a malformed OSC packet from %s (%d bytes): %s",
                             self.label, sender[0], len(data), error)
            return
        for message in messages:
            try:
                self._on_message(message.address, list(message.params), sender)
            except Exception:  # one bad message must not end the listener
                self._log.exception("%s: handling %s failed", self.label, message.address)

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" for a push to a subscriber that went away: not our fault.
        self._log.debug("%s: %s", self.label, exc)
