"""Camera tally lamps driven from the switchers: a camera on program lights red, one on
preview green (where its ``tally:`` dialect and ``tally_preview:`` say it can).

:class:`CameraTally` is a :class:`~ptzmapd.mapping.observers.PipelineObserver`: the pipeline
tells it each camera's (program, preview) as it changes, cameras gaining a lamp before those
losing one, so after a cut the new camera is lit before the old one goes dark. It sends a
:class:`~ptzmapd.commands.TallyLamp` to each camera whose config drives its lamps (the codec
orders the lamps of one camera, :func:`~ptzmapd.protocols.base.command_parts`). While a
switcher is connected, every lamp is sent again every :data:`REFRESH` seconds, since some
cameras drop them (Sony's put out a lamp not told again within 15 s); at start and at
shutdown the lamps go dark.
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
        self._closed = False

    def start(self) -> None:
        """Lamps dark: whatever a camera showed before (a crash, another controller) is stale."""
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
            self._send_all()
            self._refresh = self._clock.call_later(REFRESH, self._again)
        elif not live and self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    def close(self) -> None:
        """Every lamp dark (the daemon is going away: no lamp may claim a camera is on air)."""
        self.connected(False)
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
