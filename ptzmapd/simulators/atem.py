"""A simulated Blackmagic ATEM on its UDP control protocol (port 9910): what ``ptzmapd
simulate atem`` serves. Written from the protocol as pyatem implements it (pyatem/transport.py
and protocol.py, LGPL; the field layouts from its field.py and command.py docstrings) and as
the reverse-engineered descriptions agree; pyatem is not needed to run it.

A packet is a 12-byte header — flags (5 bits: 0x01 reliable, 0x02 hello, 0x04 retransmission,
0x08 asks for a retransmission, 0x10 ack) and length (11 bits), session id, acknowledged
packet id, 2 unused bytes, a remote packet id, the packet id — then fields, each
``length:u16, 2 unused, code:4s, data``. The handshake: the client says hello (flags 0x02,
its own session id, 8 bytes starting 0x01); we answer hello with 0x02 (accepted); it acks;
then, under a session id of our own, comes the state dump (firmware, product name, one
``InPr`` per input, ``PrgI``/``PrvI`` of M/E 1, ``InCm`` last) as reliable packets, and a
keepalive (an empty reliable packet) every :data:`KEEPALIVE` seconds: clients give up after
5 s of silence. Clients' ``CPvI`` (set preview), ``CPgI`` (set program), ``DCut`` and ``DAut``
move the mixer; every client is sent the new ``PrgI``/``PrvI``. Several clients at once, each
its own session; one silent for :data:`SESSION_TIMEOUT` seconds is dropped.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.simulators.mixer import Mixer, drive as start_driving
from ptzmapd.tasks import cancel_and_wait

RELIABLE, HELLO, RETRANSMISSION, ASK_RETRANSMISSION, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
HEADER = struct.Struct(">HHHxxHH")
FIELD = struct.Struct(">Hxx4s")
#: The hello answer's first byte: the connection is accepted.
ACCEPTED = 0x02
#: Seconds between keepalives (a client reconnects after 5 s without a packet).
KEEPALIVE = 1.0
#: A client silent this long (no ack, no command) has gone: its session is dropped.
SESSION_TIMEOUT = 10.0
#: The firmware version and product the simulator announces.
FIRMWARE = (2, 30)
PRODUCT = "ATEM Mini (simulated)"


def packet(flags: int, session: int, *, ack: int = 0, packet_id: int = 0, data: bytes = b"") -> bytes:
    return HEADER.pack(((flags & 0x1F) << 11) | (HEADER.size + len(data)), session, ack, 0, packet_id) + data


def field(code: str, data: bytes) -> bytes:
    return FIELD.pack(FIELD.size + len(data), code.encode()) + data


def bus_fields(mixer: Mixer) -> bytes:
    """``PrgI`` and ``PrvI`` of M/E 1 (M/E index 0; PrvI's byte 4: preview mixed into program)."""
    return (field("PrgI", struct.pack(">BxH", 0, mixer.program))
            + field("PrvI", struct.pack(">BxHB3x", 0, mixer.preview, 0)))


def input_field(number: int, mixer: Mixer) -> bytes:
    """``InPr``: index, long name (20), short name (4), then category, ports and availability
    bytes: an external HDMI input, usable on M/E 1 (byte 35 bit 0)."""
    return field("InPr", struct.pack(">H20s4s10B", number, mixer.title(number).encode(), f"CAM{number}".encode(),
                                     0, 1, 0, 1, 0, 1, 0, 0, 0x1F, 0x01))


def state_dump(mixer: Mixer) -> list[bytes]:
    """The fields a client receives after the handshake, ``InCm`` (init complete) last."""
    return ([field("_ver", struct.pack(">HH", *FIRMWARE)),
             field("_pin", struct.pack(">40sB3x", PRODUCT.encode(), 0x10))]
            + [input_field(number, mixer) for number in range(1, mixer.inputs + 1)]
            + [bus_fields(mixer), field("InCm", b"\x00\x00\x00\x00")])


@dataclass
class Session:
    """One client: our session id for it, our next packet id, when it was last heard."""

    session_id: int
    address: tuple[str, int]
    heard: float
    #: The id the client said hello with: its handshake ack still carries it.
    hello_id: int = 0
    next_id: int = 1
    established: bool = False


class AtemSimulator(asyncio.DatagramProtocol):
    """A running simulated ATEM: its :class:`Mixer`, its client sessions, what they asked."""

    def __init__(self, mixer: Mixer, clock: Clock, log: Callable[[str], None]) -> None:
        self.mixer = mixer
        self.clock = clock
        self.sessions: dict[tuple[str, int], Session] = {}
        #: Every command field received (``CPvI 3``, ``DCut``), in order.
        self.commands: list[str] = []
        #: Whether to answer at all (False: an ATEM that went away).
        self.answering = True
        self.host = ""
        self.port = 0
        self._log = log
        self._transport: asyncio.DatagramTransport | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._driver: asyncio.Task[None] | None = None
        self._next_session = 0x8001
        mixer.watchers.append(self._announce)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.answering or len(data) < HEADER.size:
            return
        word, session_id, _, _, packet_id = HEADER.unpack_from(data)
        flags, length = word >> 11, word & 0x7FF
        if length != len(data):
            return  # not a whole packet: an ATEM ignores it
        if flags & HELLO:
            self._hello(addr, session_id)
            return
        session = self.sessions.get(addr)
        if session is None or session_id not in (session.session_id, session.hello_id):
            return
        session.heard = self.clock.now()
        if not session.established and flags & ACK:
            session.established = True
            self._send_dump(session)
        if flags & RELIABLE:
            self._send(session, packet(ACK, session.session_id, ack=packet_id))
            self._commands(data[HEADER.size:])

    def _hello(self, addr: tuple[str, int], client_session: int) -> None:
        self.sessions[addr] = Session(self._next_session, addr, self.clock.now(), hello_id=client_session)
        self._next_session = 0x8001 + (self._next_session - 0x8000) % 0x7FFE
        # The answer goes out under the client's own session id; ours starts with the dump.
        self._sendto(packet(HELLO, client_session, data=bytes([ACCEPTED, 0, 0, 0, 0, 0, 0, 0])), addr)

    def _send_dump(self, session: Session) -> None:
        chunk = b""
        for data in state_dump(self.mixer):
            if len(chunk) + len(data) > 1300:
                self._reliable(session, chunk)
                chunk = b""
            chunk += data
        self._reliable(session, chunk)
        # pyatem takes the packet after InCm as "connected" and does not read it: a keepalive.
        self._reliable(session, b"")
        self._log(f"[atem {self.where}] client {session.address[0]}:{session.address[1]} connected "
                  f"(session 0x{session.session_id:04X})")

    def _commands(self, data: bytes) -> None:
        offset = 0
        while offset + FIELD.size <= len(data):
            length, raw_code = FIELD.unpack_from(data, offset)
            if length < FIELD.size:
                return
            body = data[offset + FIELD.size:offset + length]
            offset += length
            code = raw_code.decode(errors="replace")
            try:
                self._command(code, body)
            except (struct.error, ValueError) as error:
                self._log(f"[atem {self.where}] refused {code}: {error}")

    def _command(self, code: str, body: bytes) -> None:
        if code in ("CPvI", "CPgI"):
            me, source = struct.unpack_from(">BxH", body)
            self.commands.append(f"{code} {source}")
            if me == 0:
                (self.mixer.set_preview if code == "CPvI" else self.mixer.set_program)(source)
        elif code in ("DCut", "DAut"):
            self.commands.append(code)
            if body[:1] == b"\x00":
                (self.mixer.cut if code == "DCut" else self.mixer.auto)()

    def _announce(self, mixer: Mixer) -> None:
        for session in list(self.sessions.values()):
            if session.established:
                self._reliable(session, bus_fields(mixer))

    def _reliable(self, session: Session, data: bytes) -> None:
        self._send(session, packet(RELIABLE, session.session_id, packet_id=session.next_id, data=data))
        session.next_id = (session.next_id + 1) % 0x8000

    def _send(self, session: Session, data: bytes) -> None:
        self._sendto(data, session.address)

    def _sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None and self.answering:
            self._transport.sendto(data, addr)

    async def _keep_alive(self) -> None:
        while True:
            await self.clock.sleep(KEEPALIVE)
            now = self.clock.now()
            for addr, session in list(self.sessions.items()):
                if now - session.heard > SESSION_TIMEOUT:
                    del self.sessions[addr]
                    self._log(f"[atem {self.where}] client {addr[0]}:{addr[1]} timed out")
                elif session.established:
                    self._reliable(session, b"")

    async def open(self, host: str, port: int, how: str) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        self._transport = transport
        self.host, self.port = transport.get_extra_info("sockname")[:2]
        self._ticker = loop.create_task(self._keep_alive())
        self._driver = start_driving(self.mixer, how, self.clock)

    async def close(self) -> None:
        await cancel_and_wait(self._driver)
        await cancel_and_wait(self._ticker)
        if self._transport is not None:
            self._transport.close()
            self._transport = None


async def start(
    kind: str = "atem",
    *,
    host: str = "127.0.0.1",
    port: int = 9910,
    log: Callable[[str], None] | None = None,
    inputs: int = 4,
    drive: str = "script",
    clock: Clock | None = None,
    **_: object,
) -> AtemSimulator:
    """Serve a simulated ATEM with ``inputs`` inputs on ``host:port`` (0: any free port), its
    mixer moved by ``drive`` (:data:`~ptzmapd.simulators.mixer.DRIVES`)."""
    say = log or print
    simulator = AtemSimulator(Mixer(inputs=inputs, log=lambda text: say(f"[atem] {text}")),
                              clock or MonotonicClock(), say)
    await simulator.open(host, port, drive)
    return simulator
