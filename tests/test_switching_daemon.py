"""``ptzmapd run`` with a switcher, as a user runs it: real processes (``ptzmapd simulate vmix``
playing its scripted show, ``ptzmapd simulate visca-udp`` cameras) and ``ptzmapd status``."""

from __future__ import annotations

import time
from pathlib import Path

from procs import Proc, Simulator


def test_status_shows_the_switcher_and_the_lamps_follow_its_show(tmp_path: Path) -> None:
    vmix = Simulator("vmix")
    stage = Simulator("visca-udp")
    pulpit = Simulator("visca-udp")
    config = tmp_path / "church.yaml"
    config.write_text(
        "cameras:\n"
        f"  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage.port}, tally: ptzoptics}}\n"
        f"  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit.port}, tally: ptzoptics}}\n"
        "switchers:\n"
        f"  vision: {{type: vmix, host: 127.0.0.2, port: {vmix.port}, sources: {{'1': stage, '2': pulpit}},"
        " follow: preview}\n"
        "bindings: []\n"
    )
    socket_path = tmp_path / "ptzmapd.sock"
    daemon = Proc("run", "-c", str(config), "--status-socket", str(socket_path))
    try:
        daemon.wait_for("status: ptzmapd status")
        daemon.wait_for(r"\[vision/vmix\] connected to vMix")
        stage.wait_for_command("tally on")  # input 1 is on program when the show starts
        deadline = time.monotonic() + 20
        seen: set[str] = set()
        while time.monotonic() < deadline and len(seen) < 2:
            status = Proc("status", "--socket", str(socket_path))
            assert status.process.wait(timeout=10) == 0
            status.stop()
            lines = status.output.splitlines()
            switcher = next(line for line in lines if line.split()[:1] == ["vision"])
            assert switcher.split()[1:3] == ["vmix", "connected"]
            for name in ("stage", "pulpit"):
                camera = next(line for line in lines if f" {name} " in line)
                if "TALLY PROGRAM" in camera and f"program 'Camera {1 if name == 'stage' else 2}' (camera {name})" in switcher:
                    seen.add(name)
            time.sleep(0.5)
        # The scripted show takes input 2 to air within a few steps: both cameras were on air.
        assert seen == {"stage", "pulpit"}, daemon.output[-2000:]
        pulpit.wait_for_command("tally on")
    finally:
        daemon.stop()
        for process in (vmix, stage, pulpit):
            process.stop()
    assert "tally off" in stage.commands()[-3:] and "tally off" in pulpit.commands()[-3:]  # dark at exit
