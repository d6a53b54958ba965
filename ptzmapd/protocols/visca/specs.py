"""The VISCA protocols: Sony VISCA over IP, raw frames over UDP and TCP, and the RS-232/422
daisy chain. Their settings (dialect, preset base; the IP header's sequence switches; the
chain address) and their specs."""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.protocols.base import Codec, SpeedLimits
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


VISCA_IP: ProtocolSpec[ViscaIpOptions] = ProtocolSpec(
    name="visca-ip", summary="Sony VISCA over IP (UDP, header with sequence numbers)",
    transport="udp", default_port=52381, limits=VISCA_LIMITS, lens_speed_from_zero=True, zoom_max=ZOOM_TELE,
    pacing=Pacing(min_interval=0.05, ack_timeout=0.2), capabilities=CAPABILITIES,
    options=ViscaIpOptions, make_codec=_visca_ip, raw=RAW_VISCA, simulator="ptzmapd.simulators.visca:start",
)
VISCA_UDP: ProtocolSpec[ViscaOptions] = ProtocolSpec(
    name="visca-udp", summary="raw VISCA frames over UDP (PTZOptics and others)",
    transport="udp", default_port=1259, limits=VISCA_LIMITS, lens_speed_from_zero=True, zoom_max=ZOOM_TELE,
    pacing=Pacing(min_interval=0.05, ack_timeout=0.2), capabilities=CAPABILITIES,
    options=ViscaOptions, make_codec=_visca_raw, raw=RAW_VISCA, simulator="ptzmapd.simulators.visca:start",
)
VISCA_TCP: ProtocolSpec[ViscaOptions] = ProtocolSpec(
    name="visca-tcp", summary="raw VISCA frames on a TCP stream (PTZOptics and others)",
    transport="tcp", default_port=5678, limits=VISCA_LIMITS, lens_speed_from_zero=True, zoom_max=ZOOM_TELE,
    pacing=Pacing(min_interval=0.05, ack_timeout=0.3), capabilities=CAPABILITIES,
    options=ViscaOptions, make_codec=_visca_raw, raw=RAW_VISCA, simulator="ptzmapd.simulators.visca:start",
)
VISCA_SERIAL: ProtocolSpec[ViscaSerialOptions] = ProtocolSpec(
    name="visca-serial",
    summary="VISCA on RS-232/RS-422 (daisy chain of up to 7 cameras), or a serial device server",
    transport="serial", default_baud=9600, limits=VISCA_LIMITS, lens_speed_from_zero=True, zoom_max=ZOOM_TELE,
    pacing=Pacing(min_interval=0.05, ack_timeout=0.3), capabilities=CAPABILITIES,
    options=ViscaSerialOptions, make_codec=_visca_serial, raw=RAW_VISCA, simulator="ptzmapd.simulators.serial:start",
)
