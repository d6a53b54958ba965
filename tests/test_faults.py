"""Faults a live show meets: packet loss, a TCP reset, a camera that stops answering."""

from __future__ import annotations

import asyncio
import logging
import time

from helpers import until
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.commands import PanTilt, PresetRecall, Zoom
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.simulators.visca import start_simulator
from ptzmapd.transports.tcp import TcpTransport
from ptzmapd.transports.udp import UdpTransport
from lossy import LossyRelay
from wire import MemoryWire


def test_twenty_percent_loss_reaches_the_final_state_and_runs_no_preset_twice() -> None:
    async def body() -> None:
        camera = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        relay = await LossyRelay.start(("127.0.0.2", camera.port), loss=0.2)
        transport = UdpTransport("127.0.0.2", relay.port, clock=MonotonicClock())
        await transport.open()
        controller = CameraController(
            "stage", ViscaIpCodec(VISCA_LIMITS), transport, MonotonicClock(),
            ControllerSettings(min_interval=0.01, ack_timeout=0.05, retries=20),
        )
        controller.start()
        try:
            for preset in range(1, 9):
                controller.submit(PresetRecall(preset))
                for step in range(1, 6):
                    controller.set_motion(PanTilt(step / 5, -step / 5))
                    await asyncio.sleep(0.005)
            controller.set_motion(Zoom(0.5))
            controller.set_motion(PanTilt(-0.25, 0.0))
            await until(lambda: controller.idle, timeout=20)
            assert sum(relay.dropped.values()) > 5  # the loss really happened, both ways
            assert relay.dropped["to controller"] > 0
            executed = [line for line in camera.received if "retransmission" not in line]
            for preset in range(1, 9):
                assert executed.count(f"preset recall {preset}") == 1, camera.received
            assert executed[-1] in ("pan left 0x06, tilt stop", "zoom tele 3")
            assert "pan left 0x06, tilt stop" in executed and "zoom tele 3" in executed
            state = camera.camera.state(time.monotonic())
            assert state.pan_speed < 0 and state.zoom_speed > 0
        finally:
            controller.close()
            await transport.close()
            relay.close()
            await camera.close()

    asyncio.run(body())


def test_a_tcp_reset_reconnects_and_resends_the_newest_state() -> None:
    async def body() -> None:
        camera = await start_simulator("visca-tcp", "127.0.0.2", 0, log=lambda line: None)
        port = camera.port
        transport = TcpTransport("127.0.0.2", port, clock=MonotonicClock())
        await transport.open()
        controller = CameraController("pulpit", ViscaCodec(VISCA_LIMITS), transport, MonotonicClock(),
                                      ControllerSettings(min_interval=0.02, ack_timeout=0.2))
        controller.start()
        try:
            controller.set_motion(PanTilt(1.0, 0.0))
            await until(lambda: "pan right 0x18, tilt stop" in camera.received)
            await camera.close()  # the camera resets: every connection dropped
            await until(lambda: not transport.connected)
            controller.set_motion(PanTilt(0.0, 0.5))  # the hand moves on while it is away
            camera = await start_simulator("visca-tcp", "127.0.0.2", port, log=lambda line: None)
            await until(lambda: transport.connected, timeout=15)
            await until(lambda: "pan stop, tilt up 0x0A" in camera.received)
            assert controller.state.online
        finally:
            controller.close()
            await transport.close()
            await camera.close()

    asyncio.run(body())


def test_a_silent_camera_adds_nothing_to_the_others_latency() -> None:
    """Measured exactly: with one clock, a command to a live camera leaves in the very call
    that asked for it, while its neighbour is retrying and backing off."""
    clock = FakeClock()
    settings = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2)
    wires = {name: MemoryWire(clock) for name in ("dead", "live")}
    controllers = {name: CameraController(name, ViscaCodec(VISCA_LIMITS), wire, clock, settings) for name, wire in wires.items()}
    for name, controller in controllers.items():
        controller.start()
        wires[name].settle(controller)
    asked: list[float] = []
    for step in range(40):
        speed = ((step % 24) + 1) / 24
        for name in ("dead", "live"):
            controllers[name].set_motion(PanTilt(speed, 0.0))
        asked.append(clock.now())
        wires["live"].answer_awaiting(controllers["live"])  # only the live camera answers
        clock.advance(0.06)
    assert not controllers["dead"].state.online
    sent_at = [when for when, _ in wires["live"].sent]
    assert sent_at == asked  # zero added delay, every time


def test_a_camera_whose_name_does_not_resolve_does_not_keep_the_others_from_starting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ptzmapd.config.loader import load_config
    from ptzmapd.app.assemble import assemble

    async def body() -> None:
        live = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "two.yaml"
        path.write_text(
            "cameras:\n"
            "  gone: {protocol: visca-udp, host: pulpit-camera.invalid}\n"
            f"  live: {{protocol: visca-udp, host: 127.0.0.2, port: {live.port}}}\n"
        )
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            assert runtime.pipeline is not None
            runtime.pipeline.select("live")
            from ptzmapd.commands import Home
            from ptzmapd.mapping.intents import Do

            runtime.pipeline.apply(Do("all", Home()))
            await until(lambda: "home" in live.received, timeout=3)
            assert not runtime.controllers["gone"].transport.connected
        finally:
            await runtime.shutdown(grace=0.2)
            await live.close()

    asyncio.run(body())


def test_a_peer_that_accepts_and_closes_does_not_cause_a_reconnect_storm() -> None:
    async def body() -> None:
        connections = 0

        async def slam(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            writer.close()

        server = await asyncio.start_server(slam, "127.0.0.2", 0)
        port = server.sockets[0].getsockname()[1]
        transport = TcpTransport("127.0.0.2", port, clock=MonotonicClock())
        await transport.open()
        await asyncio.sleep(2.0)
        await transport.close()
        server.close()
        await server.wait_closed()
        assert 1 <= connections <= 5  # backing off: 0.5 s, 1 s, ... not thousands a second

    asyncio.run(body())


def test_shutdown_sends_the_stops_before_a_slow_input_has_closed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A device whose close hangs (a wedged driver) is a fault we cannot produce with real
    hardware here, so this input is a stand-in; everything else is real."""
    from ptzmapd.config.loader import load_config
    from ptzmapd.app.assemble import assemble
    from ptzmapd.mapping.intents import Move

    class WedgedInput:
        connected = True

        async def start(self) -> None:
            pass

        async def close(self) -> None:
            await asyncio.sleep(5.0)

    async def body() -> None:
        camera = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "one.yaml"
        path.write_text(f"cameras:\n  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {camera.port}}}\n")
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        runtime.inputs["wedged"] = WedgedInput()  # type: ignore[assignment]
        assert runtime.pipeline is not None
        runtime.pipeline.apply(Move("stage", "pan", 1.0, ("wedged", 0)))
        await until(lambda: "pan right 0x18, tilt stop" in camera.received)
        started = time.monotonic()
        closing = asyncio.ensure_future(runtime.shutdown())
        await until(lambda: camera.received[-1] == "pan stop, tilt stop", timeout=0.3)
        await closing
        assert time.monotonic() - started < 2.0
        await camera.close()

    asyncio.run(body())
