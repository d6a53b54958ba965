"""The simulated VISCA camera: its model with explicit times, then its servers on real
loopback sockets (127.0.0.2, any free port) driven through the project's own codecs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import (
    Autofocus,
    Command,
    Home,
    PanTilt,
    PanTiltPositionInquiry,
    PresetRecall,
    PresetStore,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import (
    Ack,
    Completion,
    ErrorReply,
    InquiryAnswer,
    Reply,
    SequenceReset,
)
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.encode import encode_payload
from ptzmapd.protocols.visca.ip import PayloadType, ViscaIpCodec, pack
from ptzmapd.simulators.visca import SimulatedCamera, SimulatorHandle, start_simulator

HOST = "127.0.0.2"  # DESIGN.md: keeps clear of controllers that bind 52381 on 127.0.0.1
ACK1, DONE1, ACK2, DONE2 = "90 41 FF", "90 51 FF", "90 42 FF", "90 52 FF"
BUFFER_FULL = "90 60 03 FF"
SYNTAX_ERROR = "90 60 02 FF"

T = TypeVar("T")


def frame(command: Command) -> bytes:
    return encode_payload(command, VISCA_LIMITS)


def hexes(frames: list[bytes]) -> list[str]:
    return [hexbytes(data) for data in frames]


# ---------------------------------------------------------------------------- the model


def test_position_integrates_the_speed_over_time() -> None:
    camera = SimulatedCamera()
    assert hexes(camera.handle(frame(PanTilt(1.0, 0.0)), now=10.0)) == [ACK1, DONE1]
    state = camera.state(11.0)
    assert state.pan == pytest.approx(800)  # 0x18 is 800 units/s
    assert state.pan_speed == pytest.approx(800)
    assert state.moving and state.last_command == "pan right 0x18, tilt stop"
    camera.handle(frame(PanTilt(-0.5, 0.5)), now=11.0)  # 0x0C left, 0x0A up
    state = camera.state(12.0)
    assert state.pan == pytest.approx(800 - 400)
    assert state.tilt == pytest.approx(200)
    camera.handle(frame(PanTilt(0.0, 0.0)), now=12.0)
    later = camera.state(20.0)
    assert (later.pan, later.tilt) == (state.pan, state.tilt)
    assert not later.moving


def test_axes_stop_at_their_ends() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(PanTilt(-1.0, -1.0)), now=0.0)
    camera.handle(frame(Zoom(1.0)), now=0.0)
    state = camera.state(100.0)
    assert (state.pan, state.tilt, state.zoom) == (-2448, -432, 0x4000)


def test_zoom_speed_by_level() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(Zoom(1.0)), now=0.0)  # p = 7: the whole range in 3 s
    assert camera.state(1.5).zoom == pytest.approx(0x4000 / 2)
    camera.handle(frame(Zoom(-0.5)), now=1.5)  # p = 3: half that speed, toward wide
    assert camera.state(2.5).zoom == pytest.approx(0x4000 / 2 - 0x4000 / 6)
    assert camera.state(2.5).zoom_speed == pytest.approx(-0x4000 / 6)


def test_preset_recall_holds_a_socket_until_it_arrives() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(PanTilt(1.0, 1.0)), now=0.0)
    camera.handle(frame(PanTilt(0.0, 0.0)), now=1.0)  # pan 800, tilt 400
    assert hexes(camera.handle(frame(PresetStore(5)), now=1.0)) == [ACK1, DONE1]
    camera.handle(frame(Home()), now=1.0)
    assert hexes(camera.poll(3.0)) == [DONE1]  # home took 1 s (800 units at 800/s)
    assert (camera.state(3.0).pan, camera.state(3.0).tilt) == (0, 0)

    assert hexes(camera.handle(frame(PresetRecall(5)), now=10.0)) == [ACK1]  # no completion yet
    assert camera.poll(10.5) == []
    assert camera.state(10.5).moving
    assert camera.state(10.5).pan == pytest.approx(400)
    assert hexes(camera.poll(11.0)) == [DONE1]
    state = camera.state(11.0)
    assert (state.pan, state.tilt) == (800, 400)
    assert not state.moving
    assert camera.poll(20.0) == []  # a completion comes once


def test_third_command_while_two_sockets_are_busy_is_refused() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(PanTilt(1.0, 0.0)), now=0.0)
    camera.handle(frame(PanTilt(0.0, 0.0)), now=2.0)  # pan 1600
    assert hexes(camera.handle(frame(Home()), now=2.0)) == [ACK1]
    # One socket is left: a drive command still goes through it at once.
    assert hexes(camera.handle(frame(Zoom(1.0)), now=2.0)) == [ACK2, DONE2]
    assert hexes(camera.handle(frame(PresetRecall(9)), now=2.0)) == [ACK2]
    assert hexes(camera.handle(frame(Zoom(0.0)), now=2.0)) == [BUFFER_FULL]
    # Inquiries need no socket.
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(ZoomPositionInquiry())
    [answer] = codec.receive(camera.handle(frame(ZoomPositionInquiry()), now=2.0)[0])
    assert isinstance(answer, InquiryAnswer) and answer.what == "zoom-position"
    # Home arrives after 2 s; the waiting recall (of an empty memory) then ends at once.
    assert camera.poll(3.9) == []
    assert hexes(camera.poll(4.0)) == [DONE1, DONE2]
    assert hexes(camera.handle(frame(Zoom(0.0)), now=4.0)) == [ACK1, DONE1]


def test_a_drive_command_takes_an_axis_over_from_a_move() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(PanTilt(1.0, 0.0)), now=0.0)
    camera.handle(frame(PanTilt(0.0, 0.0)), now=1.0)
    camera.handle(frame(Home()), now=1.0)
    camera.handle(frame(PanTilt(1.0, 0.0)), now=1.5)  # the hand wins over home
    assert hexes(camera.poll(1.5)) == [DONE1]  # home has nothing left to move
    assert camera.state(2.0).pan == pytest.approx(400 + 400)


def test_inquiry_answers_decode_through_the_codec() -> None:
    camera = SimulatedCamera()
    camera.handle(frame(PanTilt(-1.0, -1.0)), now=0.0)
    camera.handle(frame(Zoom(1.0)), now=0.0)
    camera.handle(frame(PanTilt(0.0, 0.0)), now=1.0)
    camera.handle(frame(Zoom(0.0)), now=1.0)
    codec = ViscaCodec(VISCA_LIMITS)
    codec.encode(PanTiltPositionInquiry())
    answer = camera.handle(frame(PanTiltPositionInquiry()), now=1.0)
    assert len(answer) == 1  # no ACK before an answer
    assert codec.receive(answer[0]) == [InquiryAnswer(None, "pantilt-position", (-800, -400))]
    codec.encode(ZoomPositionInquiry())
    assert codec.receive(camera.handle(frame(ZoomPositionInquiry()), now=1.0)[0]) == [
        InquiryAnswer(None, "zoom-position", (round(0x4000 / 3),))
    ]


def test_autofocus_and_unknown_frames() -> None:
    camera = SimulatedCamera()
    assert camera.state(0.0).autofocus
    assert hexes(camera.handle(frame(Autofocus("off")), now=0.0)) == [ACK1, DONE1]
    assert not camera.state(0.0).autofocus
    camera.handle(frame(Autofocus("toggle")), now=0.0)
    assert camera.state(0.0).autofocus
    # Neither a Pan_TiltDrive (9 bytes) nor a Preset Recall Speed (6 bytes, a spec row the
    # camera takes since issue 9): no row of the spec files.
    assert hexes(camera.handle(bytes.fromhex("81 01 06 01 18 14 FF"), now=0.0)) == [SYNTAX_ERROR]
    assert camera.state(0.0).last_command == "unknown 81 01 06 01 18 14 FF"
    assert hexes(camera.handle(b"\x00\x01", now=0.0)) == [SYNTAX_ERROR]


# ---------------------------------------------------------------------------- the servers


class _Inbox(asyncio.Protocol, asyncio.DatagramProtocol):
    """Collects what a simulator sends back (datagrams or stream chunks)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.queue.put_nowait(data)

    def data_received(self, data: bytes) -> None:
        self.queue.put_nowait(data)


