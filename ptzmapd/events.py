"""What an input device hands to the mapping layer: one plain, immutable event per change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True, slots=True)
class ControlEvent:
    """One control changed on one input.

    ``kind`` and ``number`` name the control in the user's words, as a binding names it:

    ========== ==================== ===============================================
    kind       number               value
    ========== ==================== ===============================================
    cc         CC number 0..127     0..127
    note       note number 0..127   velocity 0..127 (0 = note off)
    pitchbend  None                 -8192..8191
    program    None                 program number 0..127
    axis       SDL name or index    -1.0..1.0 (triggers 0.0..1.0)
    button     SDL name or index    1 pressed, 0 released
    hat        hat index            SDL bitmask: up 1, right 2, down 4, left 8
    ========== ==================== ===============================================

    ``channel`` is the MIDI channel 1..16 (None for non-MIDI inputs). ``time`` is the
    monotonic time the event was received, for latency tracing and deadman timers.
    """

    input: str
    kind: str
    number: int | str | None
    value: float
    channel: int | None = None
    time: float = 0.0


#: Called on the event loop's thread for every event.
EmitEvent = Callable[[ControlEvent], None]
#: Called on the event loop's thread when an input connects (True) or vanishes (False).
InputStateChanged = Callable[[str, bool], None]
