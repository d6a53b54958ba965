"""Bindings: which control does what. Turns :class:`ControlEvent` into :mod:`.intents`.

The lookup is one dict access per event (input, kind, number): the hot path from a fader
to a packet must stay short. Around it sits the state a surface needs:

- **layers**: a held (or toggled) button switches to another set of bindings; a control
  not bound in the active layer falls through to the base layer. Layer buttons work from
  every layer. When a layer comes or goes, motions driven by bindings that no longer apply
  stop.
- **press semantics**: notes, buttons, hat directions and CCs-as-buttons fire once per press;
  presets can tell a tap (recall) from a hold (store); on/off actions can toggle or be
  momentary.
- **multi-message values**: 14-bit CCs and NRPNs are assembled per input; relative encoders
  give nudges (motion) or steps (presets).
- **axis shaping** per binding (deadzone, curve, invert, scale), with a sensible deadzone
  where the control has a rest position (a fader's centre, a stick's).

Timed behaviour (a preset held long enough, a nudge that ends) uses the injected clock and
hands its intents to ``deferred``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Command,
    Home,
    Jog,
    MoveTo,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
)
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.controls import GAMEPAD_DOWN_POSITIVE, GAMEPAD_TRIGGERS, HAT_DIRECTIONS
from ptzmapd.mapping.actions import MOTION_ACTIONS, NAMED_ACTIONS, RAW_ACTION
from ptzmapd.mapping.curves import AxisShape, shape
from ptzmapd.mapping.intents import (
    Do,
    Fine,
    Intent,
    LayerChanged,
    Move,
    PresetStep,
    Select,
    StopAll,
    Toggled,
)
from ptzmapd.mapping.midi_values import MidiAssembler, relative_steps
from ptzmapd.mapping.values import CC_CENTRE, cc_bipolar, cc_unipolar, is_press, pitchbend, unipolar

#: Default deadzones where a control has a rest position. A fader put back "in the middle"
#: lands on 62..66 as often as on 64: that must mean stop, not a slow creep.
CC_CENTRE_BAND = 2.5 / 64
WIDE_CENTRE_BAND = 0.02  # 14-bit CCs, NRPN, pitch bend
STICK_DEADZONE = 0.1  # gamepad sticks drift off-centre by a few percent
TRIGGER_DEADZONE = 0.05
JOYSTICK_DEADZONE = 0.05
#: A relative encoder on a motion action: each detent moves this long, at `value` speed.
NUDGE_SECONDS = 0.1
NUDGE_SPEED = 0.5
FOURTEEN_BIT_CENTRE = 8192

Key = tuple[str, str, object]


class Mapper:
    def __init__(
        self,
        bindings: list[BindingConfig],
        clock: Clock,
        deferred: Callable[[list[Intent]], None] | None = None,
    ) -> None:
        self._bindings = bindings
        self._clock = clock
        self._deferred = deferred or (lambda intents: None)
        self._by_control: dict[Key, list[tuple[int, BindingConfig]]] = defaultdict(list)
        cc14: dict[str, set[int]] = defaultdict(set)
        nrpn: set[str] = set()
        for index, binding in enumerate(bindings):
            self._by_control[(binding.input, binding.control, binding.number)].append((index, binding))
            if binding.control == "cc14" and isinstance(binding.number, int):
                cc14[binding.input].add(binding.number)
            elif binding.control == "nrpn":
                nrpn.add(binding.input)
        self._assemblers = {
            name: MidiAssembler(frozenset(cc14.get(name, ())), name in nrpn) for name in set(cc14) | nrpn
        }
        self._shapes = {index: self._shape_of(binding) for index, binding in enumerate(bindings)}
        # The last value of each control, so a CC used as a button fires once per press.
        self._last_value: dict[tuple[str, str, object, int | None], float] = {}
        #: Active layers, most recent last (the newest wins where two bind one control).
        self.layers: list[str] = []
        self._toggles: dict[int, bool] = {}
        self._fine_on = False
        self._hold_timers: dict[int, Timer] = {}
        self._held_fired: set[int] = set()
        self._nudge_timers: dict[int, Timer] = {}
        self._nudge_until: dict[int, float] = {}
        self._nudge_direction: dict[int, int] = {}
        #: Buttons held down now (binding index), so a vanished input can release them.
        self._held: set[int] = set()

    # ------------------------------------------------------------------ lookup

    def handle(self, event: ControlEvent) -> list[Intent]:
        assembler = self._assemblers.get(event.input)
        if assembler is not None:
            assembled = assembler.feed(event)
            if assembled is None:
                return []
            event = assembled
        candidates = self._by_control.get((event.input, event.kind, event.number))
        state_key = (event.input, event.kind, event.number, event.channel)
        previous = self._last_value.get(state_key)
        self._last_value[state_key] = event.value
        if not candidates:
            return []
        intents: list[Intent] = []
        for index, binding in self._effective(candidates):
            if binding.channel is not None and event.channel is not None and binding.channel != event.channel:
                continue
            intents.extend(self._intents(index, binding, event, previous))
        return intents

    def _effective(self, candidates: list[tuple[int, BindingConfig]]) -> list[tuple[int, BindingConfig]]:
        """The bindings of one control that apply now: layer buttons always; of the rest, those
        of the newest active layer that binds this control, else the base layer's."""
        layered = [(i, b) for i, b in candidates if b.action != "layer"]
        chosen: list[tuple[int, BindingConfig]] = []
        for layer in reversed(self.layers):
            chosen = [(i, b) for i, b in layered if b.layer == layer]
            if chosen:
                break
        else:
            chosen = [(i, b) for i, b in layered if b.layer is None]
        return [(i, b) for i, b in candidates if b.action == "layer"] + chosen

    def _applies(self, index: int) -> bool:
        binding = self._bindings[index]
        candidates = self._by_control[(binding.input, binding.control, binding.number)]
        return any(i == index for i, _ in self._effective(candidates))

    # ------------------------------------------------------------------ one binding

    def _intents(self, index: int, binding: BindingConfig, event: ControlEvent, previous: float | None) -> list[Intent]:
        action = binding.action
        if action in MOTION_ACTIONS:
            return self._motion(index, binding, event)
        pressed, released = self._edges(binding, event, previous)
        if pressed:
            self._held.add(index)
        elif released:
            self._held.discard(index)
        if action == "layer":
            return self._layer(binding, pressed, released)
        if action == "fine":
            return self._fine(index, binding, pressed, released)
        if action == "preset":
            return self._preset(index, binding, event, pressed, released)
        if action in NAMED_ACTIONS and binding.mode in ("toggle", "momentary"):
            return self._switch(index, binding, pressed, released)
        if not pressed:
            return []
        if action == "select":
            return [Select(binding.camera, binding.carry)]
        if action == "stop":
            return [StopAll(binding.camera)]
        command: Command
        if action == "home":
            command = Home()
        elif action == "autofocus":
            command = Autofocus(binding.mode or "toggle")  # type: ignore[arg-type]
        elif action == "move-to":
            command = MoveTo(binding.pan, binding.tilt, binding.zoom)
        elif action == "jog":
            command = Jog(binding.pan or 0.0, binding.tilt or 0.0, binding.zoom or 0.0, binding.duration)
        elif action in NAMED_ACTIONS and binding.mode is not None:
            command = CameraAction(action, binding.mode, binding.level)
        elif action == RAW_ACTION and binding.raw is not None:
            command = RawCommand(binding.raw.text, binding.raw.kind)
        else:  # the config validator only lets ACTIONS through, with their keys
            return []
        return [Do(binding.camera, command, index)]

    def _edges(self, binding: BindingConfig, event: ControlEvent, previous: float | None) -> tuple[bool, bool]:
        """(pressed now, released now) for a control used as a button."""
        if binding.control == "hat":
            bit = HAT_DIRECTIONS.get(binding.direction or "", 0)
            now_down = bool(int(event.value) & bit)
            was_down = previous is not None and bool(int(previous) & bit)
            return now_down and not was_down, was_down and not now_down
        if binding.encoding is not None:
            return relative_steps(int(event.value), binding.encoding) != 0, False
        pressed = is_press(event, previous)
        if event.kind == "cc":
            released = event.value < CC_CENTRE and previous is not None and previous >= CC_CENTRE
        elif event.kind == "program":
            released = False
        else:
            released = event.value <= 0 and previous is not None and previous > 0
        return pressed, released

    # ------------------------------------------------------------------ motion

    def _shape_of(self, binding: BindingConfig) -> AxisShape:
        deadzone = binding.deadzone
        if deadzone is None:
            deadzone = _default_deadzone(binding)
        return AxisShape(deadzone, binding.expo, binding.points, binding.invert, binding.scale)

    def _motion(self, index: int, binding: BindingConfig, event: ControlEvent) -> list[Intent]:
        driver = (event.input, index)
        if binding.encoding is not None:
            return self._nudge(index, binding, event, driver)
        speed = self._position(binding, event)
        speed = shape(speed, self._shapes[index])
        return [Move(binding.camera, binding.action, speed, driver)]

    def _position(self, binding: BindingConfig, event: ControlEvent) -> float:
        """The control's deflection, -1..1 (+ = right/up/tele/far), before shaping."""
        kind, value = event.kind, event.value
        bipolar = binding.range != "unipolar"
        if kind == "cc":
            return cc_bipolar(value) if bipolar else cc_unipolar(value)
        if kind in ("cc14", "nrpn"):
            if not bipolar:
                return max(0.0, min(1.0, value / 16383))
            # Like a 7-bit CC around 64: 8192 is the centre, each side has its own scale.
            span = 16383 - FOURTEEN_BIT_CENTRE if value >= FOURTEEN_BIT_CENTRE else FOURTEEN_BIT_CENTRE
            return max(-1.0, min(1.0, (value - FOURTEEN_BIT_CENTRE) / span))
        if kind == "pitchbend":
            return pitchbend(value) if bipolar else unipolar(pitchbend(value))
        if kind == "axis":
            # SDL's y axes grow downwards; above the inputs, + is up. A gamepad trigger reads
            # 0..1 (unipolar by default); bipolar makes its middle the stop.
            if event.number in GAMEPAD_TRIGGERS:
                return 2.0 * value - 1.0 if binding.range == "bipolar" else value
            deflection = -value if event.number in GAMEPAD_DOWN_POSITIVE else value
            return deflection if bipolar else unipolar(deflection)
        held = 1.0 if binding.value is None else binding.value
        if kind == "hat":
            if binding.direction is not None:
                return held if int(value) & HAT_DIRECTIONS[binding.direction] else 0.0
            bits = int(value)
            if binding.action == "tilt":
                return held * ((bits & 1 != 0) - (bits & 4 != 0))
            return held * ((bits & 2 != 0) - (bits & 8 != 0))
        # Notes and buttons: held = the binding's speed (scaled by velocity if asked), released = stop.
        if value <= 0:
            return 0.0
        return held * (value / 127 if binding.velocity and kind == "note" else 1.0)

    def _nudge(self, index: int, binding: BindingConfig, event: ControlEvent, driver: tuple[str, int]) -> list[Intent]:
        """A relative encoder on a motion: each detent moves the axis a little, then it stops."""
        steps = relative_steps(int(event.value), binding.encoding or "")
        if steps == 0:
            return []
        speed = (NUDGE_SPEED if binding.value is None else abs(binding.value)) * (1 if steps > 0 else -1)
        speed = shape(speed, AxisShape(invert=binding.invert, scale=binding.scale))
        now = self._clock.now()
        direction = 1 if steps > 0 else -1
        # Detents in the same direction add up; a reversal starts afresh.
        same_way = self._nudge_direction.get(index) == direction
        previous_until = self._nudge_until.get(index, now) if same_way else now
        until = max(previous_until, now) + abs(steps) * NUDGE_SECONDS
        self._nudge_until[index] = until
        self._nudge_direction[index] = direction
        timer = self._nudge_timers.pop(index, None)
        if timer is not None:
            timer.cancel()

        def stop() -> None:
            self._nudge_timers.pop(index, None)
            self._deferred([Move(binding.camera, binding.action, 0.0, driver)])

        self._nudge_timers[index] = self._clock.call_later(until - now, stop)
        return [Move(binding.camera, binding.action, speed, driver)]

    # ------------------------------------------------------------------ presets

    def _preset(self, index: int, binding: BindingConfig, event: ControlEvent,
                pressed: bool, released: bool) -> list[Intent]:
        if binding.encoding is not None:
            steps = relative_steps(int(event.value), binding.encoding)
            return [PresetStep(binding.camera, steps, *binding.presets, binding=index)] if steps else []
        if binding.step is not None:
            return [PresetStep(binding.camera, binding.step, *binding.presets, binding=index)] if pressed else []
        number = binding.preset if binding.preset is not None else int(event.value)
        if binding.hold is not None:
            return self._tap_or_hold(index, binding, number, pressed, released)
        if not pressed:
            return []
        command: Command
        if binding.clear:
            command = PresetClear(number)
        elif binding.store:
            command = PresetStore(number)
        else:
            command = PresetRecall(number)
        return [Do(binding.camera, command, index)]

    def _tap_or_hold(self, index: int, binding: BindingConfig, number: int, pressed: bool, released: bool) -> list[Intent]:
        """Tap = recall (on release); held for ``hold`` seconds = store (at that moment)."""
        assert binding.hold is not None
        if pressed:
            self._held_fired.discard(index)

            def stored() -> None:
                self._hold_timers.pop(index, None)
                self._held_fired.add(index)
                self._deferred([Do(binding.camera, PresetStore(number), index)])

            old = self._hold_timers.pop(index, None)
            if old is not None:
                old.cancel()
            self._hold_timers[index] = self._clock.call_later(binding.hold, stored)
            return []
        if released:
            timer = self._hold_timers.pop(index, None)
            if timer is not None:
                timer.cancel()
            if index in self._held_fired:
                self._held_fired.discard(index)
                return []
            return [Do(binding.camera, PresetRecall(number), index)]
        return []

    # ------------------------------------------------------------------ switches

    def _switch(self, index: int, binding: BindingConfig, pressed: bool, released: bool) -> list[Intent]:
        """An on/off action as a toggle (alternate per press) or momentary (on while held)."""
        if binding.mode == "toggle":
            if not pressed:
                return []
            on = not self._toggles.get(index, False)
        elif pressed:
            on = True
        elif released:
            on = False
        else:
            return []
        self._toggles[index] = on
        return [Do(binding.camera, CameraAction(binding.action, "on" if on else "off"), index), Toggled(index, on)]

    def _fine(self, index: int, binding: BindingConfig, pressed: bool, released: bool) -> list[Intent]:
        if binding.mode == "toggle":
            if not pressed:
                return []
            self._fine_on = not self._fine_on
        elif pressed or released:
            self._fine_on = pressed
        else:
            return []
        return [Fine(self._fine_on, binding.factor, index)]

    def _layer(self, binding: BindingConfig, pressed: bool, released: bool) -> list[Intent]:
        name = binding.layer or ""
        active = name in self.layers
        if binding.mode == "toggle":
            if not pressed:
                return []
            turn_on = not active
        elif pressed:
            turn_on = True
        elif released:
            turn_on = False
        else:
            return []
        if turn_on == active:
            return []
        motion = [i for i, b in enumerate(self._bindings) if b.action in MOTION_ACTIONS]
        before = {i for i in motion if self._applies(i)}
        if turn_on:
            self.layers.append(name)
        else:
            self.layers.remove(name)
        after = {i for i in motion if self._applies(i)}
        lost = frozenset((self._bindings[i].input, i) for i in before - after)
        # A tap/hold whose binding no longer applies must not store a preset a second later.
        for index in [i for i in self._hold_timers if not self._applies(i)]:
            self._hold_timers.pop(index).cancel()
            self._held_fired.discard(index)
        return [LayerChanged(name, turn_on, lost)]

    def input_gone(self, name: str) -> list[Intent]:
        """An input vanished: its held buttons count as released (a momentary tally goes
        off, a held layer or fine modifier ends), and nothing of it fires later."""
        intents: list[Intent] = []
        for index, binding in enumerate(self._bindings):
            if binding.input != name:
                continue
            for timers in (self._hold_timers, self._nudge_timers):
                timer = timers.pop(index, None)
                if timer is not None:
                    timer.cancel()
            self._held_fired.discard(index)
            if index not in self._held:
                continue
            self._held.discard(index)
            if binding.action == "layer" and binding.mode != "toggle":
                intents.extend(self._layer(binding, False, True))
            elif binding.action == "fine" and binding.mode != "toggle":
                intents.extend(self._fine(index, binding, False, True))
            elif binding.mode == "momentary":
                intents.extend(self._switch(index, binding, False, True))
        for key in [key for key in self._last_value if key[0] == name]:
            del self._last_value[key]  # a fresh start when it comes back
        return intents

    def close(self) -> None:
        for timer in [*self._hold_timers.values(), *self._nudge_timers.values()]:
            timer.cancel()
        self._hold_timers.clear()
        self._nudge_timers.clear()


def _default_deadzone(binding: BindingConfig) -> float:
    if binding.control == "cc":
        return CC_CENTRE_BAND if binding.range != "unipolar" else 0.0
    if binding.control in ("cc14", "nrpn", "pitchbend"):
        return WIDE_CENTRE_BAND if binding.range != "unipolar" else 0.0
    if binding.control == "axis":
        if isinstance(binding.number, str):
            return TRIGGER_DEADZONE if binding.number in GAMEPAD_TRIGGERS else STICK_DEADZONE
        return JOYSTICK_DEADZONE
    return 0.0
