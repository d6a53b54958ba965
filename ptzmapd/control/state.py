"""What a camera controller knows about its camera (:class:`CameraState`), for
``ptzmapd status`` and the motion layer, and who is told when it changes
(:class:`CameraWatcher`, given to the controller when it is built).

Values above the controller are normalised (``pan``/``tilt``: -1..1, 0 home; ``zoom``: 0
wide .. 1 tele), so nothing above it needs to know a protocol's units; the raw positions
stay for ``ptzmapd status``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from typing import Protocol

from ptzmapd.commands import STOPS, Command


class CameraWatcher(Protocol):
    """Told by a controller when its camera stops answering or answers again (surface LEDs
    blink an offline camera's select pad). A controller tells its watchers at start that its
    camera is offline, unless it is online by then (a one-way wire that is open)."""

    def camera_online(self, camera: str, online: bool) -> None: ...


@dataclass(slots=True)
class CameraState:
    """What the controller knows; read by ``ptzmapd status`` and the motion layer."""

    #: The camera answered recently (one-way protocols: its wire is open). False until then.
    online: bool = False
    #: Set when the camera refused a stop :data:`STOP_REFUSED_TRIES` times for good (the
    #: refusal's text); cleared when a stop is taken. Shown by ``ptzmapd status``.
    stop_refused: str | None = None
    #: The newest speeds asked of each slot (what the camera is doing or about to do).
    motion: dict[str, Command] = field(default_factory=lambda: dict(STOPS))
    #: The pan/tilt position in the protocol's units, as the camera last reported it...
    pan_tilt_position: tuple[int, int] | None = None
    #: ...and normalised, each -1..1 over the protocol's range with 0 at home (+ right/up as
    #: the protocol counts); None when unknown or the protocol reports none.
    pan: float | None = None
    tilt: float | None = None
    #: The zoom position in the protocol's units, as the camera last reported it...
    zoom_position: int | None = None
    #: ...and normalised: 0 (wide) .. 1 (tele); None when unknown or the protocol reports none.
    zoom: float | None = None
    commands_sent: int = 0
    retransmissions: int = 0
    last_error: str | None = None
    garbage_replies: int = 0
    #: When the most recent commands were sent, for ``commands_per_second``.
    recent_sends: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def commands_per_second(self, now: float, window: float = 2.0) -> float:
        return sum(1 for sent in self.recent_sends if now - sent <= window) / window

    @property
    def moving(self) -> bool:
        return any(not command.is_stop() for command in self.motion.values())
