"""Axis curves and multi-message MIDI values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.events import ControlEvent
from ptzmapd.mapping.curves import AxisShape, shape
from ptzmapd.mapping.midi_values import MidiAssembler, relative_steps


def test_deadzone_rescales_the_rest_of_the_travel() -> None:
    axis = AxisShape(deadzone=0.2)
    assert shape(0.15, axis) == 0.0
    assert shape(-0.2, axis) == 0.0
    assert shape(0.6, axis) == pytest.approx(0.5)
    assert shape(-1.0, axis) == -1.0


def test_expo_softens_the_centre_and_keeps_the_ends() -> None:
    axis = AxisShape(expo=0.5)
    assert shape(0.5, axis) == pytest.approx(0.5 * 0.5 + 0.5 * 0.125)
    assert shape(1.0, axis) == 1.0 and shape(-1.0, axis) == -1.0


def test_points_curve_is_piecewise_linear_and_symmetric() -> None:
    axis = AxisShape(points=((0.0, 0.0), (0.5, 0.1), (1.0, 1.0)))
    assert shape(0.25, axis) == pytest.approx(0.05)
    assert shape(-0.75, axis) == pytest.approx(-0.55)


def test_invert_and_scale() -> None:
    assert shape(1.0, AxisShape(invert=True, scale=0.5)) == -0.5


@given(st.floats(-1, 1), st.floats(0, 0.9), st.floats(0, 1), st.booleans(), st.floats(0, 1))
def test_shape_stays_in_range_and_keeps_the_sign(value: float, dz: float, expo: float, invert: bool, scale: float) -> None:
    result = shape(value, AxisShape(deadzone=dz, expo=expo, invert=invert, scale=scale))
    assert -1.0 <= result <= 1.0
    if result:
        assert (result > 0) == ((value > 0) != invert)


@pytest.mark.parametrize(
    ("encoding", "value", "steps"),
    [
        ("twos-complement", 1, 1), ("twos-complement", 127, -1), ("twos-complement", 125, -3),
        ("sign-magnitude", 3, 3), ("sign-magnitude", 65, -1), ("sign-magnitude", 67, -3),
        ("offset-64", 65, 1), ("offset-64", 63, -1), ("offset-64", 64, 0),
    ],
)
def test_relative_encoders(encoding: str, value: int, steps: int) -> None:
    assert relative_steps(value, encoding) == steps


def cc(number: int, value: int, channel: int = 1) -> ControlEvent:
    return ControlEvent("desk", "cc", number, value, channel)


def test_14_bit_cc_pairs_msb_and_lsb() -> None:
    assembler = MidiAssembler(cc14=frozenset({7}))
    first = assembler.feed(cc(7, 0x40))
    assert first is not None and first.kind == "cc14" and first.value == 0x40 << 7
    second = assembler.feed(cc(39, 0x05))
    assert second is not None and (second.kind, second.number, second.value) == ("cc14", 7, (0x40 << 7) | 5)
    assert assembler.feed(cc(8, 10)) == cc(8, 10)  # others pass through


def test_an_lsb_before_its_msb_waits() -> None:
    assert MidiAssembler(cc14=frozenset({1})).feed(cc(33, 1)) is None


def test_nrpn_sequence_becomes_one_event() -> None:
    assembler = MidiAssembler(nrpn=True)
    assert assembler.feed(cc(99, 1)) is None
    assert assembler.feed(cc(98, 2)) is None
    coarse = assembler.feed(cc(6, 3))
    fine = assembler.feed(cc(38, 4))
    assert coarse is not None and (coarse.kind, coarse.number, coarse.value) == ("nrpn", (1 << 7) | 2, 3 << 7)
    assert fine is not None and fine.value == (3 << 7) | 4
