"""Sans-io protocol codecs and the table of protocols a config can name.

``PROTOCOLS`` maps the config's ``protocol:`` names onto a :class:`ProtocolSpec`: which
transport carries it (and which cameras share one), its default port, its speed ranges and
pacing, what it can do, and how to build a codec for one camera. An unknown name in a config
is an error listing these keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ptzmapd.protocols.base import Codec, SpeedLimits

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: What every camera protocol here can do; named actions (mapping.actions) come on top.
BASIC_CAPABILITIES: frozenset[str] = frozenset({"pan", "tilt", "zoom", "focus", "stop", "home", "preset"})


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    name: str
    #: "udp", "tcp", "serial" or "http": picks the transport and the config keys that apply.
    transport: str
    default_port: int | None
    #: The protocol's own top speeds (VISCA pan 0x18, tilt 0x14, zoom/focus 7).
    limits: SpeedLimits
    #: Default minimum seconds between two commands to one camera.
    min_interval: float
    #: Default seconds to wait for an answer before retransmitting.
    ack_timeout: float
    make_codec: Callable[["CameraConfig", SpeedLimits], Codec]
    summary: str
    #: Action names (binding ``action:``) the protocol can carry out; ``ptzmapd check``
    #: rejects a binding that asks a camera for anything else.
    capabilities: frozenset[str] = BASIC_CAPABILITIES
    #: Reply-less protocols: extra stops, and how often a held motion is sent again.
    stop_repeats: int = 0
    refresh: float = 0.0


def _visca_ip(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca_ip import ViscaIpCodec

    return ViscaIpCodec(limits=limits, sequence=camera.sequence != "none")


def _visca_raw(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca import ViscaCodec

    return ViscaCodec(limits=limits)


VISCA_LIMITS = SpeedLimits(pan=0x18, tilt=0x14, zoom=7, focus=7)
VISCA_CAPABILITIES = BASIC_CAPABILITIES | {"autofocus", "position"}

PROTOCOLS: dict[str, ProtocolSpec] = {
    "visca-ip": ProtocolSpec(
        "visca-ip", "udp", 52381, VISCA_LIMITS, 0.05, 0.2, _visca_ip,
        "Sony VISCA over IP (UDP, header with sequence numbers)", VISCA_CAPABILITIES,
    ),
    "visca-udp": ProtocolSpec(
        "visca-udp", "udp", 1259, VISCA_LIMITS, 0.05, 0.2, _visca_raw,
        "raw VISCA frames over UDP (PTZOptics and others)", VISCA_CAPABILITIES,
    ),
    "visca-tcp": ProtocolSpec(
        "visca-tcp", "tcp", 5678, VISCA_LIMITS, 0.05, 0.3, _visca_raw,
        "raw VISCA frames on a TCP stream (PTZOptics and others)", VISCA_CAPABILITIES,
    ),
}
