"""Hikvision ISAPI: its setting (the video channel) and spec."""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.commands import MoveTo
from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.http import RAW_HTTP
from ptzmapd.protocols.isapi.codec import (
    AZIMUTH_RANGE, CAPABILITIES, DEFAULT_CHANNEL, ELEVATION_RANGE, ZOOM_RANGE, snapshot_path,
)
from ptzmapd.protocols.position import AxisRange, PanTiltRange
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec, integer_key

#: ISAPI continuous moves: -100..100 on every axis.
ISAPI_LIMITS = SpeedLimits(pan=100, tilt=100, zoom=100, focus=100)
#: ``PTZStatus`` ``AbsoluteHigh`` positions in tenths of a degree: azimuth 0..3600 round the
#: circle, elevation −900..2700 (specs/hikvision-isapi-ptz-v2.0.txt, the AbsoluteHigh notes;
#: ERRATA "Absolute positions are in tenths"). 0 is home on both: azimuth is read as the
#: shorter way from 0, so ±1 is ±180°.
ISAPI_PAN_TILT = PanTiltRange(
    pan=AxisRange(-(AZIMUTH_RANGE.stop - 1) / 2, (AZIMUTH_RANGE.stop - 1) / 2, turn=AZIMUTH_RANGE.stop - 1),
    tilt=AxisRange(ELEVATION_RANGE.start, ELEVATION_RANGE.stop - 1),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class IsapiOptions(ProtocolOptions):
    """The video channel whose PTZ the camera (or NVR) drives."""

    channel: int = integer_key(1, 512, default=DEFAULT_CHANNEL)

    def summary(self) -> str:
        return f" channel {self.channel}"


def _return_to(pan_tilt: tuple[int, int] | None, zoom: int | None) -> MoveTo | None:
    """Back to a ``PTZStatus`` position: its azimuth, elevation and absoluteZoom are tenths of
    the degrees (and of the 0..100 zoom) an absolute move takes (ISAPI 2.0, PTZCtrl absolute)."""
    if pan_tilt is None:
        return None
    return MoveTo(pan_tilt[0] / 10, pan_tilt[1] / 10, None if zoom is None else zoom / 10)


def _isapi(options: IsapiOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.isapi.codec import IsapiCodec

    return IsapiCodec(limits=limits, channel=options.channel)


ISAPI: ProtocolSpec[IsapiOptions] = ProtocolSpec(
    name="isapi", summary="Hikvision ISAPI over HTTP(S), Digest or Basic auth", transport="http",
    limits=ISAPI_LIMITS, zoom_max=ZOOM_RANGE.stop - 1, pan_tilt=ISAPI_PAN_TILT, pacing=Pacing(min_interval=0.1, ack_timeout=3.0),
    capabilities=CAPABILITIES, options=IsapiOptions, make_codec=_isapi, raw=RAW_HTTP,
    snapshot_path=lambda options: snapshot_path(options.channel), simulator="ptzmapd.simulators.http_cameras:start",
    return_to=_return_to,
)
