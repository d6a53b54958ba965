"""Pelco-D and Pelco-P on RS-485: their settings (bus address, turbo) and specs.

Reply-less wiring: a lost stop is a runaway camera, so stops are sent again
(``stop_repeats``) and a held motion is refreshed (``refresh``, seconds); both are pacing
keys a camera may set."""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.pelco.codec import CAPABILITIES, PAN_TOP, TILT_TOP, parse_pelco_raw
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec, RawKind, flag_key, integer_key

#: Pelco pan/tilt 0x00-0x3F; zoom and focus are on/off (1 = moving).
PELCO_LIMITS = SpeedLimits(pan=PAN_TOP, tilt=TILT_TOP, zoom=1, focus=1)
RAW_PELCO = RawKind(kind="pelco", parse=parse_pelco_raw, example="'00 07 00 05'")
#: Replies are not expected: no ACK to wait for; stops twice more, motion refreshed each second.
PELCO_PACING = Pacing(min_interval=0.05, ack_timeout=0.0, stop_repeats=2, refresh=1.0)
PELCO_PACING_KEYS = ("min_interval", "ack_timeout", "stop_repeats", "refresh")


@dataclass(frozen=True, slots=True, kw_only=True)
class PelcoOptions(ProtocolOptions):
    """``address`` as the camera's dial shows it, 1..255 (Pelco-P sends it zero-based);
    ``turbo``: full pan speed uses the turbo byte."""

    address: int = integer_key(1, 255)
    turbo: bool = flag_key(default=False)

    @property
    def bus_address(self) -> int | None:
        return self.address


def _pelco_d(options: PelcoOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.pelco.codec import PelcoDCodec

    return PelcoDCodec(limits=limits, address=options.address, turbo=options.turbo)


def _pelco_p(options: PelcoOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.pelco.codec import PelcoPCodec

    return PelcoPCodec(limits=limits, address=options.address, turbo=options.turbo)


PELCO_D: ProtocolSpec[PelcoOptions] = ProtocolSpec(
    name="pelco-d", summary="Pelco-D on RS-485 (no replies expected)", transport="serial", default_baud=2400,
    limits=PELCO_LIMITS, pacing=PELCO_PACING, pacing_keys=PELCO_PACING_KEYS, capabilities=CAPABILITIES,
    options=PelcoOptions, make_codec=_pelco_d, raw=RAW_PELCO, simulator="ptzmapd.simulators.serial:start",
)
PELCO_P: ProtocolSpec[PelcoOptions] = ProtocolSpec(
    name="pelco-p", summary="Pelco-P on RS-485 (no replies expected)", transport="serial", default_baud=4800,
    limits=PELCO_LIMITS, pacing=PELCO_PACING, pacing_keys=PELCO_PACING_KEYS, capabilities=CAPABILITIES,
    options=PelcoOptions, make_codec=_pelco_p, raw=RAW_PELCO, simulator="ptzmapd.simulators.serial:start",
)
