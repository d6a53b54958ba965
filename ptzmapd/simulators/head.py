"""The simulated head: where each axis of a simulated camera points, moved on by time.

One kinematic model for every simulator (VISCA, Pelco, the HTTP cameras), in each protocol's
own units. An axis has a travel (clamped at its ends, or turning all the way round) and is
either driven at a signed speed (units per second) or seeking a target at its top rate (a
VISCA preset recall travels; the other simulators jump with :meth:`Head.go`). A momentary
move (ISAPI ``momentary``) stops every axis at :attr:`Head.stop_at`. Time never runs
backwards in the model: a ``now`` earlier than the last one moves nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Positions this close to a target have arrived (float steps never land exactly on it).
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Axis:
    """One axis's travel: ``low..high`` (units), and how fast it seeks a target."""

    low: float
    high: float
    #: Whether the axis turns all the way round (``position % high``) instead of stopping at its ends.
    wraps: bool = False
    #: Units per second while seeking a target (the axis's top speed).
    top_rate: float = 0.0

    def place(self, position: float) -> float:
        """Where ``position`` lands on this axis: wrapped round, or clamped to its ends."""
        if self.wraps:
            return position % self.high
        return min(self.high, max(self.low, position))


@dataclass(slots=True)
class Head:
    """Where the camera points and what moves each axis: a speed, or a target it seeks."""

    axes: dict[str, Axis]
    position: dict[str, float] = field(default_factory=dict)
    #: Signed units per second, by axis, for axes not seeking a target.
    speed: dict[str, float] = field(default_factory=dict)
    #: Axes seeking a position at their top rate (they ignore ``speed`` meanwhile)...
    target: dict[str, float] = field(default_factory=dict)
    #: ...times this share of it (a VISCA preset recall at a preset speed travels slower).
    seek_share: float = 1.0
    #: A momentary move stops every axis at this time (ISAPI ``momentary``).
    stop_at: float | None = None
    presets: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Named switches: light, wiper, swing, auto-tracking.
    switches: dict[str, str] = field(default_factory=dict)
    #: The time the positions are for; None until the first :meth:`advance`.
    time: float | None = None

    def __post_init__(self) -> None:
        for name, axis in self.axes.items():
            self.position.setdefault(name, max(axis.low, 0.0))
            self.speed.setdefault(name, 0.0)

    def advance(self, now: float) -> None:
        """Move every axis on to ``now`` (a momentary move ends on time)."""
        if self.time is None:
            self.time = now
        self.integrate(now if self.stop_at is None else min(now, self.stop_at))
        if self.stop_at is not None and now >= self.stop_at:
            self.speed = {name: 0.0 for name in self.axes}
            self.stop_at = None
        self.time = max(self.time, now)

    def integrate(self, until: float) -> None:
        """Move every axis on to ``until`` at its speed, or towards its target (no stop_at)."""
        if self.time is None:
            self.time = until
            return
        elapsed = until - self.time
        if elapsed <= 0:
            return
        for name, axis in self.axes.items():
            target = self.target.get(name)
            if target is None:
                self.position[name] = axis.place(self.position[name] + self.speed[name] * elapsed)
                continue
            remaining = target - self.position[name]
            step = axis.top_rate * self.seek_share * elapsed
            if abs(remaining) <= step + _EPSILON:
                self.position[name] = target
            else:
                self.position[name] += math.copysign(step, remaining)
        self.time = until

    def seek_time(self) -> float:
        """Seconds until every axis with a target reaches it."""
        return max(
            (abs(target - self.position[name]) / (self.axes[name].top_rate * self.seek_share)
             for name, target in self.target.items()),
            default=0.0,
        )

    def velocity(self, name: str) -> float:
        """The axis's signed speed now: its drive, or its top rate towards its target."""
        target = self.target.get(name)
        if target is None:
            return self.speed[name]
        remaining = target - self.position[name]
        return math.copysign(self.axes[name].top_rate * self.seek_share, remaining) if remaining else 0.0

    def drive(self, name: str, speed: float) -> None:
        """Drive one axis at ``speed`` (units per second), dropping any target it sought."""
        self.speed[name] = speed
        self.target.pop(name, None)

    def seek(self, targets: dict[str, float], share: float = 1.0) -> None:
        """Send axes towards positions at ``share`` (0..1) of their top rate (they stop driving)."""
        self.seek_share = share
        for name, value in targets.items():
            self.speed[name] = 0.0
            self.target[name] = self.axes[name].place(value)

    def go(self, target: dict[str, float]) -> None:
        """Jump to a position and stand still (presets, home, absolute moves)."""
        for name, value in target.items():
            self.position[name] = self.axes[name].place(value)
        self.speed = {name: 0.0 for name in self.axes}
        self.target.clear()
        self.stop_at = None

    @property
    def moving(self) -> bool:
        return bool(self.target) or any(speed != 0.0 for speed in self.speed.values())
