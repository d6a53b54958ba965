"""``ptzmapd send``, ``simulate`` and ``snapshot`` with HTTP cameras, as a user runs them:
real processes, real sockets, real auth."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from procs import Proc
from ptzmapd.simulators.http_cameras import JPEG, start
from ptzmapd.snapshot import run_snapshot

PASSWORD = "cli-Pa55word"
ENV = {"PTZMAPD_TEST_PW": PASSWORD}


class HttpSimulatorProc(Proc):
    """``ptzmapd simulate KIND`` on 127.0.0.2 with a free port; its address is a URL."""

    def __init__(self, kind: str) -> None:
        super().__init__("simulate", kind, "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_TEST_PW", env=ENV)
        self.kind = kind
        self.url = self.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)


def write_config(folder: Path, kind: str, url: str) -> Path:
    path = folder / "studio.yaml"
    path.write_text(
        f"cameras:\n  stage:\n    protocol: {kind}\n    url: {url}\n    username: admin\n"
        f"    password_env: PTZMAPD_TEST_PW\n"
    )
    return path


@pytest.fixture(params=["isapi", "ipcam-cgi", "ptzoptics-cgi", "panasonic-aw"])
def camera(request: pytest.FixtureRequest) -> Iterator[HttpSimulatorProc]:
    simulator = HttpSimulatorProc(request.param)
    yield simulator
    simulator.stop()


#: What each simulator prints for ``send … preset 3`` and a short pan.
PRESET = {"isapi": "preset goto 3", "ipcam-cgi": "preset move 3", "ptzoptics-cgi": "poscall 3",
          "panasonic-aw": r"preset recall 02 \(preset 3\)"}
PAN = {"isapi": "continuous pan 50 tilt 0 zoom 0", "ipcam-cgi": "step right 5°", "ptzoptics-cgi": "right pan 12 tilt 1",
       "panasonic-aw": "pan right 25, tilt stop"}
STOP = {"isapi": "continuous pan 0 tilt 0 zoom 0", "ptzoptics-cgi": "pan/tilt stop", "panasonic-aw": "pan stop, tilt stop"}


def test_send_a_preset_and_a_move(camera: HttpSimulatorProc, tmp_path: Path) -> None:
    config = write_config(tmp_path, camera.kind, camera.url)
    preset = Proc("send", "-c", str(config), "stage", "preset", "3", env=ENV)
    assert preset.process.wait(timeout=15) == 0, preset.output
    assert "stage: preset 3: acknowledged" in preset.output
    camera.wait_for(PRESET[camera.kind])
    mark = camera.mark()
    move = Proc("send", "-c", str(config), "stage", "pan", "0.5", "--for", "0.6", env=ENV)
    assert move.process.wait(timeout=15) == 0, move.output
    camera.wait_for(PAN[camera.kind], after=mark)
    if camera.kind in STOP:
        camera.wait_for(STOP[camera.kind], after=mark)
    assert "Traceback" not in move.output + preset.output
    assert PASSWORD not in camera.output + move.output + preset.output


def test_send_an_absolute_move_a_jog_and_a_preset_clear_to_isapi(tmp_path: Path) -> None:
    camera = HttpSimulatorProc("isapi")
    try:
        config = write_config(tmp_path, "isapi", camera.url)
        runs = [
            (("move-to", "--pan", "90", "--tilt", "-12.5"), "absolute azimuth 900 elevation -125"),
            (("jog", "--zoom", "-0.5", "--for", "0.4"), "momentary pan 0 tilt 0 zoom -50 for 400 ms"),
            (("preset", "4", "--clear"), "preset clear 4"),
        ]
        for args, printed in runs:
            run = Proc("send", "-c", str(config), "stage", *args, env=ENV)
            assert run.process.wait(timeout=15) == 0, run.output
            assert "acknowledged" in run.output and "Traceback" not in run.output
            camera.wait_for(printed)
    finally:
        camera.stop()


def test_send_refuses_what_the_camera_cannot_do_before_connecting(tmp_path: Path) -> None:
    # Nothing listens at this URL: the refusal must come from the config, not a timeout.
    config = write_config(tmp_path, "ptzoptics-cgi", "http://127.0.0.2:9")
    for args, message in (
        (("preset", "4", "--clear"), "cannot 'preset clear'"),
        (("move-to", "--pan", "90"), "cannot 'move-to'"),
        (("jog", "--pan", "0.5"), "jog needs --for SECONDS"),
        (("pan", "0.5", "--tilt", "3", "--for", "1"), "--pan/--tilt/--zoom go with move-to or jog"),
        (("move-to", "--pan", "nan"), "must be finite numbers"),
    ):
        run = Proc("send", "-c", str(config), "stage", *args, env=ENV)
        assert run.process.wait(timeout=15) == 2, run.output
        assert message in run.output and "Traceback" not in run.output


def test_send_with_a_wrong_password_fails_clearly(tmp_path: Path) -> None:
    simulator = HttpSimulatorProc("isapi")
    try:
        config = write_config(tmp_path, "isapi", simulator.url)
        send = Proc("send", "-c", str(config), "stage", "home", env={"PTZMAPD_TEST_PW": "wrong"})
        assert send.process.wait(timeout=15) == 3  # refused (issue 9 item 7), not "no answer"
        assert "refused by the camera" in send.output and "http-401" in send.output and "user name or password" in send.output
        assert "wrong" not in send.output.replace("wrong-", "")  # no password echoed
    finally:
        simulator.stop()


def test_send_with_the_password_variable_unset_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "isapi", "http://127.0.0.2:9")
    send = Proc("send", "-c", str(config), "stage", "home", env={"PTZMAPD_TEST_PW": ""})
    assert send.process.wait(timeout=15) == 2
    # Reported by the config check, at the key that names the variable.
    assert f"{config}:6:19: cameras.stage.password_env: environment variable 'PTZMAPD_TEST_PW' is empty" in send.output


# ---------------------------------------------------------------------------- snapshot


def snapshot_args(config: Path, output: Path | None) -> argparse.Namespace:
    return argparse.Namespace(config=str(config), camera="stage", output=str(output) if output else None)


@pytest.mark.parametrize("kind", ["isapi", "ipcam-cgi", "ptzoptics-cgi"])
def test_snapshot_writes_the_jpeg(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    output = tmp_path / "still.jpg"

    async def main() -> int:
        sim = await start(kind, host="127.0.0.2", password_env="PTZMAPD_TEST_PW", log=lambda line: None)
        try:
            code = await run_snapshot(snapshot_args(write_config(tmp_path, kind, sim.where), output), logging.getLogger("t"))
            assert sim.received[-1].startswith("snapshot")
            return code
        finally:
            await sim.close()

    assert asyncio.run(main()) == 0
    assert output.read_bytes() == JPEG and output.read_bytes()[:2] == b"\xff\xd8"
    assert capsys.readouterr().out == f"{output}: {len(JPEG)} bytes\n"


def test_snapshot_of_a_failing_camera_is_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)

    async def main() -> int:
        sim = await start("isapi", host="127.0.0.2", password_env="PTZMAPD_TEST_PW", log=lambda line: None)
        sim.fail_status = 500
        try:
            return await run_snapshot(snapshot_args(write_config(tmp_path, "isapi", sim.where), tmp_path / "x.jpg"), logging.getLogger("t"))
        finally:
            await sim.close()

    assert asyncio.run(main()) == 1
    assert "camera 'stage': no snapshot: HTTP 500 Internal Server Error" in capsys.readouterr().err
    assert not (tmp_path / "x.jpg").exists()


def test_snapshot_needs_an_http_camera(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text("cameras:\n  stage: {protocol: visca-udp, host: 127.0.0.2}\n")
    assert asyncio.run(run_snapshot(snapshot_args(config, None), logging.getLogger("t"))) == 2
    assert "camera 'stage' speaks visca-udp; snapshots come from HTTP cameras (isapi, ipcam-cgi, ptzoptics-cgi)" in capsys.readouterr().err


def test_snapshot_of_an_unreachable_camera_is_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    config = write_config(tmp_path, "ptzoptics-cgi", "http://127.0.0.2:9")
    assert asyncio.run(run_snapshot(snapshot_args(config, tmp_path / "x.jpg"), logging.getLogger("t"))) == 1
    assert "camera 'stage': no snapshot:" in capsys.readouterr().err


def test_snapshot_from_the_command_line(tmp_path: Path) -> None:
    simulator = HttpSimulatorProc("ptzoptics-cgi")
    try:
        config = write_config(tmp_path, "ptzoptics-cgi", simulator.url)
        output = tmp_path / "cam.jpg"
        snap = Proc("snapshot", "-c", str(config), "stage", "-o", str(output), env=ENV)
        assert snap.process.wait(timeout=15) == 0, snap.output
        snap.wait_for(rf"{output}: {len(JPEG)} bytes")
        assert output.read_bytes() == JPEG
    finally:
        simulator.stop()
