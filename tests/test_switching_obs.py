"""A real OBS Studio (tests/obs.py: headless under xvfb-run, its websocket with a password)
as the switcher of a whole runtime: ``selected`` follows OBS's preview scene, a switcher
action puts a camera's scene on preview, and the camera on program gets its tally lamp."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from helpers import run, until
from obs import Director, Obs
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import PanTilt
from ptzmapd.config.loader import load_config
from ptzmapd.mapping.intents import SwitcherRequest
from ptzmapd.simulators.visca import start_simulator

CONFIG = """\
cameras:
  stage:  {{protocol: visca-udp, host: 127.0.0.2, port: {stage}, tally: ptzoptics}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit}, tally: sony}}
switchers:
  vision:
    type: obs
    url: {url}
    password_env: PTZMAPD_TEST_OBS_PASSWORD
    sources: {{"{stage_scene}": stage, "{pulpit_scene}": pulpit}}
    follow: preview
    live: block
bindings: []
"""


def test_selected_follows_obs_preview_and_program_lights_the_tally(
        obs: Obs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = uuid.uuid4().hex[:6]
    wide, stage_scene, pulpit_scene = f"Wide {tag}", f"Stage {tag}", f"Pulpit {tag}"
    monkeypatch.setenv("PTZMAPD_TEST_OBS_PASSWORD", obs.password)

    async def body() -> None:
        stage = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        async with Director(obs) as director:
            for scene in (wide, stage_scene, pulpit_scene):
                await director.scene(scene)
            await director.reset(wide)
            await director.call("SetStudioModeEnabled", studioModeEnabled=True)
            await director.call("SetCurrentPreviewScene", sceneName=wide)
            path = tmp_path / "obs.yaml"
            path.write_text(CONFIG.format(stage=stage.port, pulpit=pulpit.port, url=obs.url,
                                          stage_scene=stage_scene, pulpit_scene=pulpit_scene))
            runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
            try:
                await until(lambda: runtime.status().switchers["vision"].connected, "connected to OBS", timeout=20)
                assert runtime.pipeline.selected == "stage"  # the wide shot maps to no camera
                await director.call("SetCurrentPreviewScene", sceneName=pulpit_scene)
                await until(lambda: runtime.pipeline.selected == "pulpit", "selected follows OBS's preview")
                runtime.pipeline.apply(SwitcherRequest("switcher-preview", "stage"))
                await until(lambda: runtime.pipeline.selected == "stage", "our own request, seen as OBS's event")
                scene = await director.call("GetCurrentPreviewScene")
                assert scene["currentPreviewSceneName"] == stage_scene
                runtime.pipeline.apply(SwitcherRequest("switcher-cut"))
                await until(lambda: runtime.pipeline.resolve("program") == ["stage"], "stage on air", timeout=10)
                await until(lambda: stage.received[-1:] == ["tally on"], "stage's lamp lit")
                assert runtime.pipeline.allows("stage", PanTilt(0.5, 0.0)) is False  # live: block
                assert pulpit.received[-1:] == ["tally-red off"]
            finally:
                await runtime.shutdown()
                await director.reset(wide)
                await stage.close()
                await pulpit.close()

    run(body, timeout=90)

