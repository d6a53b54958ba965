"""A MIDI surface drives simulated cameras through the whole runtime, in one process.

Real parts only: a JACK MIDI port the test creates and removes, the daemon's own input,
mapping and controllers, and simulated cameras on real loopback sockets. What a camera got is
compared whole (its reading of each command, or the frames decoded), never by a prefix.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import time
from pathlib import Path
from typing import Callable

import mido

from helpers import run, until
from ptzmapd.config.loader import load_config
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.protocols.visca.read import read_command
from ptzmapd.simulators.visca import SimulatorHandle, start_simulator

CONFIG = """\
cameras:
  stage: {{protocol: visca-ip, host: 127.0.0.2, port: {stage}}}
  pulpit: {{protocol: visca-tcp, host: 127.0.0.2, port: {pulpit}}}
inputs:
  desk: {{type: midi, port: "*{port}*", api: jack}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, cc: 2, action: zoom}}
  - {{input: desk, note: 42, action: select, camera: pulpit}}
  - {{input: desk, note: 43, action: preset, preset: 1}}
  - {{input: desk, note: 44, action: home, camera: all}}
"""


def commands(sim: SimulatorHandle) -> list[tuple[str, tuple[int, ...]]]:
    """The camera's command frames read back by the codec: ``(action, args)`` each."""
    return [(command.action, command.args) for command in map(read_command, sim.frames) if command is not None]


async def resend_until(send: Callable[[], None], check: Callable[[], bool], timeout: float = 5.0) -> None:
    """A fresh JACK connection takes a cycle or two to carry: send until it shows."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the camera never saw it")
        send()
        await asyncio.sleep(0.1)


def test_a_surface_pans_switches_recalls_and_its_disappearance_stops_the_camera(jack: int, tmp_path: Path) -> None:
    async def body() -> None:
        stage = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-tcp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "studio.yaml"
        path.write_text(CONFIG.format(stage=stage.port, pulpit=pulpit.port, port="E2E nanoKONTROL2"))
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        surface = backend.open_output("E2E nanoKONTROL2", virtual=True)
        try:
            await until(lambda: runtime.inputs["desk"].connected)
            cc = lambda number, value: surface.send(mido.Message("control_change", control=number, value=value))  # noqa: E731
            note = lambda number: surface.send(mido.Message("note_on", note=number, velocity=127))  # noqa: E731

            await resend_until(lambda: cc(0, 127), lambda: "pan right 0x18, tilt stop" in stage.received)
            cc(0, 64)
            await until(lambda: stage.received[-1] == "pan stop, tilt stop")

            note(42)  # select pulpit, then a fader flood: only the newest speeds reach it
            for value in range(65, 128):  # a hand on a fader: a message a millisecond
                cc(2, value)
                await asyncio.sleep(0.001)
            await until(lambda: pulpit.received[-1:] == ["zoom tele 7"])
            assert len([args for action, args in commands(pulpit) if action == "zoom" and args[0] == 1]) < 20
            cc(2, 64)
            note(43)
            await until(lambda: "preset recall 1" in pulpit.received)
            note(44)
            await until(lambda: "home" in stage.received and "home" in pulpit.received)

            cc(0, 0)  # pulpit pans left... and the surface is unplugged mid-move
            await until(lambda: pulpit.received[-1] == "pan left 0x18, tilt stop")
            surface.close()
            await until(lambda: pulpit.received[-1] == "pan stop, tilt stop", timeout=3)
            await until(lambda: not runtime.inputs["desk"].connected)

            surface = backend.open_output("E2E nanoKONTROL2", virtual=True)  # plugged back in
            await until(lambda: runtime.inputs["desk"].connected, timeout=5)
            try:
                await resend_until(lambda: cc(0, 100), lambda: commands(pulpit)[-1][0] == "pantilt" and commands(pulpit)[-1][1][0] == 1)
            except AssertionError:
                raise AssertionError(f"{pulpit.received[-5:]} {stage.received[-5:]} {runtime.inputs['desk'].port_name} {runtime.pipeline.selected}")
        finally:
            surface.close()
            await runtime.shutdown()
            await stage.close()
            await pulpit.close()

    run(body)


def test_a_camera_that_stops_answering_does_not_hold_up_the_others(tmp_path: Path) -> None:
    async def body() -> None:
        live = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        dead = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "two.yaml"
        path.write_text(
            "cameras:\n"
            f"  dead: {{protocol: visca-udp, host: 127.0.0.2, port: {dead.port}}}\n"
            f"  live: {{protocol: visca-udp, host: 127.0.0.2, port: {live.port}}}\n"
            "bindings: []\n"
        )
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            await until(lambda: runtime.controllers["live"].idle and runtime.controllers["dead"].idle)
            dead.silent = True
            assert runtime.pipeline is not None
            from ptzmapd.mapping.intents import Do, Move
            from ptzmapd.commands import PresetRecall

            for step in range(1, 11):  # both cameras driven at once while one is silent
                for camera in ("dead", "live"):
                    runtime.pipeline.apply(Move(camera, "pan", step / 10, ("test", 0)))
                await asyncio.sleep(0.06)
            runtime.pipeline.apply(Do("all", PresetRecall(2)))
            await until(lambda: "preset recall 2" in live.received, timeout=1.0)
            assert "pan right 0x18, tilt stop" in live.received
            await until(lambda: not runtime.controllers["dead"].state.online, timeout=2.0)
            assert runtime.controllers["live"].state.online

            dead.silent = False  # it comes back: newest state and pending preset go out
            await until(lambda: runtime.controllers["dead"].state.online, timeout=8.0)
            await until(lambda: "preset recall 2" in dead.received, timeout=3.0)
        finally:
            await runtime.shutdown()
            await live.close()
            await dead.close()

    run(body)


def test_a_gamepad_drives_the_cameras_and_unplugging_it_stops_them(tmp_path: Path) -> None:
    """SDL's own virtual gamepad, through the runtime, to simulated cameras on real sockets."""
    import sdl_virtual
    from ptzmapd.inputs.sdl.pump import joystick_service

    async def body() -> None:
        stage = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        pad = sdl_virtual.attach_gamepad("E2E pad")
        path = tmp_path / "pad.yaml"
        path.write_text(
            "cameras:\n"
            f"  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage.port}}}\n"
            f"  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit.port}}}\n"
            "inputs:\n  pad: {type: gamepad, match: \"E2E*\"}\n"
            "bindings:\n"
            "  - {input: pad, axis: leftx, action: pan}\n"
            "  - {input: pad, axis: lefty, action: tilt}\n"
            "  - {input: pad, axis: righttrigger, action: zoom, range: unipolar}\n"
            "  - {input: pad, button: rightshoulder, action: fine, factor: 0.25}\n"
            "  - {input: pad, button: dpright, action: select, camera: next}\n"
            "  - {input: pad, button: a, action: preset, preset: 3}\n"
        )
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            await until(lambda: runtime.inputs["pad"].connected)
            pad.move("leftx", sdl_virtual.AXIS_MAX)
            pad.move("lefty", sdl_virtual.AXIS_MIN)  # pushed up
            await until(lambda: stage.received[-1:] == ["pan right 0x18, tilt up 0x14"])
            pad.press("rightshoulder")  # fine control: the same stick, a quarter of the speed
            await until(lambda: stage.received[-1:] == ["pan right 0x06, tilt up 0x05"])
            pad.release("rightshoulder")
            pad.move("leftx", 0)
            pad.move("lefty", 0)
            await until(lambda: stage.received[-1:] == ["pan stop, tilt stop"])

            pad.press("dpright")
            await until(lambda: runtime.pipeline is not None and runtime.pipeline.selected == "pulpit")
            pad.release("dpright")
            pad.press("a")
            await until(lambda: "preset recall 3" in pulpit.received)
            pad.release("a")
            pad.move("righttrigger", sdl_virtual.AXIS_MAX)
            await until(lambda: pulpit.received[-1:] == ["zoom tele 7"])
            pad.detach()  # unplugged mid-zoom
            await until(lambda: pulpit.received[-1:] == ["zoom stop"], timeout=2)
            await until(lambda: not runtime.inputs["pad"].connected)
        finally:
            await runtime.shutdown()
            await stage.close()
            await pulpit.close()
            sdl_virtual.detach_all()
        assert not joystick_service().running

    run(body)


