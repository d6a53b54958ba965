"""Bindings: which control does what. Turns :class:`ControlEvent` into :mod:`.intents`.

The lookup is one dict access per event (input, kind, number): the hot path from a fader
to a packet must stay short.
"""

from __future__ import annotations

from collections import defaultdict

from ptzmapd.commands import Autofocus, CameraAction, Command, Home, PresetRecall, PresetStore, RawCommand
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.actions import MOTION_ACTIONS, NAMED_ACTIONS, RAW_ACTION
from ptzmapd.mapping.intents import Do, Intent, Move, Select, StopAll
from ptzmapd.mapping.values import is_press, motion_speed


class Mapper:
    def __init__(self, bindings: list[BindingConfig]) -> None:
        self._by_control: dict[tuple[str, str, object], list[tuple[int, BindingConfig]]] = defaultdict(list)
        for index, binding in enumerate(bindings):
            self._by_control[(binding.input, binding.control, binding.number)].append((index, binding))
        # The last value of each control, so a CC used as a button fires once per press.
        self._last_value: dict[tuple[str, str, object, int | None], float] = {}

    def handle(self, event: ControlEvent) -> list[Intent]:
        candidates = self._by_control.get((event.input, event.kind, event.number))
        state_key = (event.input, event.kind, event.number, event.channel)
        previous = self._last_value.get(state_key)
        self._last_value[state_key] = event.value
        if not candidates:
            return []
        intents: list[Intent] = []
        for index, binding in candidates:
            if binding.channel is not None and event.channel is not None and binding.channel != event.channel:
                continue
            intent = self._intent(index, binding, event, previous)
            if intent is not None:
                intents.append(intent)
        return intents

    def _intent(self, index: int, binding: BindingConfig, event: ControlEvent, previous: float | None) -> Intent | None:
        action = binding.action
        if action in MOTION_ACTIONS:
            note_speed = 1.0 if binding.value is None else binding.value
            speed = motion_speed(event, binding.range != "unipolar", note_speed)
            return Move(binding.camera, action, speed, (event.input, index))
        if not is_press(event, previous):
            return None
        if action == "select":
            return Select(binding.camera)
        if action == "stop":
            return StopAll(binding.camera)
        command: Command
        if action == "home":
            command = Home()
        elif action == "preset":
            number = binding.preset if binding.preset is not None else int(event.value)
            command = PresetStore(number) if binding.store else PresetRecall(number)
        elif action == "autofocus":
            command = Autofocus(binding.mode or "toggle")  # type: ignore[arg-type]
        elif action in NAMED_ACTIONS and binding.mode is not None:
            command = CameraAction(action, binding.mode, binding.level)
        elif action == RAW_ACTION and binding.raw is not None:
            command = RawCommand(binding.raw.text, binding.raw.kind)
        else:  # the config validator only lets ACTIONS through, with their keys
            return None
        return Do(binding.camera, command)
