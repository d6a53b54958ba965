"""Per-camera motion: the speed of each axis, who drives it, and the commands that follow.

Pan and tilt travel together in one command, so a pan fader and a tilt fader each update
their axis and the mixer sends the pair. Each axis remembers its *driver* (input, binding)
so an input that vanishes stops exactly what it was moving, and nothing else.

Between the requested speed and the command sit the shapers of :mod:`.shaping`: per-axis
ramps, zoom-aware pan/tilt speed, and speed steps with hysteresis. While a ramp is under way
(or the zoom keeps changing what a pan speed means) a timer ticks every ``TICK`` seconds;
otherwise nothing runs. A motion watchdog stops a camera that has moved continuously for
longer than its ``max_move`` (a stuck fader, a jammed stick).

The fine-control factor lives here too: the mixer keeps what each driver asks and scales it
by the factor in force for the driver's input (fine control is a selection group's: one
operator's fine button never slows another's stick), so a change applies at once to what is
moving. So does a camera's own factor (:meth:`MotionMixer.set_camera_factor`: the live
lockout's ``slow``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from collections.abc import Collection
from typing import Callable

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import Command, Focus, PanTilt, Zoom
from ptzmapd.motion.shaping import Ramp, RampLimits, Steps, ZoomCurve, ZoomEstimate, zoom_factor

AXES = ("pan", "tilt", "zoom", "focus")
Driver = tuple[str, int]
#: Seconds between ramp updates. The controller sends at most one command per pacing
#: interval anyway; ticking faster than that only costs CPU.
TICK = 0.02
#: How often a moving pan/tilt is re-scaled while the zoom changes under it.
ZOOM_TICK = 0.1


@dataclass(frozen=True, slots=True)
class MotionProfile:
    """How one camera's motion is shaped (from its config)."""

    ramps: dict[str, RampLimits] = field(default_factory=dict)
    #: Protocol speed steps per axis (VISCA pan 24, tilt 20, zoom/focus 8); 0 = continuous.
    steps: dict[str, int] = field(default_factory=dict)
    hysteresis: float = 0.3
    zoom_curve: ZoomCurve = ZoomCurve()
    #: Wide→tele time at full zoom speed, to estimate the lens when the camera can't tell.
    zoom_travel_time: float = 4.0
    #: Longest continuous move before the watchdog stops the camera (0 = no watchdog).
    max_move: float = 0.0


class _CameraMotion:
    __slots__ = ("profile", "ramps", "steps", "requested", "sent", "zoom", "moving_since")

    def __init__(self, profile: MotionProfile) -> None:
        self.profile = profile
        self.ramps = {axis: Ramp(profile.ramps.get(axis, RampLimits())) for axis in AXES}
        self.steps = {axis: Steps(count, profile.hysteresis) for axis, count in profile.steps.items() if count > 0}
        self.requested = dict.fromkeys(AXES, 0.0)
        #: The shaped speeds last handed to the controller.
        self.sent = dict.fromkeys(AXES, 0.0)
        self.zoom = ZoomEstimate(profile.zoom_travel_time)
        self.moving_since: float | None = None


