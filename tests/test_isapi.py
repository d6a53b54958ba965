"""Hikvision ISAPI codec: golden requests from the spec, replies, and the combined continuous slots."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.vocabulary import can
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.isapi.specs import ISAPI_LIMITS
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, InquiryAnswer, SpeedLimits, UnreadableAnswer
from ptzmapd.protocols.http import HttpRequest, HttpResponse, ResponseStatus
from ptzmapd.protocols.isapi.codec import IsapiCodec, read_request, status_xml

CH1 = "/ISAPI/PTZCtrl/channels/1"


def sent(codec: IsapiCodec, command: Command) -> tuple[str, str, str]:
    outgoing = codec.encode(command)
    assert outgoing.expects_reply and outgoing.token is None
    request = HttpRequest.from_bytes(outgoing.data)
    if request.body:
        assert request.header("Content-Type") == "application/xml"
    return request.method, request.target, request.body.decode()


def ptz(pan: int, tilt: int, zoom: int) -> str:
    return f"<PTZData><pan>{pan}</pan><tilt>{tilt}</tilt><zoom>{zoom}</zoom></PTZData>"


GOLDEN: list[tuple[Command, tuple[str, str, str]]] = [
    (PanTilt(1.0, 0.0), ("PUT", f"{CH1}/continuous", ptz(100, 0, 0))),
    (PanTilt(-0.5, 0.25), ("PUT", f"{CH1}/continuous", ptz(-50, 25, 0))),
    (PanTilt(0.0, -1.0), ("PUT", f"{CH1}/continuous", ptz(0, -100, 0))),
    (PanTilt(0.001, 0.0), ("PUT", f"{CH1}/continuous", ptz(1, 0, 0))),  # any deflection moves
    (PanTilt(0.0, 0.0), ("PUT", f"{CH1}/continuous", ptz(0, 0, 0))),  # stop: explicit zeros
    (Zoom(1.0), ("PUT", f"{CH1}/continuous", ptz(0, 0, 100))),
    (Zoom(-0.3), ("PUT", f"{CH1}/continuous", ptz(0, 0, -30))),
    (Home(), ("PUT", f"{CH1}/homeposition/goto", "")),
    (PresetRecall(3), ("PUT", f"{CH1}/presets/3/goto", "")),
    (PresetStore(12), ("PUT", f"{CH1}/presets/12",
                       "<PTZPreset><enabled>true</enabled><id>12</id><presetName>Preset 12</presetName></PTZPreset>")),
    (PresetClear(12), ("DELETE", f"{CH1}/presets/12", "")),
    # Absolute positions in tenths (ERRATA); only the axes asked for go on the wire.
    (MoveTo(pan=90.0, tilt=-12.5, zoom=30.0), ("PUT", f"{CH1}/absolute",
     "<PTZData><AbsoluteHigh><elevation>-125</elevation><azimuth>900</azimuth>"
     "<absoluteZoom>300</absoluteZoom></AbsoluteHigh></PTZData>")),
    (MoveTo(pan=359.9), ("PUT", f"{CH1}/absolute", "<PTZData><AbsoluteHigh><azimuth>3599</azimuth></AbsoluteHigh></PTZData>")),
    (MoveTo(zoom=0.0), ("PUT", f"{CH1}/absolute", "<PTZData><AbsoluteHigh><absoluteZoom>0</absoluteZoom></AbsoluteHigh></PTZData>")),
    # Momentary: the camera stops by itself after the duration (milliseconds).
    (Jog(pan=0.5, seconds=0.3), ("PUT", f"{CH1}/momentary",
     "<PTZData><pan>50</pan><tilt>0</tilt><zoom>0</zoom><Momentary><duration>300</duration></Momentary></PTZData>")),
    (Jog(tilt=-1.0, zoom=0.2, seconds=2.0), ("PUT", f"{CH1}/momentary",
     "<PTZData><pan>0</pan><tilt>-100</tilt><zoom>20</zoom><Momentary><duration>2000</duration></Momentary></PTZData>")),
    (Autofocus("one-push"), ("PUT", f"{CH1}/onepushfoucs/start", "")),
    (CameraAction("light", "on"), ("PUT", f"{CH1}/auxcontrols/1",
                                   "<PTZAux><id>1</id><type>LIGHT</type><status>on</status></PTZAux>")),
    (CameraAction("light", "off"), ("PUT", f"{CH1}/auxcontrols/1",
                                    "<PTZAux><id>1</id><type>LIGHT</type><status>off</status></PTZAux>")),
    (CameraAction("wiper", "on"), ("PUT", f"{CH1}/auxcontrols/1",
                                   "<PTZAux><id>1</id><type>WIPER</type><status>on</status></PTZAux>")),
    (PanTiltPositionInquiry(), ("GET", f"{CH1}/status", "")),
    (ZoomPositionInquiry(), ("GET", f"{CH1}/status", "")),
    (RawCommand("PUT /ISAPI/PTZCtrl/channels/1/absolute <PTZData><AbsoluteHigh><azimuth>900</azimuth></AbsoluteHigh></PTZData>"),
     ("PUT", f"{CH1}/absolute", "<PTZData><AbsoluteHigh><azimuth>900</azimuth></AbsoluteHigh></PTZData>")),
]


@pytest.mark.parametrize("command, expected", GOLDEN, ids=[repr(c) for c, _ in GOLDEN])
def test_golden_requests(command: Command, expected: tuple[str, str, str]) -> None:
    assert sent(IsapiCodec(ISAPI_LIMITS), command) == expected


def test_the_exact_bytes_of_a_continuous_move() -> None:
    assert IsapiCodec(ISAPI_LIMITS).encode(PanTilt(0.5, 0.0)).data == (
        b"PUT /ISAPI/PTZCtrl/channels/1/continuous HTTP/1.1\r\nContent-Type: application/xml\r\n\r\n"
        b"<PTZData><pan>50</pan><tilt>0</tilt><zoom>0</zoom></PTZData>"
    )


def test_the_channel_is_in_every_path() -> None:
    codec = IsapiCodec(ISAPI_LIMITS, channel=2)
    assert sent(codec, PresetRecall(1))[1] == "/ISAPI/PTZCtrl/channels/2/presets/1/goto"
    assert sent(codec, PanTilt(0.1, 0))[1] == "/ISAPI/PTZCtrl/channels/2/continuous"


def test_the_camera_max_speeds_cap_the_range() -> None:
    codec = IsapiCodec(SpeedLimits(pan=40, tilt=20, zoom=60, focus=100))
    assert sent(codec, PanTilt(1.0, -1.0))[2] == ptz(40, -20, 0)
    assert sent(codec, Zoom(0.5))[2] == ptz(40, -20, 30)


def test_a_zoom_repeats_the_pan_speeds_so_it_never_stops_a_pan() -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    assert sent(codec, PanTilt(0.5, 0.2))[2] == ptz(50, 20, 0)
    assert sent(codec, Zoom(1.0))[2] == ptz(50, 20, 100)
    assert sent(codec, PanTilt(0.0, 0.0))[2] == ptz(0, 0, 100)  # the pan stops, the zoom goes on
    assert sent(codec, Zoom(0.0))[2] == ptz(0, 0, 0)


def test_keys_compare_each_slot_on_its_own_axes() -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    before = codec.key(PanTilt(0.5, 0.0))
    codec.encode(Zoom(1.0))
    assert codec.key(PanTilt(0.5, 0.0)) == before  # the zoom riding along does not change it
    assert codec.key(PanTilt(0.501, 0.0)) != before  # 0.501 → 51
    assert codec.key(PanTilt(0.499, 0.0)) == before  # 0.499 → 50: a resting hand sends nothing
    assert codec.key(Zoom(0.2)) == b"continuous zoom 20"


@pytest.mark.parametrize("command, message", [
    (Focus(0.5), "no focus speed"),
    (Autofocus("on"), "only one-push focus"),
    (PresetRecall(0), "numbered from 1"),
    (CameraAction("tally", "on"), r"no action 'tally' \(valid: light, wiper\)"),
    (CameraAction("light", "flash"), "on or off"),
    (PanTilt(float("nan"), 0.0), "finite"),
    (RawCommand("81 01 04 00 02 FF", kind="visca"), "not for an HTTP camera"),
    (MoveTo(), "at least one of pan, tilt, zoom"),
    (MoveTo(pan=361.0), r"pan must be 0\.\.360"),
    (MoveTo(tilt=-91.0), r"tilt must be -90\.\.270"),
    (MoveTo(zoom=float("nan")), r"zoom must be 0\.\.100"),
    (Jog(pan=0.5, seconds=0.0), "duration above 0"),
    (PresetClear(0), "numbered from 1"),
])
def test_what_isapi_cannot_say_is_refused(command: Command, message: str) -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    with pytest.raises(ProtocolError, match=message):
        codec.encode(command)
    with pytest.raises(ProtocolError):
        codec.key(command)


def test_every_declared_capability_is_encoded() -> None:
    capabilities = PROTOCOLS["isapi"].capabilities
    codec = IsapiCodec(ISAPI_LIMITS)
    examples: dict[str, Command] = {
        "pan": PanTilt(1, 0), "tilt": PanTilt(0, 1), "zoom": Zoom(1), "stop": PanTilt(0, 0), "home": Home(),
        "preset": PresetRecall(1), "autofocus": Autofocus("one-push"), "position": PanTiltPositionInquiry(),
        "preset clear": PresetClear(1), "move-to": MoveTo(pan=10.0), "jog": Jog(pan=1.0),
        "raw http": RawCommand("GET /ISAPI/PTZCtrl/channels/1/status", kind="http"),
    }
    for capability in capabilities:
        name, _, mode = capability.partition(" ")
        command = examples.get(capability) or CameraAction(name, mode or "on")
        codec.encode(command)
    assert not can(capabilities, "focus") and can(capabilities, "light", "off") and can(capabilities, "raw", "http")


# ---------------------------------------------------------------------------- replies

NAMESPACES = ["http://www.hikvision.com/ver20/XMLSchema", "http://www.isapi.org/ver20/XMLSchema", None]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_ok_status_is_an_ack_in_any_namespace(namespace: str | None) -> None:
    body = ResponseStatus(1, "OK", "ok", f"{CH1}/continuous").to_xml(namespace)
    codec = IsapiCodec(ISAPI_LIMITS)
    assert codec.receive(HttpResponse(200, "OK", body).to_bytes()) == [Ack(None)]


def test_no_content_and_bodies_that_are_not_xml_are_acks() -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    assert codec.receive(b"HTTP/1.1 204 No Content\r\n\r\n") == [Ack(None)]
    assert codec.receive(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nOK") == [Ack(None)]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_an_error_status_carries_its_sub_status_code(namespace: str | None) -> None:
    body = ResponseStatus(4, "Invalid Operation", "notSupport", f"{CH1}/presets/300/goto").to_xml(namespace)
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(HttpResponse(403, "Forbidden", body).to_bytes())
    assert isinstance(reply, ErrorReply) and reply.kind == "isapi-notSupport"
    assert reply.data == b"HTTP 403 Forbidden: Invalid Operation (notSupport)"


def test_an_error_status_inside_a_200_is_still_an_error() -> None:
    body = ResponseStatus(2, "Device Busy", "deviceBusy").to_xml(None)
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(HttpResponse(200, "OK", body).to_bytes())
    assert isinstance(reply, ErrorReply) and reply.kind == "isapi-deviceBusy"
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(HttpResponse(200, "OK", b"<ResponseStatus><statusCode>6</statusCode></ResponseStatus>").to_bytes())
    assert isinstance(reply, ErrorReply) and reply.kind == "isapi-status-6"


def test_401_is_an_auth_error_whatever_the_body_says() -> None:
    body = ResponseStatus(4, "Invalid Operation", "unAuthorized").to_xml(None)
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(HttpResponse(401, "Unauthorized", body).to_bytes())
    assert isinstance(reply, ErrorReply) and reply.kind == "http-401"
    assert reply.data.startswith(b"HTTP 401 Unauthorized: the camera rejected the user name or password")


def test_server_errors_without_a_status_document() -> None:
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(b"HTTP/1.1 503 Service Unavailable\r\n\r\nbusy")
    assert isinstance(reply, ErrorReply) and reply.kind == "http-503" and b"busy" in reply.data


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_status_answers_position_inquiries_in_tenths(namespace: str | None) -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    answer = HttpResponse(200, "OK", status_xml(1800, -45, 250, namespace)).to_bytes()
    codec.encode(PanTiltPositionInquiry())
    assert codec.receive(answer) == [InquiryAnswer(None, what="pantilt-position", values=(1800, -45))]
    codec.encode(ZoomPositionInquiry())
    assert codec.receive(answer) == [InquiryAnswer(None, what="zoom-position", values=(250,))]
    # The inquiry is answered once; a later 200 is a plain ACK.
    assert codec.receive(HttpResponse(200, "OK").to_bytes()) == [Ack(None)]


def test_a_status_answer_without_a_position_is_an_unreadable_answer_not_a_hang() -> None:
    # Issue 9 item 9: the camera answered (it is online); only the values are missing.
    codec = IsapiCodec(ISAPI_LIMITS)
    codec.encode(PanTiltPositionInquiry())
    [reply] = codec.receive(b"HTTP/1.1 200 OK\r\n\r\n<PTZStatus><AbsoluteHigh/></PTZStatus>")
    assert isinstance(reply, UnreadableAnswer) and "no position in the status answer" in reply.reason


def test_nonsense_is_garbage() -> None:
    [reply] = IsapiCodec(ISAPI_LIMITS).receive(b"\x90\x41\xff")
    assert isinstance(reply, Garbage) and "not an HTTP response" in reply.reason


@given(st.binary(max_size=400), st.booleans())
def test_receive_never_raises(data: bytes, inquiring: bool) -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    if inquiring:
        codec.encode(PanTiltPositionInquiry())
    codec.receive(data)


@given(st.text(max_size=300), st.sampled_from([200, 400, 401, 403, 500]), st.booleans())
def test_receive_never_raises_on_odd_bodies(body: str, status: int, inquiring: bool) -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    if inquiring:
        codec.encode(ZoomPositionInquiry())
    for text in (body, f"<ResponseStatus>{body}</ResponseStatus>", f"<PTZStatus><AbsoluteHigh>{body}</AbsoluteHigh></PTZStatus>"):
        [reply] = codec.receive(HttpResponse(status, "X", text.encode()).to_bytes())
        assert isinstance(reply, (Ack, ErrorReply, InquiryAnswer, UnreadableAnswer))


# ---------------------------------------------------------------------------- reading requests


def test_describe_reads_what_the_codec_sends() -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    texts = {command: codec.describe(codec.encode(command).data) for command, _ in GOLDEN}
    assert texts[PanTilt(-0.5, 0.25)] == "continuous pan -50 tilt 25 zoom 0"
    assert texts[PresetRecall(3)] == "preset goto 3"
    assert texts[PresetStore(12)] == "preset set 12 'Preset 12'"
    assert texts[Home()] == "home goto"
    assert texts[CameraAction("wiper", "on")] == "aux wiper on"
    assert texts[Autofocus("one-push")] == "one-push focus"
    assert texts[PanTiltPositionInquiry()] == "status"
    assert texts[GOLDEN[-1][0]] == "absolute azimuth 900"


def test_momentary_and_bad_bodies_are_read() -> None:
    momentary = HttpRequest("PUT", f"{CH1}/momentary", b"<PTZData><pan>20</pan><Momentary><duration>500</duration></Momentary></PTZData>")
    decoded = read_request(momentary)
    assert decoded is not None and decoded.text == "momentary pan 20 for 500 ms"
    assert decoded.values == {"pan": 20, "duration": 500, "channel": 1}
    bad = read_request(HttpRequest("PUT", f"{CH1}/continuous", b"<PTZData><pan>fast</pan></PTZData>"))
    assert bad is not None and bad.action == "invalid"
    assert read_request(HttpRequest("GET", "/ISAPI/System/deviceInfo")) is None


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
def test_speeds_encode_or_refuse_cleanly(pan: float, zoom: float) -> None:
    codec = IsapiCodec(ISAPI_LIMITS)
    for command in (PanTilt(pan, 0.0), Zoom(zoom)):
        try:
            body = HttpRequest.from_bytes(codec.encode(command).data).body.decode()
        except ProtocolError:
            continue
        assert read_request(HttpRequest("PUT", f"{CH1}/continuous", body.encode())) is not None
