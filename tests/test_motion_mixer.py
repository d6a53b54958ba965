"""The motion mixer: ramps ticking on a fake clock, zoom-aware speed, steps, the watchdog."""

from __future__ import annotations

import logging

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import Command, PanTilt, Zoom
from ptzmapd.motion.mixer import MotionMixer, MotionProfile
from ptzmapd.motion.shaping import RampLimits, ZoomCurve


class Sent:
    def __init__(self) -> None:
        self.commands: list[tuple[float, str, Command]] = []
        self.clock = FakeClock()

    def __call__(self, camera: str, command: Command) -> None:
        self.commands.append((self.clock.now(), camera, command))

    def last(self, kind: type) -> Command:
        return [c for _, _, c in self.commands if isinstance(c, kind)][-1]


def mixer(profile: MotionProfile, zoom: float | None = None) -> tuple[MotionMixer, Sent]:
    sent = Sent()
    return MotionMixer(sent, sent.clock, {"cam": profile}, lambda camera: zoom), sent


def test_a_ramp_brings_the_speed_up_smoothly_then_stops_ticking() -> None:
    mix, sent = mixer(MotionProfile(ramps={"pan": RampLimits(accel=2.0)}))
    mix.move("cam", "pan", 1.0, ("desk", 0))
    assert not sent.commands  # nothing jumps to full speed
    sent.clock.advance(0.25)
    assert sent.last(PanTilt).pan == pytest.approx(0.5, abs=0.05)  # type: ignore[attr-defined]
    sent.clock.advance(0.3)
    assert sent.last(PanTilt).pan == 1.0  # type: ignore[attr-defined]
    count = len(sent.commands)
    sent.clock.advance(5.0)
    assert len(sent.commands) == count  # settled: no more ticks, no more commands
    assert sent.clock.pending() == 0


def test_a_release_stops_at_once_even_with_ramps() -> None:
    mix, sent = mixer(MotionProfile(ramps={"pan": RampLimits(accel=10.0, decel=1.0)}))
    mix.move("cam", "pan", 1.0, None)
    sent.clock.advance(1.0)
    mix.move("cam", "pan", 0.0, None)
    assert sent.last(PanTilt) == PanTilt(0.0, 0.0)


def test_soft_stop_ramps_down_within_its_time() -> None:
    mix, sent = mixer(MotionProfile(ramps={"pan": RampLimits(decel=2.0, soft_stop=True)}))
    mix.move("cam", "pan", 1.0, None)
    mix.move("cam", "pan", 0.0, None)
    assert sent.last(PanTilt).pan == 1.0  # type: ignore[attr-defined]
    sent.clock.advance(0.25)
    assert 0.0 < sent.last(PanTilt).pan < 1.0  # type: ignore[attr-defined]
    sent.clock.advance(0.26)  # |1.0| / 2.0 = 0.5 s at most
    assert sent.last(PanTilt) == PanTilt(0.0, 0.0)


def test_pan_slows_as_the_camera_zooms_in() -> None:
    profile = MotionProfile(zoom_curve=ZoomCurve(at_tele=0.25))
    mix, sent = mixer(profile, zoom=1.0)
    mix.move("cam", "pan", 1.0, None)
    assert sent.last(PanTilt).pan == pytest.approx(0.25)  # type: ignore[attr-defined]
    mix, sent = mixer(profile, zoom=0.0)
    mix.move("cam", "pan", 1.0, None)
    assert sent.last(PanTilt).pan == 1.0  # type: ignore[attr-defined]


def test_without_a_reported_zoom_the_position_is_estimated_from_zoom_commands() -> None:
    profile = MotionProfile(zoom_curve=ZoomCurve(at_tele=0.2), zoom_travel_time=2.0)
    mix, sent = mixer(profile, zoom=None)
    mix.move("cam", "zoom", 1.0, None)
    sent.clock.advance(2.0)  # full travel: now at tele
    mix.move("cam", "zoom", 0.0, None)
    mix.move("cam", "pan", 1.0, None)
    assert sent.last(PanTilt).pan == pytest.approx(0.2)  # type: ignore[attr-defined]
    assert sent.last(Zoom) == Zoom(0.0)


def test_a_wobbling_fader_on_a_step_boundary_sends_one_command() -> None:
    mix, sent = mixer(MotionProfile(steps={"pan": 24}))
    for value in (0.499, 0.501, 0.498, 0.503, 0.5, 0.502):
        mix.move("cam", "pan", value, None)
    assert len(sent.commands) == 1
    assert sent.last(PanTilt).pan == pytest.approx(12 / 24)  # type: ignore[attr-defined]


def test_the_watchdog_stops_a_move_that_goes_on_too_long(caplog: pytest.LogCaptureFixture) -> None:
    mix, sent = mixer(MotionProfile(max_move=30.0))
    with caplog.at_level(logging.WARNING):
        mix.move("cam", "pan", 0.5, ("desk", 0))
        sent.clock.advance(29.0)
        assert sent.last(PanTilt).pan == 0.5  # type: ignore[attr-defined]
        sent.clock.advance(1.5)
    assert sent.last(PanTilt) == PanTilt(0.0, 0.0)
    assert "max_move" in caplog.text