class Peer:
    """A controller's end of one connection, speaking through a codec."""

    def __init__(
        self,
        transport: asyncio.BaseTransport,
        send: Callable[[bytes], None],
        inbox: _Inbox,
        codec: ViscaCodec | ViscaIpCodec,
    ) -> None:
        self.transport = transport
        self.send = send
        self.inbox = inbox
        self.codec = codec

    async def replies(self, count: int, timeout: float = 5.0) -> list[Reply]:
        """The next ``count`` replies the codec reads from the wire."""
        replies: list[Reply] = []
        while len(replies) < count:
            data = await asyncio.wait_for(self.inbox.queue.get(), timeout)
            replies.extend(self.codec.receive(data))
        return replies

    async def nothing(self, seconds: float = 0.2) -> bool:
        """True if nothing arrives for ``seconds`` (only ever a pass on a slow machine)."""
        try:
            await asyncio.wait_for(self.inbox.queue.get(), seconds)
        except asyncio.TimeoutError:
            return True
        return False


async def udp_peer(sim: SimulatorHandle, codec: ViscaCodec | ViscaIpCodec) -> Peer:
    transport, inbox = await asyncio.get_running_loop().create_datagram_endpoint(
        _Inbox, local_addr=(HOST, 0), remote_addr=(sim.host, sim.port)
    )
    return Peer(transport, transport.sendto, inbox, codec)


