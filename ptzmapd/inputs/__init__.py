"""Input devices: each turns a device's messages into :class:`~ptzmapd.events.ControlEvent`.

:data:`INPUTS` is the input-type registry (:mod:`ptzmapd.registry`): a config's ``type:`` →
the input class, imported only when an input of that type is built (pygame/SDL stays unloaded
for a MIDI-only setup). Every input class is built the same way (:class:`InputFactory`) and
stamps its events with the injected clock, the one the deadman compares them with.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from ptzmapd.clock import Clock
from ptzmapd.config.model import InputConfig
from ptzmapd.events import EmitEvent, InputStateChanged
from ptzmapd.registry import Registry


class Input(Protocol):
    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class InputFactory(Protocol):
    """An input class's constructor: ``emit`` and ``on_state`` are called on ``loop``'s thread;
    events carry ``clock.now()`` at receipt as their ``time``."""

    def __call__(
        self,
        config: InputConfig,
        emit: EmitEvent,
        on_state: InputStateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        log: logging.Logger | None = None,
    ) -> Input: ...


INPUTS: Registry[InputFactory] = Registry(
    "input type",
    {
        "midi": "ptzmapd.inputs.midi.input:MidiInput",
        "gamepad": "ptzmapd.inputs.sdl.input:GamepadInput",
        "joystick": "ptzmapd.inputs.sdl.input:GamepadInput",
        "osc": "ptzmapd.inputs.osc.input:OscInput",
    },
)


def make_input(
    config: InputConfig,
    emit: EmitEvent,
    on_state: InputStateChanged,
    loop: asyncio.AbstractEventLoop,
    log: logging.Logger,
    clock: Clock,
) -> Input:
    """The input ``config.type`` names, built; raises :class:`~ptzmapd.registry.UnknownName`."""
    return INPUTS[config.type](config, emit, on_state, loop, clock=clock, log=log)