def unpatch(virtual: str) -> None:
    """Disconnect every JACK port connected to ``virtual``, as a patchbay does (jackd2's
    ``jack_lsp`` / ``jack_disconnect``)."""
    listing = subprocess.run(["jack_lsp", "-c"], capture_output=True, text=True, check=True).stdout.splitlines()
    for port, peer in zip(listing, listing[1:]):
        if port.endswith(":" + virtual) and peer.startswith("   "):
            subprocess.run(["jack_disconnect", peer.strip(), port], check=True)


def test_a_program_sending_to_a_virtual_port_that_goes_away_stops_what_it_held(jack: int, tmp_path: Path) -> None:
    """``virtual:`` is a port others connect to (a bridge, a show-control program). Ours never
    vanishes, but a sender that held a fader and then ended, crashed or was disconnected moves
    nothing any more: found with a real process killed mid-pan (the camera panned on for good)."""

    async def body() -> None:
        stage = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "virtual.yaml"
        path.write_text(
            "cameras:\n"
            f"  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage.port}}}\n"
            "inputs:\n  desk: {type: midi, virtual: E2E-virtual-desk, api: jack}\n"
            "bindings:\n  - {input: desk, cc: 0, action: pan}\n"
        )
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        try:
            await until(lambda: runtime.inputs["desk"].connected)
            await until(lambda: any("E2E-virtual-desk" in name for name in backend.get_output_names()))
            name = next(name for name in backend.get_output_names() if "E2E-virtual-desk" in name)
            for closing in ("close", "disconnect"):
                sender = backend.open_output(name)
                pan = lambda value: sender.send(mido.Message("control_change", control=0, value=value))  # noqa: E731
                await resend_until(lambda: pan(127), lambda: stage.received[-1:] == ["pan right 0x18, tilt stop"])
                if closing == "close":
                    sender.close()  # the program ends (a crash unregisters its port the same way)
                else:
                    unpatch("E2E-virtual-desk")  # a patchbay takes the cable out; the sender's port stays
                await until(lambda: stage.received[-1:] == ["pan stop, tilt stop"], closing, timeout=3)
                assert runtime.inputs["desk"].connected  # our port is still there for the next one
                sender.close()
        finally:
            await runtime.shutdown()
            await stage.close()

    run(body)