async def tcp_peer(sim: SimulatorHandle) -> Peer:
    transport, inbox = await asyncio.get_running_loop().create_connection(_Inbox, sim.host, sim.port)
    return Peer(transport, transport.write, inbox, ViscaCodec(VISCA_LIMITS))


def with_simulator(kind: str, test: Callable[[SimulatorHandle, FakeClock, list[str]], Awaitable[None]]) -> list[str]:
    """Run ``test`` against a fresh simulator on a fake clock; returns its log lines."""
    lines: list[str] = []

    async def main() -> None:
        clock = FakeClock()
        sim = await start_simulator(kind, HOST, 0, clock=clock, log=lines.append)
        try:
            await test(sim, clock, lines)
        finally:
            await sim.close()

    run(main())
    return lines


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_visca_ip_reset_command_and_completion() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        peer = await udp_peer(sim, ViscaIpCodec(VISCA_LIMITS))
        peer.send(peer.codec.start()[0].data)
        assert await peer.replies(1) == [SequenceReset(0)]
        peer.send(peer.codec.encode(PanTilt(1.0, 0.0)).data)
        assert await peer.replies(2) == [Ack(1, socket=1), Completion(1, socket=1)]
        peer.send(peer.codec.encode(PanTiltPositionInquiry()).data)
        assert await peer.replies(1) == [InquiryAnswer(2, "pantilt-position", (0, 0))]
        clock.advance(1.0)
        peer.send(peer.codec.encode(PanTiltPositionInquiry()).data)
        assert await peer.replies(1) == [InquiryAnswer(3, "pantilt-position", (800, 0))]
        assert sim.received == ["pan right 0x18, tilt stop"] + ["inquiry pan/tilt position"] * 2
        assert sim.port != 0 and sim.host == HOST

    lines = with_simulator("visca-ip", test)
    assert any(line.startswith(f"[visca-ip {HOST}:") and line.endswith("] pan right 0x18, tilt stop") for line in lines)


def test_visca_ip_retransmitted_preset_runs_once() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        peer = await udp_peer(sim, ViscaIpCodec(VISCA_LIMITS))
        peer.send(peer.codec.start()[0].data)
        await peer.replies(1)
        peer.send(peer.codec.encode(PresetStore(1)).data)  # at 0, 0
        await peer.replies(2)
        peer.send(peer.codec.encode(PanTilt(1.0, 0.0)).data)
        await peer.replies(2)
        clock.advance(2.0)
        peer.send(peer.codec.encode(PanTilt(0.0, 0.0)).data)  # pan 1600
        await peer.replies(2)

        recall = peer.codec.encode(PresetRecall(1))
        peer.send(recall.data)
        assert await peer.replies(1) == [Ack(recall.token, socket=1)]
        # Our ACK was "lost": the controller sends the very same bytes again.
        peer.send(recall.data)
        assert await peer.replies(1) == [Ack(recall.token, socket=1)]  # socket 1 again: not run twice
        assert sim.received.count("preset recall 1") == 1
        assert sim.camera.state(clock.now()).moving

        clock.advance(2.0)  # 1600 units at 800/s
        assert await peer.replies(1) == [Completion(recall.token, socket=1)]
        assert sim.camera.state(clock.now()).pan == 0
        # A late retransmission gets every stored reply, still without a second move.
        peer.send(recall.data)
        assert await peer.replies(2) == [Ack(recall.token, socket=1), Completion(recall.token, socket=1)]
        clock.advance(1.0)
        assert await peer.nothing()
        assert not sim.camera.state(clock.now()).moving
        assert sim.received.count("preset recall 1") == 1

    with_simulator("visca-ip", test)


