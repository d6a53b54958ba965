"""An in-memory wire for controller tests: records what is sent, lets the test answer.

Like pyserial's ``loop://`` or h11's in-memory pairs: the controller under test talks to a
real :class:`~ptzmapd.transports.base.Transport`, only without a socket behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ptzmapd.clock import Clock
from ptzmapd.protocols.visca.ip import PayloadType, pack
from ptzmapd.errors import TransportError
from ptzmapd.transports.base import Transport

if TYPE_CHECKING:
    from ptzmapd.camera import CameraController


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

    def answer_awaiting(self, controller: "CameraController") -> bool:
        """Answer the controller's command in flight the way a camera would (ACK)."""
        outgoing = controller.awaiting
        if outgoing is None:
            return False
        if outgoing.data.startswith(b"\x02\x00"):  # VISCA-over-IP RESET
            self._deliver(pack(PayloadType.CONTROL_REPLY, outgoing.token or 0, b"\x01"))
        elif outgoing.token is not None:
            self._deliver(pack(PayloadType.REPLY, outgoing.token, b"\x90\x41\xff"))
        else:
            self._deliver(b"\x90\x41\xff")
        return True

    def settle(self, controller: "CameraController", forget: bool = True) -> None:
        """Answer everything the controller sends until it is idle (then forget it was sent)."""
        for _ in range(50):
            if controller.idle:
                break
            if not self.answer_awaiting(controller):
                self.clock.advance(controller.settings.min_interval)  # type: ignore[attr-defined]
        self.clock.advance(controller.settings.min_interval)  # type: ignore[attr-defined]
        if forget:
            self.sent.clear()

    @property
    def frames(self) -> list[str]:
        """Every frame sent, as upper-case hex with spaces (the way specs print them)."""
        return [data.hex(" ").upper() for _, data in self.sent]

    def take(self) -> list[str]:
        frames = self.frames
        self.sent.clear()
        return frames
