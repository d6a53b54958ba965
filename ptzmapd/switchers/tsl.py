"""TSL UMD v5 tally over UDP as a switcher source (library: tslumd), listening on the
config's host:port: what any switcher or tally hub can feed (Ross, Grass Valley,
TallyArbiter). Tally only: it cannot drive a mixer (``can_drive`` is False).

Each display message carries a tally index and three lamps (right-hand, text, left-hand),
each off, red, green or amber (red and green; TSL UMD v5.0 protocol, DMSG CONTROL bits 0-5).
A red lamp puts the index on program, a green one on preview (amber: both); the config's
source keys are the indexes as strings (``"1"``). Index 0xFFFF is TSL's broadcast: it sets
every index already seen. The screen field is not read (one feed, one set of indexes).

TSL UMD v3.1 (the older 18-byte messages, our own decoder: :func:`v31_lamps`) is read from
the same port: a datagram whose first two bytes are not v5's byte count but whose 18-byte
blocks each start with a display address + 0x80. Its Tally 1 is program, Tally 2 preview
(the convention of Ross and others), the key the display address (0-126).

UDP has no connection: the source counts as connected while it listens, and keeps the last
tally it was told (many senders send only changes).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.logs import import_keeping_logging
from ptzmapd.switchers.base import StateChanged, SwitcherError, SwitcherState
from ptzmapd.switchers.link import SwitcherLink

tslumd: Any = import_keeping_logging("tslumd")

#: The display index that addresses every display (TSL UMD v5.0, "broadcast").
BROADCAST = 0xFFFF
RED, GREEN = 1, 2
#: TSL UMD v3.1: 18 bytes a display — HEADER (address 0-126 + 0x80), CONTROL (bit 0 Tally 1,
#: bit 1 Tally 2, bits 2-3 Tally 3-4, bits 4-5 brightness, bit 7 clear), 16 ASCII characters.
V31_SIZE = 18
V31_ADDRESS_FLAG = 0x80


def v31_lamps(data: bytes) -> list[tuple[int, int]] | None:
    """(display address, RED/GREEN bits) of each TSL UMD v3.1 message in ``data``, or None
    when ``data`` is not v3.1 (then it may be v5: its first two bytes count the rest)."""
    if not data or len(data) % V31_SIZE or int.from_bytes(data[:2], "little") == len(data) - 2:
        return None
    blocks = [data[start:start + V31_SIZE] for start in range(0, len(data), V31_SIZE)]
    if not all(block[0] & V31_ADDRESS_FLAG and not block[1] & 0x80 for block in blocks):
        return None
    return [(block[0] & 0x7F, (RED if block[1] & 0x01 else 0) | (GREEN if block[1] & 0x02 else 0))
            for block in blocks]


#: What a datagram that is not TSL UMD v5 raises in tslumd's parser.
PARSE_ERRORS = (tslumd.ParseError, tslumd.MessageLengthError, ValueError, IndexError, KeyError)


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, source: TslSwitcher) -> None:
        self.source = source
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.source.received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


class TslSwitcher(SwitcherLink):
    can_drive = False
    product = "TSL UMD"
    attempt = "listen for"

    def __init__(
        self, config: SwitcherConfig, on_change: StateChanged, loop: asyncio.AbstractEventLoop, *,
        clock: Clock, log: logging.Logger,
    ) -> None:
        super().__init__(config, on_change, loop, clock=clock, log=log)
        #: Tally index → its lamps (RED and GREEN bits), as last told.
        self.lamps: dict[int, int] = {}
        self._listening = False

    async def session(self) -> None:
        transport, listener = await self.loop.create_datagram_endpoint(
            lambda: _Listener(self), local_addr=(self.config.host, self.config.port))
        try:
            self.connected("listening")
            self._listening = True
            self._publish()
            error = await listener.lost
            if error is not None:
                raise error
        finally:
            self._listening = False
            transport.close()

    def received(self, data: bytes) -> None:
        older = v31_lamps(data)
        if older is not None:
            self.lamps.update(older)
            data = b""
        try:
            while data:
                message, data = tslumd.Message.parse(data)
                for display in message.displays:
                    self._apply(display)
        except PARSE_ERRORS as error:
            self.malformed("TSL UMD datagram", error)
        if self._listening:
            self._publish()

    def _apply(self, display: Any) -> None:
        lamps = int(display.rh_tally) | int(display.txt_tally) | int(display.lh_tally)
        if display.index == BROADCAST:
            for index in self.lamps:
                self.lamps[index] = lamps
        else:
            self.lamps[int(display.index)] = lamps

    def _publish(self) -> None:
        program = sorted(index for index, lamps in self.lamps.items() if lamps & RED)
        preview = sorted(index for index, lamps in self.lamps.items() if lamps & GREEN)
        self.publish(SwitcherState(
            connected=True,
            program=self.keys(str(index) for index in program),
            preview=self.keys(str(index) for index in preview),
            program_name=", ".join(f"tally {index}" for index in program) or None,
            preview_name=", ".join(f"tally {index}" for index in preview) or None,
        ))

    async def preview(self, source: str) -> None:
        raise SwitcherError(f"{self.config.name}: a TSL UMD feed only reports tally; it cannot set preview")

    async def cut(self) -> None:
        raise SwitcherError(f"{self.config.name}: a TSL UMD feed only reports tally; it cannot cut")

    async def auto(self) -> None:
        raise SwitcherError(f"{self.config.name}: a TSL UMD feed only reports tally; it cannot take a transition")
