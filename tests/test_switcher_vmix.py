"""The vMix switcher source against the project's simulated vMix (a real TCP server on
loopback), and against a raw socket for what no vMix sends (garbage)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import threading

import pytest

from helpers import run, until
from procs import ROOT
from ptzmapd.clock import FakeClock
from ptzmapd.simulators.vmix import VmixSimulator, start
from ptzmapd.switchers.base import SwitcherError
from switching import Recorder, build, config, showing, wait_state

HOST = "127.0.0.2"


async def simulator(inputs: int = 4, port: int = 0) -> VmixSimulator:
    return await start("vmix", host=HOST, port=port, log=lambda line: None, inputs=inputs, drive="still")


def test_state_in_the_config_keys_by_number_and_title() -> None:
    async def body() -> None:
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("vmix", HOST, sim.port, {"1": "stage", "Camera 2": "pulpit", "3": "wide"}), recorder)
        await switcher.start()
        try:
            state = await wait_state(recorder, showing({"1"}, {"Camera 2"}), "program 1, preview 2")
            assert (state.program_name, state.preview_name) == ("Camera 1", "Camera 2")
            sim.mixer.set_preview(3)  # the mixer moves by itself: vMix pushes the tally
            await wait_state(recorder, showing({"1"}, {"3"}), "preview 3")
            sim.mixer.cut()
            await wait_state(recorder, showing({"3"}, {"1"}), "program 3 after the cut")
            sim.mixer.set_preview(4)  # input 4 has no camera: preview shows no key, only its name
            state = await wait_state(recorder, showing({"3"}, set()), "preview 4")
            assert state.preview_name == "Camera 4"
        finally:
            await switcher.close()
            await sim.close()
        assert not recorder.latest.connected

    run(body)


def test_driving_vmix_preview_by_title_cut_and_fade_follow_its_tally() -> None:
    async def body() -> None:
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("vmix", HOST, sim.port, {"Camera 1": "stage", "Camera 3": "pulpit"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"Camera 1"}, set()), "connected")
            await switcher.preview("Camera 3")
            assert sim.functions[-1] == "PreviewInput Input=3"
            await wait_state(recorder, showing({"Camera 1"}, {"Camera 3"}), "preview 3 reported by vMix")
            await switcher.cut()
            await wait_state(recorder, showing({"Camera 3"}, {"Camera 1"}), "after Cut")
            await switcher.auto()
            assert sim.functions[-1] == "Fade"
            await wait_state(recorder, showing({"Camera 1"}, {"Camera 3"}), "after Fade")
            with pytest.raises(SwitcherError, match="no input titled 'Camera 9'"):
                await switcher.preview("Camera 9")
            with pytest.raises(SwitcherError, match="refused PreviewInput: Input '7' not found"):
                await switcher.preview("7")
        finally:
            await switcher.close()
            await sim.close()
        with pytest.raises(SwitcherError, match="not connected"):
            await switcher.cut()

    run(body)


def test_several_clients_see_each_others_changes() -> None:
    async def body() -> None:
        sim = await simulator()
        recorders = [Recorder(), Recorder()]
        switchers = [build(config("vmix", HOST, sim.port, {"2": "stage", "4": "pulpit"}), r) for r in recorders]
        for switcher in switchers:
            await switcher.start()
        try:
            for recorder in recorders:
                await wait_state(recorder, lambda s: s.connected, "both connected")
            await switchers[0].preview("4")
            for recorder in recorders:
                await wait_state(recorder, showing(set(), {"4"}), "preview 4 on both")
            await switchers[1].cut()
            for recorder in recorders:
                await wait_state(recorder, showing({"4"}, set()), "program 4 on both")
            assert len(sim.clients) == 2
        finally:
            for switcher in switchers:
                await switcher.close()
            await sim.close()

    run(body)


def test_titles_are_read_again_when_the_inputs_change() -> None:
    async def body() -> None:
        sim = await simulator(inputs=4)
        recorder = Recorder()
        switcher = build(config("vmix", HOST, sim.port, {"Camera 6": "stage"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, lambda s: s.connected, "connected")
            sim.mixer.inputs = 6  # two inputs added: the tally string grows
            sim.mixer.set_preview(6)
            await wait_state(recorder, showing(set(), {"Camera 6"}), "the new input 6 known by its title")
        finally:
            await switcher.close()
            await sim.close()

    run(body)


def test_unreachable_at_start_one_line_then_retries_and_connects(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        probe = await simulator()
        port = probe.port
        await probe.close()  # nothing listens there now
        recorder = Recorder()
        switcher = build(config("vmix", HOST, port, {"1": "stage"}), recorder, clock)
        await switcher.start()
        try:
            for _ in range(5):  # five failed tries, the backoff doubling on the fake clock
                await asyncio.sleep(0.05)
                clock.advance(30)
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1 and "cannot connect to vMix at 127.0.0.2" in warnings[0].getMessage()
            assert not recorder.latest.connected
            sim = await simulator(port=port)
            try:
                await wait_state(recorder, showing({"1"}, set()), "connected once vMix is up", clock=clock)
                assert any("connected to vMix" in r.getMessage() for r in caplog.records)
            finally:
                await switcher.close()
                await sim.close()
        finally:
            await switcher.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def test_backoff_doubles_on_the_injected_clock() -> None:
    async def body() -> None:
        clock = FakeClock()
        attempts: list[float] = []

        async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            attempts.append(clock.now())
            writer.close()  # a peer that hangs up before greeting

        server = await asyncio.start_server(refuse, HOST, 0)
        port = server.sockets[0].getsockname()[1]
        switcher = build(config("vmix", HOST, port, {}), Recorder(), clock)
        await switcher.start()
        try:
            for _ in range(200):
                await asyncio.sleep(0.01)
                if len(attempts) >= 5:
                    break
                clock.advance(0.5)
            gaps = [round(b - a) for a, b in zip(attempts, attempts[1:])]
            assert gaps[:4] == [1, 2, 4, 8]
        finally:
            await switcher.close()
            server.close()

    run(body)


def test_vmix_going_away_is_reported_and_it_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        sim = await simulator()
        recorder = Recorder()
        switcher = build(config("vmix", HOST, sim.port, {"1": "stage"}), recorder, clock)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, set()), "connected")
            sim.drop_clients()
            await wait_state(recorder, lambda s: not s.connected, "disconnected")
            assert any("vMix connection lost" in r.getMessage() for r in caplog.records)
            await wait_state(recorder, showing({"1"}, set()), "connected again", clock=clock)
        finally:
            await switcher.close()
            await sim.close()

    caplog.set_level(logging.INFO, "ptzmapd")
    run(body)


def test_garbage_is_logged_once_a_minute_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """Fault injection: a peer that speaks vMix's greeting, then garbage among good lines."""

    async def body() -> None:
        clock = FakeClock()
        writers: list[asyncio.StreamWriter] = []

        async def garbage_vmix(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            writer.write(b"VERSION OK 27.0.0.49\r\n")
            while line := await reader.readline():
                command = line.strip().decode()
                if command == "SUBSCRIBE TALLY":
                    writer.write(b"\x00\xffjunk\r\nSUBSCRIBE OK TALLY Subscribed\r\n")
                elif command == "XML":
                    document = b"<vmix><inputs><input number='x'\r\n"
                    writer.write(b"XML %d\r\n" % len(document) + document)
                elif command == "TALLY":
                    writer.write(b"TALLY OK 01z2\r\nTALLY OK 0120\r\n")

        server = await asyncio.start_server(garbage_vmix, HOST, 0)
        recorder = Recorder()
        switcher = build(config("vmix", HOST, server.sockets[0].getsockname()[1], {"2": "stage", "3": "pulpit"}),
                         recorder, clock)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"2"}, {"3"}), "the good tally despite the garbage")
            malformed = [r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING]
            assert len(malformed) == 1
            writers[0].write(b"TALLY OK ???\r\n")
            writers[0].write(b"TALLY OK 0210\r\n")
            await wait_state(recorder, showing({"3"}, {"2"}), "the next good tally")
            assert len([r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING]) == 1
            clock.advance(61)
            writers[0].write(b"TALLY OK !!!\r\n")
            writers[0].write(b"TALLY OK 0120\r\n")
            await wait_state(recorder, showing({"2"}, {"3"}), "and the one after a minute")
            assert len([r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING]) == 2
            assert recorder.latest.connected and switcher.state.connected
        finally:
            await switcher.close()
            server.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def _simulate(*options: str) -> tuple[subprocess.Popen[str], int, list[str]]:
    """``ptzmapd simulate vmix`` as a real process with stdin on a pipe; its port and output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ptzmapd.cli", "simulate", "vmix", "--host", HOST, "--port", "0", *options],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"simulated vmix switcher on 127\.0\.0\.2:(\d+)", first)
    assert match, first
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return process, int(match.group(1)), lines


def test_simulate_vmix_from_stdin_still_while_silent() -> None:
    process, port, lines = _simulate("--stdin", "--inputs", "3")
    assert process.stdin is not None

    def say(line: str) -> None:
        assert process.stdin is not None
        process.stdin.write(line + "\n")
        process.stdin.flush()

    async def body() -> None:
        recorder = Recorder()
        switcher = build(config("vmix", HOST, port, {"1": "stage", "2": "pulpit", "Camera 3": "wide"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, {"2"}), "the starting state")
            await asyncio.sleep(2.5)  # longer than a scripted step: nothing moves while stdin is silent
            assert recorder.latest.program == {"1"} and len(recorder.states) == 1
            say("preview 3")
            await wait_state(recorder, showing({"1"}, {"Camera 3"}), "preview 3 from stdin")
            say("auto")
            await wait_state(recorder, showing({"Camera 3"}, {"1"}), "auto from stdin")
            say("program 2")
            await wait_state(recorder, showing({"2"}, {"1"}), "program 2 from stdin")
            say("preview 9")
            await until(lambda: any("no input '9' (valid: 1..3)" in line for line in lines), "the refusal")
        finally:
            await switcher.close()

    try:
        run(body)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_simulate_vmix_runs_its_script_by_default() -> None:
    process, port, _ = _simulate("--inputs", "2")

    async def body() -> None:
        recorder = Recorder()
        switcher = build(config("vmix", HOST, port, {"1": "stage", "2": "pulpit"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, {"2"}), "the starting state")
            await wait_state(recorder, showing({"2"}, {"1"}), "the script's take", timeout=20)
        finally:
            await switcher.close()

    try:
        run(body)
    finally:
        process.terminate()
        process.wait(timeout=10)
