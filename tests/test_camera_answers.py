"""Answers and state the controller reports (issue 9 items 4, 6, 7, 9, 12, 13).

Per-command outcomes, refusals classified in one place, stops that a permanent refusal does
not let block everything else, a credential hold-off that never holds back a stop, ``send``'s
exit codes against real cameras (simulators and small real servers), unreadable inquiry
answers, one Pelco opening stop, and what "online" means.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ptzmapd.camera import STOP_REFUSED_TRIES, STOP_RETRY, Answer, CameraController, ControllerSettings, Outcome
from ptzmapd.cli import main
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.commands import STOPS, Home, PanTilt, PresetRecall, Zoom, ZoomPositionInquiry
from ptzmapd.config.model import CameraConfig, HttpEndpoint, Mark, SerialLink
from ptzmapd.protocols.isapi.specs import IsapiOptions
from ptzmapd.protocols.spec import Pacing
from ptzmapd.protocols.visca.specs import VISCA_SERIAL, ViscaSerialOptions
from ptzmapd.secrets import Credentials, password_from_env
from ptzmapd.daemon import make_controller
from ptzmapd.protocols.pelco.specs import PELCO_LIMITS
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import ErrorReply
from ptzmapd.protocols.pelco.codec import PelcoDCodec
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.simulators.http import start as start_http
from ptzmapd.transports import TransportPool
from procs import Proc, Simulator
from wire import MemoryWire

SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2, position_poll=0.5)
LOG = logging.getLogger("tests.answers")
PASSWORD = "s3cret-Pa55-word"


def visca(settings: ControllerSettings = SETTINGS, connected: bool = True) -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock, connected=connected)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock, settings, LOG)
    controller.start()
    if connected:
        wire.settle(controller)
    return controller, wire, clock


# ----------------------------------------------------------------------------- item 4


@pytest.mark.parametrize(
    ("refusal", "permanent"),
    [
        (ErrorReply(None, "syntax"), True),
        (ErrorReply(None, "not-executable", socket=1), True),
        (ErrorReply(None, "message-length"), True),
        (ErrorReply(None, "buffer-full"), False),
        (ErrorReply(None, "cancelled", socket=1), False),
        (ErrorReply(None, "sequence"), False),
        (ErrorReply(None, "http-400", http_status=400), True),
        (ErrorReply(None, "http-401", http_status=401), True),
        (ErrorReply(None, "http-403", http_status=403), True),
        (ErrorReply(None, "http-404", http_status=404), True),
        (ErrorReply(None, "http-408", http_status=408), False),
        (ErrorReply(None, "http-429", http_status=429), False),
        (ErrorReply(None, "http-500", http_status=500), False),
        (ErrorReply(None, "http-503", http_status=503), False),
        (ErrorReply(None, "isapi-invalidChannel", http_status=403, status_code=4), True),
        (ErrorReply(None, "isapi-invalidOperation", http_status=200, status_code=4), True),
        (ErrorReply(None, "isapi-badXmlContent", http_status=400, status_code=6), True),
        (ErrorReply(None, "isapi-deviceBusy", http_status=200, status_code=2), False),
        (ErrorReply(None, "isapi-deviceBusy", http_status=503, status_code=4), False),
        (ErrorReply(None, "isapi-rebootRequired", http_status=200, status_code=7), False),
    ],
    ids=lambda value: value.kind if isinstance(value, ErrorReply) else str(value),
)
def test_every_refusal_is_classified_in_one_place(refusal: ErrorReply, permanent: bool) -> None:
    assert refusal.permanent is permanent


def test_a_stop_refused_for_good_lets_the_users_preset_go_on_isapi_wrong_channel(caplog: pytest.LogCaptureFixture) -> None:
    """ISAPI camera configured with channel 2: every PTZ request is 403 invalidChannel."""

    async def body() -> None:
        sim = await start_http("isapi", host="127.0.0.2", log=lambda line: None, auth="none")
        pool = TransportPool(LOG)
        camera = CameraConfig("stage", "isapi", Mark("studio.yaml", 1, 1), link=HttpEndpoint(sim.where, timeout=0.5),
                              pacing=Pacing(min_interval=0.05, ack_timeout=1.0), options=IsapiOptions(channel=2))
        stage = await make_controller(camera, pool, MonotonicClock(), LOG)
        try:
            deadline = time.monotonic() + 8
            while stage.state.stop_refused is None or not stage.idle:
                assert time.monotonic() < deadline, "the stop was never given up"
                await asyncio.sleep(0.02)
            assert "invalidChannel" in stage.state.stop_refused
            stops = sim.requests
            assert stops == STOP_REFUSED_TRIES  # pan/tilt's tries; zoom's stop given up with it
            preset = stage.submit(PresetRecall(2))
            while not preset.done:
                assert time.monotonic() < deadline, "the preset never went out"
                await asyncio.sleep(0.02)
            assert preset.answer is Answer.REFUSED and "invalidChannel" in preset.message
            await asyncio.sleep(1.2)
            assert sim.requests == stops + 1  # the preset, and no stop sent forever
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        asyncio.run(body())
    assert f"stop refused {STOP_REFUSED_TRIES} times" in caplog.text


# ----------------------------------------------------------------------------- item 6


def test_a_401_never_holds_back_a_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_SIM_PW", PASSWORD)

    async def body() -> None:
        sim = await start_http("isapi", host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW")
        pool = TransportPool(LOG)
        credentials = Credentials("admin", password_from_env("PTZMAPD_TEST_PW"))
        camera = CameraConfig("stage", "isapi", Mark("studio.yaml", 1, 1),
                              link=HttpEndpoint(sim.where, credentials, timeout=1.0),
                              pacing=Pacing(min_interval=0.05, ack_timeout=1.5), options=IsapiOptions())
        stage = await make_controller(camera, pool, MonotonicClock(), LOG)
        try:
            deadline = time.monotonic() + 10
            while not stage.idle or not stage.state.online:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            moved = stage.set_motion(PanTilt(0.5, 0.0))
            while not moved.done:
                await asyncio.sleep(0.02)
            sim.fail_status, sim.fail_count = 401, 1  # one transient 401 (a password briefly changed)
            faster = stage.set_motion(PanTilt(1.0, 0.0))
            while not faster.done:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            assert faster.answer is Answer.REFUSED and "http-401" in faster.message
            # Before the release nothing else goes: the hold-off is on (30 s by default).
            await asyncio.sleep(0.3)
            assert sim.received[-1] == "continuous pan 50 tilt 0 zoom 0"
            home = stage.submit(Home())
            stop = stage.stop()
            while not stop.done:
                assert time.monotonic() < deadline, "the stop was held back"
                await asyncio.sleep(0.02)
            assert stop.answer is Answer.ACKNOWLEDGED and not sim.state.moving
            # The stop, taken with the same credentials, shows the 401 has passed: the rest goes.
            while not home.done:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            assert sim.received[-2:] == ["continuous pan 0 tilt 0 zoom 0", "home goto"]
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    asyncio.run(body())


# ----------------------------------------------------------------------------- item 7


def test_outcomes_say_what_became_of_each_command() -> None:
    controller, wire, clock = visca()
    first = controller.set_motion(PanTilt(0.5, 0.0))
    second = controller.set_motion(PanTilt(0.2, 0.0))  # before the first was answered
    wire.answer("90 41 FF")
    assert first.answer is Answer.ACKNOWLEDGED  # the bytes on the wire were the first's
    third = controller.set_motion(PanTilt(0.9, 0.0))  # the second never reached the wire
    assert second.answer is Answer.SUPERSEDED and third.answer is Answer.PENDING
    clock.advance(SETTINGS.min_interval)
    wire.answer("90 42 FF")
    assert third.answer is Answer.ACKNOWLEDGED
    again = controller.set_motion(PanTilt(0.9, 0.0))
    assert again.answer is Answer.ACKNOWLEDGED and again.message == "unchanged"
    seen: list[Outcome] = []
    stop = controller.stop()
    stop.on_done(seen.append)
    clock.advance(SETTINGS.min_interval)
    assert not stop.done
    wire.answer("90 41 FF")
    assert stop.answer is Answer.ACKNOWLEDGED and seen == [stop]


def test_outcome_gather_reports_the_worst_answer() -> None:
    parts = [Outcome(STOPS[slot]) for slot in STOPS]
    whole = Outcome.gather(STOPS["pantilt"], parts)
    parts[0].resolve(Answer.ACKNOWLEDGED)
    parts[1].resolve(Answer.UNSENDABLE, "no zoom")
    assert not whole.done
    parts[2].resolve(Answer.REFUSED, "camera refused")
    assert whole.answer is Answer.REFUSED and whole.message == "camera refused"


@pytest.fixture
def visca_udp() -> Iterator[Simulator]:
    sim = Simulator("visca-udp")
    yield sim
    sim.stop()


def test_send_reports_a_visca_syntax_error_as_refused(visca_udp: Simulator, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(f"cameras:\n  cam:\n    protocol: visca-udp\n    host: 127.0.0.2\n    port: {visca_udp.port}\n")
    assert main(["-q", "send", "-c", str(config), "cam", "raw", "81 01 7E 01 02 FF"]) == 3
    err = capsys.readouterr().err
    assert "refused by the camera" in err and "syntax (90 60 02 FF)" in err


class _FixedAnswer(BaseHTTPRequestHandler):
    """A camera (or a server in its place) that answers every request the same way."""

    status = 200
    body = b""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(status: int, body: bytes) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_FixedAnswer,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.2:{server.server_address[1]}"


PSIA_INVALID_OPERATION = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="1.0" xmlns="urn:psialliance-org">'
    b"<requestURL>/ISAPI/PTZCtrl/channels/1/presets/3/goto</requestURL><statusCode>4</statusCode>"
    b"<statusString>Invalid Operation</statusString><subStatusCode>invalidOperation</subStatusCode></ResponseStatus>"
)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, PSIA_INVALID_OPERATION, "invalidOperation"),  # older firmware: a 200 carrying an error
        (404, b"404 Not Found\n", "http-404"),  # a server that is not a camera's API
        (403, b"forbidden\n", "http-403"),
    ],
    ids=["isapi-200-statusCode-4", "http-404", "http-403"],
)
def test_send_reports_an_http_refusal_as_refused(status: int, body: bytes, said: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    server, url = serve(status, body)
    try:
        config = tmp_path / "studio.yaml"
        config.write_text(f"cameras:\n  cam:\n    protocol: isapi\n    url: {url}\n")
        assert main(["-q", "send", "-c", str(config), "cam", "preset", "3"]) == 3
        err = capsys.readouterr().err
        assert "refused by the camera" in err and said in err
    finally:
        server.shutdown()
        server.server_close()


def test_send_to_the_wrong_isapi_channel_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim = Proc("simulate", "isapi", "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_TEST_PW",
               env={"PTZMAPD_TEST_PW": PASSWORD})
    try:
        url = sim.wait_for(r"on (http://\S+)").group(1)
        config = tmp_path / "studio.yaml"
        config.write_text(f"cameras:\n  cam:\n    protocol: isapi\n    url: {url}\n    channel: 2\n"
                          f"    username: admin\n    password_env: PTZMAPD_TEST_PW\n")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PTZMAPD_TEST_PW", PASSWORD)
            assert main(["-q", "send", "-c", str(config), "cam", "preset", "3"]) == 3
        err = capsys.readouterr().err
        assert "refused by the camera" in err and "invalidChannel" in err
    finally:
        sim.stop()


def test_send_over_visca_serial_waits_for_its_own_answer_when_if_clear_is_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = Proc("simulate", "visca-serial", "--cameras", "2", "--quirk", "if-clear-silent")
    try:
        device = sim.wait_for(r"on (/dev/pts/\d+)").group(1)
        config = tmp_path / "chain.yaml"
        config.write_text(f"cameras:\n  dome:\n    protocol: visca-serial\n    device: {device}\n    address: 2\n")
        for preset in range(1, 5):
            assert main(["-q", "send", "-c", str(config), "dome", "preset", str(preset)]) == 0, capsys.readouterr().err
            sim.wait_for(rf"\[visca-serial #2\] preset recall {preset}$")
            assert f"dome: preset {preset}: acknowledged" in capsys.readouterr().out
    finally:
        sim.stop()


# ----------------------------------------------------------------------------- item 9


def test_an_unreadable_inquiry_answer_keeps_the_camera_online_and_its_commands_moving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller, wire, clock = visca()
    controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        for _ in range(5):
            asked = len(wire.sent)
            while len(wire.sent) == asked:
                clock.advance(0.01)
            inquiry = wire.frames[-1]
            assert inquiry in ("81 09 06 12 FF", "81 09 04 47 FF"), wire.frames
            assert controller.awaiting is not None
            wire.answer("90 50 01 02 03 FF")  # a shape the codec cannot read
            assert controller.awaiting is None  # given up for this cycle, at once
            assert controller.state.online
        preset = controller.submit(PresetRecall(3))
        clock.advance(SETTINGS.min_interval)  # pacing only: not delayed by the inquiry
        assert wire.frames[-1] == "81 01 04 3F 02 03 FF"
        wire.answer("90 42 FF")
        assert preset.answer is Answer.ACKNOWLEDGED
    unreadable = [record for record in caplog.records if "could not read the camera's answer" in record.getMessage()]
    assert len(unreadable) == 1  # rate-limited
    assert controller.state.retransmissions == 0


def test_an_unanswered_inquiry_is_not_repeated() -> None:
    controller, wire, clock = visca()
    controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    asked = len(wire.sent)
    while len(wire.sent) == asked:
        clock.advance(0.01)
    inquiry = wire.frames[-1]
    clock.advance(SETTINGS.ack_timeout + 0.01)
    assert inquiry.startswith("81 09") and wire.frames.count(inquiry) == 1
    assert ZoomPositionInquiry().inquiry


# ----------------------------------------------------------------------------- item 12


def pelco() -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock)
    settings = ControllerSettings(min_interval=0.05, ack_timeout=0.0, stop_repeats=2, refresh=1.0)
    controller = CameraController("dome", PelcoDCodec(PELCO_LIMITS, address=1), wire, clock, settings)
    controller.start()
    return controller, wire, clock


def test_a_pelco_stop_while_zoom_also_moves_still_stops_every_axis() -> None:
    controller, wire, clock = pelco()
    clock.advance(1.0)
    controller.set_motion(PanTilt(-0.5, 0.0))
    clock.advance(0.1)
    controller.set_motion(Zoom(1.0))
    clock.advance(0.1)
    wire.sent.clear()
    stop = controller.stop()
    clock.advance(1.0)
    assert wire.frames[0] != "FF 01 00 00 00 00 01"  # the pan stop still carries the zoom...
    assert wire.frames[-3:] == ["FF 01 00 00 00 00 01"] * 3  # ...then one all-stop and its repeats
    assert stop.answer is Answer.SENT


# ----------------------------------------------------------------------------- item 13


def test_a_camera_is_online_only_once_it_answers() -> None:
    changes: list[bool] = []
    clock = FakeClock()
    wire = MemoryWire(clock, connected=False)  # a TCP camera that cannot connect
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.on_online = lambda name, online: changes.append(online)
    controller.start()
    clock.advance(5.0)
    assert not controller.state.online
    wire.plug(True)
    assert not controller.state.online  # connected is not answering
    wire.answer_awaiting(controller)
    assert controller.state.online and changes == [True]
    wire.plug(False)  # the connection drops (or the serial device is gone)
    assert not controller.state.online and changes == [True, False]


def test_a_one_way_camera_is_online_while_its_wire_is_open() -> None:
    controller, wire, clock = pelco()
    assert controller.state.online
    wire.plug(False)  # the USB RS-485 adapter pulled
    assert not controller.state.online
    wire.plug(True)
    assert controller.state.online


def test_a_serial_camera_whose_device_is_gone_is_offline(tmp_path: Path) -> None:
    async def body() -> None:
        from ptzmapd.simulators.serial import start as start_serial

        sim = await start_serial("visca-serial", log=lambda line: None)
        pool = TransportPool(LOG)
        camera = CameraConfig("dome", "visca-serial", Mark("studio.yaml", 1, 1), link=SerialLink(sim.where, 9600),
                              pacing=VISCA_SERIAL.pacing, options=ViscaSerialOptions(address=1))
        dome = await make_controller(camera, pool, MonotonicClock(), LOG)
        try:
            deadline = time.monotonic() + 5
            while not dome.state.online:
                assert time.monotonic() < deadline, "the camera never answered"
                await asyncio.sleep(0.02)
            await sim.close()  # the device is gone
            while dome.state.online:
                assert time.monotonic() < deadline + 5, "a vanished device still shows online"
                await asyncio.sleep(0.02)
        finally:
            dome.close()
            await pool.close()

    asyncio.run(body())


def test_the_select_pad_leds_learn_of_a_camera_that_never_answered() -> None:
    from ptzmapd.mapping.observers import PipelineObserver
    from ptzmapd.pipeline import Pipeline

    class Lights(PipelineObserver):
        def __init__(self) -> None:
            self.changes: list[tuple[str, bool]] = []

        def camera_online(self, camera: str, online: bool) -> None:
            self.changes.append((camera, online))

    clock = FakeClock()
    wires = {"stage": MemoryWire(clock), "gate": MemoryWire(clock, connected=False)}  # gate cannot connect
    controllers = {name: CameraController(name, ViscaCodec(VISCA_LIMITS), wire, clock, SETTINGS, LOG)
                   for name, wire in wires.items()}
    for name, controller in controllers.items():
        controller.start()
    wires["stage"].settle(controllers["stage"])
    pipeline = Pipeline([], controllers, clock=clock)
    lights = Lights()
    pipeline.observe(lights)
    assert lights.changes == [("gate", False)]
    wires["gate"].plug(True)
    wires["gate"].answer_awaiting(controllers["gate"])
    assert lights.changes == [("gate", False), ("gate", True)]


def test_status_shows_a_refused_stop() -> None:
    from ptzmapd.status import render

    camera = {"speeds": {}, "pan_tilt_position": None, "zoom_position": None, "selected": True, "protocol": "isapi",
              "online": True, "commands_per_second": 0.0, "last_error": None,
              "stop_refused": "camera refused 'continuous pan 0 tilt 0 zoom 0': isapi-invalidChannel"}
    text = render({"config": "studio.yaml", "cameras": {"stage": camera}, "inputs": {}})
    assert "STOP REFUSED: camera refused 'continuous pan 0 tilt 0 zoom 0': isapi-invalidChannel" in text


def test_an_inquiry_answered_with_garbage_never_makes_the_camera_offline() -> None:
    controller, wire, clock = visca()
    controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    for _ in range(10):  # a steady pan: only the position polls go out
        asked = len(wire.sent)
        while len(wire.sent) == asked:
            clock.advance(0.01)
        assert wire.frames[-1].startswith("81 09")
        wire.answer("90 50 " + "01 " * 20 + "FF")  # longer than any VISCA frame: garbage
    assert controller.state.online and controller.state.garbage_replies >= 10


def test_asking_again_for_a_stop_refused_for_good_is_refused_not_acknowledged() -> None:
    controller, wire, clock = visca(ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2))
    controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    clock.advance(SETTINGS.min_interval)
    stop = controller.stop()
    for _ in range(STOP_REFUSED_TRIES):
        wire.answer("90 60 02 FF")  # syntax error: refused for good
        clock.advance(STOP_RETRY)  # sent again after this long (until given up)
    assert stop.answer is Answer.REFUSED and controller.state.stop_refused is not None
    again = controller.stop()
    assert again.answer is Answer.REFUSED and "syntax" in again.message
    moved = controller.set_motion(PanTilt(0.2, 0.0))  # the next move, then the next stop: sent
    wire.answer("90 41 FF")
    assert moved.answer is Answer.ACKNOWLEDGED
    clock.advance(SETTINGS.min_interval)
    final = controller.stop()
    wire.answer("90 41 FF")
    assert final.answer is Answer.ACKNOWLEDGED and controller.state.stop_refused is None


def test_a_position_poll_in_flight_never_holds_back_a_stop() -> None:
    controller, wire, clock = visca()
    controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    asked = len(wire.sent)
    while len(wire.sent) == asked:
        clock.advance(0.01)
    assert wire.frames[-1].startswith("81 09") and controller.awaiting is not None  # a camera slow to answer it
    stop = controller.stop()
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == "81 01 06 01 01 01 03 03 FF"  # at once, not after the ack timeout
    wire.answer("90 50 00 00 00 00 FF")  # the poll's late answer: not the stop's
    assert stop.answer is Answer.PENDING
    wire.answer("90 41 FF")
    assert stop.answer is Answer.ACKNOWLEDGED
