"""HTTP cameras end to end: CameraController + HttpTransport + a simulated camera on loopback.

Real sockets, real Digest auth, the real clock (timings are generous; what is checked is
behaviour: what the camera received, what was logged, how many requests it saw).
"""

from __future__ import annotations

import asyncio
import dataclasses
import base64
import logging
import shutil
import ssl
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ptzmapd.camera import STOP_REFUSED_TRIES, CameraController
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Focus,
    Home,
    PanTilt,
    PanTiltPositionInquiry,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.config.model import CameraConfig, HttpEndpoint, Mark, MotionFeel
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.secrets import Credentials, password_from_env
from ptzmapd.daemon import make_controller
from ptzmapd.simulators.http import HttpSimulator, start
from ptzmapd.transports import TransportPool
from ptzmapd.transports.http import HttpTransport

PASSWORD = "s3cret-Pa55-word"
LOG = logging.getLogger("tests.http")  # outside "ptzmapd": the CLI tests turn its propagation off


def run(coroutine: Awaitable[None]) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


async def until(predicate: Callable[[], bool], timeout: float = 3.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def config(
    sim: HttpSimulator, name: str = "stage", protocol: str = "isapi", *, min_interval: float = 0.05,
    ack_timeout: float = 1.5, timeout: float = 1.0, tls_fingerprint: str | None = None, position_poll: float = 0.0,
) -> CameraConfig:
    """A camera as a config with ``password_env: PTZMAPD_TEST_PW`` gives it."""
    spec = PROTOCOLS[protocol]
    credentials = Credentials("admin", password_from_env("PTZMAPD_TEST_PW"))
    return CameraConfig(
        name, protocol, Mark("studio.yaml", 1, 1),
        link=HttpEndpoint(sim.where, credentials, timeout=timeout, tls_fingerprint=tls_fingerprint),
        pacing=dataclasses.replace(spec.pacing, min_interval=min_interval, ack_timeout=ack_timeout),
        options=spec.options(), feel=MotionFeel(position_poll=position_poll),
    )


class Rig:
    """One or more simulated cameras and their controllers, torn down together."""

    def __init__(self) -> None:
        self.pool = TransportPool(LOG)
        self.simulators: list[HttpSimulator] = []

    async def camera(self, kind: str = "isapi", name: str = "stage", *, auth: str | None = None,
                     **options: Any) -> tuple[HttpSimulator, CameraController]:
        sim = await start(kind, host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW", auth=auth)
        self.simulators.append(sim)
        controller = await make_controller(config(sim, name, kind, **options), self.pool, MonotonicClock(), LOG)
        return sim, controller

    async def close(self, *controllers: CameraController) -> None:
        for controller in controllers:
            controller.close()
        await self.pool.close()
        for sim in self.simulators:
            await sim.close()


@pytest.fixture(autouse=True)
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_SIM_PW", PASSWORD)


def saw(sim: HttpSimulator, text: str) -> Callable[[], bool]:
    return lambda: text in sim.received


# ---------------------------------------------------------------------------- ISAPI


def test_isapi_moves_presets_home_aux_and_status_with_digest_auth() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi")
        try:
            await until(lambda: sim.received.count("continuous pan 0 tilt 0 zoom 0") == 2, what="the opening stops")
            stage.set_motion(PanTilt(0.5, 0.0))
            await until(saw(sim, "continuous pan 50 tilt 0 zoom 0"))
            stage.set_motion(Zoom(1.0))
            await until(saw(sim, "continuous pan 50 tilt 0 zoom 100"), what="zoom riding on the pan")
            await asyncio.sleep(0.3)
            stage.stop()
            await until(lambda: sim.received[-1] == "continuous pan 0 tilt 0 zoom 0", what="the stop")
            assert not sim.state.moving and sim.state.position["pan"] > 0 and sim.state.position["zoom"] > 0
            for command in (PresetStore(2), Home(), PresetRecall(2), CameraAction("light", "on"),
                            CameraAction("wiper", "off"), Autofocus("one-push"),
                            RawCommand("PUT /ISAPI/PTZCtrl/channels/1/absolute "
                                       "<PTZData><AbsoluteHigh><azimuth>900</azimuth><elevation>100</elevation>"
                                       "<absoluteZoom>40</absoluteZoom></AbsoluteHigh></PTZData>", kind="http"),
                            PanTiltPositionInquiry(), ZoomPositionInquiry()):
                stage.submit(command)
            await until(lambda: stage.idle and stage.state.zoom_position is not None, what="everything answered")
            assert sim.received[-9:] == [
                "preset set 2 'Preset 2'", "home goto", "preset goto 2", "aux light on", "aux wiper off",
                "one-push focus", "absolute azimuth 900 elevation 100 absoluteZoom 40", "status", "status",
            ]
            assert stage.state.pan_tilt_position == (900, 100) and stage.state.zoom_position == 40
            assert sim.state.switches == {"light": "on", "wiper": "off"}
            assert stage.state.last_error is None and stage.state.online
            transport = stage.transport
            assert isinstance(transport, HttpTransport) and transport.auth is not None
            assert transport.auth.scheme == "digest"
            assert sim.unauthorized == 1  # the first, unsigned request; signed from then on
            assert sim.most_at_once == 1
        finally:
            await rig.close(stage)

    run(main())


def test_isapi_position_is_polled_while_moving() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi", position_poll=0.1)
        try:
            stage.set_motion(PanTilt(1.0, 0.0))
            await until(lambda: stage.state.pan_tilt_position is not None and stage.state.pan_tilt_position[0] > 0,
                        what="a polled position")
            await until(lambda: stage.state.zoom_position is not None)
        finally:
            stage.stop()
            await rig.close(stage)

    run(main())


def test_a_basic_only_camera_gets_basic() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi", auth="basic")
        try:
            stage.submit(PresetRecall(4))
            await until(saw(sim, "preset goto 4"))
            transport = stage.transport
            assert isinstance(transport, HttpTransport) and transport.auth is not None
            assert transport.auth.scheme == "basic"
            assert sim.unauthorized == 1
            stage.submit(Home())
            await until(saw(sim, "home goto"))
            assert sim.unauthorized == 1  # Basic is sent up front once known
        finally:
            await rig.close(stage)

    run(main())


def test_a_stale_nonce_is_signed_again_transparently(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi")
        try:
            stage.submit(PresetRecall(1))
            await until(saw(sim, "preset goto 1"))
            for number in (2, 3):
                sim.expire_nonces()  # the camera forgot every nonce (a reboot, a dropped connection)
                stage.submit(PresetRecall(number))
                await until(saw(sim, f"preset goto {number}"))
            await until(lambda: stage.idle)
            assert sim.unauthorized == 3  # the first challenge, then one stale 401 per expiry
            assert stage.state.last_error is None
        finally:
            await rig.close(stage)

    with caplog.at_level(logging.WARNING):
        run(main())
    assert caplog.text == ""


def test_a_wrong_password_is_one_clear_error_and_no_storm(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", "not-the-password")

    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi")
        try:
            started = time.monotonic()
            step = 0
            while time.monotonic() - started < 1.5:  # a fader flood, ~1 kHz
                step += 1
                stage.set_motion(PanTilt((step % 100) / 100, 0.0))
                await asyncio.sleep(0.001)
            assert sim.received == []
            # The opening stop (unsigned, then signed: wrong) is never held back, but a 401 is a
            # permanent refusal: tried STOP_REFUSED_TRIES times, then given up; everything else
            # is held back all along (issue 9 items 4 and 6).
            await until(lambda: stage.state.stop_refused is not None, what="the stop given up")
            assert stage.state.stop_refused is not None and "http-401" in stage.state.stop_refused
            await asyncio.sleep(0.6)  # nothing more goes: the stop is given up, the rest held back
            # An unsigned probe, then two signed requests per try (httpx signs again once).
            assert sim.requests <= 2 + 2 * STOP_REFUSED_TRIES, sim.requests
            assert sim.received == []
            assert stage.state.last_error is not None and "http-401" in stage.state.last_error
        finally:
            stage.stop()
            await rig.close(stage)

    with caplog.at_level(logging.INFO):
        run(main())
    refusals = [record.getMessage() for record in caplog.records
                if "http-401" in record.getMessage() and "stop refused" not in record.getMessage()]
    assert len(refusals) == 1, refusals
    assert refusals[0].startswith("[stage/isapi] camera refused")
    # ...and one line when the stop is given up (issue 9 item 4): an event of its own.
    assert sum(f"stop refused {STOP_REFUSED_TRIES} times" in record.getMessage() for record in caplog.records) == 1
    assert "the camera rejected the user name or password" in refusals[0]
    assert "not-the-password" not in caplog.text


def test_a_503_is_logged_and_the_next_command_goes_through(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi")
        try:
            await until(lambda: stage.idle)
            sim.fail_status, sim.fail_count = 503, 1
            stage.submit(Home())
            await until(lambda: stage.state.last_error is not None)
            stage.submit(PresetRecall(5))
            await until(saw(sim, "preset goto 5"))
            assert "home goto" not in sim.received  # refused, and not retried
            assert stage.state.online
        finally:
            await rig.close(stage)

    with caplog.at_level(logging.WARNING):
        run(main())
    assert "[stage/isapi] camera refused 'home goto': http-503 (HTTP 503 Service Unavailable" in caplog.text


def test_a_stop_refused_with_a_503_is_sent_again_until_the_camera_takes_it() -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi")
        try:
            await until(lambda: stage.idle)
            stage.set_motion(PanTilt(1.0, 0.0))
            await until(saw(sim, "continuous pan 100 tilt 0 zoom 0"))
            await until(lambda: stage.idle)
            sim.fail_status, sim.fail_count = 503, 2  # busy: the first two stops are refused
            stage.stop()
            await until(lambda: stage.state.last_error is not None)
            await until(lambda: sim.fail_status is None and stage.idle, timeout=5.0)
            stops = [line for line in sim.received if line.startswith("continuous pan 0 tilt 0")]
            assert stops, sim.received  # the third try got through: the camera stopped
        finally:
            await rig.close(stage)

    run(main())


def test_a_slow_camera_goes_offline_and_back_while_another_keeps_moving(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        rig = Rig()
        slow, stage = await rig.camera("isapi", "stage", timeout=0.3, ack_timeout=0.4)
        fine, pulpit = await rig.camera("isapi", "pulpit", timeout=0.3, ack_timeout=0.4)
        try:
            await until(lambda: stage.idle and pulpit.idle)
            slow.delay = 1.0  # longer than the HTTP timeout
            started = time.monotonic()
            step = 0
            while not (not stage.state.online and time.monotonic() - started > 2.0):
                step += 1
                speed = (step % 50 + 1) / 100
                stage.set_motion(PanTilt(speed, 0.0))
                pulpit.set_motion(PanTilt(speed, 0.0))
                await asyncio.sleep(0.01)
                assert time.monotonic() - started < 6, "the slow camera never went offline"
            # The healthy camera kept taking the newest speeds all along.
            moves = [line for line in fine.received if line.startswith("continuous pan") and "pan 0 " not in line]
            assert len(moves) > 10
            assert slow.most_at_once == 1  # a request given up on is gone before the next one
            slow.delay = 0.0
            await until(lambda: stage.state.online, timeout=8.0, what="the camera answering again")
            stage.stop()
            pulpit.stop()
            await until(lambda: slow.received[-1] == "continuous pan 0 tilt 0 zoom 0", timeout=3.0)
        finally:
            await rig.close(stage, pulpit)

    with caplog.at_level(logging.INFO):
        run(main())
    assert "[stage/isapi] camera is not answering" in caplog.text
    assert "[stage/isapi] camera is answering again" in caplog.text
    assert "no answer within 0.3 s" in caplog.text
    assert "[pulpit/isapi] camera is not answering" not in caplog.text


def test_a_timeout_longer_than_the_controller_waits_is_cut(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        rig = Rig()
        sim, stage = await rig.camera("isapi", timeout=5.0, ack_timeout=1.0)
        try:
            transport = stage.transport
            assert isinstance(transport, HttpTransport) and transport.timeout == 0.9
        finally:
            await rig.close(stage)

    with caplog.at_level(logging.WARNING):
        run(main())
    assert "camera 'stage': timeout 5 s is not below ack_timeout 1 s; requests are cut off after 0.9 s" in caplog.text


def test_no_password_in_any_log_line_at_debug(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        rig = Rig()
        digest, stage = await rig.camera("isapi")
        basic, porch = await rig.camera("ipcam-cgi", "porch")
        try:
            stage.set_motion(PanTilt(0.2, 0.0))
            porch.set_motion(PanTilt(0.2, 0.0))
            stage.submit(PresetRecall(1))
            porch.submit(PresetRecall(1))
            await until(lambda: "preset goto 1" in digest.received and "preset move 1" in basic.received)
            digest.expire_nonces()
            stage.submit(Home())
            await until(saw(digest, "home goto"))
            stage.stop()
            porch.stop()
            await until(lambda: stage.idle and porch.idle)
            texts = [repr(stage.transport), repr(porch.transport), repr(digest), repr(basic),
                     repr(stage.transport.auth), str(stage.state)]  # type: ignore[attr-defined]
            for text in texts:
                assert PASSWORD not in text
        finally:
            await rig.close(stage, porch)

    with caplog.at_level(logging.DEBUG):
        run(main())
    assert "/ISAPI/PTZCtrl/channels/1/presets/1/goto" in caplog.text  # the traces are there...
    token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, token):  # ...and no password, plain or Basic-encoded
        assert secret not in caplog.text


# ---------------------------------------------------------------------------- the CGI cameras


def test_ipcam_held_speed_is_repeated_steps_and_letting_go_ends_them() -> None:
    async def main() -> None:
        rig = Rig()
        sim, porch = await rig.camera("ipcam-cgi", "porch")
        try:
            start_pan = sim.state.position["pan"]
            porch.set_motion(PanTilt(0.5, 0.0))
            await until(lambda: sim.received.count("step right 5°") >= 3, what="three steps")
            porch.stop()
            await asyncio.sleep(0.1)
            count = sim.received.count("step right 5°")
            assert sim.state.position["pan"] == start_pan + 5 * count
            await asyncio.sleep(1.0)
            assert sim.received.count("step right 5°") == count  # no step after letting go
            porch.set_motion(PanTilt(0.0, -1.0))
            await until(saw(sim, "step down 10°"))
            porch.stop()
            for command in (PresetStore(3), Home(), PresetRecall(3), CameraAction("swing", "on"),
                            RawCommand("POST /pantiltcontrol.cgi ClearPosition=3")):
                porch.submit(command)
            await until(lambda: porch.idle and "preset clear 3" in sim.received)
            assert sim.received[-5:] == ["preset set 3 'Preset 3'", "home", "preset move 3", "swing on", "preset clear 3"]
            assert porch.state.last_error is None
            transport = porch.transport
            assert isinstance(transport, HttpTransport) and transport.auth is not None
            assert transport.auth.scheme == "basic"
        finally:
            await rig.close(porch)

    run(main())


def test_ptzoptics_every_command() -> None:
    async def main() -> None:
        rig = Rig()
        sim, cam = await rig.camera("ptzoptics-cgi", "cam3")
        try:
            await until(lambda: cam.idle)
            cam.set_motion(PanTilt(-1.0, 1.0))
            await until(saw(sim, "leftup pan 24 tilt 20"))
            cam.set_motion(Zoom(0.5))
            await until(saw(sim, "zoomin 3"))
            cam.set_motion(Focus(-1.0))
            await until(saw(sim, "focusout 7"))
            await asyncio.sleep(0.2)
            assert sim.state.moving
            cam.stop()
            await until(lambda: cam.idle)
            assert not sim.state.moving
            for command in (PresetStore(7), Home(), PresetRecall(7), CameraAction("auto-tracking", "on"),
                            CameraAction("auto-tracking", "off")):
                cam.submit(command)
            await until(lambda: cam.idle and "auto-tracking off" in sim.received)
            assert sim.received[-8:] == ["pan/tilt stop", "zoom stop", "focus stop", "posset 7", "home",
                                         "poscall 7", "auto-tracking on", "auto-tracking off"]
            assert cam.state.last_error is None
        finally:
            await rig.close(cam)

    run(main())


# ---------------------------------------------------------------------------- HTTPS


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.2, as a camera ships with."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "camera.pem", tmp_path / "camera.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=camera",
         "-addext", "subjectAltName=IP:127.0.0.2", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_https_certificates_are_verified(certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def attempt() -> list[str]:
        sim = await start("isapi", host="127.0.0.2", password_env="PTZMAPD_SIM_PW", log=lambda line: None, tls=tls)
        pool = TransportPool(LOG)
        assert sim.where.startswith("https://")
        stage = await make_controller(config(sim, ack_timeout=0.5, timeout=0.4), pool, MonotonicClock(), LOG)
        try:
            stage.submit(Home())
            await until(lambda: "home goto" in sim.received or stage.state.last_error is not None, timeout=5.0)
            return list(sim.received)
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(attempt()) == []  # an unknown certificate: nothing reaches the camera
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text or "certificate verify failed" in caplog.text
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the camera's own certificate, trusted
    assert "home goto" in asyncio.run(attempt())


def test_a_pinned_certificate_is_trusted_and_any_other_refused(certificate: tuple[Path, Path],
                                                                 caplog: pytest.LogCaptureFixture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ptzmapd.transports.http import fingerprint_of

    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    pin = fingerprint_of(ssl.PEM_cert_to_DER_cert(cert.read_text()))

    async def attempt(fingerprint: str) -> list[str]:
        sim = await start("isapi", host="127.0.0.2", password_env="PTZMAPD_SIM_PW", log=lambda line: None, tls=tls)
        pool = TransportPool(LOG)
        stage = await make_controller(config(sim, ack_timeout=0.5, timeout=0.4, tls_fingerprint=fingerprint),
                                      pool, MonotonicClock(), LOG)
        try:
            stage.submit(Home())
            await until(lambda: "home goto" in sim.received, timeout=1.5) if fingerprint == pin else await asyncio.sleep(1.0)
            return list(sim.received)
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    assert "home goto" in asyncio.run(attempt(pin.lower()))  # any case, colons or not
    wrong = "00" * 32
    with caplog.at_level(logging.ERROR):
        assert asyncio.run(attempt(wrong)) == []  # not a single request reaches it
    assert "not the configured tls_fingerprint" in caplog.text and pin in caplog.text
