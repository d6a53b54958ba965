"""What every switcher type shares: it loads from the registry (pyatem only when an ATEM
connects), says whether it can drive the mixer, and an unreachable switcher is one log line
and retries."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from helpers import run, until
from procs import ROOT
from ptzmapd.clock import FakeClock
from ptzmapd.registry import load
from ptzmapd.simulators import DEVICES, SWITCHER_PORTS
from ptzmapd.switchers import SWITCHERS
from switching import Recorder, build, config


def test_every_type_loads_and_pyatem_waits_for_a_connection() -> None:
    check = (
        "import sys\n"
        "from ptzmapd.switchers import SWITCHERS\n"
        "kinds = {name: SWITCHERS[name] for name in SWITCHERS}\n"
        "assert {n: k.can_drive for n, k in kinds.items()} == {'obs': True, 'vmix': True, 'atem': True, 'tsl': False}\n"
        "assert 'pyatem' not in sys.modules and 'usb' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(SWITCHERS) == {"obs", "vmix", "atem", "tsl"}


def test_every_switcher_simulator_is_registered() -> None:
    assert set(SWITCHER_PORTS) == {"vmix", "atem", "tsl"}
    for kind in SWITCHER_PORTS:
        assert callable(load(DEVICES[kind]))


def test_obs_unreachable_at_start_is_one_line_and_retries(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there

    async def body() -> None:
        clock = FakeClock()
        recorder = Recorder()
        switcher = build(config("obs", "127.0.0.1", port, {"Stage": "stage"}, url=f"ws://127.0.0.1:{port}",
                                password="hunter2-secret"), recorder, clock)
        await switcher.start()
        try:
            await until(lambda: clock.advance(30) or len(caplog.records) >= 4, "four tries", timeout=20)
        finally:
            await switcher.close()
        assert not any(state.connected for state in recorder.states)

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)
    ours = [r for r in caplog.records if r.name.startswith("ptzmapd")]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"cannot connect to OBS at ws://127.0.0.1:{port}" in warnings[0]
    assert len(ours) >= 4  # the later tries at DEBUG
    assert not any("hunter2" in r.getMessage() for r in caplog.records)
