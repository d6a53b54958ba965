"""`ptzmapd run`, `check`, `send` and `demo` as a user runs them: real processes, real sockets."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import mido
import pytest

from ptzmapd.cli import main
from procs import Proc, Simulator

CONFIG = """\
cameras:
  stage:
    protocol: {kind}
    host: 127.0.0.2
    port: {port}
inputs:
  desk:
    type: midi
    virtual: "{virtual}"
    api: jack
bindings:
  - {{input: desk, cc: {pan_cc}, action: pan}}
"""


@pytest.fixture
def stage() -> Iterator[Simulator]:
    simulator = Simulator("visca-udp")
    yield simulator
    simulator.stop()


def write_config(folder: Path, port: int, virtual: str, pan_cc: int = 0, kind: str = "visca-udp") -> Path:
    path = folder / "studio.yaml"
    path.write_text(CONFIG.format(kind=kind, port=port, virtual=virtual, pan_cc=pan_cc))
    return path


def midi_out(virtual: str) -> mido.ports.BaseOutput:
    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = [name for name in backend.get_output_names() if virtual in name]
        if names:
            return backend.open_output(names[0])
        time.sleep(0.1)
    raise AssertionError(f"no port {virtual!r}: {backend.get_output_names()}")


def send_until(out: mido.ports.BaseOutput, message: mido.Message, simulator: Simulator, command: str, after: int = 0) -> None:
    """Send until the camera shows exactly ``command``: a fresh JACK connection takes a cycle
    or two to carry."""
    for _ in range(25):
        out.send(message)
        try:
            simulator.wait_for_command(command, timeout=0.2, after=after)
            return
        except AssertionError:
            continue
    simulator.wait_for_command(command, timeout=0.1, after=after)


def test_run_moves_on_a_fader_and_stops_every_camera_on_sigterm(jack: int, stage: Simulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, stage.port, "daemon-term")
    daemon = Proc("run", "-c", str(config))
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("daemon-term") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), stage, "pan right 0x18, tilt stop")
            mark = stage.mark()
            started = time.monotonic()
            daemon.signal(signal.SIGTERM)
            assert daemon.process.wait(timeout=5) == 0
            assert time.monotonic() - started < 2.0
        stage.wait_for_command("pan stop, tilt stop", after=mark, timeout=2)
    finally:
        daemon.stop()


def test_sighup_keeps_the_old_config_when_the_new_one_is_broken_and_takes_a_good_one(
    jack: int, stage: Simulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path, stage.port, "daemon-hup")
    daemon = Proc("run", "-c", str(config))
    try:
        daemon.wait_for("running: 1 camera")
        config.write_text(config.read_text().replace("protocol: visca-udp", "protocol: visac"))
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(rf"{config}:3:15: cameras\.stage\.protocol: unknown protocol 'visac'")
        daemon.wait_for("keeping the one that is running")
        with midi_out("daemon-hup") as out:  # the old config still runs
            send_until(out, mido.Message("control_change", control=0, value=0), stage, "pan left 0x18, tilt stop")
            out.send(mido.Message("control_change", control=0, value=64))
            stage.wait_for_command("pan stop, tilt stop")
        write_config(tmp_path, stage.port, "daemon-hup", pan_cc=7)
        daemon.signal(signal.SIGHUP)
        daemon.wait_for("configuration reloaded")
        mark = stage.mark()
        with midi_out("daemon-hup") as out:
            out.send(mido.Message("control_change", control=0, value=0))  # no longer bound
            send_until(out, mido.Message("control_change", control=7, value=127), stage, "pan right 0x18, tilt stop", after=mark)
        assert not [command for command in stage.commands(after=mark) if command.startswith("pan left")]
        assert "Traceback" not in daemon.output
    finally:
        daemon.stop()


def test_run_tells_systemd_ready_watchdog_and_stopping(stage: Simulator, tmp_path: Path) -> None:
    config = tmp_path / "cams.yaml"
    config.write_text(f"cameras:\n  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage.port}}}\n")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify_path = str(tmp_path / "notify")
    notify.bind(notify_path)
    notify.settimeout(5)
    daemon = Proc("run", "-c", str(config), env={"NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "200000"})
    try:
        received = [notify.recv(256).decode() for _ in range(3)]
        assert received[0] == "READY=1"
        assert received[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
        daemon.signal(signal.SIGTERM)
        while (message := notify.recv(256).decode()) == "WATCHDOG=1":
            pass
        assert message == "STOPPING=1"
        assert daemon.process.wait(timeout=5) == 0
    finally:
        daemon.stop()
        notify.close()


def test_run_with_a_broken_config_exits_2_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("cameras:\n  stage: {protocol: visca-ip}\n")
    daemon = Proc("run", "-c", str(config))
    assert daemon.process.wait(timeout=10) == 2
    daemon.stop()
    assert f"{config}:2:3: cameras.stage: missing key 'host'" in daemon.output
    assert "Traceback" not in daemon.output


def test_check_summarises_a_valid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, 1259, "x")
    assert main(["check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "1 camera" in out and "camera stage: visca-udp 127.0.0.2:1259" in out
    assert "input desk: midi virtual port 'x', 1 binding" in out


def test_check_reports_every_problem_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("cameras:\n  stage: {protocol: visac, host: a}\nbindings:\n  - {input: desk, cc: 300, action: pan}\n")
    assert main(["check", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:2:21: cameras.stage.protocol: unknown protocol 'visac'" in err
    assert "bindings[0].input" in err and "bindings[0].cc" in err


def test_send_preset_and_a_timed_pan(stage: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, stage.port, "unused")
    assert main(["-q", "send", "-c", str(config), "stage", "preset", "3"]) == 0
    stage.wait_for_command("preset recall 3")
    assert "stage: preset 3: acknowledged" in capsys.readouterr().out
    mark = stage.mark()
    assert main(["-q", "send", "-c", str(config), "stage", "pan", "0.5", "--for", "0.3"]) == 0
    stage.wait_for_command("pan right 0x0C, tilt stop", after=mark)
    stage.wait_for_command("pan stop, tilt stop", after=mark)


def test_send_to_a_camera_that_does_not_answer_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.2", 0))  # a port that swallows everything
    try:
        config = write_config(tmp_path, silent.getsockname()[1], "unused")
        assert main(["-q", "send", "-c", str(config), "stage", "home"]) == 1
        assert "did not answer" in capsys.readouterr().err
    finally:
        silent.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stage", "pan", "0.5"], "pan needs --for SECONDS"),
        (["stage", "pan", "2", "--for", "1"], "pan speed: 2.0 is out of range (valid: -1..1)"),
        (["stage", "preset", "x"], "preset needs a number"),
        (["nowhere", "home"], "no camera 'nowhere'"),
    ],
)
def test_send_rejects_bad_arguments_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    config = write_config(tmp_path, 1259, "unused")
    assert main(["send", "-c", str(config), *args]) == 2
    assert message in capsys.readouterr().err


def test_demo_runs_without_midi_and_leaves_every_camera_still(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "demo", "--no-midi", "--duration", "4"]) == 0
    out = capsys.readouterr().out
    assert "every camera stopped" in out
    assert "straight into the mapping layer" in out


def test_status_shows_cameras_and_inputs_from_the_running_daemon(jack: int, stage: Simulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, stage.port, "daemon-status")
    socket_path = tmp_path / "run" / "ptzmapd.sock"
    daemon = Proc("run", "-c", str(config), "--status-socket", str(socket_path))
    try:
        daemon.wait_for("running: 1 camera")
        daemon.wait_for("status: ptzmapd status")
        assert socket_path.stat().st_mode & 0o777 == 0o600
        assert socket_path.parent.stat().st_mode & 0o777 == 0o700
        with midi_out("daemon-status") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), stage, "pan right 0x18, tilt stop")
            status = Proc("status", "--socket", str(socket_path))
            assert status.process.wait(timeout=10) == 0
            status.stop()
            assert "stage" in status.output and "online" in status.output
            assert "pan +1.00" in status.output
            assert "desk" in status.output and "connected" in status.output and "last cc 0 = 127" in status.output
            as_json = Proc("status", "--socket", str(socket_path), "--json")
            as_json.process.wait(timeout=10)
            as_json.stop()
            import json
            data = json.loads(as_json.output)
            assert data["cameras"]["stage"]["speeds"]["pan"] == 1.0
            assert data["inputs"]["desk"]["connected"] is True
        second = Proc("run", "-c", str(config), "--status-socket", str(socket_path))
        second.wait_for("another ptzmapd is running")
        second.stop()
    finally:
        daemon.stop()
    assert not socket_path.exists()


def test_status_without_a_daemon_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--socket", str(tmp_path / "none.sock")]) == 1
    assert "no ptzmapd is running" in capsys.readouterr().err
