"""Turning raw control values into normalised speeds, and telling presses from releases."""

from __future__ import annotations

from ptzmapd.events import ControlEvent
from ptzmapd.vocabulary import ControlKind

CC_CENTRE = 64
# Members bound once: an enum attribute lookup on every event costs more than the comparison.
_CC, _PROGRAM = ControlKind.CC, ControlKind.PROGRAM
PITCHBEND_MAX = 8191
PITCHBEND_MIN = -8192


def cc_bipolar(value: float) -> float:
    """0 → -1, 64 → 0, 127 → +1. 64 is the centre, so each side has its own scale."""
    if value >= CC_CENTRE:
        return min(1.0, (value - CC_CENTRE) / (127 - CC_CENTRE))
    return max(-1.0, (value - CC_CENTRE) / CC_CENTRE)


def cc_unipolar(value: float) -> float:
    """0..127 → 0..1."""
    return max(0.0, min(1.0, value / 127))


def pitchbend(value: float) -> float:
    """-8192..8191 → -1..1, 0 (the wheel's rest) → 0."""
    if value >= 0:
        return min(1.0, value / PITCHBEND_MAX)
    return max(-1.0, value / -PITCHBEND_MIN)


def unipolar(deflection: float) -> float:
    """A two-sided reading, -1..1, as one travel 0..1 (``range: unipolar``): the bottom of a
    throttle or a pitch wheel is 0 (no motion), its middle 0.5, its top 1."""
    return max(0.0, min(1.0, (deflection + 1.0) / 2.0))


def is_press(event: ControlEvent, previous: float | None) -> bool:
    """A note-on, a button down, a program change, or a CC rising through the middle.

    A CC used as a button (pads that send 127/0) fires once when it crosses 64 upwards,
    not again while held or on release.
    """
    if event.kind == _PROGRAM:
        return True
    if event.kind == _CC:
        was_down = previous is not None and previous >= CC_CENTRE
        return event.value >= CC_CENTRE and not was_down
    return event.value > 0
