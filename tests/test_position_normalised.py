"""Reported pan/tilt positions normalised to -1..1 (issue 12 item 1): each protocol's golden
position reply through its codec and its spec's range (the controller's path: codec answer,
then ``ProtocolSpec.pan_tilt``), at the ends and the centre; and end to end, ``GET
/api/state`` of a running daemon whose simulated VISCA camera is polled while it pans."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from api_rig import api_rig
from helpers import run, until
from ptzmapd.commands import PanTiltPositionInquiry
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import Codec, InquiryAnswer
from ptzmapd.protocols.http import HttpResponse
from ptzmapd.protocols.isapi.codec import IsapiCodec, status_xml
from ptzmapd.protocols.isapi.specs import ISAPI_LIMITS
from ptzmapd.protocols.position import AxisRange
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.vocabulary import can
from test_onvif_codec import answer as onvif_answer
from test_onvif_codec import connected as onvif_connected


def normalised(protocol: str, codec: Codec, reply: bytes) -> tuple[float, float]:
    """What the controller makes of ``reply`` to a pan/tilt inquiry: the codec's answer in
    protocol units, over the protocol's range."""
    codec.encode(PanTiltPositionInquiry())
    [answer] = codec.receive(reply)
    assert isinstance(answer, InquiryAnswer) and answer.what == "pantilt-position", answer
    scale = PROTOCOLS[protocol].pan_tilt
    assert scale is not None
    return scale.normalise(*answer.values)


@pytest.mark.parametrize(("reply", "expected"), [
    ("90 50 00 00 00 00 00 00 00 00 FF", (0.0, 0.0)),      # home
    ("90 50 0F 06 07 00 0F 0E 05 00 FF", (-1.0, -1.0)),    # pan 0xF670 = -170°, tilt 0xFE50 = -30°
    ("90 50 00 09 09 00 00 05 01 00 FF", (1.0, 1.0)),      # pan 0x0990 = +170°, tilt 0x0510 = +90°
    ("90 50 00 04 0C 08 00 02 08 08 FF", (0.5, 0.5)),      # pan 0x04C8 = +85°, tilt 0x0288 = +45°
    ("90 50 0F 0E 05 00 00 01 0B 00 FF", (-432 / 2448, 432 / 1296)),  # -30° pan, +30° tilt
    ("90 50 07 0F 0F 0F 08 00 00 00 FF", (1.0, -1.0)),     # past both ends (another head): clamped
])
def test_visca_position_reply(reply: str, expected: tuple[float, float]) -> None:
    assert normalised("visca-udp", ViscaCodec(VISCA_LIMITS), bytes.fromhex(reply)) == pytest.approx(expected)


@pytest.mark.parametrize(("azimuth", "elevation", "expected"), [
    (0, 0, (0.0, 0.0)),
    (900, 2700, (0.5, 1.0)),          # 90° right; the highest elevation
    (2700, -900, (-0.5, -1.0)),       # 270° round = 90° left; the lowest elevation
    (3599, 1350, (-1 / 1800, 0.5)),   # just left of home is just below 0, not near +1
    (1800, -450, (-1.0, -0.5)),       # opposite home: the far end
    (3600, 0, (0.0, 0.0)),            # a full turn is home again
])
def test_isapi_position_reply(azimuth: int, elevation: int, expected: tuple[float, float]) -> None:
    reply = HttpResponse(200, "OK", status_xml(azimuth, elevation, 0, None)).to_bytes()
    assert normalised("isapi", IsapiCodec(ISAPI_LIMITS), reply) == pytest.approx(expected)


@pytest.mark.parametrize(("x", "y"), [(0.0, 0.0), (-1.0, 1.0), (1.0, -1.0), (0.25, -0.5)])
def test_onvif_position_reply_is_its_generic_space(x: float, y: float) -> None:
    status = (f'<ptz:GetStatusResponse><ptz:PTZStatus><sch:Position><sch:PanTilt x="{x}" y="{y}"/>'
              "</sch:Position></ptz:PTZStatus></ptz:GetStatusResponse>")
    assert normalised("onvif", onvif_connected(), onvif_answer(status)) == pytest.approx((x, y))


@pytest.mark.parametrize(("protocol", "low", "home", "high"), [
    ("panasonic-aw", (0x0000, 0x0000), (0x8000, 0x8000), (0xFFFF, 0xFFFF)),   # #APC 0000..FFFF, 8000 centre
    ("ipcam-cgi", (0, 0), (170, 67.5), (340, 135)),                          # PT_ppp_ttt 0..340, 0..135
])
def test_stated_ranges_of_protocols_that_ask_for_no_position(
    protocol: str, low: tuple[float, float], home: tuple[float, float], high: tuple[float, float],
) -> None:
    # Their codecs ask for no position (yet): the range a reported one is read over.
    scale = PROTOCOLS[protocol].pan_tilt
    assert scale is not None
    assert scale.normalise(*low) == (-1.0, -1.0)
    assert scale.normalise(*home) == (0.0, 0.0)
    assert scale.normalise(*high) == (1.0, 1.0)


def test_every_protocol_that_reports_a_position_states_its_range_and_pelco_none() -> None:
    for name, spec in PROTOCOLS.items():
        if can(spec.capabilities, "position"):
            assert spec.pan_tilt is not None, name
    assert PROTOCOLS["pelco-d"].pan_tilt is None and PROTOCOLS["pelco-p"].pan_tilt is None


def test_an_axis_is_normalised_on_each_side_of_home_over_that_side() -> None:
    tilt = AxisRange(-30, 90)
    assert [tilt.normalise(value) for value in (-30, -15, 0, 45, 90, 120)] == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.0]


def test_the_api_state_shows_pan_and_tilt_moving_from_0_after_a_pan(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 5\n", stage_keys=", position_poll: 0.05") as rig, \
                aiohttp.ClientSession() as session:
            async def position() -> dict[str, float | None]:
                async with session.get(rig.url + "/api/state") as response:
                    assert response.status == 200
                    return dict((await response.json())["cameras"]["stage"]["position"])

            # Nothing reported before the camera moves: polls run only while it does.
            assert await position() == {"pan": None, "tilt": None, "zoom": None}
            async with session.post(rig.url + "/api/cameras/stage/move", json={"pan": 1}) as response:
                assert response.status == 200
            state = rig.runtime.controllers["stage"].state
            await until(lambda: state.pan is not None and state.pan > 0.05, "the polled pan to move right of home")
            seen = await position()
            async with session.post(rig.url + "/api/cameras/stage/stop") as response:
                assert response.status == 200
            assert seen["tilt"] == 0.0 and seen["pan"] is not None and 0.05 < seen["pan"] <= 1.0
            # The same values in ``ptzmapd status --json``, beside the protocol's units.
            status = rig.runtime.status().to_json()["cameras"]["stage"]
            raw_pan, raw_tilt = status["pan_tilt_position"]
            assert status["pan"] == pytest.approx(raw_pan / 2448) and raw_tilt == 0 and status["tilt"] == 0.0

    run(body)
