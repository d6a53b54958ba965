"""Which control does what: the mapper routes each :class:`ControlEvent` to its bindings
(:mod:`.bindings`) and returns their :mod:`.intents`.

The lookup is one dict access per event (input, kind, number): the hot path from a fader
to a packet must stay short. Around it sits the state a surface needs:

- **layers**: a held (or toggled) button switches to another set of bindings; a control
  not bound in the active layer falls through to the base layer. Layer buttons work from
  every layer. When a layer comes or goes, motions driven by bindings that no longer apply
  stop. Each selection group has its own layers (and fine control): a :class:`Surface` each.
- **press semantics** (:mod:`.bindings`): notes, buttons, hat directions and CCs-as-buttons
  fire once per press; presets can tell a tap (recall) from a hold (store); on/off actions
  can toggle or be momentary.
- **multi-message values**: 14-bit CCs and NRPNs are assembled per input; relative encoders
  give nudges (motion) or steps (presets).
- **axis shaping** per binding (deadzone, curve, invert, scale), with a sensible deadzone
  where the control has a rest position (a fader's centre, a stick's).

Each binding is compiled once (:func:`~.bindings.compile_binding`) and owns its state.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Callable

from ptzmapd.clock import Clock
from ptzmapd.config.model import BindingConfig
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.bindings import Binding, Motion, Preset, Surface, compile_binding
from ptzmapd.mapping.intents import Intent, LayerChanged
from ptzmapd.mapping.midi_values import MidiAssembler
from ptzmapd.vocabulary import DEFAULT_GROUP, Action, ControlKind

Key = tuple[str, str, object]


class _Control:
    """The bindings of one control (input, kind, number): its layer buttons, which apply in
    every layer, and the others by the layer they belong to (None: the base layer). The
    control's input is in one selection group, whose layers apply to it."""

    __slots__ = ("switches", "by_layer", "layered", "group")

    def __init__(self) -> None:
        self.group = DEFAULT_GROUP
        self.switches: list[Binding] = []
        self.by_layer: dict[str | None, list[Binding]] = {}
        #: Whether anything here depends on the active layers (most controls: no).
        self.layered = False

    def add(self, binding: Binding) -> None:
        self.group = binding.config.group
        if binding.config.action == Action.LAYER:
            self.switches.append(binding)
        else:
            self.by_layer.setdefault(binding.config.layer, []).append(binding)
        self.layered = bool(self.switches) or any(layer is not None for layer in self.by_layer)


class Mapper:
    def __init__(
        self,
        bindings: list[BindingConfig],
        clock: Clock,
        deferred: Callable[[list[Intent]], None] | None = None,
    ) -> None:
        #: Each selection group's layers and fine control.
        self._surfaces: dict[str, Surface] = {}
        deferred = deferred or (lambda intents: None)
        self._bindings = [
            compile_binding(index, binding, clock, deferred, self._surface(binding.group))
            for index, binding in enumerate(bindings)
        ]
        self._by_control: dict[Key, _Control] = defaultdict(_Control)
        cc14: dict[str, set[int]] = defaultdict(set)
        nrpn: set[str] = set()
        for compiled in self._bindings:
            binding = compiled.config
            self._by_control[(binding.input, binding.control, binding.number)].add(compiled)
            if binding.control == ControlKind.CC14 and isinstance(binding.number, int):
                cc14[binding.input].add(binding.number)
            elif binding.control == ControlKind.NRPN:
                nrpn.add(binding.input)
        self._assemblers = {
            name: MidiAssembler(frozenset(cc14.get(name, ())), name in nrpn) for name in set(cc14) | nrpn
        }
        # The last value of each control, so a CC used as a button fires once per press.
        self._last_value: dict[tuple[str, str, object, int | None], float] = {}

    @property
    def layers(self) -> list[str]:
        """The default group's active layers, most recent last (the newest wins where two bind
        one control)."""
        return self.layers_of(DEFAULT_GROUP)

    def layers_of(self, group: str) -> list[str]:
        """Selection group ``group``'s active layers, most recent last."""
        return self._surface(group).layers

    def _surface(self, group: str) -> Surface:
        surface = self._surfaces.get(group)
        if surface is None:
            surface = self._surfaces[group] = Surface(functools.partial(self._switch_layer, group))
        return surface

    # ------------------------------------------------------------------ lookup

    def handle(self, event: ControlEvent) -> list[Intent]:
        assembler = self._assemblers.get(event.input)
        if assembler is not None:
            assembled = assembler.feed(event)
            if assembled is None:
                return []
            event = assembled
        control = self._by_control.get((event.input, event.kind, event.number))
        state_key = (event.input, event.kind, event.number, event.channel)
        previous = self._last_value.get(state_key)
        self._last_value[state_key] = event.value
        if control is None:
            return []
        intents: list[Intent] = []
        for compiled in self._effective(control) if control.layered else control.by_layer.get(None, ()):
            channel = compiled.config.channel
            if channel is not None and event.channel is not None and channel != event.channel:
                continue
            intents.extend(compiled.handle(event, previous))
        return intents

    def _effective(self, control: _Control) -> list[Binding]:
        """The bindings of one control that apply now: layer buttons always; of the rest, those
        of the newest active layer that binds this control, else the base layer's."""
        for layer in reversed(self._surface(control.group).layers):
            chosen = control.by_layer.get(layer)
            if chosen:
                break
        else:
            chosen = control.by_layer.get(None, [])
        return control.switches + chosen

    def _applies(self, compiled: Binding) -> bool:
        binding = compiled.config
        return compiled in self._effective(self._by_control[(binding.input, binding.control, binding.number)])

    def _switch_layer(self, group: str, name: str, turn_on: bool) -> list[Intent]:
        """Turn ``group``'s layer ``name`` on or off: the motions of bindings that stop applying
        stop."""
        motion = [b for b in self._bindings if isinstance(b, Motion) and b.config.group == group]
        before = {b for b in motion if self._applies(b)}
        layers = self._surface(group).layers
        if turn_on:
            layers.append(name)
        else:
            layers.remove(name)
        after = {b for b in motion if self._applies(b)}
        lost = frozenset(b.driver for b in before - after)
        # A tap/hold whose binding no longer applies must not store a preset a second later.
        for compiled in self._bindings:
            if isinstance(compiled, Preset) and compiled.timer is not None and not self._applies(compiled):
                compiled.forget()
        return [LayerChanged(name, turn_on, lost, group)]

    def input_gone(self, name: str) -> list[Intent]:
        """An input vanished: its held buttons count as released (a momentary tally goes
        off, a held layer or fine modifier ends), and nothing of it fires later."""
        intents: list[Intent] = []
        for compiled in self._bindings:
            if compiled.config.input != name:
                continue
            compiled.forget()
            if compiled.held:
                compiled.held = False
                intents.extend(compiled.release())
        for key in [key for key in self._last_value if key[0] == name]:
            del self._last_value[key]  # a fresh start when it comes back
        return intents

    def close(self) -> None:
        for compiled in self._bindings:
            compiled.close()
