"""The device edges' registries (input types, simulators): every name loads, lazily."""

from __future__ import annotations

import inspect

import pytest

from ptzmapd.inputs import INPUTS
from ptzmapd.simulators import SIMULATORS
from ptzmapd.registry import UnknownName


def test_every_input_type_loads_a_class_built_with_a_clock() -> None:
    assert INPUTS.names() == ("midi", "gamepad", "joystick", "osc")
    for name in INPUTS:
        factory = INPUTS[name]
        parameters = inspect.signature(factory).parameters
        # Required, keyword-only: an input cannot fall back to another clock than the daemon's.
        assert parameters["clock"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["clock"].default is inspect.Parameter.empty


def test_an_unknown_input_type_names_the_valid_ones() -> None:
    with pytest.raises(UnknownName, match=r"unknown input type 'gamepda' \(did you mean 'gamepad'\?"):
        INPUTS["gamepda"]


def test_every_simulator_loads_an_async_start() -> None:
    for name in SIMULATORS:
        assert inspect.iscoroutinefunction(SIMULATORS[name]), name
    with pytest.raises(UnknownName, match=r"unknown simulator 'visca'"):
        SIMULATORS["visca"]
