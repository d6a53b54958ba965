"""The CGI cameras: IPCam CGI step moves (and held speeds as repeated steps) and PTZOptics ptzctrl.cgi."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.camera import CameraController, ControllerSettings
from ptzmapd.clock import FakeClock
from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PanTiltPositionInquiry,
    PresetRecall,
    PresetClear,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.ipcam_cgi.specs import IPCAM_LIMITS
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import Ack, ErrorReply, SpeedLimits
from ptzmapd.protocols.http import HttpRequest
from ptzmapd.protocols.ipcam_cgi.codec import IpcamCgiCodec
from ptzmapd.protocols.ptzoptics_cgi.codec import PtzopticsCgiCodec
from wire import MemoryWire

# ---------------------------------------------------------------------------- IPCam CGI


def form(codec: IpcamCgiCodec, command: Command) -> list[tuple[str, str]]:
    request = HttpRequest.from_bytes(codec.encode(command).data)
    assert (request.method, request.target) == ("POST", "/pantiltcontrol.cgi")
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    return parse_qsl(request.body.decode())


def step(degrees: int, move: int) -> list[tuple[str, str]]:
    return [("PanSingleMoveDegree", str(degrees)), ("TiltSingleMoveDegree", str(degrees)), ("PanTiltSingleMove", str(move))]


IPCAM_GOLDEN: list[tuple[Command, list[tuple[str, str]]]] = [
    (PanTilt(1.0, 0.0), step(10, 5)),
    (PanTilt(-0.5, 0.0), step(5, 3)),
    (PanTilt(0.0, 0.3), step(3, 1)),
    (PanTilt(0.0, -0.01), step(1, 7)),
    (Home(), [("PanTiltSingleMove", "4")]),
    (PresetRecall(1), [("PanTiltPresetPositionMove", "1")]),
    (PresetRecall(24), [("PanTiltPresetPositionMove", "24")]),
    (PresetStore(7), [("SetPosition", "7"), ("SetName", "Preset 7")]),
    (CameraAction("swing", "on"), [("PanTiltSwingMode", "2")]),
    (CameraAction("swing", "off"), [("PanTiltSwingMode", "0")]),
    (PresetClear(3), [("ClearPosition", "3")]),
    (MoveTo(pan=170.0, tilt=45.4), [("PanTiltHorizontal", "170"), ("PanTiltVertical", "45"), ("PanTiltPositionMove", "true")]),
    (MoveTo(pan=340.0, tilt=0.0), [("PanTiltHorizontal", "340"), ("PanTiltVertical", "0"), ("PanTiltPositionMove", "true")]),
    (RawCommand("POST /pantiltcontrol.cgi ClearPosition=3"), [("ClearPosition", "3")]),
]


@pytest.mark.parametrize("command, expected", IPCAM_GOLDEN, ids=[repr(c) for c, _ in IPCAM_GOLDEN])
def test_ipcam_golden_requests(command: Command, expected: list[tuple[str, str]]) -> None:
    assert form(IpcamCgiCodec(IPCAM_LIMITS), command) == expected


def test_ipcam_exact_bytes_of_a_step() -> None:
    assert IpcamCgiCodec(IPCAM_LIMITS).encode(PanTilt(0.5, 0.0)).data == (
        b"POST /pantiltcontrol.cgi HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        b"PanSingleMoveDegree=5&TiltSingleMoveDegree=5&PanTiltSingleMove=5"
    )


def test_ipcam_stop_puts_nothing_on_the_wire() -> None:
    outgoing = IpcamCgiCodec(IPCAM_LIMITS).encode(PanTilt(0.0, 0.0))
    assert outgoing.data == b"" and not outgoing.expects_reply


def test_ipcam_diagonals_alternate_the_axes() -> None:
    # The spec reserves the diagonal codes: a diagonal is a pan step, then a tilt step.
    codec = IpcamCgiCodec(IPCAM_LIMITS)
    moves = [dict(form(codec, PanTilt(0.4, 0.9)))["PanTiltSingleMove"] for _ in range(4)]
    assert moves == ["5", "1", "5", "1"]
    assert form(codec, PanTilt(-0.2, -0.9)) == step(2, 3)
    assert form(codec, PanTilt(-0.2, -0.9)) == step(9, 7)


def test_ipcam_key_is_the_direction_only() -> None:
    codec = IpcamCgiCodec(IPCAM_LIMITS)
    assert codec.key(PanTilt(0.2, 0)) == codec.key(PanTilt(0.9, 0)) == b"step right"
    assert codec.key(PanTilt(-0.2, 0.5)) == b"step up-left"
    assert codec.key(PanTilt(0, 0)) == b"step stop"


def test_ipcam_max_speed_caps_the_step() -> None:
    assert form(IpcamCgiCodec(SpeedLimits(pan=4, tilt=10, zoom=0, focus=0)), PanTilt(1.0, 0.0)) == step(4, 5)


@pytest.mark.parametrize("command, message", [
    (Zoom(0.5), "cannot send Zoom"),
    (Focus(0.5), "cannot send Focus"),
    (PanTiltPositionInquiry(), "cannot send PanTiltPositionInquiry"),
    (Autofocus("on"), "cannot send Autofocus"),
    (PresetRecall(0), r"presets are 1\.\.24, got 0"),
    (PresetStore(25), r"presets are 1\.\.24, got 25"),
    (CameraAction("light", "on"), r"no action 'light' \(valid: swing\)"),
    (PresetClear(0), r"presets are 1\.\.24, got 0"),
    (MoveTo(pan=10.0), "needs both pan and tilt"),
    (MoveTo(pan=10.0, tilt=10.0, zoom=5.0), "no zoom"),
    (MoveTo(pan=341.0, tilt=10.0), r"pan position must be 0\.\.340"),
    (MoveTo(pan=10.0, tilt=136.0), r"tilt position must be 0\.\.135"),
    (Jog(pan=1.0), "cannot send Jog"),
])
def test_ipcam_refuses_what_it_cannot_do(command: Command, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        IpcamCgiCodec(IPCAM_LIMITS).encode(command)


def test_ipcam_no_content_is_an_ack() -> None:
    codec = IpcamCgiCodec(IPCAM_LIMITS)
    assert codec.receive(b"HTTP/1.0 204 No Content\r\n\r\n") == [Ack(None)]
    [reply] = codec.receive(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    assert isinstance(reply, ErrorReply) and reply.kind == "http-400"


def test_ipcam_describe() -> None:
    codec = IpcamCgiCodec(IPCAM_LIMITS)
    assert codec.describe(codec.encode(PanTilt(0.0, 0.3)).data) == "step up 3°"
    assert codec.describe(codec.encode(PresetStore(7)).data) == "preset set 7 'Preset 7'"
    assert codec.describe(codec.encode(CameraAction("swing", "on")).data) == "swing on"
    assert codec.describe(b"") == "nothing (steps end by themselves)"


def ipcam_controller() -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock)
    spec = PROTOCOLS["ipcam-cgi"]
    settings = ControllerSettings(min_interval=spec.pacing.min_interval, ack_timeout=spec.pacing.ack_timeout,
                                  refresh=spec.pacing.refresh)
    controller = CameraController("porch", IpcamCgiCodec(IPCAM_LIMITS), wire, clock, settings)
    controller.start()
    clock.advance(0.2)
    wire.sent.clear()
    return controller, wire, clock


def answer_all(controller: CameraController, wire: MemoryWire, clock: FakeClock, seconds: float, tick: float = 0.01) -> None:
    """Run for ``seconds``, the camera answering every request with 204 at once."""
    for _ in range(round(seconds / tick)):
        if controller.awaiting is not None:
            wire._deliver(b"HTTP/1.1 204 No Content\r\n\r\n")
        clock.advance(tick)


def steps(wire: MemoryWire) -> list[str]:
    return [dict(parse_qsl(HttpRequest.from_bytes(data).body.decode())).get("PanSingleMoveDegree", "")
            for _, data in wire.sent if data]


def test_a_held_speed_is_a_step_every_refresh_sized_by_the_speed() -> None:
    controller, wire, clock = ipcam_controller()
    controller.set_motion(PanTilt(0.3, 0.0))
    answer_all(controller, wire, clock, 2.05)
    assert steps(wire) == ["3"] * 5  # at once, then every 0.5 s
    times = [t for t, data in wire.sent if data]
    assert [round(b - a, 2) for a, b in zip(times, times[1:])] == [0.5] * 4
    wire.sent.clear()
    # A faster hand in the same direction: no extra step, the next repeat is bigger.
    controller.set_motion(PanTilt(1.0, 0.0))
    answer_all(controller, wire, clock, 0.3)
    assert steps(wire) == []
    answer_all(controller, wire, clock, 0.5)
    assert steps(wire) == ["10"]


def test_letting_go_ends_the_steps_and_sends_nothing() -> None:
    controller, wire, clock = ipcam_controller()
    controller.set_motion(PanTilt(-0.5, 0.0))
    answer_all(controller, wire, clock, 0.7)
    assert len(steps(wire)) == 2
    wire.sent.clear()
    controller.stop()
    answer_all(controller, wire, clock, 3.0)
    assert [data for _, data in wire.sent] == [b""]  # the stop: nothing for the HTTP transport to send
    assert controller.idle


def test_a_zoom_held_on_a_camera_without_zoom_is_not_a_busy_loop() -> None:
    controller, wire, clock = ipcam_controller()
    services = 0
    original = controller._service

    def counting() -> None:
        nonlocal services
        services += 1
        original()

    controller._service = counting  # type: ignore[method-assign]
    controller.set_motion(Zoom(0.5))
    clock.advance(2.0)
    assert services < 10 and wire.sent == []


# ---------------------------------------------------------------------------- PTZOptics CGI

CGI = "/cgi-bin/ptzctrl.cgi?"

PTZOPTICS_GOLDEN: list[tuple[Command, str]] = [
    (PanTilt(1.0, 0.0), "ptzcmd&right&24&1"),
    (PanTilt(-0.5, 0.0), "ptzcmd&left&12&1"),
    (PanTilt(0.0, 1.0), "ptzcmd&up&1&20"),
    (PanTilt(0.0, -0.5), "ptzcmd&down&1&10"),
    (PanTilt(-1.0, 1.0), "ptzcmd&leftup&24&20"),
    (PanTilt(1.0, 1.0), "ptzcmd&rightup&24&20"),
    (PanTilt(-0.25, -0.25), "ptzcmd&leftdown&6&5"),
    (PanTilt(0.25, -1.0), "ptzcmd&rightdown&6&20"),
    (PanTilt(0.0, 0.0), "ptzcmd&ptzstop&0&0"),
    (Zoom(1.0), "ptzcmd&zoomin&7"),
    (Zoom(-0.1), "ptzcmd&zoomout&0"),
    (Zoom(0.0), "ptzcmd&zoomstop&0"),
    (Focus(0.5), "ptzcmd&focusin&3"),
    (Focus(-1.0), "ptzcmd&focusout&7"),
    (Focus(0.0), "ptzcmd&focusstop&0"),
    (PresetRecall(0), "ptzcmd&poscall&0"),
    (PresetRecall(89), "ptzcmd&poscall&89"),
    (PresetStore(100), "ptzcmd&posset&100"),
    (PresetStore(254), "ptzcmd&posset&254"),
    (Home(), "ptzcmd&home"),
    (CameraAction("auto-tracking", "on"), "post_image_value&autotrack&2"),
    (CameraAction("auto-tracking", "off"), "post_image_value&autotrack&3"),
]


@pytest.mark.parametrize("command, query", PTZOPTICS_GOLDEN, ids=[repr(c) for c, _ in PTZOPTICS_GOLDEN])
def test_ptzoptics_golden_requests(command: Command, query: str) -> None:
    codec = PtzopticsCgiCodec(VISCA_LIMITS)
    assert codec.encode(command).data == f"GET {CGI}{query} HTTP/1.1\r\n\r\n".encode()
    assert codec.describe(codec.encode(command).data) != f"GET {CGI}{query}"  # read back as words


def test_ptzoptics_raw_and_describe() -> None:
    codec = PtzopticsCgiCodec(VISCA_LIMITS)
    raw = codec.encode(RawCommand("GET /cgi-bin/param.cgi?post_image_value&flip&1")).data
    assert raw == b"GET /cgi-bin/param.cgi?post_image_value&flip&1 HTTP/1.1\r\n\r\n"
    assert codec.describe(raw) == "GET /cgi-bin/param.cgi?post_image_value&flip&1"
    assert codec.describe(codec.encode(PanTilt(-1.0, 1.0)).data) == "leftup pan 24 tilt 20"
    assert codec.describe(codec.encode(Focus(0.0)).data) == "focus stop"


@pytest.mark.parametrize("number", [90, 95, 99, 255, -1])
def test_ptzoptics_presets_90_to_99_are_camera_functions(number: int) -> None:
    with pytest.raises(ProtocolError, match=r"0\.\.89 and 100\.\.254"):
        PtzopticsCgiCodec(VISCA_LIMITS).encode(PresetRecall(number))


def test_ptzoptics_refuses_what_it_cannot_do() -> None:
    codec = PtzopticsCgiCodec(VISCA_LIMITS)
    for command in (Autofocus("on"), PanTiltPositionInquiry(), CameraAction("light", "on")):
        with pytest.raises(ProtocolError):
            codec.encode(command)


def test_every_declared_cgi_capability_is_encoded() -> None:
    for name, codec, examples in (
        ("ptzoptics-cgi", PtzopticsCgiCodec(VISCA_LIMITS), {"zoom": Zoom(1), "focus": Focus(1)}),
        ("ipcam-cgi", IpcamCgiCodec(IPCAM_LIMITS), {}),
    ):
        common: dict[str, Command] = {"pan": PanTilt(1, 0), "tilt": PanTilt(0, 1), "stop": PanTilt(0, 0),
                                      "home": Home(), "preset": PresetRecall(1), "raw http": RawCommand("GET /x"),
                                      "preset clear": PresetClear(1), "move-to": MoveTo(pan=1.0, tilt=1.0)}
        for capability in PROTOCOLS[name].capabilities:
            action, _, mode = capability.partition(" ")
            codec.encode({**common, **examples}.get(capability) or CameraAction(action, mode or "on"))


@given(st.binary(max_size=300))
def test_cgi_receive_never_raises(data: bytes) -> None:
    IpcamCgiCodec(IPCAM_LIMITS).receive(data)
    PtzopticsCgiCodec(VISCA_LIMITS).receive(data)


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
def test_cgi_speeds_encode_or_refuse_cleanly(pan: float, tilt: float) -> None:
    for codec in (IpcamCgiCodec(IPCAM_LIMITS), PtzopticsCgiCodec(VISCA_LIMITS)):
        try:
            codec.encode(PanTilt(pan, tilt))
        except ProtocolError:
            pass
