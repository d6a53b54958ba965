"""The TSL UMD v5 switcher source fed by tslumd's own sender (the project's simulated TSL
sender is one), and by a raw socket for what no sender sends (garbage)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys

import pytest

from helpers import run, until
from procs import ROOT
from ptzmapd.clock import FakeClock
from ptzmapd.logs import import_keeping_logging
from ptzmapd.simulators.tsl import TslSender, start
from ptzmapd.switchers.base import SwitcherError
from switching import Recorder, build, config, showing, wait_state

HOST = "127.0.0.2"
tslumd = import_keeping_logging("tslumd")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


async def sender(port: int, inputs: int = 4) -> TslSender:
    return await start("tsl", host=HOST, port=port, log=lambda line: None, inputs=inputs, drive="still")


def test_tally_from_tslumds_sender() -> None:
    async def body() -> None:
        port = free_udp_port()
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"1": "stage", "2": "pulpit", "3": "wide"}), recorder)
        await switcher.start()
        sim = await sender(port)
        try:
            state = await wait_state(recorder, showing({"1"}, {"2"}), "input 1 red, 2 green")
            assert (state.program_name, state.preview_name) == ("tally 1", "tally 2")
            sim.mixer.set_preview(3)
            await wait_state(recorder, showing({"1"}, {"3"}), "input 3 green")
            sim.mixer.cut()
            await wait_state(recorder, showing({"3"}, {"1"}), "after the cut")
            sim.mixer.set_preview(4)  # index 4 maps to no camera
            state = await wait_state(recorder, showing({"3"}, set()), "index 4 green")
            assert state.preview_name == "tally 4"
        finally:
            await sim.close()
            await switcher.close()

    run(body)


def test_amber_is_both_and_broadcast_sets_every_index() -> None:
    async def body() -> None:
        port = free_udp_port()
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"5": "stage", "6": "pulpit"}), recorder)
        await switcher.start()
        umd = tslumd.UmdSender(clients=[(HOST, port)])
        await umd.open()
        try:
            umd.set_tally_color((0, 5), "txt_tally", "amber")
            umd.set_tally_color((0, 6), "lh_tally", "green")
            await wait_state(recorder, showing({"5"}, {"5", "6"}), "amber on 5, green on 6")
            await umd.send_broadcast_tally(0, rh_tally=tslumd.TallyColor.RED)
            await until(lambda: recorder.latest.program == {"5", "6"}, "the broadcast lit both red")
        finally:
            await umd.close()
            await switcher.close()

    run(body)


def test_tsl_cannot_drive() -> None:
    async def body() -> None:
        switcher = build(config("tsl", HOST, free_udp_port(), {"1": "stage"}), Recorder())
        assert type(switcher).can_drive is False
        for request in (switcher.preview("1"), switcher.cut(), switcher.auto()):
            with pytest.raises(SwitcherError, match="only reports tally"):
                await request

    run(body)


def test_garbage_is_logged_once_a_minute_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        port = free_udp_port()
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"1": "stage", "2": "pulpit"}), recorder, clock)
        await switcher.start()
        sim = await sender(port)
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            await wait_state(recorder, showing({"1"}, {"2"}), "the sender's tally")

            def warnings() -> int:
                return len([r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING])

            for junk in (b"\x00", b"garbage that is not TSL", b"\xff" * 40):
                raw.sendto(junk, (HOST, port))
            await until(lambda: any("malformed" in r.getMessage() for r in caplog.records), "the garbage seen")
            sim.mixer.cut()
            await wait_state(recorder, showing({"2"}, {"1"}), "tally still followed")
            assert warnings() == 1
            clock.advance(61)
            raw.sendto(b"junk", (HOST, port))
            await until(lambda: warnings() == 2, "a second line a minute later")
        finally:
            raw.close()
            await sim.close()
            await switcher.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def test_a_taken_port_is_a_log_line_and_retries(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        taken.bind((HOST, 0))
        port = taken.getsockname()[1]
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"1": "stage"}), recorder, clock)
        await switcher.start()
        try:
            for _ in range(4):
                await asyncio.sleep(0.05)
                clock.advance(30)
            lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert len(lines) == 1 and f"cannot listen for TSL UMD at {HOST}:{port}" in lines[0]
            taken.close()
            await wait_state(recorder, lambda s: s.connected, "listening once the port is free", clock=clock)
        finally:
            taken.close()
            await switcher.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)


def test_importing_the_tsl_modules_leaves_the_root_logger_alone() -> None:
    check = (
        "import logging\n"
        "root = logging.getLogger()\n"
        "before = (list(root.handlers), root.level)\n"
        "import ptzmapd.switchers.tsl, ptzmapd.simulators.tsl, tslumd\n"
        "assert (list(root.handlers), root.level) == before, (root.handlers, root.level)\n"
        "assert 'tslumd' in __import__('sys').modules\n"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr


def test_simulate_tsl_from_stdin() -> None:
    port = free_udp_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ptzmapd.cli", "simulate", "tsl", "--host", HOST, "--port", str(port), "--stdin",
         "--inputs", "3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert process.stdin is not None and process.stdout is not None
    assert f"simulated tsl switcher on {HOST}:{port}" in process.stdout.readline()

    async def body() -> None:
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"1": "stage", "3": "wide"}), recorder)
        await switcher.start()
        try:
            await wait_state(recorder, showing({"1"}, set()), "the sender's starting tally")
            assert process.stdin is not None
            process.stdin.write("program 3\n")
            process.stdin.flush()
            await wait_state(recorder, showing({"3"}, set()), "program 3 from stdin")
        finally:
            await switcher.close()

    try:
        run(body)
    finally:
        process.terminate()
        process.wait(timeout=10)


def v31(address: int, tally1: bool, tally2: bool, text: str = "CAM") -> bytes:
    """One TSL UMD v3.1 message, built by the spec (18 bytes: address + 0x80, control, text)."""
    return bytes([0x80 + address, (1 if tally1 else 0) | (2 if tally2 else 0) | 0x30]) + text.ljust(16).encode()


def test_tsl_v31_messages_on_the_same_port() -> None:
    """TSL v3.1 has no library here: a raw socket sends the spec's bytes."""

    async def body() -> None:
        port = free_udp_port()
        recorder = Recorder()
        switcher = build(config("tsl", HOST, port, {"1": "stage", "2": "pulpit", "126": "wide"}), recorder)
        await switcher.start()
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            await wait_state(recorder, lambda s: s.connected, "listening")
            raw.sendto(v31(1, True, False) + v31(2, False, True) + v31(126, False, False), (HOST, port))
            await wait_state(recorder, showing({"1"}, {"2"}), "tally 1 = program, tally 2 = preview")
            raw.sendto(v31(126, True, True), (HOST, port))
            await wait_state(recorder, showing({"1", "126"}, {"2", "126"}), "both tallies on 126")
        finally:
            raw.close()
            await switcher.close()

    run(body)


def test_v31_is_told_from_v5() -> None:
    from ptzmapd.switchers.tsl import v31_lamps

    assert v31_lamps(v31(5, True, True)) == [(5, 3)]
    assert v31_lamps(v31(0, False, False) * 2) == [(0, 0), (0, 0)]
    assert v31_lamps(b"\x10\x00" + b"\x00" * 16) is None  # 18 bytes, but a v5 byte count of 16
    assert v31_lamps(b"\x05" + b"\x00" * 17) is None  # no address flag
    assert v31_lamps(v31(1, True, False)[:17]) is None
