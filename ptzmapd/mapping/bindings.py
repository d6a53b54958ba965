"""Compiled bindings: each binding of the config, built once from its action's row, owning
the state its control needs between events (a toggle's state, a tap-or-hold timer, a nudge).

:func:`compile_binding` picks the class by the row's :class:`~.actions.Behaviour`. Every
class answers :meth:`Binding.handle` (one event, the control's previous value: the intents
it gives), :meth:`Binding.release` (its input vanished while it was held) and
:meth:`Binding.close` (its timers end). Buttons with two states (a toggle, a momentary
tally, a held layer or fine control) are :class:`TwoState`, one rule: :func:`next_state`.

Timed behaviour (a preset held long enough, a nudge that ends) uses the injected clock and
hands its intents to ``deferred``.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from dataclasses import replace
from typing import Callable

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import PresetRecall, PresetStore
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.controls import GAMEPAD_DOWN_POSITIVE, GAMEPAD_TRIGGERS, HAT_DIRECTIONS
from ptzmapd.mapping.actions import ACTION_ROWS, ActionRow, Behaviour, switched
from ptzmapd.mapping.curves import AxisShape, shape
from ptzmapd.mapping.intents import Do, Fine, Intent, Move, PresetStep, Toggled
from ptzmapd.mapping.midi_values import relative_steps
from ptzmapd.mapping.values import CC_CENTRE, cc_bipolar, cc_unipolar, is_press, pitchbend, unipolar
from ptzmapd.vocabulary import SWITCH_MODES, Action, Axis, ControlKind, PressMode, switchable

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

Deferred = Callable[[list[Intent]], None]


def next_state(mode: str | None, current: bool, pressed: bool, released: bool) -> bool | None:
    """A two-state button's state after this edge, or None when the edge changes nothing:
    ``toggle`` flips on each press; any other mode (``hold``, ``momentary``) is on while held."""
    if mode == PressMode.TOGGLE:
        return (not current) if pressed else None
    if pressed:
        return True
    if released:
        return False
    return None


class Surface:
    """The state the surface's own buttons share: active layers and fine control.

    ``switch_layer(name, on)`` is the mapper's: it turns a layer on or off and says which
    motions stopped applying (a :class:`~.intents.LayerChanged`).
    """

    def __init__(self, switch_layer: Callable[[str, bool], list[Intent]]) -> None:
        #: Active layers, most recent last (the newest wins where two bind one control).
        self.layers: list[str] = []
        self.fine_on = False
        self.switch_layer = switch_layer


class Binding:
    """One binding with its state. ``index`` is its place in the config (the driver of its
    motions, the subject of its LED)."""

    __slots__ = ("index", "config", "row", "held", "hat_bit", "cc", "program")

    def __init__(self, index: int, config: BindingConfig, row: ActionRow) -> None:
        self.index = index
        self.config = config
        self.row = row
        #: Held down now, so a vanished input can release it.
        self.held = False
        # The control's kind, asked on every event (an event of the binding has its kind).
        self.hat_bit = HAT_DIRECTIONS.get(config.direction or "", 0) if config.control == ControlKind.HAT else None
        self.cc = config.control == ControlKind.CC
        self.program = config.control == ControlKind.PROGRAM

    def handle(self, event: ControlEvent, previous: float | None) -> list[Intent]:
        pressed, released = self.edges(event, previous)
        if pressed:
            self.held = True
        elif released:
            self.held = False
        return self.press(event, pressed, released)

    def press(self, event: ControlEvent, pressed: bool, released: bool) -> list[Intent]:
        """The intents of one edge of a control used as a button."""
        return []

    def edges(self, event: ControlEvent, previous: float | None) -> tuple[bool, bool]:
        """(pressed now, released now) for a control used as a button."""
        bit = self.hat_bit
        if bit is not None:
            now_down = bool(int(event.value) & bit)
            was_down = previous is not None and bool(int(previous) & bit)
            return now_down and not was_down, was_down and not now_down
        encoding = self.config.encoding
        if encoding is not None:
            return relative_steps(int(event.value), encoding) != 0, False
        pressed = is_press(event, previous)
        if self.cc:
            released = event.value < CC_CENTRE and previous is not None and previous >= CC_CENTRE
        elif self.program:
            released = False
        else:
            released = event.value <= 0 and previous is not None and previous > 0
        return pressed, released

    def release(self) -> list[Intent]:
        """Its input vanished while it was held: what letting go gives (a momentary tally
        goes off, a held layer or fine modifier ends)."""
        return []

    def forget(self) -> None:
        """Its input vanished, or it stopped applying: nothing of it fires later."""
        self.close()

    def close(self) -> None:
        """Its timers end."""


class OneShot(Binding):
    """One command (or intent) per press, the same every time: computed once."""

    __slots__ = ("intents",)

    def __init__(self, index: int, config: BindingConfig, row: ActionRow) -> None:
        super().__init__(index, config, row)
        if row.intent is not None:
            self.intents: list[Intent] = [row.intent(config)]
        else:
            assert row.command is not None  # every camera action's row has one
            self.intents = [Do(config.camera, row.command(config), index, config.group)]

    def press(self, event: ControlEvent, pressed: bool, released: bool) -> list[Intent]:
        return self.intents if pressed else []


class TwoState(Binding, metaclass=ABCMeta):
    """A button with two states, on and off: ``toggle`` flips it on each press; ``hold`` and
    ``momentary`` keep it on while held (:func:`next_state`). A subclass says where its
    state lives (:meth:`current`) and what turning it on or off gives (:meth:`become`)."""

    __slots__ = ()

    @abstractmethod
    def current(self) -> bool:
        """Whether it is on now."""

    @abstractmethod
    def become(self, on: bool) -> list[Intent]:
        """Turn it on (or off): the intents that gives."""

    def press(self, event: ControlEvent, pressed: bool, released: bool) -> list[Intent]:
        on = next_state(self.config.mode, self.current(), pressed, released)
        return [] if on is None else self.become(on)

    def release(self) -> list[Intent]:
        return [] if self.config.mode == PressMode.TOGGLE else self.press(_NO_EVENT, False, True)


class Switch(TwoState):
    """An on/off named action as a toggle (alternate per press) or momentary (on while held)."""

    __slots__ = ("on", "commands")

    def __init__(self, index: int, config: BindingConfig, row: ActionRow) -> None:
        super().__init__(index, config, row)
        assert row.command is not None
        self.on = False
        self.commands = {on: row.command(switched(config, on)) for on in (True, False)}

    def current(self) -> bool:
        return self.on

    def become(self, on: bool) -> list[Intent]:
        self.on = on
        return [Do(self.config.camera, self.commands[on], self.index, self.config.group), Toggled(self.index, on)]


class Preset(Binding):
    """A preset by number (a tap recalls; with ``hold``, held that long stores), or a step of
    the camera's preset cursor (a button with ``step``, a relative encoder)."""

    __slots__ = ("clock", "deferred", "timer", "held_fired")

    def __init__(self, index: int, config: BindingConfig, row: ActionRow, clock: Clock, deferred: Deferred) -> None:
        super().__init__(index, config, row)
        self.clock = clock
        self.deferred = deferred
        self.timer: Timer | None = None
        self.held_fired = False

    def press(self, event: ControlEvent, pressed: bool, released: bool) -> list[Intent]:
        binding = self.config
        if binding.encoding is not None:
            steps = relative_steps(int(event.value), binding.encoding)
            return [self._step(steps)] if steps else []
        if binding.step is not None:
            return [self._step(binding.step)] if pressed else []
        # A program change without `preset:` stands for the preset of its own number.
        number = binding.preset if binding.preset is not None else int(event.value)
        if binding.hold is not None:
            return self._tap_or_hold(number, binding.hold, self.clock, pressed, released)
        if not pressed:
            return []
        assert self.row.command is not None
        named = binding if binding.preset is not None else replace(binding, preset=number)
        return [Do(binding.camera, self.row.command(named), self.index, binding.group)]

    def _step(self, delta: int) -> PresetStep:
        binding = self.config
        return PresetStep(binding.camera, delta, *binding.presets, binding=self.index, speed=binding.speed,
                          group=binding.group)

    def _tap_or_hold(self, number: int, hold: float, clock: Clock, pressed: bool, released: bool) -> list[Intent]:
        """Tap = recall (on release); held for ``hold`` seconds = store (at that moment)."""
        binding = self.config
        if pressed:
            self.held_fired = False

            def stored() -> None:
                self.timer = None
                self.held_fired = True
                self.deferred([Do(binding.camera, PresetStore(number), self.index, binding.group)])

            self.close()
            self.timer = clock.call_later(hold, stored)
            return []
        if released:
            self.close()
            if self.held_fired:
                self.held_fired = False
                return []
            return [Do(binding.camera, PresetRecall(number, binding.speed), self.index, binding.group)]
        return []

    def forget(self) -> None:
        """Its binding stopped applying (a layer changed): a hold must not store later."""
        self.close()
        self.held_fired = False

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class Motion(Binding):
    """A speed while the control is held or deflected; a relative encoder nudges."""

    __slots__ = ("axis", "shape", "driver", "bipolar", "position", "clock", "deferred", "nudge_timer", "nudge_until",
                 "nudge_direction")

    def __init__(self, index: int, config: BindingConfig, row: ActionRow, clock: Clock, deferred: Deferred) -> None:
        super().__init__(index, config, row)
        #: The axis it drives: a motion action is named after its axis.
        self.axis = Axis(config.action)
        deadzone = config.deadzone if config.deadzone is not None else default_deadzone(config)
        self.shape = AxisShape(deadzone, config.expo, config.points, config.invert, config.scale)
        #: Who drives the axis: (input name, binding index).
        self.driver = (config.input, index)
        self.bipolar = config.range != "unipolar"
        readers: dict[str, Callable[[float], float]] = {
            ControlKind.CC: self._cc, ControlKind.CC14: self._fourteen_bit, ControlKind.NRPN: self._fourteen_bit,
            ControlKind.PITCHBEND: self._pitchbend, ControlKind.AXIS: self._axis, ControlKind.HAT: self._hat,
        }
        #: The control's deflection for an event's value.
        self.position = readers.get(config.control, self._button)
        self.clock = clock
        self.deferred = deferred
        self.nudge_timer: Timer | None = None
        self.nudge_until = 0.0
        self.nudge_direction = 0

    def handle(self, event: ControlEvent, previous: float | None) -> list[Intent]:
        binding = self.config
        if binding.encoding is not None:
            return self._nudge(event, binding.encoding)
        return [Move(binding.camera, self.axis, shape(self.position(event.value), self.shape), self.driver, binding.group)]

    # The control's deflection, -1..1 (+ = right/up/tele/far), before shaping: one reader per
    # control kind, chosen when the binding is compiled (an event of the binding has its kind).

    def _cc(self, value: float) -> float:
        return cc_bipolar(value) if self.bipolar else cc_unipolar(value)

    def _fourteen_bit(self, value: float) -> float:
        if not self.bipolar:
            return max(0.0, min(1.0, value / 16383))
        # Like a 7-bit CC around 64: 8192 is the centre, each side has its own scale.
        span = 16383 - FOURTEEN_BIT_CENTRE if value >= FOURTEEN_BIT_CENTRE else FOURTEEN_BIT_CENTRE
        return max(-1.0, min(1.0, (value - FOURTEEN_BIT_CENTRE) / span))

    def _pitchbend(self, value: float) -> float:
        return pitchbend(value) if self.bipolar else unipolar(pitchbend(value))

    def _axis(self, value: float) -> float:
        # SDL's y axes grow downwards; above the inputs, + is up. A gamepad trigger reads
        # 0..1 (unipolar by default); bipolar makes its middle the stop.
        number = self.config.number
        if number in GAMEPAD_TRIGGERS:
            return 2.0 * value - 1.0 if self.config.range == "bipolar" else value
        deflection = -value if number in GAMEPAD_DOWN_POSITIVE else value
        return deflection if self.bipolar else unipolar(deflection)

    def _hat(self, value: float) -> float:
        binding = self.config
        held = 1.0 if binding.value is None else binding.value
        if binding.direction is not None:
            return held if int(value) & HAT_DIRECTIONS[binding.direction] else 0.0
        bits = int(value)
        if self.axis == Axis.TILT:
            return held * ((bits & 1 != 0) - (bits & 4 != 0))
        return held * ((bits & 2 != 0) - (bits & 8 != 0))

    def _button(self, value: float) -> float:
        """Notes and buttons: held = the binding's speed (scaled by velocity if asked), released = stop."""
        binding = self.config
        if value <= 0:
            return 0.0
        held = 1.0 if binding.value is None else binding.value
        return held * (value / 127 if binding.velocity and binding.control == ControlKind.NOTE else 1.0)

    def _nudge(self, event: ControlEvent, encoding: str) -> list[Intent]:
        """A relative encoder on a motion: each detent moves the axis a little, then it stops."""
        binding = self.config
        steps = relative_steps(int(event.value), encoding)
        if steps == 0:
            return []
        speed = (NUDGE_SPEED if binding.value is None else abs(binding.value)) * (1 if steps > 0 else -1)
        speed = shape(speed, AxisShape(invert=binding.invert, scale=binding.scale))
        now = self.clock.now()
        direction = 1 if steps > 0 else -1
        # Detents in the same direction add up; a reversal starts afresh.
        previous_until = self.nudge_until if self.nudge_direction == direction else now
        until = max(previous_until, now) + abs(steps) * NUDGE_SECONDS
        self.nudge_until = until
        self.nudge_direction = direction
        self.close()

        def stop() -> None:
            self.nudge_timer = None
            self.deferred([Move(binding.camera, self.axis, 0.0, self.driver, binding.group)])

        self.nudge_timer = self.clock.call_later(until - now, stop)
        return [Move(binding.camera, self.axis, speed, self.driver, binding.group)]

    def close(self) -> None:
        if self.nudge_timer is not None:
            self.nudge_timer.cancel()
            self.nudge_timer = None


