"""Unit conversions every codec shares: a normalised speed (-1..1, above the codec) to a
protocol's level, the finite-speed check, and hex bytes as traces and tests show them.

One copy each, so VISCA, Pelco, ISAPI and the CGI codecs agree on what full deflection and
the slowest nonzero speed become, and refuse NaN or infinity with the same words.
"""

from __future__ import annotations

import math

from ptzmapd.errors import ProtocolError


def finite_speed(speed: float) -> float:
    """``speed`` itself; ProtocolError ``speed must be a finite number in -1..1, got nan`` for
    NaN or infinity (a NaN must never reach a wire as some level)."""
    if not math.isfinite(speed):
        raise ProtocolError(f"speed must be a finite number in -1..1, got {speed!r}")
    return speed


def speed_sign(speed: float) -> int:
    """+1, -1 or 0 (stop); ProtocolError for NaN or infinity."""
    return (finite_speed(speed) > 0) - (speed < 0)


def drive_level(speed: float, top: int) -> int:
    """Level 1..top for a nonzero normalised speed; full deflection gives ``top``.

    Used for VISCA pan/tilt, Pelco pan/tilt, ISAPI's −100..100 and the CGI step sizes. The
    1e-9 keeps exact fractions (0.5 * 0x18 = 12) from rounding up a level through
    floating-point noise.
    """
    return min(top, max(1, math.ceil(min(1.0, abs(finite_speed(speed))) * top - 1e-9)))


def variable_level(speed: float, top: int) -> int:
    """Zoom/focus ``p`` 0..top for a nonzero speed: the range is cut into top+1 equal bands
    (VISCA's slowest zoom/focus speed is 0, and it still moves)."""
    return min(top, max(0, math.ceil(min(1.0, abs(finite_speed(speed))) * (top + 1) - 1e-9) - 1))


def hexbytes(data: bytes) -> str:
    """``81 01 06 01 18 14 02 03 FF``: how traces and tests show protocol bytes."""
    return " ".join(f"{byte:02X}" for byte in data)
