"""Reported pan/tilt positions normalised: each protocol states the mechanical range of its
position units (:class:`PanTiltRange`, on its ``ProtocolSpec.pan_tilt``, with the spec or
ERRATA line it comes from), and the controller turns a position reply into -1..1 with it,
so nothing above the codecs needs to know a protocol's units.

-1..1 spans the documented range with 0 at the home (centre) position: a value right of
(above) home is its share of the way to the range's high end, one left of (below) home its
share of the way to the low end, negated. So an axis that travels further one way than the
other (VISCA tilt −30°..+90°) still reports 0 at home and ±1 at its two stops. Values past
the documented ends (a camera model with more travel) are clamped to ±1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AxisRange:
    """One axis's reported positions, in the protocol's units: ``low``..``high``, with the
    home position at ``home``. ``turn``: the units of a full turn, for an axis that reports
    its angle round the circle (ISAPI azimuth 0..3600): a value is then read as the shorter
    way from home, so just left of home is just below 0, not near +1."""

    low: float
    high: float
    home: float = 0
    turn: float | None = None

    def normalise(self, value: float) -> float:
        """``value`` as -1..1 (0 = home; see the module docstring)."""
        offset = value - self.home
        if self.turn is not None:
            offset = (offset + self.turn / 2) % self.turn - self.turn / 2
        span = self.high - self.home if offset > 0 else self.home - self.low
        return 0.0 if offset == 0 else max(-1.0, min(1.0, offset / span))


@dataclass(frozen=True, slots=True)
class PanTiltRange:
    """A protocol's pan and tilt position ranges (pan first, as replies give them)."""

    pan: AxisRange
    tilt: AxisRange

    def normalise(self, pan: float, tilt: float) -> tuple[float, float]:
        """(pan, tilt) in protocol units as (-1..1, -1..1)."""
        return self.pan.normalise(pan), self.tilt.normalise(tilt)
