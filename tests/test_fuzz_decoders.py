"""Every decoder, fed replies that are almost right: real replies with bytes flipped, cut,
doubled or inserted. Nothing may escape as an exception (a camera's garbage is logged and
survived, never a traceback); every result is a Reply."""

from __future__ import annotations

from typing import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from ptzmapd.commands import PanTiltPositionInquiry, ZoomPositionInquiry
from ptzmapd.inputs.midi.parse import parse_midi
from ptzmapd.protocols.ipcam_cgi.specs import IPCAM_LIMITS
from ptzmapd.protocols.isapi.specs import ISAPI_LIMITS
from ptzmapd.protocols.pelco.specs import PELCO_LIMITS
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import Codec, Reply
from ptzmapd.protocols.ipcam_cgi.codec import IpcamCgiCodec
from ptzmapd.protocols.isapi.codec import IsapiCodec
from ptzmapd.protocols.onvif.codec import OnvifCodec
from ptzmapd.protocols.onvif.specs import ONVIF_LIMITS
from ptzmapd.protocols.pelco.codec import PelcoDCodec, PelcoPCodec
from ptzmapd.protocols.ptzoptics_cgi.codec import PtzopticsCgiCodec
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.protocols.visca.serial import ViscaSerialCodec

OK_XML = (b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n"
          b'<?xml version="1.0"?><ResponseStatus xmlns="http://www.hikvision.com/ver20/XMLSchema">'
          b"<statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode></ResponseStatus>")
ONVIF_ENVELOPE = (b'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n\r\n<?xml version="1.0"?>'
                  b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
                  b' xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"><s:Body>')
ONVIF_REPLIES = [ONVIF_ENVELOPE + body + b"</s:Body></s:Envelope>" for body in (
    b"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Date><tt:Year>2026</tt:Year>"
    b"<tt:Month>11</tt:Month><tt:Day>30</tt:Day></tt:Date><tt:Time><tt:Hour>11</tt:Hour><tt:Minute>0</tt:Minute>"
    b"<tt:Second>0</tt:Second></tt:Time></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
    b"<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>http://c/m</tt:XAddr></tt:Media><tt:PTZ>"
    b"<tt:XAddr>http://c/p</tt:XAddr></tt:PTZ></tds:Capabilities></tds:GetCapabilitiesResponse>",
    b'<trt:GetProfilesResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><trt:Profiles token="p">'
    b"<tt:PTZConfiguration><tt:NodeToken>n</tt:NodeToken></tt:PTZConfiguration></trt:Profiles></trt:GetProfilesResponse>",
    b'<tptz:GetNodesResponse><tptz:PTZNode token="n"><tt:SupportedPTZSpaces><tt:ContinuousPanTiltVelocitySpace>'
    b"<tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:ContinuousPanTiltVelocitySpace>"
    b"</tt:SupportedPTZSpaces></tptz:PTZNode></tptz:GetNodesResponse>",
    b'<tptz:GetPresetsResponse><tptz:Preset token="a"><tt:Name>3</tt:Name></tptz:Preset></tptz:GetPresetsResponse>',
    b'<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="0.5" y="-0.2"/><tt:Zoom x="0.3"/>'
    b"</tt:Position></tptz:PTZStatus></tptz:GetStatusResponse>",
    b'<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode>'
    b"</s:Code><s:Reason><s:Text>no</s:Text></s:Reason></s:Fault>",
)] + [b"HTTP/1.1 401 Unauthorized\r\n\r\n"]


def onvif_connected() -> OnvifCodec:
    """An ONVIF codec through its connect sequence, so the replies to commands are fuzzed too."""
    codec = OnvifCodec(ONVIF_LIMITS)
    codec.start()
    for reply in ONVIF_REPLIES[:5]:
        codec.receive(reply)
    assert codec.ready
    return codec


