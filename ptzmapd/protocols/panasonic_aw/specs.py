"""Panasonic AW-HE/UE: its setting (which tally lamps ptzmapd drives) and spec.

Pacing: the AW-HE40 interface specification asks for 130 ms between pan-tilt head commands
(:data:`~.tables.MIN_INTERVAL`), measured at the camera: from its answer to the previous
command (``Pacing.from_reply``). Other models publish their own interval; ``min_interval:``
sets it per camera.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.http import RAW_HTTP
from ptzmapd.protocols.panasonic_aw.codec import CAPABILITIES
from ptzmapd.protocols.panasonic_aw.tables import CENTRE, MIN_INTERVAL, POSITIONS, SPEED_STEPS
from ptzmapd.protocols.position import AxisRange, PanTiltRange
from ptzmapd.protocols.spec import Pacing, ProtocolOptions, ProtocolSpec, choice_key

#: Speed digits 50 ± 1..49 on every axis.
PANASONIC_LIMITS = SpeedLimits(pan=SPEED_STEPS, tilt=SPEED_STEPS, zoom=SPEED_STEPS, focus=SPEED_STEPS)
#: Tally dialects: ``panasonic`` drives the red (program) and green (preview) lamps.
TALLY_DIALECTS: tuple[str, ...] = ("none", "panasonic")


@dataclass(frozen=True, slots=True, kw_only=True)
class PanasonicAwOptions(ProtocolOptions):
    """``tally``: whether a switcher's program/preview drives the camera's lamps (TLR/TLG)."""

    tally: str = choice_key(TALLY_DIALECTS, default="none")

    def summary(self) -> str:
        return f" tally {self.tally}" if self.tally != "none" else ""


def _panasonic_aw(options: PanasonicAwOptions, limits: SpeedLimits) -> Codec:
    from ptzmapd.protocols.panasonic_aw.codec import PanasonicAwCodec

    return PanasonicAwCodec(limits=limits, tally=options.tally)


#: ``#APC``/``aPC`` positions: pan and tilt 0000–FFFF, 8000 the centre of each, which is home
#: (:mod:`.tables`). The codec asks for no position yet: this is the range one is read over.
PANASONIC_PAN_TILT = PanTiltRange(
    pan=AxisRange(POSITIONS.start, POSITIONS.stop - 1, home=CENTRE),
    tilt=AxisRange(POSITIONS.start, POSITIONS.stop - 1, home=CENTRE),
)

PANASONIC_AW: ProtocolSpec[PanasonicAwOptions] = ProtocolSpec(
    name="panasonic-aw", summary="Panasonic AW-HE/UE over HTTP (aw_ptz, aw_cam)", transport="http",
    limits=PANASONIC_LIMITS, pan_tilt=PANASONIC_PAN_TILT,
    pacing=Pacing(min_interval=MIN_INTERVAL, ack_timeout=3.0, from_reply=True),
    capabilities=CAPABILITIES, options=PanasonicAwOptions, make_codec=_panasonic_aw, raw=RAW_HTTP,
    simulator="ptzmapd.simulators.panasonic_aw:start",
)
