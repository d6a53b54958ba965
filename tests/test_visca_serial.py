"""Serial VISCA: the address nibble, the chain's opening broadcasts, replies routed by
z = address + 8; the simulated daisy chain; three cameras on one real pty; and ``ptzmapd
send`` against ``ptzmapd simulate visca-serial``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.camera import CameraController, ControllerSettings
from ptzmapd.cli import main
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.commands import Command, Home, PanTilt, PresetRecall, PresetStore, RawCommand, Zoom, ZoomPositionInquiry
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import Ack, Completion, ErrorReply, Garbage, InquiryAnswer
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.serial import ViscaSerialCodec, address_set_answer, describe_frame
from ptzmapd.simulators.serial import Recorder, ViscaChain, start
from ptzmapd.transports.serial import SerialTransport
from procs import Proc
from wire import MemoryWire

T = TypeVar("T")
SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.3, retries=2)


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def codec(address: int) -> ViscaSerialCodec:
    return ViscaSerialCodec(VISCA_LIMITS, address)


# ---------------------------------------------------------------------------- the codec


@pytest.mark.parametrize(
    ("command", "frame"),
    [
        (PanTilt(1.0, 0.0), "83 01 06 01 18 01 02 03 FF"),
        (Zoom(-1.0), "83 01 04 07 37 FF"),
        (PresetRecall(3), "83 01 04 3F 02 03 FF"),
        (PresetStore(3), "83 01 04 3F 01 03 FF"),
        (Home(), "83 01 06 04 FF"),
        (ZoomPositionInquiry(), "83 09 04 47 FF"),
        # Raw frames are the VISCA codec's: the address nibble becomes the camera's own.
        (RawCommand(text="81 01 04 38 02 FF"), "83 01 04 38 02 FF"),
    ],
)
def test_commands_carry_the_camera_address(command: Command, frame: str) -> None:
    assert hexbytes(codec(3).encode(command).data) == frame


def test_the_line_opens_with_address_set_then_if_clear() -> None:
    assert [hexbytes(outgoing.data) for outgoing in codec(2).start()] == ["88 30 01 FF", "88 01 00 01 FF"]
    assert [describe_frame(outgoing.data) for outgoing in codec(2).start()] == ["address set", "if clear"]
    assert codec(2).describe(bytes.fromhex("82 01 04 3F 02 03 FF")) == "preset recall 3"


def test_replies_are_routed_by_z() -> None:
    line = bytes.fromhex("90 41 FF B0 42 FF A0 51 FF B0 60 03 FF")  # cameras 1, 3, 2, 3
    assert codec(1).receive(line) == [Ack(None, socket=1)]
    assert codec(2).receive(line) == [Completion(None, socket=1)]
    assert codec(3).receive(line) == [Ack(None, socket=2), ErrorReply(None, kind="buffer-full", data=bytes.fromhex("B0 60 03 FF"))]
    assert codec(4).receive(line) == []
    # An inquiry answer goes to the camera that asked, decoded.
    asking = codec(3)
    asking.encode(ZoomPositionInquiry())
    assert asking.receive(bytes.fromhex("B0 50 01 02 03 04 FF")) == [InquiryAnswer(None, what="zoom-position", values=(0x1234,))]


def test_broadcast_answers_count_only_while_the_line_opens() -> None:
    camera = codec(2)
    camera.start()
    assert camera.receive(address_set_answer(3)) == [Completion(None)]  # 88 30 04 FF: three cameras
    assert camera.receive(bytes.fromhex("88 01 00 01 FF")) == [Completion(None)]
    camera.encode(PanTilt(0.0, 0.0))
    # Now they answer another camera's controller: nothing for this one.
    assert camera.receive(address_set_answer(3) + bytes.fromhex("88 01 00 01 FF")) == []


def test_a_chain_too_short_for_the_address_is_reported() -> None:
    camera = codec(5)
    camera.start()
    [reply] = camera.receive(address_set_answer(3))
    assert isinstance(reply, Garbage)
    assert reply.reason == "AddressSet found 3 camera(s) on the chain; none at address 5"


def test_garbage_is_reported_and_the_next_reply_still_read() -> None:
    replies = codec(1).receive(bytes.fromhex("13 37 FF 90 41 FF"))
    assert [type(reply) for reply in replies] == [Garbage, Ack]


@given(chunks=st.lists(st.binary(max_size=40), max_size=20), address=st.integers(1, 7))
def test_receive_never_raises(chunks: list[bytes], address: int) -> None:
    camera = codec(address)
    camera.start()
    for chunk in chunks:
        camera.receive(chunk)


# ---------------------------------------------------------------------------- the simulated chain


def test_the_chain_answers_broadcasts_and_routes_commands_by_address() -> None:
    recorder = Recorder("visca-serial", lambda line: None)
    chain = ViscaChain(3, recorder)
    assert hexbytes(b"".join(chain.feed(bytes.fromhex("88 30 01 FF"), now=0.0))) == "88 30 04 FF"
    assert hexbytes(b"".join(chain.feed(bytes.fromhex("88 01 00 01 FF"), now=0.0))) == "88 01 00 01 FF"
    replies = chain.feed(codec(2).encode(PanTilt(1.0, 0.0)).data, now=1.0)
    assert [hexbytes(reply) for reply in replies] == ["A0 41 FF", "A0 51 FF"]
    assert chain.cameras[2].state(2.0).pan == pytest.approx(800)
    assert chain.cameras[1].state(2.0).pan == 0
    assert [hexbytes(reply) for reply in chain.feed(bytes.fromhex("83 01 00 01 FF"), now=2.0)] == ["B0 50 FF"]
    assert chain.feed(codec(5).encode(Home()).data, now=2.0) == []  # nobody at address 5
    chain.feed(bytes.fromhex("13 37"), now=2.0)
    assert recorder.bad_frames == 1
    assert recorder.received == [
        "[visca-serial all] address set",
        "[visca-serial all] if clear",
        "[visca-serial #2] pan right 0x18, tilt stop",
        "[visca-serial #3] unknown 83 01 00 01 FF",
        "[visca-serial #5] home",
    ]


def test_a_controller_opens_the_chain_before_its_first_command() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", codec(3), wire, clock, SETTINGS)
    controller.start()
    assert wire.take() == ["88 30 01 FF"]
    wire.answer("90 41 FF")  # another camera's ACK answers nothing here
    clock.advance(0.1)
    assert wire.take() == []
    wire.answer("88 30 04 FF")
    clock.advance(0.05)
    assert wire.take() == ["88 01 00 01 FF"]
    wire.answer("88 01 00 01 FF")
    clock.advance(0.05)
    assert wire.take() == ["83 01 06 01 01 01 03 03 FF"]  # then the stops, to camera 3
    wire.answer("B0 41 FF")
    clock.advance(0.05)
    assert wire.take() == ["83 01 04 07 00 FF"]


# ---------------------------------------------------------------------------- a real daisy chain


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def test_three_cameras_on_one_pty_each_get_their_own_commands_and_replies() -> None:
    async def body() -> None:
        sim = await start("visca-serial", cameras=3, log=lambda line: None)
        transport = SerialTransport(sim.where, 9600)
        await transport.open()
        clock = MonotonicClock()
        controllers = {a: CameraController(f"cam{a}", codec(a), transport, clock, SETTINGS) for a in (1, 2, 3)}
        for controller in controllers.values():
            controller.start()
        await wait_until(lambda: all(c.idle for c in controllers.values()))
        controllers[1].set_motion(Zoom(1.0))
        controllers[2].set_motion(PanTilt(1.0, 0.0))
        controllers[3].submit(PresetStore(7))
        await wait_until(lambda: all(c.idle for c in controllers.values()))
        await asyncio.sleep(0.5)
        for controller in controllers.values():
            controller.stop()
        await wait_until(lambda: all(c.idle for c in controllers.values()))
        now = sim.now()
        assert sim.cameras[1].state(now).zoom > 0 and sim.cameras[1].state(now).pan == 0
        assert sim.cameras[2].state(now).pan > 0 and sim.cameras[2].state(now).zoom == 0
        assert not any(sim.cameras[a].state(now).moving for a in (1, 2, 3))
        # Every command was acknowledged by its own camera: nobody timed out, nobody retried.
        assert all(c.state.online and c.state.retransmissions == 0 for c in controllers.values())
        assert "[visca-serial #3] preset store 7" in sim.received
        # Each controller opens the line (the broadcasts are idempotent), so the chain is
        # numbered and cleared before the first command to any camera.
        broadcasts = [line for line in sim.received if " all] " in line]
        assert sorted(broadcasts) == ["[visca-serial all] address set"] * 3 + ["[visca-serial all] if clear"] * 3
        first_command = next(i for i, line in enumerate(sim.received) if "#" in line)
        assert sim.received[0] == "[visca-serial all] address set"
        assert "[visca-serial all] if clear" in sim.received[:first_command]
        for controller in controllers.values():
            controller.close()
        await transport.close()
        await sim.close()

    run(body())


# ---------------------------------------------------------------------------- as a user runs it


def test_send_to_a_camera_on_a_chain_is_acknowledged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim = Proc("simulate", "visca-serial", "--cameras", "2")
    try:
        device = sim.wait_for(r"on (/dev/pts/\d+)").group(1)
        config = tmp_path / "chain.yaml"
        config.write_text(f"cameras:\n  dome:\n    protocol: visca-serial\n    device: {device}\n    address: 2\n")
        assert main(["-q", "send", "-c", str(config), "dome", "preset", "3"]) == 0
        sim.wait_for(r"\[visca-serial #2\] preset recall 3")
        assert "dome: preset 3: acknowledged" in capsys.readouterr().out
    finally:
        sim.stop()
    assert "Traceback" not in sim.output
