"""ONVIF PTZ: its settings (the media profile), how its ``url`` is read, and its spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.http import RAW_HTTP
from ptzmapd.protocols.onvif.discovery import WS_DISCOVERY
from ptzmapd.protocols.onvif.codec import CAPABILITIES, DEFAULT_DEVICE_PATH
from ptzmapd.protocols.onvif.values import POSITION_SCALE
from ptzmapd.protocols.position import AxisRange, PanTiltRange
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec, text_key
from ptzmapd.secrets import Credentials

#: Normalised speeds become levels 1..100 before they become a share of the node's spaces.
ONVIF_LIMITS = SpeedLimits(pan=100, tilt=100, zoom=100, focus=100)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnvifOptions(ProtocolOptions):
    """``profile``: the media profile token to drive; none: the first with a PTZ configuration."""

    profile: str | None = text_key(default=None)

    def summary(self) -> str:
        return f" profile {self.profile}" if self.profile is not None else ""

    def bind(self, url: str, credentials: Credentials | None) -> tuple[ProtocolOptions, str]:
        """The ``url`` names the device service (``http://cam/onvif/device_service``; no path:
        :data:`~.codec.DEFAULT_DEVICE_PATH`). The other services' addresses come from the camera
        as paths on the same host, so the transport sends to the url's origin; the codec signs
        every request with the credentials (WS-Security) and the transport keeps them for
        HTTP Digest."""
        parts = urlsplit(url)
        path = parts.path if parts.path not in ("", "/") else DEFAULT_DEVICE_PATH
        origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return BoundOnvifOptions(profile=self.profile, device_path=path, credentials=credentials), origin


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundOnvifOptions(OnvifOptions):
    """The options with what the config's url and credentials say (see :meth:`OnvifOptions.bind`)."""

    device_path: str = DEFAULT_DEVICE_PATH
    credentials: Credentials | None = field(default=None, repr=False)

    def summary(self) -> str:
        return f" device service {self.device_path}{OnvifOptions.summary(self)}"


def _onvif(options: OnvifOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.onvif.codec import OnvifCodec

    if isinstance(options, BoundOnvifOptions):
        return OnvifCodec(limits, device_path=options.device_path, credentials=options.credentials,
                          profile=options.profile)
    return OnvifCodec(limits, profile=options.profile)


#: The codec reports the camera's pan/tilt already mapped onto the generic position space
#: −1..1 (ONVIF PTZ spec, "Generic Pan/Tilt Position Space"; :mod:`.codec` reads each node's
#: own range), in parts of :data:`POSITION_SCALE`; 0 is the centre.
ONVIF_PAN_TILT = PanTiltRange(pan=AxisRange(-POSITION_SCALE, POSITION_SCALE), tilt=AxisRange(-POSITION_SCALE, POSITION_SCALE))

ONVIF: ProtocolSpec[OnvifOptions] = ProtocolSpec(
    name="onvif", summary="ONVIF PTZ (SOAP over HTTP), WS-Security UsernameToken, HTTP Digest", transport="http",
    limits=ONVIF_LIMITS, zoom_max=POSITION_SCALE, pan_tilt=ONVIF_PAN_TILT, pacing_keys=("min_interval", "ack_timeout", "refresh"),
    # A ContinuousMove without a timeout ends after the profile's DefaultPTZTimeout (PTZ §5.3.3;
    # often 5 s, on some cameras 1 s): a held move is sent again every second so it goes on.
    pacing=Pacing(min_interval=0.1, ack_timeout=3.0, refresh=1.0),
    capabilities=CAPABILITIES, options=OnvifOptions, make_codec=_onvif, raw=RAW_HTTP,
    simulator="ptzmapd.simulators.onvif:start", discovery=WS_DISCOVERY,
)
