"""Axis shaping of one binding: deadzone, response curve, invert, scale.

A stick or fader value (-1..1) goes through, in order: the deadzone (with the rest of the
travel rescaled, so speed starts from zero at the deadzone's edge instead of jumping), the
curve (linear, expo, or points), invert, and scale (the binding's top speed). Symmetric:
the curve shapes the magnitude and the sign is kept.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AxisShape:
    deadzone: float = 0.0
    #: RC-style expo: 0 = linear, 1 = fully cubic (fine control near the centre).
    expo: float = 0.0
    #: Piecewise-linear curve over the magnitude: ((0, 0), ..., (1, 1)); overrides expo.
    points: tuple[tuple[float, float], ...] = ()
    invert: bool = False
    scale: float = 1.0

    @property
    def identity(self) -> bool:
        return self == IDENTITY


IDENTITY = AxisShape()


def apply_deadzone(value: float, deadzone: float) -> float:
    magnitude = abs(value)
    if magnitude <= deadzone:
        return 0.0
    if deadzone <= 0:
        return value
    rescaled = (magnitude - deadzone) / (1.0 - deadzone)
    return rescaled if value > 0 else -rescaled


def apply_points(magnitude: float, points: tuple[tuple[float, float], ...]) -> float:
    xs = [x for x, _ in points]
    index = bisect.bisect_right(xs, magnitude)
    if index == 0:
        return points[0][1]
    if index >= len(points):
        return points[-1][1]
    (x0, y0), (x1, y1) = points[index - 1], points[index]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (magnitude - x0) / (x1 - x0)


def shape(value: float, axis: AxisShape) -> float:
    """The speed a control position asks for, -1..1."""
    if not math.isfinite(value):
        return 0.0  # min()/max() would turn NaN into full speed
    if axis is IDENTITY:
        return value
    value = apply_deadzone(max(-1.0, min(1.0, value)), axis.deadzone)
    magnitude = abs(value)
    if axis.points:
        magnitude = apply_points(magnitude, axis.points)
    elif axis.expo:
        magnitude = (1.0 - axis.expo) * magnitude + axis.expo * magnitude**3
    result = magnitude if value >= 0 else -magnitude
    if axis.invert:
        result = -result
    return max(-1.0, min(1.0, result * axis.scale))
