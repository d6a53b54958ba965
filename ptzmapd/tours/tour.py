"""One running tour: a camera walking a list of presets, staying ``dwell`` seconds at each.

A :class:`TourRun` recalls a stop's preset (at the tour's travel speed) through the camera's
controller, waits for the camera to answer the recall (VISCA answers when the camera has
arrived; a one-way wire, once it is sent), stays ``dwell`` seconds, then goes to the next
stop; after the last it starts again (``loop``) or ends. Time is the injected clock's.

Pausing (the camera stopped answering, or went on air) forgets the stop's progress; going on
air or ending also takes back a recall not sent yet (:meth:`TourRun.take_back`). Resuming
recalls that stop again and stays its whole dwell, since nobody knows where the camera went
meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import PresetRecall
from ptzmapd.config.model import TourConfig
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome


@dataclass(frozen=True, slots=True)
class TourState:
    """A tour as ``ptzmapd status`` shows it. ``stop``: the stop (1-based) the camera is
    going to or staying at; ``next_preset``: the preset it goes to next (None: the last stop
    of a tour that does not loop); ``seconds_left``: of the dwell at ``stop`` (None while
    travelling or paused)."""

    camera: str
    running: bool
    paused: bool = False
    #: Why it is paused: the camera "does not answer", "is on air" (both: joined by "and").
    waiting: str = ""
    stop: int | None = None
    preset: int | None = None
    next_preset: int | None = None
    seconds_left: float | None = None


class TourRun:
    """One run of a tour on its camera's controller; ``ended(run, why)`` is called once,
    when it ends by itself (the last stop's dwell is over) — :meth:`stop` says nothing."""

    def __init__(self, config: TourConfig, controller: CameraController, clock: Clock, log: logging.Logger,
                 ended: Callable[["TourRun", str], None]) -> None:
        self.config = config
        self.controller = controller
        self.clock = clock
        self.log = log
        self._ended = ended
        #: The stop the camera is going to or staying at (0-based).
        self.index = 0
        self.paused = False
        self._timer: Timer | None = None
        self._dwell_until: float | None = None
        #: Bumped whenever what is waiting is abandoned, so a late answer to an old recall
        #: does nothing.
        self._generation = 0
        self.running = False
        #: The recall of the stop being gone to, until the camera answers it.
        self._recall: Outcome | None = None

    def start(self) -> None:
        self.running = True
        self._go(0)

    def stop(self) -> None:
        self.running = False
        self._abandon()
        self.take_back()

    def take_back(self) -> None:
        """The recall of the stop being gone to must not go if it is still queued (behind its
        speed setting or the camera's pacing): the tour ended, or the camera went on air.
        (Not when the camera stops answering: the controller probes it with that recall.)"""
        if self._recall is not None:
            self.controller.withdraw(self._recall)
            self._recall = None

    def pause(self) -> None:
        """The camera stopped answering: wait where we are (the stop is done again on resume)."""
        if self.running and not self.paused:
            self.paused = True
            self._abandon()

    def resume(self) -> None:
        if self.running and self.paused:
            self.paused = False
            self._go(self.index)

    def state(self) -> TourState:
        stops = self.config.stops
        following = self.index + 1 if self.index + 1 < len(stops) else (0 if self.config.loop else None)
        left = None if self._dwell_until is None else round(max(0.0, self._dwell_until - self.clock.now()), 1)
        return TourState(
            camera=self.config.camera, running=self.running, paused=self.paused, stop=self.index + 1,
            preset=stops[self.index].preset,
            next_preset=None if following is None else stops[following].preset, seconds_left=left,
        )

    def _abandon(self) -> None:
        self._generation += 1
        self._dwell_until = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _go(self, index: int) -> None:
        self._abandon()
        self.index = index
        stop = self.config.stops[index]
        generation = self._generation
        outcome = self.controller.submit(PresetRecall(stop.preset, self.config.speed))
        self._recall = outcome
        outcome.on_done(lambda answer: self._arrived(generation, answer))

    def _arrived(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation or not self.running:
            return
        self._recall = None
        if outcome.answer in (Answer.REFUSED, Answer.UNSENDABLE, Answer.DROPPED):
            self.log.warning("tour '%s': camera '%s' did not recall preset %d (%s: %s); going on",
                             self.config.name, self.config.camera, self.config.stops[self.index].preset,
                             outcome.answer.value, outcome.message)
        dwell = self.config.stops[self.index].dwell
        self._dwell_until = self.clock.now() + dwell
        self._timer = self.clock.call_later(dwell, lambda: self._next(generation))

    def _next(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._timer = None
        following = self.index + 1
        if following < len(self.config.stops):
            self._go(following)
        elif self.config.loop:
            self._go(0)
        else:
            self.running = False
            self._abandon()
            self._ended(self, "its last stop is done")
