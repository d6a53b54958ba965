"""ONVIF codec: golden request bodies (read back as XML and compared element by element), the
connect sequence fed canned answers, presets by name, faults and every shape of "wrong
credentials", lenient reading of odd and undeclared prefixes, and the UsernameToken digest."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ElementTree

import pytest

from ptzmapd.commands import (
    Command,
    Focus,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PanTiltPositionInquiry,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, InquiryAnswer, Notice, SpeedLimits, Step, UnreadableAnswer
from ptzmapd.protocols.http import HttpRequest
from ptzmapd.protocols.onvif.codec import OnvifCodec, Setup
from ptzmapd.protocols.onvif.specs import ONVIF_LIMITS, BoundOnvifOptions, OnvifOptions
from ptzmapd.secrets import Credentials, Secret

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z, this machine's clock in these tests
NONCE = bytes(range(16))
CREDENTIALS = Credentials("operator", Secret("pa55-w0rd"))
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
ENVELOPE = ('<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tr2="http://www.onvif.org/ver10/media/wsdl" '
            'xmlns:ptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:sch="http://www.onvif.org/ver10/schema">'
            "<env:Body>{}</env:Body></env:Envelope>")


def answer(body: str, status: int = 200, reason: str = "OK") -> bytes:
    return f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/soap+xml\r\n\r\n{ENVELOPE.format(body)}".encode()


def fault(subcode: str, reason: str = "no", status: int = 400, code: str = "Sender") -> bytes:
    body = (f'<env:Fault xmlns:ter="http://www.onvif.org/ver10/error"><env:Code><env:Value>env:{code}</env:Value>'
            f"<env:Subcode><env:Value>ter:{subcode}</env:Value></env:Subcode></env:Code>"
            f"<env:Reason><env:Text>{reason}</env:Text></env:Reason></env:Fault>")
    return answer(body, status, "Bad Request")


TIME = ("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><sch:UTCDateTime><sch:Date><sch:Year>2027</sch:Year>"
        "<sch:Month>1</sch:Month><sch:Day>15</sch:Day></sch:Date><sch:Time><sch:Hour>9</sch:Hour><sch:Minute>0</sch:Minute>"
        "<sch:Second>0</sch:Second></sch:Time></sch:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
CAPABILITIES = ("<tds:GetCapabilitiesResponse><tds:Capabilities><sch:Media><sch:XAddr>http://10.0.0.9/onvif/Media</sch:XAddr>"
                "</sch:Media><sch:PTZ><sch:XAddr>http://10.0.0.9:80/onvif/PTZ</sch:XAddr></sch:PTZ></tds:Capabilities>"
                "</tds:GetCapabilitiesResponse>")
PROFILES = ('<tr2:GetProfilesResponse><tr2:Profiles token="sub" fixed="true"><sch:Name>Sub</sch:Name></tr2:Profiles>'
            '<tr2:Profiles token="Profile_1"><sch:Name>Main</sch:Name><sch:PTZConfiguration token="c1">'
            "<sch:NodeToken>node_a</sch:NodeToken></sch:PTZConfiguration></tr2:Profiles></tr2:GetProfilesResponse>")
NODES = ('<ptz:GetNodesResponse><ptz:PTZNode token="node_a"><sch:SupportedPTZSpaces>'
         "<sch:ContinuousPanTiltVelocitySpace><sch:XRange><sch:Min>-2</sch:Min><sch:Max>2</sch:Max></sch:XRange>"
         "<sch:YRange><sch:Min>-1</sch:Min><sch:Max>1</sch:Max></sch:YRange></sch:ContinuousPanTiltVelocitySpace>"
         "<sch:ContinuousZoomVelocitySpace><sch:XRange><sch:Min>-1</sch:Min><sch:Max>1</sch:Max></sch:XRange>"
         "</sch:ContinuousZoomVelocitySpace><sch:PanTiltSpeedSpace><sch:XRange><sch:Min>0</sch:Min><sch:Max>1</sch:Max>"
         "</sch:XRange></sch:PanTiltSpeedSpace><sch:AbsoluteZoomPositionSpace><sch:XRange><sch:Min>0</sch:Min>"
         "<sch:Max>1</sch:Max></sch:XRange></sch:AbsoluteZoomPositionSpace></sch:SupportedPTZSpaces>"
         "<sch:HomeSupported>true</sch:HomeSupported></ptz:PTZNode></ptz:GetNodesResponse>")
PRESETS = ('<ptz:GetPresetsResponse><ptz:Preset token="tok-a"><sch:Name>3</sch:Name></ptz:Preset>'
           '<ptz:Preset token="tok-b"><sch:Name>Pulpit</sch:Name></ptz:Preset><ptz:Preset token="7"/></ptz:GetPresetsResponse>')
SETUP = (TIME, CAPABILITIES, PROFILES, NODES, PRESETS)


def codec(credentials: Credentials | None = CREDENTIALS, limits: SpeedLimits = ONVIF_LIMITS) -> OnvifCodec:
    return OnvifCodec(limits, device_path="/onvif/device_service", credentials=credentials,
                      wall=lambda: NOW, nonce=lambda: NONCE)


def connected(credentials: Credentials | None = CREDENTIALS, limits: SpeedLimits = ONVIF_LIMITS) -> OnvifCodec:
    """A codec through the whole connect sequence."""
    camera = codec(credentials, limits)
    camera.start()
    for body in SETUP:
        replies = camera.receive(answer(body))
        assert isinstance(replies[0], Ack), replies
    assert camera.ready
    return camera


def request_of(data: bytes) -> tuple[HttpRequest, ElementTree.Element, ElementTree.Element | None]:
    """The request, its operation element, and its UsernameToken."""
    request = HttpRequest.from_bytes(data)
    root = ElementTree.fromstring(request.body)
    assert root.tag == f"{{{NS['s']}}}Envelope"
    body = root.find("s:Body", NS)
    assert body is not None and len(body) == 1
    return request, body[0], root.find("s:Header/wsse:Security/wsse:UsernameToken", NS)


def shape(element: ElementTree.Element) -> tuple[object, ...]:
    """An element as (local tag, attributes, text, children): what a golden body is compared by."""
    return (element.tag.rpartition("}")[2], dict(sorted(element.attrib.items())), (element.text or "").strip(),
            tuple(shape(child) for child in element))


def golden(xml: str) -> tuple[object, ...]:
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())
    wrapped = ElementTree.fromstring(f"<w {declarations}>{xml}</w>")
    return shape(wrapped[0])


P = "<tptz:ProfileToken>Profile_1</tptz:ProfileToken>"
GOLDEN: list[tuple[Command, str, str]] = [
    # The node's pan velocity space is -2..2: half speed is 1.
    (PanTilt(0.5, -0.25), "/onvif/PTZ", f'<tptz:ContinuousMove>{P}<tptz:Velocity><tt:PanTilt x="1" y="-0.25"/>'
                                        f'<tt:Zoom x="0"/></tptz:Velocity></tptz:ContinuousMove>'),
    (PanTilt(0.0, 0.0), "/onvif/PTZ", f"<tptz:Stop>{P}<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>false</tptz:Zoom></tptz:Stop>"),
    (Zoom(-1.0), "/onvif/PTZ", f'<tptz:ContinuousMove>{P}<tptz:Velocity><tt:PanTilt x="0" y="0"/><tt:Zoom x="-1"/>'
                               f"</tptz:Velocity></tptz:ContinuousMove>"),
    (Zoom(0.0), "/onvif/PTZ", f"<tptz:Stop>{P}<tptz:PanTilt>false</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>"),
    (Home(), "/onvif/PTZ", f"<tptz:GotoHomePosition>{P}</tptz:GotoHomePosition>"),
    (PresetRecall(3), "/onvif/PTZ", f"<tptz:GotoPreset>{P}<tptz:PresetToken>tok-a</tptz:PresetToken></tptz:GotoPreset>"),
    (PresetRecall(3, speed=0.5), "/onvif/PTZ",
     f'<tptz:GotoPreset>{P}<tptz:PresetToken>tok-a</tptz:PresetToken><tptz:Speed><tt:PanTilt x="0.5" y="0.5"/>'
     f'<tt:Zoom x="0.5"/></tptz:Speed></tptz:GotoPreset>'),
    (PresetRecall(7), "/onvif/PTZ", f"<tptz:GotoPreset>{P}<tptz:PresetToken>7</tptz:PresetToken></tptz:GotoPreset>"),
    # A new name: no token (the camera picks one); an existing name: its token, to overwrite it.
    (PresetStore(12), "/onvif/PTZ", f"<tptz:SetPreset>{P}<tptz:PresetName>12</tptz:PresetName></tptz:SetPreset>"),
    (PresetStore(3), "/onvif/PTZ", f"<tptz:SetPreset>{P}<tptz:PresetName>3</tptz:PresetName>"
                                   f"<tptz:PresetToken>tok-a</tptz:PresetToken></tptz:SetPreset>"),
    (PresetClear(3), "/onvif/PTZ", f"<tptz:RemovePreset>{P}<tptz:PresetToken>tok-a</tptz:PresetToken></tptz:RemovePreset>"),
    (MoveTo(pan=90.0, tilt=-45.0, zoom=25.0), "/onvif/PTZ",
     f'<tptz:AbsoluteMove>{P}<tptz:Position><tt:PanTilt x="0.5" y="-0.5"/><tt:Zoom x="0.25"/></tptz:Position>'
     f"</tptz:AbsoluteMove>"),
    (MoveTo(zoom=100.0), "/onvif/PTZ", f'<tptz:AbsoluteMove>{P}<tptz:Position><tt:Zoom x="1"/></tptz:Position></tptz:AbsoluteMove>'),
    (Jog(pan=1.0, seconds=0.5), "/onvif/PTZ",
     f'<tptz:RelativeMove>{P}<tptz:Translation><tt:PanTilt x="0.1" y="0"/></tptz:Translation>'
     f'<tptz:Speed><tt:PanTilt x="1" y="1"/></tptz:Speed></tptz:RelativeMove>'),
    (Jog(zoom=-0.5, seconds=1.0), "/onvif/PTZ",
     f'<tptz:RelativeMove>{P}<tptz:Translation><tt:Zoom x="-0.1"/></tptz:Translation>'
     f'<tptz:Speed><tt:PanTilt x="0.5" y="0.5"/><tt:Zoom x="0.5"/></tptz:Speed></tptz:RelativeMove>'),
    (PanTiltPositionInquiry(), "/onvif/PTZ", f"<tptz:GetStatus>{P}</tptz:GetStatus>"),
    (ZoomPositionInquiry(), "/onvif/PTZ", f"<tptz:GetStatus>{P}</tptz:GetStatus>"),
]


@pytest.mark.parametrize(("command", "path", "body"), GOLDEN, ids=[repr(c) for c, _, _ in GOLDEN])
def test_golden_requests(command: Command, path: str, body: str) -> None:
    outgoing = connected().encode(command)
    request, operation, token = request_of(outgoing.data)
    assert (request.method, request.target) == ("POST", path)
    name = shape(operation)[0]
    assert request.header("Content-Type") == (f'application/soap+xml; charset=utf-8; '
                                              f'action="http://www.onvif.org/ver20/ptz/wsdl/{name}"')
    assert shape(operation) == golden(body)
    assert token is not None  # every command is signed


def test_the_setup_requests_are_golden_too() -> None:
    camera = codec()
    expected = [
        ("/onvif/device_service", "<tds:GetSystemDateAndTime/>", False),
        ("/onvif/device_service", "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>", True),
        ("/onvif/Media", "<trt:GetProfiles/>", True),  # the service paths the camera named, on the configured host
        ("/onvif/PTZ", "<tptz:GetNodes/>", True),
        ("/onvif/PTZ", f"<tptz:GetPresets>{P}</tptz:GetPresets>", True),
    ]
    outgoing = camera.start()
    for (path, body, signed), reply in zip(expected, SETUP):
        assert len(outgoing) == 1
        request, operation, token = request_of(outgoing[0].data)
        assert (request.target, shape(operation), token is not None) == (path, golden(body), signed)
        replies = camera.receive(answer(reply))
        assert isinstance(replies[0], Ack)
        notice = replies[1]
        assert isinstance(notice, Notice)
        outgoing = list(notice.send)
    assert outgoing == [] and camera.ready
    assert camera.presets == {"3": "tok-a", "Pulpit": "tok-b", "7": "7"}


def test_the_username_token_is_signed_with_the_cameras_clock() -> None:
    camera = connected()  # the camera said 09:00:00 when this machine said 08:00:00
    assert camera.clock_offset == 3600.0
    _, _, token = request_of(camera.encode(Home()).data)
    assert token is not None
    created = token.findtext("wsu:Created", namespaces=NS)
    assert created == "2027-01-15T09:00:00Z"
    nonce = token.findtext("wsse:Nonce", namespaces=NS)
    assert nonce is not None and base64.b64decode(nonce) == NONCE
    password = token.find("wsse:Password", NS)
    assert password is not None and password.get("Type", "").endswith("#PasswordDigest")
    # WS-Security UsernameToken Profile 1.0 §3.1: Base64(SHA-1(nonce + created + password)).
    expected = base64.b64encode(hashlib.sha1(NONCE + b"2027-01-15T09:00:00Z" + b"pa55-w0rd").digest()).decode()
    assert password.text == expected
    assert token.findtext("wsse:Username", namespaces=NS) == "operator"
    assert b"pa55-w0rd" not in camera.encode(Home()).data


def test_a_camera_that_wants_its_clock_read_signed_gets_it_signed() -> None:
    camera = codec()
    camera.start()
    replies = camera.receive(fault("NotAuthorized", "Sender not Authorized"))
    assert isinstance(replies[0], Ack) and isinstance(replies[1], Notice)
    _, operation, token = request_of(replies[1].send[0].data)
    assert shape(operation)[0] == "GetSystemDateAndTime" and token is not None
    assert camera.step is Setup.TIME_SIGNED


def test_a_command_before_the_sequence_is_done_takes_its_turn_and_goes_again() -> None:
    camera = codec()
    camera.start()
    # The controller gave up on the unanswered clock request; a stop comes.
    outgoing = camera.encode(PanTilt(0.0, 0.0))
    _, operation, _ = request_of(outgoing.data)
    assert shape(operation)[0] == "GetSystemDateAndTime"
    replies = camera.receive(answer(TIME))
    assert replies[0] == Step(None)  # taken, and the stop goes again, now for real
    assert isinstance(replies[1], Notice) and replies[1].send  # the sequence goes on
    assert camera.step is Setup.CAPABILITIES


@pytest.mark.parametrize("data", [
    fault("NotAuthorized", status=400),
    fault("NotAuthorized", status=401),
    fault("FailedAuthentication", status=500, code="Sender"),
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"x\", nonce=\"1\", qop=\"auth\"\r\n\r\n",
    b"HTTP/1.1 401 Unauthorized\r\n\r\n",
], ids=["fault-400", "fault-401", "wsse-fault-500", "http-401-digest", "http-401-bare"])
def test_every_shape_of_an_auth_failure_is_one_wrong_credentials_refusal(data: bytes) -> None:
    camera = connected()
    camera.encode(Home())
    [reply] = camera.receive(data)
    assert isinstance(reply, ErrorReply) and reply.kind == "wrong-credentials"
    assert reply.permanent and reply.http_status == 401
    assert reply.data.startswith(b"the camera rejected the user name or password (username, password_env, password_file)")
    assert b"pa55" not in reply.data


def test_auth_failure_while_connecting_stops_the_sequence_where_it_stands() -> None:
    camera = codec()
    camera.start()
    camera.receive(answer(TIME))
    [reply] = camera.receive(fault("NotAuthorized"))
    assert isinstance(reply, ErrorReply) and reply.kind == "wrong-credentials"
    assert camera.step is Setup.CAPABILITIES
    _, operation, _ = request_of(camera.encode(Home()).data)  # the next command asks again
    assert shape(operation)[0] == "GetCapabilities"


def test_a_fault_is_a_refusal_with_its_code_and_reason() -> None:
    camera = connected()
    camera.encode(Home())
    [reply] = camera.receive(fault("NoHomePosition", "no home position set", status=500, code="Receiver"))
    assert isinstance(reply, ErrorReply) and reply.kind == "onvif-nohomeposition"
    assert reply.data == b"SOAP fault Receiver/NoHomePosition: no home position set"
    assert not reply.permanent  # a 500 may pass


def test_a_soap_11_fault_is_read_too() -> None:
    camera = connected()
    camera.encode(Home())
    body = "<env:Fault><faultcode>env:Client</faultcode><faultstring>bad profile</faultstring></env:Fault>"
    [reply] = camera.receive(answer(body, 500))
    assert isinstance(reply, ErrorReply) and reply.data == b"SOAP fault Client: bad profile"


def test_a_name_not_in_the_cache_reads_the_list_then_recalls() -> None:
    camera = connected()
    _, operation, _ = request_of(camera.encode(PresetRecall(5)).data)
    assert shape(operation)[0] == "GetPresets"
    listed = PRESETS.replace("</ptz:GetPresetsResponse>", '<ptz:Preset token="t5"><sch:Name>5</sch:Name></ptz:Preset>'
                                                          "</ptz:GetPresetsResponse>")
    [reply] = camera.receive(answer(listed))
    assert reply == Step(None)  # the controller sends the recall again
    _, operation, _ = request_of(camera.encode(PresetRecall(5)).data)
    assert shape(operation) == golden(f"<tptz:GotoPreset>{P}<tptz:PresetToken>t5</tptz:PresetToken></tptz:GotoPreset>")


def test_a_name_the_camera_does_not_have_is_refused_by_name() -> None:
    camera = connected()
    camera.encode(PresetClear(9))
    [reply] = camera.receive(answer(PRESETS))
    assert isinstance(reply, ErrorReply) and reply.kind == "onvif-no-such-preset"
    assert reply.data == b"the camera has no preset named '9' (its presets: '3', '7', 'Pulpit')"


def test_a_store_keeps_the_cameras_token_and_reads_the_list_again() -> None:
    camera = connected()
    camera.encode(PresetStore(12))
    replies = camera.receive(answer("<ptz:SetPresetResponse><ptz:PresetToken>cam-42</ptz:PresetToken></ptz:SetPresetResponse>"))
    assert isinstance(replies[0], Ack) and camera.presets["12"] == "cam-42"
    assert isinstance(replies[1], Notice)
    _, operation, _ = request_of(replies[1].send[0].data)
    assert shape(operation)[0] == "GetPresets"
    assert isinstance(camera.receive(answer(PRESETS))[0], Ack)
    assert "12" not in camera.presets  # the camera's list is what counts


def test_a_recall_refused_for_its_token_forgets_the_name() -> None:
    camera = connected()
    camera.encode(PresetRecall(3))
    camera.receive(fault("NoToken"))
    assert "3" not in camera.presets


def test_status_answers_in_ten_thousandths_of_the_spaces() -> None:
    camera = connected()
    status = ('<ptz:GetStatusResponse><ptz:PTZStatus><sch:Position><sch:PanTilt x="0.5" y="-1"/><sch:Zoom x="0.25"/>'
              "</sch:Position></ptz:PTZStatus></ptz:GetStatusResponse>")
    camera.encode(PanTiltPositionInquiry())
    assert camera.receive(answer(status)) == [InquiryAnswer(None, what="pantilt-position", values=(5000, -10000))]
    camera.encode(ZoomPositionInquiry())
    assert camera.receive(answer(status)) == [InquiryAnswer(None, what="zoom-position", values=(2500,))]
    camera.encode(ZoomPositionInquiry())
    [reply] = camera.receive(answer("<ptz:GetStatusResponse/>"))
    assert isinstance(reply, UnreadableAnswer)


def test_undeclared_and_unusual_prefixes_are_read_by_local_name() -> None:
    camera = connected()
    camera.encode(PanTiltPositionInquiry())
    undeclared = ('HTTP/1.1 200 OK\r\n\r\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope">'
                  '<SOAP-ENV:Body><tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="0" y="0.5" '
                  'space="x"/></tt:Position></tptz:PTZStatus></tptz:GetStatusResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>')
    assert camera.receive(undeclared.encode()) == [InquiryAnswer(None, what="pantilt-position", values=(0, 5000))]


def test_keys_compare_each_slot_on_its_own_axes_and_never_carry_a_nonce() -> None:
    camera = connected()
    assert camera.key(PanTilt(0.5, 0.0)) == camera.key(PanTilt(0.5, 0.0))
    assert camera.key(PanTilt(0.5, 0.0)) != camera.key(PanTilt(0.51, 0.0))
    assert camera.key(Home()) == camera.key(Home())
    camera.encode(Zoom(1.0))
    assert camera.key(PanTilt(0.5, 0.0)) == connected().key(PanTilt(0.5, 0.0))


@pytest.mark.parametrize(("command", "message"), [
    (Focus(0.5), "onvif cannot send Focus"),
    (MoveTo(), "move-to needs at least one of pan, tilt, zoom"),
    (MoveTo(tilt=120.0), "onvif tilt must be -90..90 degrees"),
    (MoveTo(zoom=101.0), "onvif zoom must be 0..100"),
    (Jog(seconds=0.0), "jog needs a duration above 0 s"),
    (PresetRecall(-1), "onvif preset names are numbers from 0"),
    (PresetRecall(1, speed=2.0), "preset travel speed must be 0..1"),
    (RawCommand("81 01 04 38 02 FF", "visca"), "a raw visca command is not for an HTTP camera"),
])
def test_what_onvif_cannot_say_is_refused(command: Command, message: str) -> None:
    camera = connected()
    with pytest.raises(ProtocolError, match=message.replace("(", r"\(")):
        camera.key(command)
    with pytest.raises(ProtocolError):
        camera.encode(command)


def test_a_pan_alone_keeps_the_tilt_the_camera_reports() -> None:
    camera = connected()
    _, operation, _ = request_of(camera.encode(MoveTo(pan=270.0)).data)  # 270 degrees is -90
    assert shape(operation)[0] == "GetStatus"
    status = ('<ptz:GetStatusResponse><ptz:PTZStatus><sch:Position><sch:PanTilt x="0.1" y="0.3"/></sch:Position>'
              "</ptz:PTZStatus></ptz:GetStatusResponse>")
    [reply] = camera.receive(answer(status))
    assert reply == Step(None)
    _, operation, _ = request_of(camera.encode(MoveTo(pan=270.0)).data)
    assert shape(operation) == golden(f'<tptz:AbsoluteMove>{P}<tptz:Position><tt:PanTilt x="-0.5" y="0.3"/>'
                                      f"</tptz:Position></tptz:AbsoluteMove>")
    camera.encode(MoveTo(tilt=10.0))
    [reply] = camera.receive(answer("<ptz:GetStatusResponse/>"))
    assert isinstance(reply, ErrorReply) and reply.kind == "onvif-no-position"


def test_a_raw_operation_is_put_in_a_signed_envelope() -> None:
    camera = connected()
    text = ('POST /onvif/PTZ <SetHomePosition xmlns="http://www.onvif.org/ver20/ptz/wsdl">'
            "<ProfileToken>Profile_1</ProfileToken></SetHomePosition>")
    request, operation, token = request_of(camera.encode(RawCommand(text, "http")).data)
    assert request.target == "/onvif/PTZ" and shape(operation)[0] == "SetHomePosition" and token is not None
    assert isinstance(camera.receive(answer("<ptz:SetHomePositionResponse/>"))[0], Ack)


def test_the_profile_option_picks_the_profile_and_a_missing_one_is_named() -> None:
    options = BoundOnvifOptions(profile="nope", credentials=CREDENTIALS)
    camera = PROTOCOLS["onvif"].make_codec(options, ONVIF_LIMITS)
    assert isinstance(camera, OnvifCodec)
    camera.start()
    camera.receive(answer(TIME))
    camera.receive(answer(CAPABILITIES))
    [reply] = camera.receive(answer(PROFILES))
    assert isinstance(reply, ErrorReply)
    assert reply.data == b"no media profile 'nope' with PTZ (the camera has: 'sub' (no PTZ), 'Profile_1'; profile: names one)"


def test_the_url_names_the_device_service_and_the_transport_gets_its_origin() -> None:
    options, url = OnvifOptions(profile="Profile_1").bind("http://192.168.1.60:8080/onvif/device_service", CREDENTIALS)
    assert url == "http://192.168.1.60:8080"
    assert isinstance(options, BoundOnvifOptions)
    assert (options.device_path, options.credentials, options.profile) == ("/onvif/device_service", CREDENTIALS, "Profile_1")
    assert options.summary() == " device service /onvif/device_service profile Profile_1"
    assert "pa55" not in repr(options)
    options, url = OnvifOptions().bind("http://192.168.1.60", None)
    assert url == "http://192.168.1.60" and isinstance(options, BoundOnvifOptions)
    assert options.device_path == "/onvif/device_service"


def test_getservices_is_asked_when_getcapabilities_fails() -> None:
    camera = codec()
    camera.start()
    camera.receive(answer(TIME))
    replies = camera.receive(fault("ActionNotSupported", status=400, code="Receiver"))
    assert isinstance(replies[1], Notice)
    _, operation, _ = request_of(replies[1].send[0].data)
    assert shape(operation)[0] == "GetServices"
    services = ("<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace>"
                "<tds:XAddr>http://x/media</tds:XAddr></tds:Service><tds:Service><tds:Namespace>"
                "http://www.onvif.org/ver20/ptz/wsdl</tds:Namespace><tds:XAddr>http://x/ptz</tds:XAddr></tds:Service>"
                "</tds:GetServicesResponse>")
    camera.receive(answer(services))
    assert camera.services is not None and (camera.services.media, camera.services.ptz) == ("/media", "/ptz")


def test_nonsense_is_garbage_and_empty_2xx_is_an_ack() -> None:
    camera = connected()
    assert isinstance(camera.receive(b"garbage")[0], Garbage)
    camera.encode(Home())
    assert camera.receive(b"HTTP/1.1 200 OK\r\n\r\n") == [Ack(None)]


def test_describe_reads_what_the_codec_sends() -> None:
    camera = connected()
    assert camera.describe(camera.encode(PanTilt(0.5, 0.0)).data) == "ContinuousMove velocity pan 1 tilt 0 zoom 0"
    assert camera.describe(camera.encode(PresetStore(3)).data) == "SetPreset PresetName '3' PresetToken 'tok-a'"
    assert camera.describe(camera.encode(PanTilt(0.0, 0.0)).data) == "Stop PanTilt"
