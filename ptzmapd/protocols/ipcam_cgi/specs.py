"""The IP camera CGI (CAS-3xx): its spec (no settings of its own)."""

from __future__ import annotations

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.http import RAW_HTTP
from ptzmapd.protocols.ipcam_cgi.codec import CAPABILITIES, SNAPSHOT_PATH
from ptzmapd.protocols.position import AxisRange, PanTiltRange
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec

#: IPCam CGI step moves: degrees per step 1..10; no zoom or focus over this API.
IPCAM_LIMITS = SpeedLimits(pan=10, tilt=10, zoom=0, focus=0)


def _ipcam_cgi(options: ProtocolOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.ipcam_cgi.codec import IpcamCgiCodec

    return IpcamCgiCodec(limits=limits)


#: Pan 0..340° and tilt 0..135° (specs/ipcam-cgi-v1.2.txt §4, the MJPEG part's
#: ``PT_ppp_ttt``, and §5.1.10 ``PanTiltHorizontal``/``PanTiltVertical``). The document does
#: not say where home is: 0 is the middle of each range. The codec asks for no position
#: (the CGI has no position inquiry): this is the range one is read over.
IPCAM_PAN_TILT = PanTiltRange(pan=AxisRange(0, 340, home=170), tilt=AxisRange(0, 135, home=67.5))

IPCAM_CGI: ProtocolSpec[ProtocolOptions] = ProtocolSpec(
    name="ipcam-cgi", summary="IP camera CGI (CAS-3xx): step moves, presets 1-24, Basic auth", transport="http",
    limits=IPCAM_LIMITS, pan_tilt=IPCAM_PAN_TILT,
    # Step moves only: a held speed is one step (sized by the speed) every half second.
    pacing=Pacing(min_interval=0.1, ack_timeout=3.0, refresh=0.5),
    capabilities=CAPABILITIES, options=ProtocolOptions, make_codec=_ipcam_cgi, raw=RAW_HTTP,
    snapshot_path=lambda options: SNAPSHOT_PATH, simulator="ptzmapd.simulators.http_cameras:start",
)
