"""Events in, camera commands out: mapping → selection → motion → per-camera controllers.

This is the part of the daemon that runs on every control event. It knows which camera is
selected, resolves binding targets (``selected``, ``all`` or a name), and stops exactly
what must stop when the selection changes or an input vanishes.
"""

from __future__ import annotations

import logging
from typing import Callable

from ptzmapd.camera import CameraController
from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import Command
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.intents import ALL, SELECTED, Do, Intent, Move, Select, StopAll
from ptzmapd.mapping.mapper import Mapper
from ptzmapd.motion.mixer import Driver, MotionMixer, MotionProfile


class Pipeline:
    def __init__(
        self,
        bindings: list[BindingConfig],
        controllers: dict[str, CameraController],
        log: logging.Logger | None = None,
        clock: Clock | None = None,
        profiles: dict[str, MotionProfile] | None = None,
        zoom_position: Callable[[str], float | None] | None = None,
    ) -> None:
        self.controllers = controllers
        self.log = log or logging.getLogger("ptzmapd")
        self.mapper = Mapper(bindings)
        self.mixer = MotionMixer(self._send_motion, clock, profiles, zoom_position, self.log)
        # The first camera listed is selected at start.
        self.selected: str | None = next(iter(controllers), None)
        # Drivers that reached their camera through "selected": a switch stops them.
        self._via_selected: set[Driver] = set()
        #: The newest event of each input, for ``ptzmapd status`` and the deadman.
        self.last_events: dict[str, ControlEvent] = {}
        self._clock = clock
        #: Input name -> seconds of silence after which what it drives is stopped.
        self.deadman: dict[str, float] = {}
        self._deadman_timer: Timer | None = None

    # ------------------------------------------------------------------ entry points

    def on_event(self, event: ControlEvent) -> None:
        self.last_events[event.input] = event
        for intent in self.mapper.handle(event):
            self.apply(intent)
        if event.input in self.deadman and self._deadman_timer is None:
            self._arm_deadman()

    # ------------------------------------------------------------------ deadman

    def _arm_deadman(self) -> None:
        """One timer for all inputs, running only while some deadman input drives a motion."""
        if self._clock is None or not self.deadman:
            return
        self._deadman_timer = self._clock.call_later(min(self.deadman.values()) / 4, self._check_deadman)

    def _check_deadman(self) -> None:
        self._deadman_timer = None
        assert self._clock is not None
        now = self._clock.now()
        busy = False
        for name, timeout in self.deadman.items():
            driving = self.mixer.driven_by(lambda driver: driver[0] == name)
            if not driving:
                continue
            last = self.last_events.get(name)
            if last is not None and now - last.time > timeout:
                stopped = self.mixer.stop_driven_by(lambda driver: driver[0] == name)
                self.log.warning(
                    "input '%s' has been silent for %.1f s (deadman %.1f s); stopped %s",
                    name, now - last.time, timeout, ", ".join(f"{c} {a}" for c, a in stopped),
                )
            else:
                busy = True
        if busy:
            self._arm_deadman()

    def on_input_state(self, input_name: str, connected: bool) -> None:
        if connected:
            self.log.info("input '%s' connected", input_name)
            return
        stopped = self.mixer.stop_driven_by(lambda driver: driver[0] == input_name)
        what = ", ".join(f"{camera} {axis}" for camera, axis in stopped) or "nothing was moving"
        self.log.warning("input '%s' vanished; stopped what it drove (%s)", input_name, what)

    def stop_everything(self) -> None:
        for name, controller in self.controllers.items():
            self.mixer.forget(name)
            controller.stop()

    def close(self) -> None:
        self.mixer.close()
        if self._deadman_timer is not None:
            self._deadman_timer.cancel()
            self._deadman_timer = None

    # ------------------------------------------------------------------ intents

    def apply(self, intent: Intent) -> None:
        if isinstance(intent, Move):
            if intent.target == SELECTED:
                self._via_selected.add(intent.driver)
            for camera in self._cameras(intent.target):
                self.mixer.move(camera, intent.axis, intent.speed, intent.driver)
        elif isinstance(intent, Do):
            for camera in self._cameras(intent.target):
                self.controllers[camera].submit(intent.command)
        elif isinstance(intent, StopAll):
            for camera in self._cameras(intent.target):
                self.mixer.forget(camera)
                self.controllers[camera].stop()
        elif isinstance(intent, Select):
            self.select(intent.camera)

    def select(self, camera: str) -> None:
        if camera == self.selected or camera not in self.controllers:
            return
        previous = self.selected
        if previous is not None:
            # The hand is still on the stick, but it now means another camera: the one
            # it was moving must not keep going.
            self.mixer.stop_driven_by(lambda driver: driver in self._via_selected, {previous})
        self.selected = camera
        self.log.info("selected camera '%s'", camera)

    def _cameras(self, target: str) -> list[str]:
        if target == SELECTED:
            return [self.selected] if self.selected is not None else []
        if target == ALL:
            return list(self.controllers)
        return [target] if target in self.controllers else []

    def _send_motion(self, camera: str, command: Command) -> None:
        self.controllers[camera].set_motion(command)