class MotionMixer:
    def __init__(
        self,
        send: Callable[[str, Command], None],
        clock: Clock,
        profiles: dict[str, MotionProfile] | None = None,
        zoom_position: Callable[[str], float | None] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        """``send(camera, command)`` hands a motion command to the camera's controller;
        ``zoom_position(camera)`` is the lens position 0..1 reported by the camera, if any."""
        self._send = send
        self._clock = clock
        self._profiles = profiles or {}
        self._zoom_position = zoom_position or (lambda camera: None)
        self.log = log or logging.getLogger("ptzmapd")
        self._cameras: dict[str, _CameraMotion] = {}
        # Per (camera, axis): what each driver asks. Two controls on one axis (a trigger
        # for tele, another for wide) add up; None stands for a request from no binding.
        self._contributions: dict[tuple[str, str], dict[Driver | None, float]] = {}
        self._timer: Timer | None = None
        self._timer_at: float | None = None
        #: Fine-control factors in force, by input (absent: 1, off): a driver's speed is
        #: multiplied by its input's.
        self._fine: dict[str, float] = {}
        #: Each camera's own factor where it is not 1 (a camera on air slowed down).
        self._camera_factors: dict[str, float] = {}

    def _camera(self, camera: str) -> _CameraMotion:
        motion = self._cameras.get(camera)
        if motion is None:
            motion = self._cameras[camera] = _CameraMotion(self._profiles.get(camera, MotionProfile()))
        return motion

    def _now(self) -> float:
        return self._clock.now()

    def speeds(self, camera: str) -> dict[str, float]:
        """What each axis was asked for (before shaping)."""
        return dict(self._camera(camera).requested)

    # ------------------------------------------------------------------ requests

    def move(self, camera: str, axis: str, speed: float, driver: Driver | None) -> None:
        if not math.isfinite(speed):
            speed = 0.0  # min()/max() would turn NaN into full speed
        contributions = self._contributions.setdefault((camera, axis), {})
        if driver is None:
            contributions.clear()  # a stop (or a command) from no binding overrides them all
        if speed:
            contributions[driver] = speed
        else:
            contributions.pop(driver, None)
        self._request(camera, axis, contributions)

    def set_fine(self, factor: float, inputs: Collection[str]) -> bool:
        """Scale the speed of every driver of ``inputs`` by ``factor`` from now on (1 = fine
        control off), what is moving included. False if it was in force already."""
        if all(self._fine.get(name, 1.0) == factor for name in inputs):
            return False
        for name in inputs:
            if factor == 1.0:
                self._fine.pop(name, None)
            else:
                self._fine[name] = factor
        for (camera, axis), contributions in list(self._contributions.items()):
            if contributions:
                self._request(camera, axis, contributions)
        return True

    def fine_factor(self, input_name: str) -> float:
        """The fine-control factor in force for ``input_name``'s drivers (1: off)."""
        return self._fine.get(input_name, 1.0)

    def set_camera_factor(self, camera: str, factor: float) -> None:
        """Scale what moves ``camera`` by ``factor`` from now on (1 = as asked), what is
        moving included."""
        if factor == self._camera_factors.get(camera, 1.0):
            return
        if factor == 1.0:
            del self._camera_factors[camera]
        else:
            self._camera_factors[camera] = factor
        for axis in AXES:
            contributions = self._contributions.get((camera, axis))
            if contributions:
                self._request(camera, axis, contributions)

    def _request(self, camera: str, axis: str, contributions: dict[Driver | None, float]) -> None:
        fine = self._fine
        if fine:
            asked = sum(speed * fine.get(driver[0], 1.0) if driver is not None else speed
                        for driver, speed in contributions.items())
        else:
            asked = sum(contributions.values())
        total = max(-1.0, min(1.0, asked * self._camera_factors.get(camera, 1.0)))
        motion = self._camera(camera)
        if motion.requested[axis] == total:
            return  # a resting control repeating its value changes nothing
        motion.requested[axis] = total
        now = self._now()
        motion.ramps[axis].set_target(total, now)
        self._update(camera, motion, now)

    def forget(self, camera: str) -> None:
        """The camera was stopped as a whole: its axes are at rest and driven by nobody."""
        motion = self._camera(camera)
        now = self._now()
        for axis in AXES:
            motion.requested[axis] = 0.0
            motion.ramps[axis].current = motion.ramps[axis].target = 0.0
            motion.sent[axis] = 0.0
            self._contributions.pop((camera, axis), None)
        motion.zoom.set_speed(0.0, now)  # the lens estimate stops where the lens stopped
        for steps in motion.steps.values():
            steps.level = 0
        motion.moving_since = None

    def driven_by(self, match: Callable[[Driver], bool]) -> list[tuple[str, str]]:
        """The (camera, axis) pairs moving under a matching driver."""
        return [
            key for key, contributions in self._contributions.items()
            if any(driver is not None and match(driver) for driver in contributions)
        ]

    def contributions(self, match: Callable[[Driver], bool]) -> list[tuple[str, str, Driver, float]]:
        """(camera, axis, driver, speed) for every matching driver's request (before the
        fine factor)."""
        return [
            (camera, axis, driver, speed)
            for (camera, axis), contributions in self._contributions.items()
            for driver, speed in contributions.items() if driver is not None and match(driver)
        ]

    def stop_driven_by(self, match: Callable[[Driver], bool], cameras: set[str] | None = None) -> list[tuple[str, str]]:
        """Stop what matching drivers ask; returns the (camera, axis) they were moving."""
        stopped: list[tuple[str, str]] = []
        for camera, axis, driver, _ in self.contributions(match):
            if cameras is None or camera in cameras:
                self.move(camera, axis, 0.0, driver)
                stopped.append((camera, axis))
        return stopped

    # ------------------------------------------------------------------ shaping

    def _shaped(self, camera: str, motion: _CameraMotion, now: float) -> dict[str, float]:
        speeds = {axis: motion.ramps[axis].advance(now) for axis in AXES}
        motion.zoom.set_speed(speeds["zoom"], now)
        curve = motion.profile.zoom_curve
        if curve.active and (speeds["pan"] or speeds["tilt"]):
            reported = self._zoom_position(camera)
            factor = zoom_factor(reported if reported is not None else motion.zoom.position, curve)
            speeds["pan"] *= factor
            speeds["tilt"] *= factor
        for axis, steps in motion.steps.items():
            speeds[axis] = steps.quantise(speeds[axis])
        return speeds

    def _update(self, camera: str, motion: _CameraMotion, now: float) -> None:
        shaped = self._shaped(camera, motion, now)
        sent = motion.sent
        if shaped["pan"] != sent["pan"] or shaped["tilt"] != sent["tilt"]:
            self._send(camera, PanTilt(shaped["pan"], shaped["tilt"]))
        if shaped["zoom"] != sent["zoom"]:
            self._send(camera, Zoom(shaped["zoom"]))
        if shaped["focus"] != sent["focus"]:
            self._send(camera, Focus(shaped["focus"]))
        motion.sent = shaped
        moving = any(shaped.values())
        if moving and motion.moving_since is None:
            motion.moving_since = now
        elif not moving:
            motion.moving_since = None
        self._schedule(now)

    def _due(self, motion: _CameraMotion, now: float) -> float | None:
        """When this camera's motion next needs a look, if at all."""
        deadlines: list[float] = []
        if any(not ramp.settled for ramp in motion.ramps.values()):
            deadlines.append(now + TICK)
        if motion.profile.zoom_curve.active and (motion.sent["pan"] or motion.sent["tilt"]):
            deadlines.append(now + ZOOM_TICK)
        if motion.profile.max_move > 0 and motion.moving_since is not None:
            deadlines.append(motion.moving_since + motion.profile.max_move)
        return min(deadlines) if deadlines else None

    def _schedule(self, now: float) -> None:
        due = [d for motion in self._cameras.values() if (d := self._due(motion, now)) is not None]
        deadline = min(due) if due else None
        if deadline is not None and self._timer_at is not None and self._timer_at <= deadline:
            return  # an earlier (or equal) tick is already set
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self._clock.call_later(max(0.0, deadline - now), self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self._now()
        for camera, motion in self._cameras.items():
            limit = motion.profile.max_move
            if limit > 0 and motion.moving_since is not None and now - motion.moving_since >= limit:
                self.log.warning(
                    "camera '%s' has moved for %.0f s without stopping; stopping it (max_move)",
                    camera, now - motion.moving_since,
                )
                for axis in AXES:
                    if motion.requested[axis]:
                        self.move(camera, axis, 0.0, None)  # every driver of it, at once
                motion.moving_since = None
                continue
            if any(not ramp.settled for ramp in motion.ramps.values()) or motion.profile.zoom_curve.active:
                self._update(camera, motion, now)
        self._schedule(now)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None
