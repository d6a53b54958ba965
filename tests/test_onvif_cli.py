"""``ptzmapd simulate onvif``, ``check``, ``send`` and ``devices --onvif`` as a user runs them:
real processes, real sockets, a skewed camera clock."""

from __future__ import annotations

import re
from pathlib import Path

from procs import Proc

PASSWORD = "cli-0nvif"
ENV = {"PTZMAPD_TEST_PW": PASSWORD}


def write_config(folder: Path, url: str, binding: str = "") -> Path:
    path = folder / "studio.yaml"
    path.write_text(
        "cameras:\n"
        f'  stage: {{protocol: onvif, url: "{url}/onvif/device_service", username: admin, password_env: PTZMAPD_TEST_PW}}\n'
        "inputs:\n  desk: {type: midi, virtual: desk}\n"
        "bindings:\n  - {input: desk, cc: 1, action: pan}\n  - {input: desk, note: 40, action: preset, preset: 3}\n"
        "  - {input: desk, note: 41, action: move-to, pan: 90, zoom: 50}\n"
        "  - {input: desk, note: 42, action: jog, tilt: 0.5, duration: 0.2}\n" + binding
    )
    return path


def test_check_knows_what_an_onvif_camera_can_do(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://192.168.1.60")
    check = Proc("check", "-c", str(config), env=ENV)
    assert check.process.wait(timeout=15) == 0, check.output
    assert "camera stage: onvif http://192.168.1.60 device service /onvif/device_service" in check.output
    config = write_config(tmp_path, "http://192.168.1.60", "  - {input: desk, note: 43, action: focus}\n")
    check = Proc("check", "-c", str(config), env=ENV)
    assert check.process.wait(timeout=15) == 2
    assert "bindings[4].action: no camera here can 'focus' ('stage' is onvif)" in check.output


def test_send_presets_moves_and_jogs_to_a_camera_whose_clock_is_an_hour_off(tmp_path: Path) -> None:
    camera = Proc("simulate", "onvif", "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_TEST_PW",
                  "--clock-skew", "3600", "--discovery-port", "0", env=ENV)
    try:
        url = camera.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)
        discovery_port = camera.wait_for(r"answering WS-Discovery probes on 127\.0\.0\.2:(\d+)").group(1)
        config = write_config(tmp_path, url)
        runs = [
            (("preset", "3"), "GotoPreset PresetToken 'Preset_3'"),
            (("pan", "0.5", "--for", "0.3"), "ContinuousMove velocity pan 0.5 tilt 0 zoom 0"),
            (("preset", "12", "--store"), "SetPreset PresetName '12'"),
            (("preset", "12"), "GotoPreset PresetToken 'Preset_4'"),
            (("move-to", "--pan", "90", "--zoom", "50"), "AbsoluteMove position pan 0.5 tilt 0 zoom 0.5"),
            (("jog", "--tilt", "0.5", "--for", "0.2"), "RelativeMove translation pan 0 tilt 0.02 speed pan 0.5 tilt 0.5"),
            (("preset", "12", "--clear"), "RemovePreset PresetToken 'Preset_4'"),
        ]
        for args, printed in runs:
            mark = camera.mark()
            run = Proc("send", "-c", str(config), "stage", *args, env=ENV)
            assert run.process.wait(timeout=20) == 0, run.output
            camera.wait_for(re.escape(printed), after=mark)
            assert "Traceback" not in run.output and PASSWORD not in run.output
        missing = Proc("send", "-c", str(config), "stage", "preset", "44", env=ENV)
        assert missing.process.wait(timeout=20) == 3, missing.output
        assert "the camera has no preset named '44' (its presets: '1', '2', '3')" in missing.output
        assert "UsernameToken refused" not in camera.output
        found = Proc("devices", "--onvif", "--probe-address", f"127.0.0.2:{discovery_port}", "--wait", "1", env=ENV)
        assert found.process.wait(timeout=15) == 0, found.output
        assert f"{url}/onvif/device_service — ptzmapd simulated ONVIF camera" in found.output
    finally:
        camera.stop()
    assert PASSWORD not in camera.output
