"""The one copy of each unit conversion the codecs share (protocols/units.py)."""

from __future__ import annotations

import math

import pytest

from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.units import NotHex, drive_level, finite_speed, hexbytes, parse_hex, speed_sign, variable_level


@pytest.mark.parametrize("speed", [math.nan, math.inf, -math.inf])
def test_a_speed_that_is_no_number_is_refused_by_every_conversion(speed: float) -> None:
    for convert in (finite_speed, speed_sign, lambda s: drive_level(s, 0x18), lambda s: variable_level(s, 7)):
        with pytest.raises(ProtocolError, match=r"speed must be a finite number in -1\.\.1, got"):
            convert(speed)


def test_drive_levels_span_1_to_top_and_exact_fractions_do_not_round_up() -> None:
    assert [drive_level(s, 0x18) for s in (1e-6, 0.5, 1.0, -1.0, 7.0)] == [1, 12, 0x18, 0x18, 0x18]


def test_variable_levels_cut_the_range_into_top_plus_one_bands() -> None:
    assert [variable_level(s, 7) for s in (1e-6, 0.125, 0.126, 0.5, 1.0)] == [0, 0, 1, 3, 7]


def test_speed_sign() -> None:
    assert [speed_sign(s) for s in (-0.2, 0.0, 0.3)] == [-1, 0, 1]


def test_hex_both_ways() -> None:
    assert parse_hex("81 01 04 38 02 FF") == parse_hex("8101043802ff") == bytes.fromhex("8101043802FF")
    assert hexbytes(bytes.fromhex("8101043802ff")) == "81 01 04 38 02 FF"
    with pytest.raises(NotHex) as error:
        parse_hex("81 0 FF")
    assert error.value.token == "0"
    with pytest.raises(NotHex):
        parse_hex("81 zz FF")
