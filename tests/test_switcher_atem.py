"""The ATEM switcher source and the simulated ATEM: the simulator proven against pyatem's own
client, the source against the simulator, garbage from a raw socket."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from helpers import run, until
from procs import ROOT
from ptzmapd.clock import FakeClock
from ptzmapd.simulators.atem import AtemSimulator, start
from ptzmapd.switchers.base import SwitcherError
from switching import Recorder, build, config, showing, wait_state

HOST = "127.0.0.2"


async def simulator(inputs: int = 4, port: int = 0) -> AtemSimulator:
    return await start("atem", host=HOST, port=port, log=lambda line: None, inputs=inputs, drive="still")


def test_pyatems_own_client_reads_what_the_simulator_announces_and_drives_it() -> None:
    """pyatem's AtemProtocol, run the way its own tools run it (a thread calling loop())."""
    from pyatem.command import AutoCommand, CutCommand, PreviewInputCommand
    from pyatem.protocol import AtemProtocol

    async def body() -> None:
        sim = await simulator()
        seen: dict[str, object] = {}
        done = threading.Event()

        def client() -> None:
            atem = AtemProtocol(HOST, sim.port)
            atem.on("connected", lambda: seen.setdefault("connected", True))
            atem.on("change:program-bus-input:0", lambda f: seen.__setitem__("program", f.source))
            atem.on("change:preview-bus-input:0", lambda f: seen.__setitem__("preview", f.source))
            atem.on("change:input-properties:*", lambda f: seen.__setitem__(f"input {f.index}", f.name))
            atem.on("change:product-name", lambda f: seen.__setitem__("product", f.name))
            atem.connect()
            steps = [("connected", True, PreviewInputCommand(0, 3)), ("preview", 3, CutCommand(0)),
                     ("program", 3, AutoCommand(0)), ("program", 1, None)]
            while steps:
                atem.loop()
                key, value, command = steps[0]
                if seen.get(key) == value:
                    steps.pop(0)
                    if command is not None:
                        atem.send_commands([command])
            done.set()

        threading.Thread(target=client, daemon=True).start()
        try:
            await until(done.is_set, "pyatem's client through its steps", timeout=20)
            assert seen["product"] == "ATEM Mini (simulated)"
            assert seen["input 2"] == "Camera 2"
            assert sim.commands == ["CPvI 3", "DCut", "DAut"]
            assert (sim.mixer.program, sim.mixer.preview) == (1, 3)
        finally:
            await sim.close()

    run(body)


def test_state_and_driving_against_the_simulator() -> None:
    async def body() -> None:
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("atem", HOST, sim.port, {"1": "stage", "Camera 2": "pulpit", "CAM3": "wide"}), recorder)
        await switcher.start()
        try:
            state = await wait_state(recorder, showing({"1"}, {"Camera 2"}), "program 1, preview 2")
            assert (state.program_name, state.preview_name) == ("Camera 1", "Camera 2")
            await switcher.preview("CAM3")  # by the input's short name
            await wait_state(recorder, showing({"1"}, {"CAM3"}), "preview 3 as the ATEM reports it")
            await switcher.cut()
            await wait_state(recorder, showing({"CAM3"}, {"1"}), "after the cut")
            await switcher.auto()
            await wait_state(recorder, showing({"1"}, {"CAM3"}), "after auto")
            sim.mixer.set_preview(4)  # changed on the panel: no camera on preview
            state = await wait_state(recorder, showing({"1"}, set()), "preview 4")
            assert state.preview_name == "Camera 4"
            assert sim.commands == ["CPvI 3", "DCut", "DAut"]
            with pytest.raises(SwitcherError, match="no input named 'Camera 9'"):
                await switcher.preview("Camera 9")
        finally:
            await switcher.close()
            await sim.close()
        assert not recorder.latest.connected
        with pytest.raises(SwitcherError, match="not connected"):
            await switcher.cut()

    run(body)


def test_several_clients_at_once() -> None:
    async def body() -> None:
        sim = await simulator()
        recorders = [Recorder(), Recorder(), Recorder()]
        switchers = [build(config("atem", HOST, sim.port, {"2": "stage", "3": "wide"}), r) for r in recorders]
        for switcher in switchers:
            await switcher.start()
        try:
            for recorder in recorders:
                await wait_state(recorder, showing(set(), {"2"}), "each connected")
            await switchers[2].preview("3")
            await switchers[0].cut()
            for recorder in recorders:
                await wait_state(recorder, showing({"3"}, set()), "each sees the others' take")
            assert len(sim.sessions) == 3
        finally:
            for switcher in switchers:
                await switcher.close()
            await sim.close()

    run(body)


