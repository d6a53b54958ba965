"""ONVIF end to end against the simulated camera on real sockets: the config's url and
credentials, the connect sequence, moves and stops, presets by name, wrong credentials in
every shape, a skewed camera clock (and what signing with this machine's clock gets), a clock
that needs a login, faults on demand, HTTP Digest on top, odd prefixes, a camera that
vanishes mid-move, and WS-Discovery."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import run, until
from ptzmapd.app.assemble import assemble, make_controller
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import Home, PanTilt, PresetClear, PresetRecall, PresetStore, Zoom
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import CameraConfig
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.devices import discover
from ptzmapd.errors import ConfigError
from ptzmapd.events import ControlEvent
from ptzmapd.protocols.onvif.codec import OnvifCodec
from ptzmapd.simulators.onvif import OnvifSimulator, Preset, start
from ptzmapd.transports import TransportPool

PASSWORD = "0nvif-Pa55"
LOG = logging.getLogger("tests.onvif")


@pytest.fixture(autouse=True)
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_SIM_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_WRONG_PW", "not-the-password")


def camera_config(tmp_path: Path, url: str, extra: str = "", password_env: str = "PTZMAPD_TEST_PW") -> CameraConfig:
    path = tmp_path / "studio.yaml"
    path.write_text(f'cameras:\n  stage: {{protocol: onvif, url: "{url}", username: admin, password_env: {password_env}, '
                    f"min_interval: 0.02, ack_timeout: 1.0, timeout: 0.5{extra}}}\n")
    return load_config(path).cameras["stage"]


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.pool = TransportPool(LOG, clock=MonotonicClock())
        self.controllers: list[CameraController] = []

    async def camera(self, sim: OnvifSimulator, extra: str = "", password_env: str = "PTZMAPD_TEST_PW") -> CameraController:
        config = camera_config(self.tmp_path, sim.device_url, extra, password_env)
        controller = await make_controller(config, self.pool, MonotonicClock(), LOG)
        self.controllers.append(controller)
        return controller

    async def close(self) -> None:
        for controller in self.controllers:
            controller.close()
        await self.pool.close()


async def simulator(**knobs: Any) -> OnvifSimulator:
    return await start("onvif", host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW", **knobs)


async def answered(outcome: Outcome, timeout: float = 10.0) -> Outcome:
    await until(lambda: outcome.done, f"an answer to {outcome.command!r}", timeout=timeout)
    return outcome


def ready(stage: CameraController) -> bool:
    codec = stage.codec
    return isinstance(codec, OnvifCodec) and codec.ready and stage.idle


def test_it_connects_moves_stops_and_keeps_presets_by_name(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator()
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            # Clock, services, the first profile with PTZ ("main", not "snapshot"), node, presets;
            # then the opening stops.
            assert sim.received[:5] == ["GetSystemDateAndTime", "GetCapabilities", "GetProfiles", "GetNodes",
                                        "GetPresets"]
            assert {"Stop PanTilt", "Stop Zoom"} <= set(sim.received)
            assert all(request.target.startswith("/onvif/") for request in sim.handled)
            moving = await answered(stage.set_motion(PanTilt(1.0, 0.0)))
            assert moving.answer is Answer.ACKNOWLEDGED
            await until(lambda: sim.state.position["pan"] > 0.1, "the head to pan")
            zooming = await answered(stage.set_motion(Zoom(0.5)))
            assert zooming.answer is Answer.ACKNOWLEDGED
            assert sim.head.speed["pan"] > 0  # a zoom never stops the pan
            stopped = await answered(stage.stop())
            assert stopped.answer is Answer.ACKNOWLEDGED and not sim.head.moving
            # Store "7": the camera names its own token; recall "7" finds it by name.
            stored = await answered(stage.submit(PresetStore(7)))
            assert stored.answer is Answer.ACKNOWLEDGED
            [(token, preset)] = [(t, p) for t, p in sim.presets.items() if p.name == "7"]
            assert token == "Preset_4" and preset.position == sim.head.position
            await answered(stage.submit(Home()))
            assert sim.head.position["pan"] == 0.0
            recalled = await answered(stage.submit(PresetRecall(7, speed=0.25)))
            assert recalled.answer is Answer.ACKNOWLEDGED
            assert sim.head.position == preset.position
            assert sim.received[-1] == "GotoPreset PresetToken 'Preset_4' speed pan 0.25 tilt 0.25 zoom 0.25"
            # Stored again: the same preset is overwritten (its token passed), not a second "7".
            await answered(stage.submit(PresetStore(7)))
            assert [p.name for p in sim.presets.values()].count("7") == 1
            # A preset stored from the camera's own page since the list was read.
            sim.presets["web_1"] = Preset("8", {"pan": -0.5, "tilt": 0.2, "zoom": 0.1})
            assert (await answered(stage.submit(PresetRecall(8)))).answer is Answer.ACKNOWLEDGED
            assert sim.head.position == {"pan": -0.5, "tilt": 0.2, "zoom": 0.1}
            missing = await answered(stage.submit(PresetRecall(9)))
            assert missing.answer is Answer.REFUSED and "the camera has no preset named '9'" in missing.message
            cleared = await answered(stage.submit(PresetClear(8)))
            assert cleared.answer is Answer.ACKNOWLEDGED and "web_1" not in sim.presets
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_traces_show_the_username_token_without_its_digest_or_nonce(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # With the digest, the nonce and Created from a -v log, the password can be guessed
    # offline (SHA-1) and the request replayed: a trace blanks both, and shows the rest.
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator()
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            assert (await answered(stage.submit(Home()))).answer is Answer.ACKNOWLEDGED
        finally:
            await rig.close()
            await sim.close()

    with caplog.at_level(logging.DEBUG):
        run(main)
    sent = [record.getMessage() for record in caplog.records if " --> " in record.getMessage()]
    signed = [line for line in sent if "UsernameToken" in line]
    assert any("GotoHomePosition" in line for line in signed) and len(signed) >= 5
    secrets = re.findall(r"<wsse:(?:Password|Nonce)\b[^>]*>([^<]*)<", "\n".join(signed))
    assert len(secrets) == 2 * len(signed) and set(secrets) == {"(hidden)"}


@pytest.mark.parametrize("shape", ["fault", "fault-401", "401"])
def test_a_wrong_password_is_one_clear_refusal_in_every_shape_and_never_logged(
    shape: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator(auth_failure=shape)
        try:
            stage = await rig.camera(sim, password_env="PTZMAPD_WRONG_PW")
            # The stops that open every connection get the camera's refusal (given up after a
            # second try: a camera must not lock the user out for failed logins).
            await until(lambda: stage.state.stop_refused is not None, "the stop refused")
            message = stage.state.stop_refused or ""
            assert "the camera rejected the user name or password (username, password_env, password_file)" in message
            assert sim.token_refusals and all("digest" in why for why in sim.token_refusals)
            assert sim.received == ["GetSystemDateAndTime"]  # nothing else got past the check
        finally:
            await rig.close()
            await sim.close()

    with caplog.at_level(logging.DEBUG):
        run(main)
    assert "not-the-password" not in caplog.text and PASSWORD not in caplog.text
    assert "wrong-credentials" in caplog.text


def test_a_device_that_lists_no_ptz_service_refuses_each_command_instead_of_looping(tmp_path: Path) -> None:
    # Not a PTZ camera (a fixed one, a wrong url): GetCapabilities and GetServices name no PTZ
    # service. Each command is refused after a bounded number of requests; none of them makes
    # the codec ask GetCapabilities and GetServices again and again for ever.
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator()
        sim.ptz_service = False
        try:
            stage = await rig.camera(sim)
            home = await answered(stage.submit(Home()), timeout=5.0)
            assert home.answer is Answer.REFUSED and "lists no PTZ service" in home.message
            await until(lambda: stage.idle, "the controller to settle")
            asked = len(sim.received)
            await asyncio.sleep(1.0)
            assert len(sim.received) == asked, f"still asking: {sim.received[asked:][:6]}"
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_a_skewed_camera_clock_is_signed_with_and_this_machines_clock_is_refused(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator(skew=3 * 3600.0)
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            codec = stage.codec
            assert isinstance(codec, OnvifCodec) and abs(codec.clock_offset - 3 * 3600) < 5
            assert (await answered(stage.submit(Home()))).answer is Answer.ACKNOWLEDGED
            assert sim.token_refusals == []
            # Without the fix: the same camera, signed with this machine's clock.
            codec.clock_offset = 0.0
            refused = await answered(stage.submit(Home()))
            assert refused.answer is Answer.REFUSED and "wrong-credentials" in refused.message
            assert "from the camera's clock" in sim.token_refusals[-1]
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_a_camera_that_wants_a_login_for_its_clock_gets_it_signed(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator(time_needs_login=True, skew=-8.0)
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            assert sim.received[:2] == ["GetSystemDateAndTime", "GetCapabilities"]
            assert sim.token_refusals == ["no UsernameToken"]  # the unsigned try
            assert (await answered(stage.submit(Home()))).answer is Answer.ACKNOWLEDGED
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_a_fault_on_a_stop_is_retried_until_the_stop_is_confirmed(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator()
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            await answered(stage.set_motion(PanTilt(0.5, 0.0)))
            sim.fail("Stop", "ActionFailed", "motor busy")
            stopped = await answered(stage.stop())
            assert stopped.answer is Answer.ACKNOWLEDGED and not sim.head.moving
            assert sim.received[-2:] == ["Stop PanTilt", "Stop PanTilt"]
            assert "Receiver/ActionFailed: motor busy" in (stage.state.last_error or "")
            sim.fail("GotoHomePosition", "NoHomePosition", "home not set", code="Sender", status=400)
            home = await answered(stage.submit(Home()))
            assert home.answer is Answer.REFUSED and "SOAP fault Sender/NoHomePosition: home not set" in home.message
        finally:
            await rig.close()
            await sim.close()

    run(main)


@pytest.mark.parametrize("refresh", [1.0, 0.0], ids=["refreshed", "not-refreshed"])
def test_a_held_move_outlasts_the_cameras_default_ptz_timeout_by_being_sent_again(tmp_path: Path, refresh: float) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator(ptz_timeout=1.5)
        try:
            extra = "" if refresh else ", refresh: 0"  # 1 s is the protocol's default
            stage = await rig.camera(sim, extra=extra)
            await until(lambda: ready(stage), "the connect sequence")
            await answered(stage.set_motion(PanTilt(0.25, 0.0)))
            await asyncio.sleep(3.5)
            held = sim.received.count("ContinuousMove velocity pan 0.25 tilt 0 zoom 0")
            if refresh:
                assert sim.state.speed["pan"] > 0 and held >= 3
            else:
                assert sim.state.speed["pan"] == 0 and held == 1  # what the refresh is for
            await answered(stage.stop())
            assert not sim.state.moving
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_http_digest_on_top_and_undeclared_prefixes_are_taken_in_stride(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator(auth="digest")
        sim.undeclared_prefix = True
        try:
            stage = await rig.camera(sim, extra=", position_poll: 0.05")
            await until(lambda: ready(stage), "the connect sequence")
            assert sim.unauthorized >= 1  # the first unsigned HTTP request, answered with a challenge
            await answered(stage.set_motion(PanTilt(0.0, 1.0)))
            await until(lambda: (stage.state.pan_tilt_position or (0, 0))[1] > 0, "a tilt position read back")
            await answered(stage.stop())
        finally:
            await rig.close()
            await sim.close()

    run(main)


def test_a_camera_that_vanishes_mid_move_gets_its_stop_when_it_returns(tmp_path: Path) -> None:
    async def main() -> None:
        rig, sim = Rig(tmp_path), await simulator()
        host, port = sim.host, sim.port
        returned: OnvifSimulator | None = None
        try:
            stage = await rig.camera(sim)
            await until(lambda: ready(stage), "the connect sequence")
            await answered(stage.set_motion(PanTilt(-1.0, 0.0)))
            await sim.close()  # gone, still panning as far as anyone knows
            stopped = stage.stop()
            await until(lambda: not stage.state.online, "the camera marked offline")
            assert not stopped.done
            returned = await start("onvif", host=host, port=port, log=lambda line: None, password_env="PTZMAPD_SIM_PW")
            await answered(stopped, timeout=30.0)
            assert stopped.answer is Answer.ACKNOWLEDGED
            assert "Stop PanTilt" in returned.received and stage.state.online
        finally:
            await rig.close()
            if returned is not None:
                await returned.close()

    run(main, timeout=60)


def test_ws_discovery_finds_the_camera_by_its_probe_answer() -> None:
    async def main() -> None:
        sim = await simulator(discovery_port=0)
        try:
            found = await discover("onvif", target=("127.0.0.2", sim.discovery_port), wait=1.0)
            assert [(camera.address, camera.name) for camera in found] == [(sim.device_url, sim.name)]
        finally:
            await sim.close()

    run(main)


def test_the_daemon_stops_a_pan_held_past_max_move_and_maps_move_to_and_jog(tmp_path: Path) -> None:
    async def main() -> None:
        sim = await simulator()
        path = tmp_path / "studio.yaml"
        path.write_text(
            f'cameras:\n  cam: {{protocol: onvif, url: "{sim.device_url}", username: admin, '
            "password_env: PTZMAPD_TEST_PW, max_move: 0.5}\n"
            # The input is never opened here: events go straight into the mapping.
            'inputs:\n  desk: {type: midi, port: "*no such surface*"}\n'
            "bindings:\n  - {input: desk, cc: 1, action: pan}\n"
            "  - {input: desk, note: 1, action: move-to, tilt: 45}\n"
            "  - {input: desk, note: 2, action: jog, pan: -1, duration: 0.5}\n"
        )
        runtime = await assemble(load_config(path), MonotonicClock(), LOG)
        pipeline = runtime.pipeline
        assert pipeline is not None

        def event(kind: str, number: int, value: int) -> None:
            pipeline.on_event(ControlEvent("desk", kind, number, value, 1, time.monotonic()))

        try:
            await until(lambda: ready(runtime.controllers["cam"]), "the connect sequence")
            event("cc", 1, 127)  # held at full right, and never let go
            await until(lambda: sim.state.speed["pan"] > 0, "the pan")
            await until(lambda: sim.state.speed["pan"] == 0 and sim.received[-1] == "Stop PanTilt",
                        "the max_move watchdog's stop")
            pan = sim.state.position["pan"]
            event("note", 1, 127)
            event("note", 1, 0)
            await until(lambda: sim.state.position["tilt"] == 0.5, "the tilt-only move-to")
            assert sim.state.position["pan"] == pytest.approx(pan, abs=1e-3)  # the pan stays where the camera said
            event("note", 2, 127)
            event("note", 2, 0)
            await until(lambda: sim.received[-1].startswith("RelativeMove"), "the jog")
            assert sim.state.position["pan"] == pytest.approx(pan - 0.1, abs=1e-3)
        finally:
            await runtime.shutdown(grace=0.5)
            await sim.close()

    run(main)


@pytest.mark.parametrize(("camera", "problem"), [
    ('{protocol: isapi, url: "http://10.0.0.20", profile: main}', "cameras.stage.profile:"),
    ('{protocol: onvif, url: "http://10.0.0.20", profile: 1}', "cameras.stage.profile: expected a string, got 1"),
    ('{protocol: onvif, url: "ftp://10.0.0.20"}', "cameras.stage.url: expected http://HOST[:PORT][/PATH]"),
])
def test_onvif_keys_are_checked_where_they_are_written(tmp_path: Path, camera: str, problem: str) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(f"cameras:\n  stage: {camera}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(text.startswith(f"{path}:2:") and problem in text for text in caught.value.problems), caught.value.problems
