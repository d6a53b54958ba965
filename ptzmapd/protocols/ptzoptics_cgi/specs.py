"""PTZOptics HTTP-CGI: its spec (no settings of its own; VISCA's speed levels)."""

from __future__ import annotations

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.http import RAW_HTTP
from ptzmapd.protocols.ptzoptics_cgi.codec import CAPABILITIES, SNAPSHOT_PATH
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS


def _ptzoptics_cgi(options: ProtocolOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.ptzoptics_cgi.codec import PtzopticsCgiCodec

    return PtzopticsCgiCodec(limits=limits)


PTZOPTICS_CGI: ProtocolSpec[ProtocolOptions] = ProtocolSpec(
    name="ptzoptics-cgi", summary="PTZOptics HTTP-CGI (ptzctrl.cgi)", transport="http",
    limits=VISCA_LIMITS, lens_speed_from_zero=True, pacing=Pacing(min_interval=0.1, ack_timeout=3.0),
    capabilities=CAPABILITIES, options=ProtocolOptions, make_codec=_ptzoptics_cgi, raw=RAW_HTTP,
    snapshot_path=lambda options: SNAPSHOT_PATH, simulator="ptzmapd.simulators.http:start",
)
