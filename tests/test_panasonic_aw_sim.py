"""Panasonic AW against its simulated camera, over real HTTP: moves, presets with a travel
speed, tally lamps, Digest and Basic auth and a wrong password, a busy camera, a value out of
the model's range, a camera that disappears mid-move (the stop is confirmed when it comes
back), and pacing from the camera's answer (the camera counts violations)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import pytest

from helpers import run, run_catching, until
from ptzmapd.app.assemble import make_controller
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.commands import Autofocus, CameraAction, PanTilt, PresetRecall, PresetStore, TallyLamp, Zoom
from ptzmapd.config.model import CameraConfig, HttpEndpoint, Mark, MotionFeel
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.secrets import Credentials, password_from_env
from ptzmapd.simulators.panasonic_aw import PanasonicAwSimulator, start
from ptzmapd.transports import TransportPool

PASSWORD = "aw-Pa55-word"
LOG = logging.getLogger("tests.panasonic")
SPEC = PROTOCOLS["panasonic-aw"]


@pytest.fixture(autouse=True)
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_SIM_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_WRONG_PW", "not-" + PASSWORD)


def config(sim: PanasonicAwSimulator, password_env: str | None = "PTZMAPD_TEST_PW", **pacing: Any) -> CameraConfig:
    credentials = Credentials("admin", password_from_env(password_env)) if password_env else None
    return CameraConfig(
        "stage", "panasonic-aw", Mark("studio.yaml", 1, 1),
        link=HttpEndpoint(sim.where, credentials, timeout=1.0),
        pacing=dataclasses.replace(SPEC.pacing, **{"ack_timeout": 1.5, **pacing}),
        options=SPEC.options(tally="panasonic"), feel=MotionFeel(),
    )


class Rig:
    def __init__(self) -> None:
        self.pool = TransportPool(LOG, clock=MonotonicClock())
        self.sim: PanasonicAwSimulator | None = None
        self.stage: CameraController | None = None

    async def camera(self, password_env: str | None = "PTZMAPD_TEST_PW",
                     **simulator: Any) -> tuple[PanasonicAwSimulator, CameraController]:
        self.sim = await start(host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW", **simulator)
        self.stage = await make_controller(config(self.sim, password_env), self.pool, MonotonicClock(), LOG)
        return self.sim, self.stage

    async def close(self) -> None:
        if self.stage is not None:
            self.stage.close()
        await self.pool.close()
        if self.sim is not None:
            await self.sim.close()


async def answered(outcome: Outcome, timeout: float = 10.0) -> Answer:
    await until(lambda: outcome.done, what=f"the answer to {outcome.command!r}", timeout=timeout)
    return outcome.answer


@pytest.mark.parametrize("auth", ["digest", "basic", "none"])
def test_moves_presets_and_lamps_reach_the_camera(auth: str) -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera(auth=auth, user="admin")
        try:
            opening = ["pan stop, tilt stop", "zoom stop", "focus stop"]
            await until(lambda: sim.received[:3] == opening, what="the opening stops")
            assert await answered(stage.set_motion(PanTilt(1.0, 0.0))) is Answer.ACKNOWLEDGED
            assert sim.state.velocity("pan") > 0
            assert await answered(stage.set_motion(Zoom(-0.5))) is Answer.ACKNOWLEDGED
            assert sim.state.velocity("zoom") < 0
            assert await answered(stage.stop()) is Answer.ACKNOWLEDGED
            assert not sim.moving
            assert await answered(stage.submit(PresetStore(4))) is Answer.ACKNOWLEDGED
            assert await answered(stage.submit(PresetRecall(4, speed=0.5))) is Answer.ACKNOWLEDGED
            assert sim.received[-2:] == ["preset speed 625", "preset recall 03 (preset 4)"]
            assert (sim.preset_speed, sim.selected_preset) == (625, 3)
            assert await answered(stage.submit(Autofocus("toggle"))) is Answer.ACKNOWLEDGED
            assert sim.head.switches["autofocus"] == "off" and sim.received[-2:] == ["autofocus query", "autofocus off"]
            assert await answered(stage.submit(Autofocus("toggle"))) is Answer.ACKNOWLEDGED
            assert sim.head.switches["autofocus"] == "on"
            assert await answered(stage.submit(TallyLamp(program=True))) is Answer.ACKNOWLEDGED
            assert sim.lamps == {"TLR": 1, "TLG": 0}
            assert await answered(stage.submit(TallyLamp(preview=True))) is Answer.ACKNOWLEDGED
            assert sim.lamps == {"TLR": 0, "TLG": 1} and sim.received[-2:] == ["tally green on", "tally red off"]
            assert sim.pacing_violations == 0
            # The camera checked who asked (the client learnt its scheme from the first 401).
            assert sim.auth == auth and (sim.unauthorized > 0) == (auth != "none")
        finally:
            await rig.close()

    run(main)


def test_a_preset_speed_goes_once_then_recalls_at_it_are_one_request() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        try:
            await until(lambda: len(sim.received) >= 3, what="the opening stops")
            before = len(sim.received)
            assert await answered(stage.submit(PresetRecall(4, speed=0.5))) is Answer.ACKNOWLEDGED
            assert sim.received[before:] == ["preset speed 625", "preset recall 03 (preset 4)"]
            assert (sim.preset_speed, sim.selected_preset) == (625, 3)
            # The camera keeps one setting for every preset: the next recall at it is #R alone.
            assert await answered(stage.submit(PresetRecall(5, speed=0.5))) is Answer.ACKNOWLEDGED
            assert sim.received[before + 2:] == ["preset recall 04 (preset 5)"]
            assert sim.selected_preset == 4 and sim.pacing_violations == 0
        finally:
            await rig.close()

    run(main)


def test_a_wrong_password_is_one_clear_refusal_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera(password_env="PTZMAPD_WRONG_PW", user="admin")
        try:
            outcome = stage.submit(PresetRecall(2))
            await until(lambda: stage.state.last_error is not None, what="the refusal")
            error = stage.state.last_error
            assert error is not None and "http-401" in error and "user name or password" in error, error
            assert sim.received == [] and sim.unauthorized > 0 and not outcome.done
            assert sim.requests <= 4  # the opening stops, tried twice: no storm of failed logins
        finally:
            await rig.close()

    with caplog.at_level(logging.INFO):
        assert run_catching(main) == []
    assert PASSWORD not in caplog.text and "Traceback" not in caplog.text


def test_a_busy_camera_is_asked_again_until_it_takes_the_command() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        try:
            await until(lambda: len(sim.received) >= 3, what="the opening stops")
            sim.busy_replies = 3
            assert await answered(stage.submit(PresetRecall(7))) is Answer.ACKNOWLEDGED
            assert sim.busy_replies == 0 and sim.received[-1] == "preset recall 06 (preset 7)"
            assert sim.pacing_violations == 0
        finally:
            await rig.close()

    run(main)


def test_a_camera_in_standby_refuses_and_comes_back_when_powered_on() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        sim.power_on_time = 0.3
        try:
            await until(lambda: len(sim.received) >= 3, what="the opening stops")
            assert await answered(stage.submit(CameraAction("power", "off"))) is Answer.ACKNOWLEDGED
            standby = stage.submit(PresetRecall(2))
            assert await answered(standby, timeout=20) is Answer.REFUSED
            assert "eR2" in standby.message and "powered on" in standby.message
            assert await answered(stage.submit(CameraAction("power", "on"))) is Answer.ACKNOWLEDGED
            # While it starts it answers eR2: retried until it takes the recall.
            assert await answered(stage.submit(PresetRecall(2))) is Answer.ACKNOWLEDGED
            assert sim.power == "on" and sim.selected_preset == 1
        finally:
            await rig.close()

    run(main, timeout=40)


def test_a_preset_beyond_the_models_range_is_refused_out_of_range() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        sim.preset_count = 10  # a model with presets 00..09
        try:
            outcome = stage.submit(PresetRecall(12))
            assert await answered(outcome) is Answer.REFUSED
            assert "eR3:R" in outcome.message and stage.state.last_error and "aw-out-of-range" in stage.state.last_error
            assert sim.selected_preset is None
            assert await answered(stage.submit(PresetRecall(10))) is Answer.ACKNOWLEDGED
        finally:
            await rig.close()

    run(main)


def test_an_older_model_without_a_green_lamp_or_preset_speed_is_driven_with_what_it_has() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        sim.green_lamp = False
        sim.preset_speed_command = False
        try:
            assert await answered(stage.submit(TallyLamp(program=True, preview=False))) is Answer.ACKNOWLEDGED
            assert await answered(stage.submit(PresetRecall(3, speed=1.0))) is Answer.ACKNOWLEDGED
            assert sim.lamps["TLR"] == 1 and sim.selected_preset == 2
            before = sim.requests
            assert await answered(stage.submit(PresetRecall(4, speed=0.2))) is Answer.ACKNOWLEDGED
            assert sim.requests == before + 1  # not asked for a preset speed again
        finally:
            await rig.close()

    run(main)


def test_a_camera_that_disappears_mid_move_is_stopped_when_it_returns() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera(ack_timeout=0.4)
        try:
            assert await answered(stage.set_motion(PanTilt(0.6, 0.0))) is Answer.ACKNOWLEDGED
            assert sim.moving
            host, port = sim.host, sim.port
            await sim.close()  # the camera's network drops: it keeps panning
            stop = stage.stop()
            await until(lambda: not stage.state.online, what="the camera marked offline", timeout=15)
            assert not stop.done
            await asyncio.sleep(0.5)
            await sim.open(host, port)  # it comes back, still panning
            assert sim.moving
            assert await answered(stop, timeout=20) is Answer.ACKNOWLEDGED
            assert not sim.moving and stage.state.online
            assert sim.received[-1] == "pan stop, tilt stop"
        finally:
            await rig.close()

    run(main, timeout=50)


def test_a_flood_of_speeds_never_breaks_the_cameras_interval() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera()
        try:
            await until(lambda: len(sim.received) >= 3, what="the opening stops")
            for step in range(60):
                stage.set_motion(PanTilt((step % 20 + 1) / 20, 0.0))
                await asyncio.sleep(0.01)
            assert await answered(stage.stop()) is Answer.ACKNOWLEDGED
            moves = [text for text in sim.received if text.startswith("pan right")]
            assert 2 <= len(moves) < 30  # the flood collapsed to the newest speeds
            assert sim.pacing_violations == 0
        finally:
            await rig.close()

    run(main)


#: What the simulated camera answers a third-party client (Companion sends exactly these).
CLIENT_ANSWERS = [
    ("/cgi-bin/aw_ptz?cmd=%23PTS7550&res=1", "pTS7550"),
    ("/cgi-bin/aw_ptz?cmd=%23PTS5050&res=1", "pTS5050"),
    ("/cgi-bin/aw_ptz?cmd=%23Z75&res=1", "zS75"),
    ("/cgi-bin/aw_ptz?cmd=%23M04&res=1", "s04"),
    ("/cgi-bin/aw_ptz?cmd=%23R04&res=1", "s04"),
    ("/cgi-bin/aw_ptz?cmd=%23O&res=1", "p1"),
    ("/cgi-bin/aw_ptz?cmd=%23APC80008000&res=1", "aPC80008000"),
    ("/cgi-bin/aw_ptz?cmd=%23UPVS500&res=1", "uPVS500"),
    ("/cgi-bin/aw_cam?cmd=TLG:1&res=1", "TLG:1"),
    ("/cgi-bin/aw_cam?cmd=QLG&res=1", "OLG:1"),
    ("/cgi-bin/aw_ptz?cmd=%23PTS0050&res=1", "eR3:PTS"),  # speed 00 is out of range
    ("/cgi-bin/aw_ptz?cmd=%23UPVS100&res=1", "eR3:UPVS"),
    ("/cgi-bin/aw_ptz?cmd=%23AX&res=1", "eR1:AX"),  # section 7's own examples
    ("/cgi-bin/aw_cam?cmd=XF&res=1", "ER1:XF"),
]


def test_the_simulated_camera_answers_a_third_party_client_as_the_specification_says() -> None:
    import httpx

    async def main() -> None:
        sim = await start(host="127.0.0.2", log=lambda line: None)
        sim.min_gap = 0.0  # this client does not pace itself
        try:
            async with httpx.AsyncClient(base_url=sim.where) as client:
                for target, expected in CLIENT_ANSWERS:
                    reply = await client.get(target)
                    assert (target, reply.status_code, reply.text) == (target, 200, expected)
                sim.power = "standby"
                reply = await client.get("/cgi-bin/aw_ptz?cmd=%23AXZ555&res=1")
                assert reply.text == "eR1:AXZ"  # unknown before busy
                reply = await client.get("/cgi-bin/aw_ptz?cmd=%23Z50&res=1")
                assert reply.text == "eR2:Z"
                assert (await client.get("/cgi-bin/aw_ptz?cmd=%23O&res=1")).text == "p0"
        finally:
            await sim.close()

    run(main)


def test_commands_sent_too_soon_are_counted_and_logged_as_pacing_violations() -> None:
    import httpx

    lines: list[str] = []

    async def main() -> None:
        clock = FakeClock()  # the camera's own clock: the test says when time passes
        sim = await start(host="127.0.0.2", log=lines.append, clock=clock)
        try:
            async with httpx.AsyncClient(base_url=sim.where) as client:
                for _ in range(3):  # back to back, no time between them
                    await client.get("/cgi-bin/aw_ptz?cmd=%23PTS5050&res=1")
                await client.get("/cgi-bin/aw_cam?cmd=TLR:1&res=1")  # a camera command: not paced
                clock.advance(0.129)
                await client.get("/cgi-bin/aw_ptz?cmd=%23PTS5050&res=1")
                clock.advance(0.130)
                await client.get("/cgi-bin/aw_ptz?cmd=%23Z50&res=1")
            assert sim.pacing_violations == 3
            assert sum("pacing violation: #PTS5050" in line for line in lines) == 3
        finally:
            await sim.close()

    run(main)
