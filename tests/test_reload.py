"""SIGHUP to a running `ptzmapd run`: a new config is validated whole before anything running
is touched. Real processes: the daemon, a simulated camera, a JACK MIDI port."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import mido
import pytest

from procs import Proc, Simulator
from test_daemon import midi_out, send_until, write_config


@pytest.fixture
def stage() -> Iterator[Simulator]:
    simulator = Simulator("visca-udp")
    yield simulator
    simulator.stop()


def test_sighup_with_a_missing_secret_keeps_every_camera_as_it_is(
    jack: int, stage: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PTZMAPD_RELOAD_PW", raising=False)
    config = write_config(tmp_path, stage.port, "daemon-secret-hup")
    daemon = Proc("run", "-c", str(config))
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("daemon-secret-hup") as out:
            # The operator holds a pan while someone reloads a config that cannot start.
            send_until(out, mido.Message("control_change", control=0, value=127), stage, "pan right 0x18, tilt stop")
            text = config.read_text().replace("cameras:\n", """\
cameras:
  gate: {protocol: isapi, url: "http://127.0.0.1:9", password_env: PTZMAPD_RELOAD_PW}
  door: {protocol: ipcam-cgi, url: "http://127.0.0.1:9", password_file: door.pw}
""", 1)
            config.write_text(text)
            camera_mark, daemon_mark = stage.mark(), daemon.mark()
            daemon.signal(signal.SIGHUP)
            daemon.wait_for(
                rf"{config}:2:68: cameras\.gate\.password_env: environment variable 'PTZMAPD_RELOAD_PW' is not set",
                after=daemon_mark,
            )
            daemon.wait_for(rf"{config}:3:73: cameras\.door\.password_file: cannot read .*door\.pw'", after=daemon_mark)
            daemon.wait_for("keeping the one that is running", after=daemon_mark)
            # Nothing was stopped or restarted: the camera still pans, the fader still drives it.
            assert "stop" not in "\n".join(stage.lines[camera_mark:])
            out.send(mido.Message("control_change", control=0, value=64))
            stage.wait_for_command("pan stop, tilt stop", after=camera_mark)
        log = "\n".join(daemon.lines[daemon_mark:])
        assert "going back to the old one" not in log and "stopping" not in log
        assert "Traceback" not in daemon.output
    finally:
        daemon.stop()


def test_sighup_takes_a_config_whose_secrets_resolve(
    jack: int, stage: Simulator, tmp_path: Path,
) -> None:
    config = write_config(tmp_path, stage.port, "daemon-secret-ok")
    (tmp_path / "door.pw").write_text("door-secret-1234\n")
    daemon = Proc("run", "-c", str(config), env={"PTZMAPD_RELOAD_OK_PW": "gate-secret-5678"})
    try:
        daemon.wait_for("running: 1 camera")
        config.write_text(config.read_text().replace("cameras:\n", """\
cameras:
  gate: {protocol: isapi, url: "http://127.0.0.1:9", password_env: PTZMAPD_RELOAD_OK_PW}
  door: {protocol: ipcam-cgi, url: "http://127.0.0.1:9", password_file: door.pw}
""", 1))
        daemon.signal(signal.SIGHUP)
        daemon.wait_for("configuration reloaded")
        daemon.wait_for(r"running: 3 camera")
        assert "gate-secret-5678" not in daemon.output and "door-secret-1234" not in daemon.output
        assert "Traceback" not in daemon.output
    finally:
        daemon.stop()


def test_sighup_that_drops_a_moving_camera_gets_its_stop_through_a_lost_packet(jack: int, tmp_path: Path) -> None:
    """The new config no longer has the camera that pans: only the old runtime will ever stop
    it, so its stop is retransmitted until answered, as a lost stop always is (the camera
    panned on for good when the reload gave its stop 0.3 s and two packets were lost)."""
    # Packets 1-3 are the opening stops, 4 the pan: the reload's stop and its first
    # retransmission are lost.
    stage = Simulator("visca-udp", "--drop-packet", "5", "--drop-packet", "6")
    kept = Simulator("visca-udp")
    config = write_config(tmp_path, stage.port, "daemon-drop-hup")
    kept_line = f"  kept: {{protocol: visca-udp, host: 127.0.0.2, port: {kept.port}}}\n"
    text = config.read_text()
    daemon = Proc("run", "-c", str(config))
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("daemon-drop-hup") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), stage, "pan right 0x18, tilt stop")
            mark = stage.mark()
            stage_block = text[text.index("  stage:"):text.index("inputs:")]
            config.write_text(text.replace(stage_block, kept_line))
            daemon.signal(signal.SIGHUP)
            daemon.wait_for("configuration reloaded")
            stage.wait_for("dropped packet 6", after=mark)
            stage.wait_for_command("pan stop, tilt stop", after=mark, timeout=3)
        assert "Traceback" not in daemon.output
    finally:
        daemon.stop()
        stage.stop()
        kept.stop()
