"""Ramps, speed steps with hysteresis, and zoom-aware speed: pure functions of time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.motion.shaping import (
    SOFT_STOP_MAX, Ramp, RampLimits, Steps, ZoomCurve, ZoomEstimate, ramp_step, zoom_factor,
)


def test_acceleration_is_limited() -> None:
    limits = RampLimits(accel=2.0, decel=4.0)
    assert ramp_step(0.0, 1.0, 0.1, limits) == pytest.approx(0.2)
    assert ramp_step(0.2, 1.0, 1.0, limits) == 1.0


def test_slowing_down_uses_the_deceleration_limit() -> None:
    limits = RampLimits(accel=2.0, decel=4.0)
    assert ramp_step(1.0, 0.5, 0.05, limits) == pytest.approx(0.8)


def test_a_release_stops_at_once_unless_soft_stop() -> None:
    assert ramp_step(1.0, 0.0, 0.01, RampLimits(accel=1, decel=1)) == 0.0
    assert ramp_step(1.0, 0.0, 0.25, RampLimits(accel=1, decel=2, soft_stop=True)) == pytest.approx(0.5)


def test_a_reversal_slows_to_zero_then_speeds_up() -> None:
    limits = RampLimits(accel=1.0, decel=2.0)
    # 0.25 s to come down from 0.5 at 2/s, then 0.25 s at 1/s the other way.
    assert ramp_step(0.5, -1.0, 0.5, limits) == pytest.approx(-0.25)


@given(
    current=st.floats(-1, 1), target=st.floats(-1, 1),
    accel=st.floats(0.1, 20), decel=st.floats(0.1, 20), soft=st.booleans(),
)
def test_a_soft_release_never_takes_longer_than_its_ramp(current: float, target: float, accel: float, decel: float, soft: bool) -> None:
    limits = RampLimits(accel=accel, decel=decel, soft_stop=soft)
    ramp = Ramp(limits)
    ramp.set_target(current, 0.0)
    ramp.current = current  # wherever it was
    ramp.set_target(0.0, 0.0)
    assert ramp.advance(abs(current) / decel + 1e-9) == 0.0
    # and it never overshoots its target
    ramp = Ramp(limits)
    ramp.set_target(target, 0.0)
    value = ramp.advance(0.1)
    assert min(0.0, target) - 1e-12 <= value <= max(0.0, target) + 1e-12


def test_without_limits_the_ramp_is_a_wire() -> None:
    ramp = Ramp(RampLimits())
    assert ramp.set_target(0.7, 0.0) == 0.7
    assert ramp.settled


def test_steps_match_the_codec_split() -> None:
    steps = Steps(24, hysteresis=0.0)
    assert steps.quantise(1.0) == 1.0
    assert steps.quantise(0.5) == pytest.approx(12 / 24)
    assert steps.quantise(0.01) == pytest.approx(1 / 24)
    assert steps.quantise(-0.5) == pytest.approx(-12 / 24)
    assert steps.quantise(0.0) == 0.0


def test_a_resting_hand_on_a_step_boundary_does_not_chatter() -> None:
    steps = Steps(24, hysteresis=0.3)
    boundary = 12 / 24
    first = steps.quantise(boundary - 0.001)  # step 12
    wobble = [steps.quantise(boundary + d) for d in (0.002, -0.003, 0.004, -0.002, 0.005, 0.0)]
    assert set(wobble) == {first}
    assert steps.quantise(boundary + 0.4 / 24) == pytest.approx(13 / 24)  # clearly past: moves on


def test_hysteresis_does_not_hold_across_a_direction_change() -> None:
    steps = Steps(24)
    steps.quantise(0.5)
    assert steps.quantise(-0.5) == pytest.approx(-0.5)


@pytest.mark.parametrize(("zoom", "factor"), [(0.0, 1.0), (0.5, 0.6), (1.0, 0.2)])
def test_zoom_factor_is_linear_by_default(zoom: float, factor: float) -> None:
    assert zoom_factor(zoom, ZoomCurve(at_tele=0.2)) == pytest.approx(factor)


def test_zoom_factor_curve_bends() -> None:
    curve = ZoomCurve(at_tele=0.2, exponent=2.0)
    assert zoom_factor(0.5, curve) == pytest.approx(0.8)
    assert zoom_factor(1.5, curve) == pytest.approx(0.2)  # clamped


def test_zoom_position_is_estimated_from_the_speeds_sent() -> None:
    estimate = ZoomEstimate(travel_time=4.0)
    estimate.set_speed(1.0, now=10.0)
    assert estimate.update(12.0) == pytest.approx(0.5)
    estimate.set_speed(-0.5, now=12.0)
    assert estimate.update(14.0) == pytest.approx(0.25)
    assert estimate.update(100.0) == 0.0


@pytest.mark.parametrize("decel", [0.001, 0.01, 0.2])
def test_a_soft_stop_never_lasts_longer_than_its_bound_whatever_decel_says(decel: float) -> None:
    """``soft_stop`` with ``decel: 0.01`` (a user thinking in seconds) kept a released camera
    moving for 100 s with nobody touching anything: a release ends within SOFT_STOP_MAX."""
    limits = RampLimits(accel=0.0, decel=decel, soft_stop=True)
    ramp = Ramp(limits)
    ramp.set_target(1.0, 0.0)
    ramp.set_target(0.0, 0.0)  # let go at full speed
    assert ramp.advance(SOFT_STOP_MAX) == 0.0
    assert ramp_step(-1.0, 0.0, SOFT_STOP_MAX, limits) == 0.0
    assert 0.0 < abs(ramp_step(1.0, 0.0, SOFT_STOP_MAX / 2, limits)) < 1.0  # still a ramp, not a cut
