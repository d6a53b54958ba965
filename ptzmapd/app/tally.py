"""Camera tally lamps driven from the switchers: a camera on program lights red, one on
preview green (where its ``tally:`` dialect and ``tally_preview:`` say it can).

:class:`CameraTally` is a :class:`~ptzmapd.mapping.observers.PipelineObserver`: the pipeline
tells it each camera's (program, preview) as it changes, cameras gaining a lamp before those
losing one, so after a cut the new camera is lit before the old one goes dark. It sends a
:class:`~ptzmapd.commands.TallyLamp` to each camera whose config drives its lamps (the codec
orders the lamps of one camera, :func:`~ptzmapd.protocols.base.command_parts`). While a
switcher is connected, every lamp is sent again every :data:`REFRESH` seconds, since some
cameras drop them (Sony's put out a lamp not told again within 15 s). At start the lamps are
left as they are until a switcher connects (a reload keeps them lit), or go dark when none has
within the hold time; at exit they go dark.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import TallyLamp
from ptzmapd.control.controller import CameraController
from ptzmapd.mapping.observers import PipelineObserver

#: Seconds between re-sends of every lamp while a switcher is connected.
REFRESH = 10.0


class CameraTally(PipelineObserver):
    """The lamps of ``controllers`` (only cameras whose config drives them)."""

    def __init__(self, controllers: Mapping[str, CameraController], clock: Clock, log: logging.Logger) -> None:
        self._controllers = dict(controllers)
        self._clock = clock
        self._log = log
        #: What each camera's lamps show: (program, preview).
        self.lamps: dict[str, tuple[bool, bool]] = {name: (False, False) for name in controllers}
        self._refresh: Timer | None = None
        self._unknown: Timer | None = None
        self._closed = False

    def start(self, hold: float) -> None:
        """Leave the lamps as they are for ``hold`` seconds: a switcher that connects sets
        them all. If none has by then, they go dark: what they show is stale."""
        self._unknown = self._clock.call_later(hold, self._stale)

    def _stale(self) -> None:
        self._unknown = None
        if self._refresh is None:
            self._send_all()

    def tally(self, camera: str, program: bool, preview: bool) -> None:
        if camera not in self._controllers or self._closed:
            return
        self.lamps[camera] = (program, preview)
        self._send(camera)

    def connected(self, live: bool) -> None:
        """Whether any switcher is connected: then the lamps are refreshed, and a switcher that
        (re)connects gets every lamp sent at once."""
        if live and self._refresh is None and not self._closed:
            if self._unknown is not None:
                self._unknown.cancel()
                self._unknown = None
            self._send_all()
            self._refresh = self._clock.call_later(REFRESH, self._again)
        elif not live and self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    def close(self, dark: bool = True) -> None:
        """Stop; with ``dark`` every lamp goes out (the daemon is going away: no lamp may claim
        a camera is on air). A reload leaves them lit for the configuration that follows."""
        self.connected(False)
        if self._unknown is not None:
            self._unknown.cancel()
            self._unknown = None
        if dark:
            for camera in self.lamps:
                self.lamps[camera] = (False, False)
            self._send_all()
        self._closed = True

    def _again(self) -> None:
        self._refresh = self._clock.call_later(REFRESH, self._again)
        self._send_all()

    def _send_all(self) -> None:
        # Lit first: a lamp is never dark on a camera that is on air while another is lit.
        for camera in sorted(self.lamps, key=lambda name: not any(self.lamps[name])):
            self._send(camera)

    def _send(self, camera: str) -> None:
        program, preview = self.lamps[camera]
        self._controllers[camera].submit(TallyLamp(program, preview))
