"""What is on air: which cameras each switcher has on program and on preview, and the rules
that follow from it for the pipeline — the live lockout (:meth:`OnAir.limit`, the one gate
every motion passes), the ``preview``/``program`` targets and the bus ``follow:`` tracks.

The switchers themselves live above the pipeline (:mod:`ptzmapd.switchers`, started by the
assembly point); what reaches the pipeline is their state in camera names (:class:`Buses`),
and what the pipeline asks of them goes through an injected :class:`SwitcherDesk`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ptzmapd.commands import Command, Home, Jog, MoveTo, PresetRecall
from ptzmapd.vocabulary import Target

#: ``live:`` values: motion aimed at the camera on program is sent, not sent, or slowed.
LIVE_OFF = "off"
LIVE_BLOCK = "block"
LIVE_SLOW = "slow"
LIVE_MODES: tuple[str, ...] = (LIVE_OFF, LIVE_BLOCK, LIVE_SLOW)
#: ``follow:`` values: the bus ``selected`` tracks, or none.
FOLLOW_OFF = "off"
FOLLOW_MODES: tuple[str, ...] = (Target.PREVIEW, Target.PROGRAM, FOLLOW_OFF)

#: Discrete commands that move a camera: a live lockout holds them back (``slow`` too: a
#: preset travels at the camera's own speed, which no factor can slow).
MOVING_COMMANDS: tuple[type[Command], ...] = (PresetRecall, Home, MoveTo, Jog)


@dataclass(frozen=True, slots=True)
class Buses:
    """One switcher's buses in camera names: the cameras whose sources are on program and on
    preview (empty when no mapped source is)."""

    program: frozenset[str] = frozenset()
    preview: frozenset[str] = frozenset()

    def on(self, bus: str) -> frozenset[str]:
        return self.program if bus == Target.PROGRAM else self.preview


@dataclass(frozen=True, slots=True)
class SwitcherRules:
    """What one switcher's state does in the pipeline (its ``switchers:`` entry): which bus
    ``selected`` follows (``follow``; the camera left behind keeps moving on the new one with
    ``carry``) in which selection groups (``groups``; None: every group), and the live lockout
    of the camera on program (``live``, ``live_factor``)."""

    follow: str = FOLLOW_OFF
    carry: bool = False
    groups: frozenset[str] | None = None
    live: str = LIVE_OFF
    live_factor: float = 0.25


class SwitcherDesk(Protocol):
    """What the pipeline may ask of the switchers: ``action`` is one of
    :data:`~ptzmapd.vocabulary.SWITCHER_ACTIONS`, ``camera`` the camera whose source goes to
    preview (None for cut and auto), ``switcher`` a configured name (None: the only one).
    Returns at once; a refusal is the desk's to log."""

    def request(self, action: str, camera: str | None, switcher: str | None) -> None: ...


class OnAir:
    """Every switcher's buses and the live lockout they impose (``override`` lifts it)."""

    def __init__(self, rules: Mapping[str, SwitcherRules]) -> None:
        self.rules = dict(rules)
        self.buses: dict[str, Buses] = {name: Buses() for name in rules}
        #: A live-override button is held: nothing is locked out.
        self.override = False
        # Camera -> its speed factor under a lockout (absent: free). Kept up to date on every
        # change, so the gate is one lookup on the hot path.
        self._limits: dict[str, float] = {}

    def update(self, switcher: str, buses: Buses) -> set[str]:
        """``switcher`` shows ``buses`` now; returns the cameras whose limit changed."""
        self.buses[switcher] = buses
        return self._recompute()

    def set_override(self, active: bool) -> set[str]:
        """Lift (or restore) every lockout; returns the cameras whose limit changed."""
        self.override = active
        return self._recompute()

    def limit(self, camera: str) -> float:
        """The speed factor motion aimed at ``camera`` gets now: 1.0 free, a switcher's
        ``live_factor`` while it has the camera on program with ``live: slow``, 0.0 (nothing
        moves it) with ``live: block``. The strictest switcher wins."""
        return self._limits.get(camera, 1.0)

    def cameras_on(self, bus: str) -> set[str]:
        """The cameras any switcher has on ``bus`` (``preview`` or ``program``)."""
        found: set[str] = set()
        for buses in self.buses.values():
            found |= buses.on(bus)
        return found

    def tally(self, camera: str) -> tuple[bool, bool]:
        """(on program, on preview) of ``camera`` on any switcher."""
        return (any(camera in b.program for b in self.buses.values()),
                any(camera in b.preview for b in self.buses.values()))

    def _recompute(self) -> set[str]:
        limits: dict[str, float] = {}
        if not self.override:
            for name, rules in self.rules.items():
                if rules.live == LIVE_OFF:
                    continue
                factor = 0.0 if rules.live == LIVE_BLOCK else rules.live_factor
                for camera in self.buses[name].program:
                    limits[camera] = min(factor, limits.get(camera, 1.0))
        changed = {camera for camera in limits.keys() | self._limits.keys()
                   if limits.get(camera, 1.0) != self._limits.get(camera, 1.0)}
        self._limits = limits
        return changed
