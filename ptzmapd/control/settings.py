"""How one camera's controller paces, retries and scales what it reads: its settings,
from the camera's config over its protocol's defaults (see :mod:`ptzmapd.app.assemble`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    min_interval: float
    ack_timeout: float
    #: Retransmissions of one command before the camera is considered offline.
    retries: int = 2
    #: Ask for the position this often while the camera moves (0 = never).
    position_poll: float = 0.0
    #: Protocols that never answer (Pelco on one-way wiring): send each stop this many extra
    #: times, since a lost stop is a runaway camera...
    stop_repeats: int = 0
    #: ...and send a held motion again this often, so a lost frame is soon made good (0 = never).
    refresh: float = 0.0
    #: The full-tele zoom position in the protocol's units (``CameraState.zoom`` is the
    #: reported position over this); None: positions are not normalised.
    zoom_max: float | None = None
    #: The travel speed 0..1 of a preset recall that gives none (None: the camera's own).
    preset_speed: float | None = None
