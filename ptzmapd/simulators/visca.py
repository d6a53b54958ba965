"""The loopback servers that put a simulated VISCA camera on the network.

This module owns what ``ptzmapd simulate visca-ip|visca-udp|visca-tcp`` and ``ptzmapd demo``
run: :func:`start_simulator` serves a :class:`~.visca_camera.SimulatedCamera` over real
sockets the way a camera does (Sony VISCA over IP on UDP, bare frames on UDP, bare frames on
a TCP stream), with the fault knobs tests use (``silent``, ``drop_rate``) and the VISCA-over-IP
quirks of :data:`~ptzmapd.simulators.QUIRKS`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.base import Ack, Completion
from ptzmapd.protocols.framing import Piece
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.ip import BAD_SEQUENCE, RESET_PAYLOAD, PayloadType, newer, pack, unpack
from ptzmapd.protocols.visca.read import FrameSplitter, describe_command, parse_reply
from ptzmapd.protocols.visca.tables import is_command_start
from ptzmapd.simulators import QUIRKS
from ptzmapd.simulators.visca_camera import POLL_INTERVAL, SimulatedCamera
from ptzmapd.tasks import cancel_and_wait

_logger = logging.getLogger(__name__)

ReplySender = Callable[[bytes], None]


class SimulatorHandle(ABC):
    """A running simulator: its address, its camera, what it received, and fault knobs.

    ``silent`` makes it receive and ignore everything (a camera that stopped answering);
    ``drop_rate`` drops that share of incoming datagrams (of frames on TCP), drawn from
    the seeded ``rng`` so a test sees the same losses every run; ``drop_packets`` drops
    exactly those incoming packets (1 = the first datagram, or frame on TCP), a loss on
    demand (``ptzmapd simulate --drop-packet N``). ``completion_delay`` sends every
    completion that many seconds after its ACK (``--completion-delay``): a camera that ACKs
    at once and completes later, so replies of two commands interleave (ERRATA).
    """

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        self.kind = kind
        self.host = ""
        self.port = 0
        self.camera = SimulatedCamera()
        #: Readable text of every command received, in order (retransmissions marked).
        self.received: list[str] = []
        #: Every command frame the camera acted on, as it arrived (``read_command`` reads one).
        self.frames: list[bytes] = []
        self.silent = False
        self.drop_rate = 0.0
        self.drop_packets: set[int] = set()
        #: Packets (datagrams, or frames on TCP) that arrived, dropped ones included.
        self.packets = 0
        self.completion_delay = 0.0
        self.rng = random.Random(0)
        self._clock = clock
        self._log_line: Callable[[str], None] = log if log is not None else _logger.info
        #: Who sent the command that holds each camera socket: its completion goes there.
        self._owners: dict[int, ReplySender] = {}
        self._poller: asyncio.Task[None] | None = None

    @property
    def where(self) -> str:
        """What a config's ``host``/``port`` should say to reach this camera."""
        return f"{self.host}:{self.port}"

    @abstractmethod
    async def _open(self, host: str, port: int) -> None:
        """Bind the server's socket and set ``host`` and ``port``."""

    @abstractmethod
    async def _close_transport(self) -> None:
        """Stop listening and drop every connection."""

    async def close(self) -> None:
        await cancel_and_wait(self._poller)
        self._poller = None
        await self._close_transport()

    def _log(self, text: str) -> None:
        self._log_line(f"[{self.kind} {self.host}:{self.port}] {text}")

    def _accept(self) -> bool:
        """Whether to act on what just arrived (the fault knobs)."""
        if self.silent:
            return False
        self.packets += 1
        if self.packets in self.drop_packets:
            self._log(f"dropped packet {self.packets} (--drop-packet)")
            return False
        return not (self.drop_rate > 0 and self.rng.random() < self.drop_rate)

    def _start_polling(self) -> None:
        self._poller = asyncio.get_running_loop().create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        while True:
            await self._clock.sleep(POLL_INTERVAL)
            self._deliver(self.camera.poll(self._clock.now()))

    def _deliver(self, completions: list[bytes]) -> None:
        for frame in completions:
            reply = parse_reply(frame, None, None)
            send = self._owners.pop(reply.socket, None) if isinstance(reply, Completion) else None
            if send is not None:
                send(frame)

    def _execute(self, frame: bytes, send: ReplySender) -> None:
        """Run one command frame on the camera and send its immediate replies."""
        now = self._clock.now()
        # Completions that fell due go out first: their socket may be the one this command gets.
        self._deliver(self.camera.poll(now))
        self.frames.append(frame)
        self._note(describe_command(frame))
        for reply_frame in self.camera.handle(frame, now):
            reply = parse_reply(reply_frame, None, None)
            if isinstance(reply, Ack):
                self._owners[reply.socket] = send
            elif isinstance(reply, Completion):
                self._owners.pop(reply.socket, None)
                if self.completion_delay > 0:
                    asyncio.get_running_loop().call_later(self.completion_delay, send, reply_frame)
                    continue
            send(reply_frame)

    def _note(self, text: str) -> None:
        self.received.append(text)
        self._log(text)

    def _execute_bare(self, pieces: list[Piece], send: ReplySender) -> None:
        for piece in pieces:
            if piece.junk:
                self._log(f"garbage ({piece.junk}): {hexbytes(piece.data)}")
            else:
                self._execute(piece.data, send)


