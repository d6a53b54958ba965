"""The VISCA protocols: Sony VISCA over IP, raw frames over UDP and TCP, and the RS-232/422
daisy chain. Their settings (dialect, preset base; the IP header's sequence switches; the
chain address) and their specs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.position import AxisRange, PanTiltRange
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec, RawKind, choice_key, flag_key, integer_key
from ptzmapd.protocols.visca.encode import parse_visca_raw
from ptzmapd.protocols.visca.ip import DEFAULT_REPLY_SEQUENCE, DEFAULT_SEQUENCE, REPLY_SEQUENCE, SEQUENCE_MODES
from ptzmapd.protocols.visca.tables import (
    CAPABILITIES,
    DEFAULT_DIALECT,
    DIALECTS,
    PAN_TOP,
    TALLY_CHOICES,
    TALLY_NONE,
    TILT_TOP,
    VARIABLE_TOP,
)

#: VISCA pan 0x01-0x18, tilt 0x01-0x14, zoom/focus p 0-7.
VISCA_LIMITS = SpeedLimits(pan=PAN_TOP, tilt=TILT_TOP, zoom=VARIABLE_TOP, focus=VARIABLE_TOP)
#: The zoom position at full tele (CAM_ZoomPosInq 0x0000-0x4000).
ZOOM_TELE = 0x4000
#: Pan/tilt positions (CAM_PanTiltPosInq ``y0 50 0w 0w 0w 0w 0z 0z 0z 0z FF``, signed
#: 16-bit, 0 the home position: specs/ptzoptics-visca-over-ip-commands.txt, and ERRATA's
#: "four pan nibbles and four tilt nibbles"). Neither spec file prints the range: this is
#: PTZOptics' published travel, pan ±170° and tilt −30°..+90° at 14.4 units a degree
#: (0xF670..0x0990, 0xFE50..0x0510), the range the simulated camera has too. A Sony head
#: with less travel reaches less than ±1; one with more is clamped there.
VISCA_PAN_TILT = PanTiltRange(pan=AxisRange(-2448, 2448), tilt=AxisRange(-432, 1296))
RAW_VISCA = RawKind(kind="visca", parse=parse_visca_raw, example="'81 01 04 38 02 FF'")


@dataclass(frozen=True, slots=True, kw_only=True)
class ViscaOptions(ProtocolOptions):
    """Where VISCA vendors differ (:data:`DIALECTS`): one-push AF bytes, and the preset number
    the camera shows for memory 0 (``preset_base``; None: the dialect's own). ``tally``: how
    its tally lamps are lit from a switcher (:data:`~.tables.TALLY_DIALECTS`; none: left
    alone); ``tally_preview``: preview is shown too (Sony's green lamp, where the model has
    one; PTZOptics' one lamp flashing)."""

    dialect: str = choice_key(DIALECTS, default=DEFAULT_DIALECT)
    preset_base: int | None = integer_key(0, 1, default=None)
    tally: str = choice_key(TALLY_CHOICES, default=TALLY_NONE)
    tally_preview: bool = flag_key(default=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ViscaIpOptions(ViscaOptions):
    """VISCA-over-IP quirks (ERRATA; :mod:`.ip`): ``sequence`` "on" counts the sequence number,
    "fixed" keeps the header and numbers every message 1, "none" sends bare frames; a camera
    that counts but answers everything with 1 takes ``reply_sequence: ignored``."""

    sequence: str = choice_key(SEQUENCE_MODES, default=DEFAULT_SEQUENCE)
    reply_sequence: str = choice_key(REPLY_SEQUENCE, default=DEFAULT_REPLY_SEQUENCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ViscaSerialOptions(ViscaOptions):
    """The camera's place on the daisy chain (1..7)."""

    address: int = integer_key(1, 7)

    @property
    def bus_address(self) -> int | None:
        return self.address


def _visca_ip(options: ViscaIpOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca.ip import ViscaIpCodec

    return ViscaIpCodec(limits=limits, sequence=options.sequence, reply_sequence=options.reply_sequence,
                        dialect=options.dialect, preset_base=options.preset_base,
                        tally=options.tally, tally_preview=options.tally_preview)


def _visca_raw(options: ViscaOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca.codec import ViscaCodec

    return ViscaCodec(limits=limits, dialect=options.dialect, preset_base=options.preset_base,
                      tally=options.tally, tally_preview=options.tally_preview)


def _visca_serial(options: ViscaSerialOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.visca.serial import ViscaSerialCodec

    return ViscaSerialCodec(limits=limits, address=options.address, dialect=options.dialect,
                            preset_base=options.preset_base, tally=options.tally,
                            tally_preview=options.tally_preview)


O = TypeVar("O", bound=ViscaOptions)


def _visca(
    name: str, summary: str, transport: str, options: type[O], make_codec: Callable[[O, SpeedLimits], Codec],
    ack_timeout: float, simulator: str, default_port: int | None = None, default_baud: int | None = None,
) -> ProtocolSpec[O]:
    """A VISCA spec: what every transport of the family shares (speeds, lens, positions,
    capabilities, raw frames, 50 ms pacing), with the transport's own facts."""
    return ProtocolSpec(
        name=name, summary=summary, transport=transport, default_port=default_port, default_baud=default_baud,
        limits=VISCA_LIMITS, lens_speed_from_zero=True, zoom_max=ZOOM_TELE, pan_tilt=VISCA_PAN_TILT,
        pacing=Pacing(min_interval=0.05, ack_timeout=ack_timeout), capabilities=CAPABILITIES,
        options=options, make_codec=make_codec, raw=RAW_VISCA, simulator=simulator,
    )


VISCA_IP = _visca("visca-ip", "Sony VISCA over IP (UDP, header with sequence numbers)", "udp", ViscaIpOptions,
                  _visca_ip, 0.2, "ptzmapd.simulators.visca:start", default_port=52381)
VISCA_UDP = _visca("visca-udp", "raw VISCA frames over UDP (PTZOptics and others)", "udp", ViscaOptions,
                   _visca_raw, 0.2, "ptzmapd.simulators.visca:start", default_port=1259)
VISCA_TCP = _visca("visca-tcp", "raw VISCA frames on a TCP stream (PTZOptics and others)", "tcp", ViscaOptions,
                   _visca_raw, 0.3, "ptzmapd.simulators.visca:start", default_port=5678)
VISCA_SERIAL = _visca(
    "visca-serial", "VISCA on RS-232/RS-422 (daisy chain of up to 7 cameras), or a serial device server",
    "serial", ViscaSerialOptions, _visca_serial, 0.3, "ptzmapd.simulators.serial:start", default_baud=9600,
)
