"""Input devices: each turns a device's messages into :class:`~ptzmapd.events.ControlEvent`.

``INPUTS`` maps a config's ``type:`` onto a factory. Device libraries are imported only when
an input of that type is configured (pygame/SDL stays unloaded for a MIDI-only setup).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Protocol

from ptzmapd.config.model import InputConfig
from ptzmapd.events import EmitEvent, InputStateChanged


class Input(Protocol):
    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


InputFactory = Callable[[InputConfig, EmitEvent, InputStateChanged, asyncio.AbstractEventLoop, logging.Logger], Input]


def _midi(config: InputConfig, emit: EmitEvent, on_state: InputStateChanged,
          loop: asyncio.AbstractEventLoop, log: logging.Logger) -> Input:
    from ptzmapd.inputs.midi.input import MidiInput

    return MidiInput(config, emit, on_state, loop, log=log)


def _gamepad(config: InputConfig, emit: EmitEvent, on_state: InputStateChanged,
             loop: asyncio.AbstractEventLoop, log: logging.Logger) -> Input:
    from ptzmapd.inputs.sdl.input import GamepadInput

    return GamepadInput(config, emit, on_state, loop, log=log)


INPUTS: dict[str, InputFactory] = {
    "midi": _midi,
    "gamepad": _gamepad,
    "joystick": _gamepad,
}


def make_input(config: InputConfig, emit: EmitEvent, on_state: InputStateChanged,
               loop: asyncio.AbstractEventLoop, log: logging.Logger) -> Input:
    return INPUTS[config.type](config, emit, on_state, loop, log)


__all__: list[Any] = ["INPUTS", "Input", "make_input"]
