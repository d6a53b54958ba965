"""``ptzmapd send`` as a user runs it, interrupted and given values out of range.

Interrupted: a real ``send … pan 0.5 --for 20`` process against a real simulator process (VISCA
over IP on UDP, Pelco-D on a pty, ISAPI over HTTP) gets SIGINT, SIGTERM or SIGHUP mid-move; the
last command the simulator decoded must be a stop. Out of range: every value ``send`` takes is
refused before anything is sent (exit 2, the valid range), with the same words ``ptzmapd check``
uses for the same value in a config.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from procs import ROOT, Proc
from ptzmapd.cli import main

PASSWORD = "lifecycle-Pa55"
ENV = {"PTZMAPD_TEST_PW": PASSWORD}


class Camera(Proc):
    """``ptzmapd simulate KIND`` and the config that reaches it."""

    def __init__(self, kind: str) -> None:
        if kind == "pelco-d":
            super().__init__("simulate", kind)
            where = self.wait_for(r"on (/dev/pts/\d+)").group(1)
            self.camera = f"protocol: pelco-d\n    device: {where}\n    address: 1\n"
        elif kind == "isapi":
            super().__init__("simulate", kind, "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_TEST_PW",
                             env=ENV)
            url = self.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)
            self.camera = f"protocol: isapi\n    url: {url}\n    username: admin\n    password_env: PTZMAPD_TEST_PW\n"
        else:
            super().__init__("simulate", kind, "--host", "127.0.0.2", "--port", "0")
            port = self.wait_for(r"on 127\.0\.0\.2:(\d+)").group(1)
            self.camera = f"protocol: {kind}\n    host: 127.0.0.2\n    port: {port}\n"
        self.kind = kind

    def config(self, folder: Path) -> Path:
        path = folder / "studio.yaml"
        path.write_text(f"cameras:\n  stage:\n    {self.camera}")
        return path

    def commands(self) -> list[str]:
        """What the simulator decoded, one command a line (its banner left out)."""
        return [line.split("] ", 1)[1] for line in self.output.splitlines() if line.startswith("[")]


#: How each simulator prints the pan that `send … pan 0.5` starts, and a stop of every axis.
PAN = {"visca-ip": "pan right", "pelco-d": "pan right", "isapi": "continuous pan 50 tilt 0 zoom 0"}
STOPS = {
    "visca-ip": ("pan stop, tilt stop", "zoom stop", "focus stop"),
    "pelco-d": ("stop",),
    "isapi": ("continuous pan 0 tilt 0 zoom 0",),
}


@pytest.fixture(params=sorted(PAN))
def camera(request: pytest.FixtureRequest) -> Iterator[Camera]:
    simulator = Camera(request.param)
    yield simulator
    simulator.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_timed_move_stops_the_camera_first(camera: Camera, tmp_path: Path, sig: signal.Signals) -> None:
    config = camera.config(tmp_path)
    mark = camera.mark()
    send = Proc("-q", "send", "-c", str(config), "stage", "pan", "0.5", "--for", "20", env=ENV)
    try:
        camera.wait_for(PAN[camera.kind], after=mark, timeout=15)
        send.signal(sig)
        assert send.process.wait(timeout=10) == 128 + sig, send.output
    finally:
        send.stop()
    assert f"ptzmapd: interrupted by {sig.name}: stage: stopped" in send.output
    assert "Traceback" not in send.output
    # send exits once the stop is answered (or, on Pelco, written): the simulator has it.
    camera.wait_for("|".join(map(re.escape, STOPS[camera.kind])), after=mark + 1)
    time.sleep(0.3)  # anything the simulator still had to print (not a timing assertion)
    assert camera.commands()[-1] in STOPS[camera.kind], camera.output
    assert PAN[camera.kind] in "\n".join(camera.commands())


def test_a_signal_ignored_at_start_stays_ignored(tmp_path: Path) -> None:
    """`nohup ptzmapd send …` (SIGHUP ignored) is not cut short by a hang-up."""
    camera = Camera("visca-ip")
    try:
        mark = camera.mark()
        send = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", "-q", "send", "-c", str(camera.config(tmp_path)), "stage",
             "pan", "0.5", "--for", "1.5"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
        )
        camera.wait_for(PAN[camera.kind], after=mark, timeout=15)
        send.send_signal(signal.SIGHUP)
        output, _ = send.communicate(timeout=15)
        assert send.returncode == 0, output
        assert "stage: pan 0.5: acknowledged" in output
        camera.wait_for("pan stop, tilt stop", after=mark + 1)
    finally:
        camera.stop()


# ------------------------------------------------------------------------ values out of range

SEND_CONFIG = """\
cameras:
  visca: {protocol: visca-ip, host: 127.0.0.2, port: 9}
  pelco: {protocol: pelco-d, device: /dev/null, address: 1}
  hik: {protocol: isapi, url: "http://127.0.0.2:9", username: admin, password_env: PTZMAPD_TEST_PW}
  ipcam: {protocol: ipcam-cgi, url: "http://127.0.0.2:9", username: admin, password_env: PTZMAPD_TEST_PW}
  opt: {protocol: ptzoptics-cgi, url: "http://127.0.0.2:9"}
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # Preset numbers: the binding key's range, then each protocol's own.
        (["hik", "preset", "999999"], "preset: 999999 is out of range (valid: 0..127)"),
        (["visca", "preset", "128"], "preset: 128 is out of range (valid: 0..127)"),
        (["pelco", "preset", "0"], "camera 'pelco' (pelco-d): pelco preset number must be 1..255, got 0"),
        (["hik", "preset", "0", "--store"], "camera 'hik' (isapi): isapi presets are numbered from 1, got 0"),
        (["ipcam", "preset", "25"], "camera 'ipcam' (ipcam-cgi): ipcam-cgi presets are 1..24, got 25"),
        (["opt", "preset", "95"], "camera 'opt' (ptzoptics-cgi): ptzoptics presets are 0..89 and 100..254"),
        (["hik", "preset", "²"], "preset needs a number, not '²'"),
        (["hik", "preset", "-3"], "preset needs a number, not '-3'"),
        # move-to positions.
        (["hik", "move-to", "--pan", "-5000"], "--pan: -5000.0 is out of range (valid: 0..360)"),
        (["hik", "move-to", "--tilt", "300"], "--tilt: 300.0 is out of range (valid: -90..270)"),
        (["hik", "move-to", "--zoom", "101"], "--zoom: 101.0 is out of range (valid: 0..100)"),
        (["ipcam", "move-to", "--pan", "350", "--tilt", "10"],
         "camera 'ipcam' (ipcam-cgi): ipcam-cgi pan position must be 0..340, got 350.0"),
        (["ipcam", "move-to", "--pan", "90"], "ipcam-cgi move-to needs both pan and tilt"),
        # jog speeds and durations.
        (["hik", "jog", "--pan", "1.5", "--for", "1"], "--pan: 1.5 is out of range (valid: -1..1)"),
        (["hik", "jog", "--pan", "0.5", "--for", "0.01"], "--for: 0.01 is out of range (valid: 0.05..10)"),
        (["hik", "jog", "--pan", "0.5", "--for", "11"], "--for: 11.0 is out of range (valid: 0.05..10)"),
        (["hik", "jog", "--pan", "0.5", "--for", "nan"], "--for: nan is out of range (valid: 0.05..10)"),
        # Speeds of a timed move, and its --for.
        (["visca", "pan", "2", "--for", "1"], "pan speed: 2.0 is out of range (valid: -1..1)"),
        (["visca", "zoom", "nan", "--for", "1"], "zoom speed: nan is out of range (valid: -1..1)"),
        (["visca", "focus", "inf", "--for", "1"], "focus speed: inf is out of range (valid: -1..1)"),
        *(
            (["visca", "pan", "0.5", "--for", seconds],
             f"--for: {float(seconds)!r} is out of range (valid: more than 0, at most 600 seconds)")
            for seconds in ("inf", "1e400", "1e9", "-1", "nan", "0", "601")
        ),
        (["visca", "preset", "3", "--for", "2"], "--for goes with a pan, tilt, zoom or focus speed, or jog"),
        # Levels of a direct mode.
        (["visca", "iris", "direct", "--level", "256"], "iris direct needs --level 0..255, not 256"),
        (["visca", "iris", "direct", "--level", "-1"], "iris direct needs --level 0..255, not -1"),
    ],
)
def test_send_refuses_values_out_of_range_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    args: list[str], message: str,
) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    config = tmp_path / "studio.yaml"
    config.write_text(SEND_CONFIG)
    assert main(["send", "-c", str(config), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


CHECK_CONFIG = """\
cameras:
  pelco: {{protocol: pelco-d, device: /dev/null, address: 1}}
  ipcam: {{protocol: ipcam-cgi, url: "http://127.0.0.2:9", username: admin, password_env: PTZMAPD_TEST_PW}}
inputs:
  desk: {{type: midi, virtual: desk}}
bindings:
  - {{input: desk, note: 1, {binding}}}
"""


@pytest.mark.parametrize(
    ("binding", "send_args"),
    [
        ("action: preset, camera: pelco, preset: 0", ["pelco", "preset", "0"]),
        ("action: preset, camera: ipcam, preset: 25, store: true", ["ipcam", "preset", "25", "--store"]),
        ("action: preset, camera: pelco, preset: 200", ["pelco", "preset", "200"]),
    ],
)
def test_check_and_send_refuse_a_preset_in_the_same_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    binding: str, send_args: list[str],
) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    config = tmp_path / "studio.yaml"
    config.write_text(CHECK_CONFIG.format(binding=binding))
    assert main(["check", "-c", str(config)]) == 2
    checked = capsys.readouterr().err.strip()
    assert main(["send", "-c", str(config), *send_args]) == 2
    sent = capsys.readouterr().err.strip()
    # check: "FILE:7:…: bindings[0].preset: REASON"; send: "ptzmapd: [preset: ]REASON".
    reason = checked.split(": ", 2)[2]
    assert sent.endswith(reason), (checked, sent)


def test_check_refuses_a_move_to_the_camera_cannot_reach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    config = tmp_path / "studio.yaml"
    config.write_text(CHECK_CONFIG.format(binding="camera: ipcam, action: move-to, pan: 350, tilt: 10"))
    assert main(["check", "-c", str(config)]) == 2
    assert "bindings[0].action: camera 'ipcam' (ipcam-cgi): ipcam-cgi pan position must be 0..340, got 350.0" \
        in capsys.readouterr().err


@pytest.mark.parametrize(
    ("binding", "problem"),
    [
        # `selected` needs one camera that takes the value: here none does (Pelco from 1, IPCam to 24).
        ("action: preset, preset: 0, camera: selected",
         "bindings[0].preset: camera 'pelco' (pelco-d): pelco preset number must be 1..255, got 0; "
         "camera 'ipcam' (ipcam-cgi): ipcam-cgi presets are 1..24, got 0"),
        ("action: preset, preset: 30, camera: all", None),  # Pelco takes 30
        # A step binding walks its presets: both ends are checked.
        ("action: preset, step: 1, presets: [20, 30], camera: ipcam",
         "bindings[0].presets: camera 'ipcam' (ipcam-cgi): ipcam-cgi presets are 1..24, got 30"),
        ("action: preset, step: 1, presets: [0, 8], camera: pelco",
         "bindings[0].presets: camera 'pelco' (pelco-d): pelco preset number must be 1..255, got 0"),
        ("action: preset, step: 1, presets: [1, 24], camera: ipcam", None),
    ],
)
def test_check_refuses_presets_no_target_camera_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    binding: str, problem: str | None,
) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    config = tmp_path / "studio.yaml"
    config.write_text(CHECK_CONFIG.format(binding=binding))
    code = main(["check", "-c", str(config)])
    err = capsys.readouterr().err
    if problem is None:
        assert code == 0, err
    else:
        assert code == 2 and problem in err, err


def test_send_waits_for_the_wire_on_its_state_not_by_polling() -> None:
    from ptzmapd.cli.send import wait_connected
    from ptzmapd.clock import MonotonicClock
    from wire import MemoryWire

    async def body() -> tuple[bool, bool, bool]:
        wire = MemoryWire(MonotonicClock(), connected=False)
        asyncio.get_running_loop().call_later(0.05, wire.plug, True)  # the TCP connect succeeds
        came_up = await wait_connected(wire, timeout=5.0)
        never = MemoryWire(MonotonicClock(), connected=False)
        gave_up = await wait_connected(never, timeout=0.05)
        already = await wait_connected(wire, timeout=0.0)
        return came_up, gave_up, already

    assert asyncio.run(body()) == (True, False, True)
