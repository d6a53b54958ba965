"""Per-camera motion: the speed of each axis, who drives it, and the commands that follow.

Pan and tilt travel together in one command, so a pan fader and a tilt fader each update
their axis and the mixer sends the pair. Each axis remembers its *driver* (input, binding)
so an input that vanishes stops exactly what it was moving, and nothing else.
"""

from __future__ import annotations

from typing import Callable

from ptzmapd.commands import Command, Focus, PanTilt, Zoom

AXES = ("pan", "tilt", "zoom", "focus")
Driver = tuple[str, int]


class MotionMixer:
    def __init__(self, send: Callable[[str, Command], None]) -> None:
        """``send(camera, command)`` hands a motion command to the camera's controller."""
        self._send = send
        self._speeds: dict[str, dict[str, float]] = {}
        self._drivers: dict[tuple[str, str], Driver] = {}

    def speeds(self, camera: str) -> dict[str, float]:
        return self._speeds.setdefault(camera, dict.fromkeys(AXES, 0.0))

    def move(self, camera: str, axis: str, speed: float, driver: Driver | None) -> None:
        speeds = self.speeds(camera)
        if speeds[axis] == speed:
            return  # a resting control repeating its value changes nothing
        speeds[axis] = speed
        if driver is not None and speed != 0.0:
            self._drivers[(camera, axis)] = driver
        else:
            self._drivers.pop((camera, axis), None)
        self._send(camera, self._command(camera, axis))

    def _command(self, camera: str, axis: str) -> Command:
        speeds = self._speeds[camera]
        if axis in ("pan", "tilt"):
            return PanTilt(speeds["pan"], speeds["tilt"])
        if axis == "zoom":
            return Zoom(speeds["zoom"])
        return Focus(speeds["focus"])

    def forget(self, camera: str) -> None:
        """The camera was stopped as a whole: its axes are at rest and driven by nobody."""
        self._speeds[camera] = dict.fromkeys(AXES, 0.0)
        for key in [key for key in self._drivers if key[0] == camera]:
            del self._drivers[key]

    def stop_driven_by(self, match: Callable[[Driver], bool], cameras: set[str] | None = None) -> list[tuple[str, str]]:
        """Stop every moving axis whose driver matches; returns the (camera, axis) stopped."""
        stopped = [
            key for key, driver in self._drivers.items()
            if match(driver) and (cameras is None or key[0] in cameras)
        ]
        for camera, axis in stopped:
            self.move(camera, axis, 0.0, None)
        return stopped
