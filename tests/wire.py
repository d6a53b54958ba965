"""An in-memory wire for controller tests: records what is sent, lets the test answer.

Like pyserial's ``loop://`` or h11's in-memory pairs: the controller under test talks to a
real :class:`~ptzmapd.transports.base.Transport`, only without a socket behind it.
"""

from __future__ import annotations

from ptzmapd.clock import Clock
from ptzmapd.errors import TransportError
from ptzmapd.transports.base import Transport


class MemoryWire(Transport):
    def __init__(self, clock: Clock, connected: bool = True) -> None:
        super().__init__("memory://camera")
        self.clock = clock
        self.sent: list[tuple[float, bytes]] = []
        self._set_connected(connected)

    async def open(self) -> None:
        self._set_connected(True)

    def send(self, data: bytes) -> None:
        if not self.connected:
            raise TransportError("memory wire is down")
        self.sent.append((self.clock.now(), data))

    def answer(self, hex_text: str) -> None:
        self._deliver(bytes.fromhex(hex_text))

    def plug(self, connected: bool) -> None:
        self._set_connected(connected)

    @property
    def frames(self) -> list[str]:
        """Every frame sent, as upper-case hex with spaces (the way specs print them)."""
        return [data.hex(" ").upper() for _, data in self.sent]

    def take(self) -> list[str]:
        frames = self.frames
        self.sent.clear()
        return frames