class Layer(TwoState):
    """``action: layer``: its layer is on while held, or flipped by each press."""

    __slots__ = ("surface",)

    def __init__(self, index: int, config: BindingConfig, row: ActionRow, surface: Surface) -> None:
        super().__init__(index, config, row)
        self.surface = surface

    def current(self) -> bool:
        return (self.config.layer or "") in self.surface.layers

    def become(self, on: bool) -> list[Intent]:
        if on == self.current():
            return []  # two buttons of one layer: the second changes nothing
        return self.surface.switch_layer(self.config.layer or "", on)


class FineControl(TwoState):
    """``action: fine``: speeds are multiplied by ``factor`` while it is on (one state shared
    by every fine button)."""

    __slots__ = ("surface",)

    def __init__(self, index: int, config: BindingConfig, row: ActionRow, surface: Surface) -> None:
        super().__init__(index, config, row)
        self.surface = surface

    def current(self) -> bool:
        return self.surface.fine_on

    def become(self, on: bool) -> list[Intent]:
        self.surface.fine_on = on
        return [Fine(on, self.config.factor, self.index)]


#: Stands for the event of a release no control sent (its input vanished).
_NO_EVENT = ControlEvent("", "", None, 0.0)


def compile_binding(index: int, config: BindingConfig, clock: Clock, deferred: Deferred,
                    surface: Surface) -> Binding:
    """The binding ``config`` (the ``index``-th of the config), built from its action's row."""
    row = ACTION_ROWS[config.action]
    if row.behaviour is Behaviour.MOTION:
        return Motion(index, config, row, clock, deferred)
    if row.behaviour is Behaviour.PRESET:
        return Preset(index, config, row, clock, deferred)
    if row.action == Action.LAYER:
        return Layer(index, config, row, surface)
    if row.action == Action.FINE:
        return FineControl(index, config, row, surface)
    if config.mode in SWITCH_MODES and switchable(config.action):
        return Switch(index, config, row)
    return OneShot(index, config, row)


def default_deadzone(binding: BindingConfig) -> float:
    """The deadzone of a control with a rest position (a fader's centre, a stick's)."""
    control = binding.control
    if control == ControlKind.CC:
        return CC_CENTRE_BAND if binding.range != "unipolar" else 0.0
    if control == ControlKind.CC14 or control == ControlKind.NRPN or control == ControlKind.PITCHBEND:
        return WIDE_CENTRE_BAND if binding.range != "unipolar" else 0.0
    if control == ControlKind.AXIS:
        if isinstance(binding.number, str):
            return TRIGGER_DEADZONE if binding.number in GAMEPAD_TRIGGERS else STICK_DEADZONE
        return JOYSTICK_DEADZONE
    return 0.0