def test_silence_is_a_lost_atem_and_it_reconnects(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("atem", HOST, sim.port, {"1": "stage"}), recorder, clock)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, set()), "connected")
            sim.answering = False  # no keepalives: after 5 s of silence the ATEM is lost
            await wait_state(recorder, lambda s: not s.connected, "the ATEM lost", clock=clock)
            assert any("ATEM connection lost (no answer for 5 s)" in r.getMessage() for r in caplog.records)
            sim.answering = True
            await wait_state(recorder, showing({"1"}, set()), "connected again", clock=clock, timeout=30)
        finally:
            await switcher.close()
            await sim.close()

    caplog.set_level(logging.INFO, "ptzmapd")
    run(body)


def test_unreachable_at_start_is_one_line_and_retries(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        probe = await simulator()
        port = probe.port
        await probe.close()
        recorder = Recorder()
        switcher = build(config("atem", HOST, port, {"1": "stage"}), recorder, clock)
        await switcher.start()
        try:
            await until(lambda: any("cannot connect to ATEM" in r.getMessage() for r in caplog.records),
                        "the first failure", timeout=20)
            sim = await simulator(port=port)
            try:
                await wait_state(recorder, showing({"1"}, set()), "connected once the ATEM is up",
                                 clock=clock, timeout=30)
            finally:
                await switcher.close()
                await sim.close()
        finally:
            await switcher.close()
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and f"cannot connect to ATEM at {HOST}:{port} (no answer)" in warnings[0]

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def test_garbage_datagrams_are_logged_once_a_minute_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """Fault injection: a peer that answers pyatem's hello with junk, then with an ATEM's
    answer, so the junk lands on the client's own socket."""

    async def body() -> None:
        clock = FakeClock()
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("atem", HOST, sim.port, {"1": "stage", "2": "pulpit"}), recorder, clock)
        await switcher.start()
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            await wait_state(recorder, showing({"1"}, {"2"}), "connected")
            client = next(iter(sim.sessions.values())).address

            def malformed() -> int:
                return len([r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING])

            raw.sendto(b"\x00\x05junk", client)  # the header's length is not the datagram's
            raw.sendto(b"\xff" * 3, client)
            await until(lambda: malformed() == 1, "one line for the garbage", timeout=10)
            sim.mixer.cut()
            await wait_state(recorder, showing({"2"}, {"1"}), "the ATEM still followed")
            clock.advance(61)
            raw.sendto(b"\x00\x05junk", client)
            await until(lambda: malformed() == 2, "a second line a minute later", timeout=10)
            assert recorder.latest.connected
        finally:
            raw.close()
            await switcher.close()
            await sim.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def test_threads_end_with_the_switcher() -> None:
    async def body() -> None:
        sim = await simulator()
        before = set(threading.enumerate())
        recorder = Recorder()
        switcher = build(config("atem", HOST, sim.port, {"1": "stage"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, set()), "connected")
            assert len(set(threading.enumerate()) - before) >= 2  # pyatem's UDP thread and our worker
        finally:
            await switcher.close()
            await sim.close()
        deadline = time.monotonic() + 5
        while set(threading.enumerate()) - before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not {t.name for t in set(threading.enumerate()) - before if t.name.startswith("atem")}

    run(body)


def test_simulate_atem_from_stdin_and_keepalives() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ptzmapd.cli", "simulate", "atem", "--host", HOST, "--port", "0", "--stdin",
         "--inputs", "3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert process.stdin is not None and process.stdout is not None
    first = process.stdout.readline()
    assert "simulated atem switcher on 127.0.0.2:" in first, first
    port = int(first.split(f"{HOST}:")[1].split()[0])

    async def body() -> None:
        recorder = Recorder()
        switcher = build(config("atem", HOST, port, {"1": "stage", "3": "wide"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, set()), "connected")
            await asyncio.sleep(6)  # longer than pyatem's 5 s of silence: the keepalives hold it
            assert recorder.latest.connected and len([s for s in recorder.states if not s.connected]) == 0
            assert process.stdin is not None
            process.stdin.write("preview 3\nauto\n")
            process.stdin.flush()
            await wait_state(recorder, showing({"3"}, {"1"}), "preview 3 then auto, from stdin")
        finally:
            await switcher.close()

    try:
        run(body)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_without_pyatem_the_log_says_what_to_install(caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyatem.protocol", None)  # as if the [atem] extra were not installed

    async def body() -> None:
        recorder = Recorder()
        switcher = build(config("atem", HOST, 9, {"1": "stage"}), recorder, FakeClock())
        await switcher.start()
        try:
            await until(lambda: any("pip install" in r.getMessage() for r in caplog.records), "the refusal")
        finally:
            await switcher.close()
        assert not recorder.latest.connected

    caplog.set_level(logging.INFO, "ptzmapd")
    run(body)
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "ATEM switchers need pyatem and pyusb" in line and "pip install 'ptzmapd[atem]'" in line
