"""Sans-io protocol codecs and the table of protocols a config can name.

``PROTOCOLS`` maps the config's ``protocol:`` names onto a :class:`ProtocolSpec`: which
transport carries it (and which cameras share one), its default port, its speed ranges and
pacing, what it can do, and how to build a codec for one camera. An unknown name in a config
is an error listing these keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ptzmapd.vocabulary import PRESET_CLEAR
from ptzmapd.protocols import pelco, visca
from ptzmapd.protocols.base import Codec, SpeedLimits

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: What every camera protocol here can do; named actions (ptzmapd.vocabulary) come on top.
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


def _visca_wording(camera: "CameraConfig") -> dict[str, Any]:
    """A VISCA camera's ``dialect:`` and ``preset_base:`` (None: the dialect's own)."""
    base = camera.options.get("preset_base")
    return {"dialect": str(camera.options.get("dialect", visca.DEFAULT_DIALECT)),
            "preset_base": None if base is None else int(base)}


def _visca_ip(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca_ip import ViscaIpCodec

    return ViscaIpCodec(limits=limits, sequence=camera.sequence,
                        reply_sequence=str(camera.options.get("reply_sequence", "checked")), **_visca_wording(camera))


def _visca_raw(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca import ViscaCodec

    return ViscaCodec(limits=limits, **_visca_wording(camera))


def _visca_serial(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca_serial import ViscaSerialCodec

    return ViscaSerialCodec(limits=limits, address=int(camera.options["address"]), **_visca_wording(camera))


def _pelco_d(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.pelco import PelcoDCodec

    return PelcoDCodec(limits=limits, address=int(camera.options["address"]), turbo=bool(camera.options.get("turbo", False)))


def _pelco_p(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.pelco import PelcoPCodec

    return PelcoPCodec(limits=limits, address=int(camera.options["address"]), turbo=bool(camera.options.get("turbo", False)))


def _isapi(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.isapi import IsapiCodec

    return IsapiCodec(limits=limits, channel=int(camera.options.get("channel", 1)))


def _ipcam_cgi(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.ipcam_cgi import IpcamCgiCodec

    return IpcamCgiCodec(limits=limits)


def _ptzoptics_cgi(camera: "CameraConfig", limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.ptzoptics_cgi import PtzopticsCgiCodec

    return PtzopticsCgiCodec(limits=limits)


VISCA_LIMITS = SpeedLimits(pan=0x18, tilt=0x14, zoom=7, focus=7)
#: Pelco pan/tilt 0x00-0x3F; zoom and focus are on/off (1 = moving).
PELCO_LIMITS = SpeedLimits(pan=0x3F, tilt=0x3F, zoom=1, focus=1)
#: ISAPI continuous moves: -100..100 on every axis.
ISAPI_LIMITS = SpeedLimits(pan=100, tilt=100, zoom=100, focus=100)
#: IPCam CGI step moves: degrees per step 1..10; no zoom or focus over this API.
IPCAM_LIMITS = SpeedLimits(pan=10, tilt=10, zoom=0, focus=0)
#: Every VISCA protocol can do what the VISCA codec's tables encode (named actions, raw frames).
VISCA_CAPABILITIES = visca.CAPABILITIES

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
    # -- issue 3: serial and HTTP cameras (capabilities are refined by each codec module) --
    "visca-serial": ProtocolSpec(
        "visca-serial", "serial", None, VISCA_LIMITS, 0.05, 0.3, _visca_serial,
        "VISCA on RS-232/RS-422 (daisy chain of up to 7 cameras), or a serial device server", VISCA_CAPABILITIES,
    ),
    "pelco-d": ProtocolSpec(
        "pelco-d", "serial", None, PELCO_LIMITS, 0.05, 0.0, _pelco_d,
        "Pelco-D on RS-485 (no replies expected)", pelco.CAPABILITIES, stop_repeats=2, refresh=1.0,
    ),
    "pelco-p": ProtocolSpec(
        "pelco-p", "serial", None, PELCO_LIMITS, 0.05, 0.0, _pelco_p,
        "Pelco-P on RS-485 (no replies expected)", pelco.CAPABILITIES, stop_repeats=2, refresh=1.0,
    ),
    "isapi": ProtocolSpec(
        "isapi", "http", None, ISAPI_LIMITS, 0.1, 3.0, _isapi,
        "Hikvision ISAPI over HTTP(S), Digest or Basic auth",
        # No focus speed in the PTZ service; autofocus is one-push only (onepushfoucs).
        frozenset({"pan", "tilt", "zoom", "stop", "home", "preset", PRESET_CLEAR, "move-to", "jog", "autofocus", "position",
                   "light", "light on", "light off", "wiper", "wiper on", "wiper off", "raw http"}),
    ),
    "ipcam-cgi": ProtocolSpec(
        "ipcam-cgi", "http", None, IPCAM_LIMITS, 0.1, 3.0, _ipcam_cgi,
        "IP camera CGI (CAS-3xx): step moves, presets 1-24, Basic auth",
        frozenset({"pan", "tilt", "stop", "home", "preset", PRESET_CLEAR, "move-to",
                   "swing", "swing on", "swing off", "raw http"}),
        # Step moves only: a held speed is one step (sized by the speed) every half second.
        refresh=0.5,
    ),
    "ptzoptics-cgi": ProtocolSpec(
        "ptzoptics-cgi", "http", None, VISCA_LIMITS, 0.1, 3.0, _ptzoptics_cgi,
        "PTZOptics HTTP-CGI (ptzctrl.cgi)",
        frozenset({"pan", "tilt", "zoom", "focus", "stop", "home", "preset",
                   "auto-tracking", "auto-tracking on", "auto-tracking off", "raw http"}),
    ),
}

#: The protocols that speak VISCA (their cameras take ``dialect:`` and ``preset_base:``).
VISCA_PROTOCOLS: tuple[str, ...] = tuple(name for name, spec in PROTOCOLS.items() if spec.make_codec in (
    _visca_ip, _visca_raw, _visca_serial))

#: Default line speeds of the serial protocols (8N1).
DEFAULT_BAUD: dict[str, int] = {"visca-serial": 9600, "pelco-d": 2400, "pelco-p": 4800}