class _DatagramReceiver(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple[str, int]], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._on_datagram(data, addr)


class _UdpSimulator(SimulatorHandle):
    """Bare VISCA frames in datagrams (PTZOptics UDP 1259); replies go to the sender."""

    _transport: asyncio.DatagramTransport | None = None

    async def _open(self, host: str, port: int) -> None:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _DatagramReceiver(self._datagram), local_addr=(host, port)
        )
        self._transport = transport
        self.host, self.port = transport.get_extra_info("sockname")[:2]

    async def _close_transport(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _sender(self, addr: tuple[str, int]) -> ReplySender:
        def send(datagram: bytes) -> None:
            if self._transport is not None and not self._transport.is_closing():
                self._transport.sendto(datagram, addr)

        return send

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._accept():
            self._bare(data, addr)

    def _bare(self, data: bytes, addr: tuple[str, int]) -> None:
        splitter = FrameSplitter(is_command_start)
        self._execute_bare(splitter.feed(data) + splitter.flush(), self._sender(addr))


@dataclass(slots=True)
class _Peer:
    """What the VISCA-over-IP server remembers about one controller (one address:port)."""

    #: The last sequence number executed; None before the first command or after a RESET.
    last_sequence: int | None = None
    #: The reply datagrams sent for it, to resend when it is retransmitted.
    replies: list[bytes] = field(default_factory=list)


class _ViscaIpSimulator(_UdpSimulator):
    """Sony VISCA over IP: header, sequence numbers, RESET, retransmissions executed once.

    ``quirks`` (:data:`ptzmapd.simulators.QUIRKS` ``["visca-ip"]``) make it behave like the
    loose implementations ERRATA lists.
    """

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        super().__init__(kind, clock, log)
        self._peers: dict[tuple[str, int], _Peer] = {}
        self.quirks: frozenset[str] = frozenset()

    def _pack(self, payload_type: int, sequence: int, payload: bytes) -> bytes:
        """A reply datagram, as this camera's quirks write it."""
        datagram = pack(payload_type, 1 if "reply-seq-1" in self.quirks else sequence, payload)
        if "length-ignored" in self.quirks:
            datagram = datagram[:2] + b"\x00\x00" + datagram[4:]
        return datagram

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self._accept():
            return
        split = unpack(data)
        if split is None:
            self._bare(data, addr)  # cameras take bare frames on this port too
            return
        if "header-refused" in self.quirks:
            self._log(f"header refused, ignored: {hexbytes(data)}")
            return
        header, payload = split
        send = self._sender(addr)
        peer = self._peers.setdefault(addr, _Peer())
        sequence = header.sequence
        if header.payload_type == PayloadType.CONTROL and payload == RESET_PAYLOAD:
            peer.last_sequence, peer.replies = None, []
            self._log(f"#{sequence} reset sequence")
            send(self._pack(PayloadType.CONTROL_REPLY, sequence, RESET_PAYLOAD))
            return
        if header.payload_type not in (PayloadType.COMMAND, PayloadType.INQUIRY):
            self._log(f"#{sequence} ignored payload type 0x{header.payload_type:04X}: {hexbytes(payload)}")
            return
        text = describe_command(payload)
        if "seq-1-3" in self.quirks:
            # ERRATA: acts on 1-3 only, whatever their order; anything else is ignored forever.
            if sequence not in (1, 2, 3):
                self._log(f"#{sequence} {text}: sequence number outside 1-3, ignored")
                return
            self._execute(payload, lambda frame: send(self._pack(PayloadType.REPLY, sequence, frame)))
            return
        if peer.last_sequence is not None and sequence == peer.last_sequence:
            # A retransmission: the controller missed our reply. Answer again, run nothing.
            self._note(f"{text} (retransmission #{sequence})")
            for datagram in peer.replies:
                send(datagram)
            return
        if peer.last_sequence is not None and not newer(sequence, peer.last_sequence):
            self._log(f"#{sequence} {text}: sequence number behind #{peer.last_sequence}, refused")
            send(self._pack(PayloadType.CONTROL_REPLY, sequence, BAD_SEQUENCE))
            return
        peer.last_sequence, peer.replies = sequence, []

        def reply(frame: bytes) -> None:
            datagram = self._pack(PayloadType.REPLY, sequence, frame)
            if peer.last_sequence == sequence:
                peer.replies.append(datagram)
            send(datagram)

        self._execute(payload, reply)


class _TcpSimulator(SimulatorHandle):
    """Bare VISCA frames on a TCP stream (PTZOptics TCP 5678), several clients at once."""

    _server: asyncio.Server | None = None

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        super().__init__(kind, clock, log)
        self._writers: set[asyncio.StreamWriter] = set()

    async def _open(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._client, host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    async def _close_transport(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        splitter = FrameSplitter(is_command_start)

        def send(frame: bytes) -> None:
            if not writer.is_closing():
                writer.write(frame)

        try:
            while chunk := await reader.read(4096):
                if self.silent:
                    continue
                pieces = [piece for piece in splitter.feed(chunk) if self._accept()]
                self._execute_bare(pieces, send)
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


#: The simulators ``ptzmapd simulate`` can run, by the protocol name a config uses.
SIMULATOR_KINDS: dict[str, Callable[[str, Clock, Callable[[str], None] | None], SimulatorHandle]] = {
    "visca-ip": _ViscaIpSimulator,
    "visca-udp": _UdpSimulator,
    "visca-tcp": _TcpSimulator,
}


async def start_simulator(
    kind: str,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
    log: Callable[[str], None] | None = None,
    quirks: Iterable[str] = (),
) -> SimulatorHandle:
    """Serve a simulated camera on ``host:port`` (port 0: any free port, see ``.port``).

    ``log`` gets one line per command received (default: this module's logger at INFO);
    ``quirks`` are names from :data:`ptzmapd.simulators.QUIRKS` for ``kind`` (PtzmapdError
    listing the valid ones otherwise).
    """
    factory = SIMULATOR_KINDS.get(kind)
    if factory is None:
        raise PtzmapdError(f"unknown simulator {kind!r} (valid: {', '.join(sorted(SIMULATOR_KINDS))})")
    wanted = frozenset(quirks)
    known = QUIRKS.get(kind, {})
    unknown = sorted(wanted - set(known))
    if unknown:
        raise PtzmapdError(f"simulate {kind} has no quirk {unknown[0]!r} (valid: {', '.join(known) or 'none'})")
    handle = factory(kind, clock if clock is not None else MonotonicClock(), log)
    if isinstance(handle, _ViscaIpSimulator):
        handle.quirks = wanted
    await handle._open(host, port)
    handle._start_polling()
    return handle


async def start(
    kind: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    quirks: Iterable[str] = (),
    completion_delay: float = 0.0,
    drop_packets: Iterable[int] = (),
    **_: object,
) -> SimulatorHandle:
    """The ``ptzmapd simulate`` entry point (see :data:`ptzmapd.simulators.SIMULATORS`);
    ``completion_delay`` and ``drop_packets`` are the fault knobs of :class:`SimulatorHandle`."""
    handle = await start_simulator(kind, host, port, log=log, quirks=quirks)
    handle.completion_delay = completion_delay
    handle.drop_packets = set(drop_packets)
    return handle