STATUS_XML = (b"HTTP/1.1 200 OK\r\n\r\n<PTZStatus><AbsoluteHigh><elevation>120</elevation>"
              b"<azimuth>900</azimuth><absoluteZoom>35</absoluteZoom></AbsoluteHigh></PTZStatus>")

#: decoder name -> (a fresh codec, replies it really gets)
DECODERS: dict[str, tuple[Callable[[], Codec], list[bytes]]] = {
    "visca": (lambda: ViscaCodec(VISCA_LIMITS), [bytes.fromhex(h) for h in (
        "90 41 FF", "90 51 FF", "90 60 03 FF", "90 61 41 FF", "90 50 00 01 02 03 0F 0E 0D 0C FF", "90 50 01 02 03 04 FF")]),
    "visca-ip": (lambda: ViscaIpCodec(VISCA_LIMITS), [bytes.fromhex(h) for h in (
        "01 11 00 03 00 00 00 01 90 41 FF", "01 11 00 03 00 00 00 01 90 51 FF",
        "02 01 00 01 00 00 00 00 01", "02 01 00 02 00 00 00 05 0F 01")]),
    "visca-serial": (lambda: ViscaSerialCodec(VISCA_LIMITS, 2), [bytes.fromhex(h) for h in (
        "A0 41 FF", "A0 51 FF", "88 30 04 FF", "90 41 FF", "A0 60 02 FF")]),
    "pelco-d": (lambda: PelcoDCodec(PELCO_LIMITS, 1, False), [bytes.fromhex("FF 01 00 04 20 00 25")]),
    "pelco-p": (lambda: PelcoPCodec(PELCO_LIMITS, 1, False), [bytes.fromhex("A0 00 00 04 20 00 AF 2B")]),
    "isapi": (lambda: IsapiCodec(ISAPI_LIMITS, 1), [OK_XML, STATUS_XML, b"HTTP/1.1 401 Unauthorized\r\n\r\n"]),
    "onvif": (lambda: OnvifCodec(ONVIF_LIMITS), ONVIF_REPLIES),
    "onvif-connected": (onvif_connected, ONVIF_REPLIES),
    "ipcam-cgi": (lambda: IpcamCgiCodec(IPCAM_LIMITS), [b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\nOK"]),
    "ptzoptics-cgi": (lambda: PtzopticsCgiCodec(VISCA_LIMITS), [b"HTTP/1.1 200 OK\r\n\r\n", b"HTTP/1.1 500 Oops\r\n\r\nx"]),
}


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("flip", "cut", "insert", "double", "truncate")))
        where = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut" and data:
            del data[where]
        elif kind == "insert":
            data.insert(where, draw(st.integers(0, 255)))
        elif kind == "double":
            data.extend(bytes(data))
        elif kind == "truncate":
            del data[where:]
    return bytes(data)


def feed(name: str, chunks: list[bytes]) -> None:
    make, _ = DECODERS[name]
    codec = make()
    codec.start()
    for inquiry in (PanTiltPositionInquiry(), ZoomPositionInquiry()):
        try:
            codec.encode(inquiry)  # so answers to inquiries are decoded too
        except Exception:
            pass  # a protocol without inquiries
    for chunk in chunks:
        replies = codec.receive(chunk)
        assert all(isinstance(reply, Reply) for reply in replies)
        assert isinstance(codec.describe(chunk), str)


def make_test(name: str) -> Callable[..., None]:
    @settings(max_examples=150, deadline=None)
    @given(st.lists(mutated(DECODERS[name][1]), min_size=1, max_size=4))
    def test(chunks: list[bytes]) -> None:
        feed(name, chunks)

    test.__name__ = f"test_{name.replace('-', '_')}_survives_mutated_replies"
    return test


for _name in DECODERS:
    globals()[f"test_{_name.replace('-', '_')}_survives_mutated_replies"] = make_test(_name)


@given(st.lists(st.integers(0, 255), max_size=4))
def test_the_midi_parser_survives_any_message(message: list[int]) -> None:
    event = parse_midi("desk", message, 0.0)
    assert event is None or event.input == "desk"
