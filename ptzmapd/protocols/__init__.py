"""Sans-io protocol codecs and the table of protocols a config can name.

``PROTOCOLS`` maps the config's ``protocol:`` names onto a :class:`ProtocolSpec`: which
transport carries it, its default port, its speed ranges and pacing, and how to build a
codec for one camera. An unknown name in a config is an error listing these keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ptzmapd.protocols.base import Codec, SpeedLimits

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    name: str
    #: "udp", "tcp" (later "serial", "http").
    transport: str
    default_port: int | None
    #: The protocol's own top speeds (VISCA pan 0x18, tilt 0x14, zoom/focus 7).
    limits: SpeedLimits
    #: Default minimum seconds between two commands to one camera.
    min_interval: float
    #: Default seconds to wait for an ACK before retransmitting.
    ack_timeout: float
    make_codec: Callable[["CameraConfig", SpeedLimits], Codec]
    summary: str


def _visca_ip(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca_ip import ViscaIpCodec

    return ViscaIpCodec(limits=limits, sequence=camera.sequence != "none")


def _visca_raw(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca import ViscaCodec

    return ViscaCodec(limits=limits)


VISCA_LIMITS = SpeedLimits(pan=0x18, tilt=0x14, zoom=7, focus=7)

PROTOCOLS: dict[str, ProtocolSpec] = {
    "visca-ip": ProtocolSpec(
        "visca-ip", "udp", 52381, VISCA_LIMITS, 0.05, 0.2, _visca_ip,
        "Sony VISCA over IP (UDP, header with sequence numbers)",
    ),
    "visca-udp": ProtocolSpec(
        "visca-udp", "udp", 1259, VISCA_LIMITS, 0.05, 0.2, _visca_raw,
        "raw VISCA frames over UDP (PTZOptics and others)",
    ),
    "visca-tcp": ProtocolSpec(
        "visca-tcp", "tcp", 5678, VISCA_LIMITS, 0.05, 0.3, _visca_raw,
        "raw VISCA frames on a TCP stream (PTZOptics and others)",
    ),
}