def test_visca_ip_lower_sequence_number_is_refused() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        peer = await udp_peer(sim, ViscaIpCodec(VISCA_LIMITS))
        peer.send(peer.codec.start()[0].data)
        await peer.replies(1)
        for _ in range(3):
            peer.send(peer.codec.encode(Zoom(0.0)).data)
            await peer.replies(2)
        peer.send(pack(PayloadType.COMMAND, 2, frame(Home())))
        assert await peer.replies(1) == [ErrorReply(2, kind="sequence", data=b"\x0f\x01")]
        assert "home" not in sim.received
        # The controller's answer to that: RESET, then carry on from 1.
        peer.send(peer.codec.reset()[0].data)
        assert await peer.replies(1) == [SequenceReset(0)]
        peer.send(peer.codec.encode(Home()).data)
        assert await peer.replies(1) == [Ack(1, socket=1)]

    with_simulator("visca-ip", test)


def test_visca_ip_sequence_wraps_and_bare_frames_are_accepted() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        codec = ViscaIpCodec(VISCA_LIMITS)
        codec.next_sequence = 2**32 - 1
        peer = await udp_peer(sim, codec)
        for expected in (2**32 - 1, 0):
            peer.send(peer.codec.encode(Zoom(0.0)).data)
            assert await peer.replies(2) == [Ack(expected, socket=1), Completion(expected, socket=1)]
        bare = await udp_peer(sim, ViscaIpCodec(VISCA_LIMITS, sequence="none"))
        bare.send(bare.codec.encode(Zoom(0.0)).data)
        assert await bare.replies(2) == [Ack(None, socket=1), Completion(None, socket=1)]

    with_simulator("visca-ip", test)


def test_visca_udp_bare_frames() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        peer = await udp_peer(sim, ViscaCodec(VISCA_LIMITS))
        assert peer.codec.start() == []
        peer.send(peer.codec.encode(Zoom(1.0)).data)
        assert await peer.replies(2) == [Ack(None, socket=1), Completion(None, socket=1)]
        clock.advance(1.5)
        peer.send(peer.codec.encode(ZoomPositionInquiry()).data)
        assert await peer.replies(1) == [InquiryAnswer(None, "zoom-position", (0x2000,))]
        peer.send(peer.codec.encode(Home()).data)
        assert await peer.replies(1) == [Ack(None, socket=1)]
        clock.advance(0.5)
        assert await peer.replies(1) == [Completion(None, socket=1)]
        peer.send(bytes.fromhex("81 01 06 01 18 14 FF"))
        assert await peer.replies(1) == [ErrorReply(None, kind="syntax", data=bytes.fromhex(SYNTAX_ERROR))]

    lines = with_simulator("visca-udp", test)
    assert any(line.endswith("] zoom tele 7") for line in lines)


def test_visca_tcp_stream_and_several_clients() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        first, second = await tcp_peer(sim), await tcp_peer(sim)
        first.send(frame(PanTilt(1.0, 0.0)))
        assert await first.replies(2) == [Ack(None, socket=1), Completion(None, socket=1)]
        clock.advance(1.0)
        # The stream is split on FF whatever the chunks: half a frame, then the rest.
        home = frame(Home())
        first.send(frame(PanTilt(0.0, 0.0)) + home[:2])
        await asyncio.sleep(0.05)
        first.send(home[2:])
        assert await first.replies(3) == [Ack(None, socket=1), Completion(None, socket=1), Ack(None, socket=1)]
        # Another client meanwhile gets its own replies, on its own connection.
        second.send(frame(Zoom(1.0)))
        assert await second.replies(2) == [Ack(None, socket=2), Completion(None, socket=2)]
        clock.advance(1.0)
        assert await first.replies(1) == [Completion(None, socket=1)]
        assert await second.nothing()
        assert sim.received == [
            "pan right 0x18, tilt stop", "pan stop, tilt stop", "home", "zoom tele 7",
        ]
        for peer in (first, second):
            peer.transport.close()

    with_simulator("visca-tcp", test)


def test_fault_knobs_silence_and_loss() -> None:
    async def test(sim: SimulatorHandle, clock: FakeClock, lines: list[str]) -> None:
        peer = await udp_peer(sim, ViscaCodec(VISCA_LIMITS))
        sim.silent = True
        peer.send(frame(Home()))
        assert await peer.nothing()
        sim.silent = False
        sim.drop_rate = 1.0
        peer.send(frame(Zoom(0.0)))
        assert await peer.nothing()
        assert sim.received == []
        sim.drop_rate = 0.5
        for _ in range(40):
            peer.send(frame(Zoom(0.0)))
        await asyncio.sleep(0.2)
        # The seeded generator drops some and lets some through.
        assert 0 < len(sim.received) < 40

    with_simulator("visca-udp", test)


def test_unknown_simulator_lists_the_valid_ones() -> None:
    with pytest.raises(PtzmapdError, match="valid: visca-ip, visca-tcp, visca-udp"):
        run(start_simulator("visac-ip", HOST))
