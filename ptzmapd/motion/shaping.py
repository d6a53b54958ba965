"""How a requested speed becomes the speed a camera is sent: ramps, steps, zoom.

Pure functions and small value objects; time comes in as ``now`` (seconds).

- :class:`Ramp` limits how fast a speed may change (normalised speed per second), with a
  separate limit for speeding up and slowing down, so starts and stops look smooth on air.
  A release (target 0) is immediate unless ``soft_stop`` is on, and even then it never takes
  longer than ``|speed| / decel`` nor than :data:`SOFT_STOP_MAX`.
- :class:`Steps` quantises a speed onto the protocol's speed steps with hysteresis: a resting
  hand that wobbles around a step boundary keeps the step it has, so the camera is not sent
  a new command for every tremor (no chatter).
- :func:`zoom_factor` slows pan/tilt as the camera zooms in: at full tele a stick deflection
  that pans 90°/s at wide would cross the frame in an instant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


#: Seconds a soft stop may take at most, from full speed: a released control must end the
#: motion soon whatever ``decel`` says (``decel: 0.01``, a user thinking in seconds, would
#: otherwise keep the camera moving 100 s with nobody touching anything).
SOFT_STOP_MAX = 2.0


@dataclass(frozen=True, slots=True)
class RampLimits:
    #: Normalised speed per second when speeding up (0 = no limit).
    accel: float = 0.0
    #: ...when slowing down (0 = no limit).
    decel: float = 0.0
    #: Ramp a release down too (otherwise a release stops at once).
    soft_stop: bool = False

    @property
    def active(self) -> bool:
        return self.accel > 0 or self.decel > 0


def ramp_step(current: float, target: float, elapsed: float, limits: RampLimits) -> float:
    """The speed after ``elapsed`` seconds of moving from ``current`` toward ``target``.

    Slowing down (toward zero, or through zero to the other side) uses ``decel``; speeding up
    uses ``accel``. A reversal spends its time on both: first down to zero, then up.
    """
    if target == current:
        return target
    if target == 0.0 and not limits.soft_stop:
        return 0.0  # a hand that lets go means stop, now
    remaining = max(0.0, elapsed)
    speed = current
    decel = max(limits.decel, 1.0 / SOFT_STOP_MAX) if target == 0.0 and limits.decel > 0 else limits.decel
    if speed != 0.0 and (target * speed < 0 or abs(target) < abs(speed)):
        goal = 0.0 if target * speed < 0 else target
        if decel > 0:
            needed = abs(speed - goal) / decel
            if needed > remaining + 1e-9:  # float residue must not leave a creeping 1e-13
                return speed - math.copysign(decel * remaining, speed)
            remaining -= needed
        speed = goal
        if speed == target:
            return speed
    if limits.accel <= 0:
        return target
    step = limits.accel * remaining
    if abs(target - speed) <= step + 1e-9:
        return target
    return speed + math.copysign(step, target - speed)


class Ramp:
    """One axis's speed on its way to a target."""

    __slots__ = ("limits", "current", "target", "_at")

    def __init__(self, limits: RampLimits) -> None:
        self.limits = limits
        self.current = 0.0
        self.target = 0.0
        self._at = 0.0

    def set_target(self, target: float, now: float) -> float:
        self.advance(now)
        self.target = target
        if not self.limits.active or (target == 0.0 and not self.limits.soft_stop):
            self.current = target
        return self.current

    def advance(self, now: float) -> float:
        elapsed = now - self._at
        self._at = now
        self.current = ramp_step(self.current, self.target, elapsed, self.limits)
        return self.current

    @property
    def settled(self) -> bool:
        return self.current == self.target


class Steps:
    """Quantise a speed onto ``count`` protocol steps, keeping the current step until the
    speed is clearly past a boundary (by ``hysteresis`` of a step).

    Step ``n`` (1..count) stands for speeds in ((n-1)/count, n/count]: the same split the
    codecs use (``ceil(|s| * count)``), so the value returned encodes to exactly step ``n``.
    """

    __slots__ = ("count", "hysteresis", "level")

    def __init__(self, count: int, hysteresis: float = 0.3) -> None:
        self.count = max(1, count)
        self.hysteresis = hysteresis
        self.level = 0  # signed: -count..count

    def quantise(self, speed: float) -> float:
        if speed == 0.0:
            self.level = 0
            return 0.0
        raw = abs(speed) * self.count
        sign = 1 if speed > 0 else -1
        level = min(self.count, max(1, math.ceil(raw - 1e-9)))
        held = abs(self.level)
        if held and (self.level > 0) == (sign > 0):
            # Within the held step's range widened by the hysteresis: keep it.
            if held - 1 - self.hysteresis < raw <= held + self.hysteresis:
                level = held
        self.level = sign * level
        return self.level / self.count


@dataclass(frozen=True, slots=True)
class ZoomCurve:
    """Pan/tilt speed factor along the zoom range: 1 at wide, ``at_tele`` at full tele.

    ``exponent`` bends the curve (1 = linear; 2 = stays fast longer, then slows near tele),
    which suits lenses whose field of view narrows faster at the long end.
    """

    at_tele: float = 1.0
    exponent: float = 1.0

    @property
    def active(self) -> bool:
        return self.at_tele < 1.0


def zoom_factor(zoom: float, curve: ZoomCurve) -> float:
    """``zoom`` is the lens position, 0 (wide) .. 1 (tele)."""
    zoom = min(1.0, max(0.0, zoom))
    return 1.0 - (1.0 - curve.at_tele) * float(zoom**curve.exponent)


class ZoomEstimate:
    """Where the lens is, estimated from the zoom speeds sent when the camera cannot say.

    ``travel_time`` is how long the lens takes from wide to tele at full speed.
    """

    __slots__ = ("travel_time", "position", "_speed", "_at")

    def __init__(self, travel_time: float, position: float = 0.0) -> None:
        self.travel_time = travel_time
        self.position = position
        self._speed = 0.0
        self._at = 0.0

    def update(self, now: float) -> float:
        if self._speed and self.travel_time > 0:
            self.position += self._speed * (now - self._at) / self.travel_time
            self.position = min(1.0, max(0.0, self.position))
        self._at = now
        return self.position

    def set_speed(self, speed: float, now: float) -> None:
        self.update(now)
        self._speed = speed
