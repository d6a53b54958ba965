"""Surface LEDs: what the controller shows of the mapping's state, sent back over MIDI.

A binding with ``led:`` owns one light on its input's ``feedback:`` output (a note or a CC,
with the values that mean on and off). What lights it depends on the binding's action:

============ ============================================================================
action       the light
============ ============================================================================
select       on while its camera is selected in its input's selection group (every
             camera pad when ``all`` is); blinks while its camera does not answer
layer        on while its layer is active
fine         on while the fine modifier is on
preset       flashes when the preset is stored, lit for a moment when it is recalled
toggles      on while the toggle is on (``mode: toggle`` named actions)
============ ============================================================================

:class:`Feedback` is the pure part, a :class:`~ptzmapd.mapping.observers.PipelineObserver`:
it keeps the state the pipeline reports, works out the value every light should show, and
sends only what changed, through a ``send`` callback. Blinks and flashes run on timers from an
injected :class:`~ptzmapd.clock.Clock`; no timer runs while nothing blinks. When an output
(re)connects, :meth:`Feedback.connected` forgets what the device was shown and sends it
everything again: a controller that was unplugged has lost its LED state.

:class:`SurfaceFeedback` is the daemon's wiring: one :class:`Feedback` plus one
:class:`~ptzmapd.surfaces.midi_out.MidiFeedbackOutput` per input that has ``feedback:``.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ptzmapd.clock import Clock, Timer
from ptzmapd.config.model import BindingConfig, Config, InputConfig, LedConfig
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.vocabulary import DEFAULT_GROUP

if TYPE_CHECKING:  # midi_out imports rtmidi: only the daemon's wiring needs it at run time
    from ptzmapd.surfaces.midi_out import MidiFeedbackOutput

#: Sends one MIDI message to an input's feedback output; False if it could not go out (the
#: output is not connected), so it is sent again once it is.
SendMidi = Callable[[str, bytes], bool]

#: MIDI status bytes of the two messages a light can be, before the channel is added.
_STATUS: dict[str, int] = {"note": 0x90, "cc": 0xB0}

#: A preset light's sequence per preset event: (lit?, seconds) steps, then back to normal.
#: A store is the thing to be sure of, so it flashes; a recall just answers the press.
PRESET_PATTERNS: dict[str, tuple[tuple[bool, float], ...]] = {
    "stored": ((True, 0.08), (False, 0.08)) * 4,
    "recalled": ((True, 0.6),),
    "cleared": ((True, 0.3), (False, 0.15), (True, 0.3)),
}

#: Half a blink of an offline camera's select pad (seconds lit, then as long dark).
BLINK_HALF_PERIOD = 0.4


@dataclass(frozen=True, slots=True)
class Light:
    """One binding's LED: where it is (input, MIDI status byte, number) and what lights it."""

    binding: int  # the binding's index in the config: what the observer calls name
    input: str
    status: int  # 0x90 | channel-1 for a note, 0xB0 | channel-1 for a CC
    number: int
    on: int
    off: int
    action: str
    #: ``select``: the camera (or next/previous/all); ``layer``: the layer it switches.
    subject: str | None
    #: The layer whose bindings it belongs to (None: the base layer).
    layer: str | None
    #: Its input's selection group: a select pad shows that group's selection.
    group: str = DEFAULT_GROUP

    @property
    def address(self) -> Address:
        return (self.input, self.status, self.number)

    def message(self, value: int) -> bytes:
        return bytes((self.status, self.number, value))


#: One LED on one surface: (input, status byte, number). Several bindings may share one
#: (the same pad in two layers); the active layer decides which of them it shows.
Address = tuple[str, int, int]


def light_for(index: int, binding: BindingConfig, inputs: Mapping[str, InputConfig]) -> Light | None:
    """The light a binding asks for with ``led:``, or None."""
    led: LedConfig | None = binding.led
    if led is None:
        return None
    device = inputs.get(binding.input)
    # The LED's own channel, else the binding's, else the input's, else channel 1: a surface
    # that listens on one channel usually also takes its LED messages there.
    channel = led.channel or binding.channel or (device.channel if device is not None else None) or 1
    subject = binding.camera if binding.action == "select" else binding.layer if binding.action == "layer" else None
    # A layer button works from every layer, so its light is not a layer's either.
    layer = None if binding.action == "layer" else binding.layer
    return Light(
        binding=index, input=binding.input, status=_STATUS[led.kind] | (channel - 1), number=led.number,
        on=led.on, off=led.off, action=binding.action, subject=subject, layer=layer,
        group=device.group if device is not None else DEFAULT_GROUP,
    )


def lights_of(bindings: Sequence[BindingConfig], inputs: Mapping[str, InputConfig]) -> list[Light]:
    return [light for index, binding in enumerate(bindings) if (light := light_for(index, binding, inputs))]


@dataclass(slots=True)
class _Pattern:
    """A preset light's running flash: which step it is on and the timer for the next."""

    steps: tuple[tuple[bool, float], ...]
    step: int
    timer: Timer


class Feedback(PipelineObserver):
    """The value every light should show, kept in step with the pipeline; changes are sent."""

    def __init__(
        self,
        lights: Sequence[Light],
        clock: Clock,
        send: SendMidi,
        selected: str | None = None,
    ) -> None:
        self._clock = clock
        self._send = send
        self._lights: dict[Address, list[Light]] = defaultdict(list)
        for light in lights:
            self._lights[light.address].append(light)
        # What the pipeline reported: each group's selection (every group starts on `selected`).
        self._first_selected = selected
        self._selections: dict[str, str | None] = {}
        self._offline: set[str] = set()
        self._layers: list[str] = []  # active, most recent last: it wins a shared light
        self._toggles: dict[int, bool] = {}
        self._fine = False
        # What runs on timers.
        self._patterns: dict[int, _Pattern] = {}
        self._blink_lit = True
        self._blink_timer: Timer | None = None
        #: The value each address was last sent (absent: unknown, e.g. just reconnected).
        self._sent: dict[Address, int] = {}
        self._closed = False
        self._refresh()

    # ------------------------------------------------------------------ observer

    def selected(self, camera: str | None) -> None:
        self.group_selected(DEFAULT_GROUP, camera)

    def group_selected(self, group: str, camera: str | None) -> None:
        self._selections[group] = camera
        self._refresh()

    def preset(self, binding: int, camera: str, what: str, number: int) -> None:
        steps = PRESET_PATTERNS.get(what)
        if steps is None or self._closed:
            return
        running = self._patterns.pop(binding, None)
        if running is not None:
            running.timer.cancel()
        # A binding on "all" reports one event per camera, all at once: a restart is invisible.
        self._patterns[binding] = _Pattern(steps, 0, self._clock.call_later(steps[0][1], lambda: self._step(binding)))
        self._refresh()

    def layer(self, name: str, active: bool) -> None:
        if name in self._layers:
            self._layers.remove(name)
        if active:
            self._layers.append(name)
        self._refresh()

    def toggled(self, binding: int, on: bool) -> None:
        self._toggles[binding] = on
        self._refresh()

    def fine(self, active: bool) -> None:
        self._fine = active
        self._refresh()

    def camera_online(self, camera: str, online: bool) -> None:
        if online:
            self._offline.discard(camera)
        else:
            self._offline.add(camera)
        if self._offline and self._blink_timer is None and not self._closed:
            self._blink_lit = True
            self._blink_timer = self._clock.call_later(BLINK_HALF_PERIOD, self._blink)
        self._refresh()

    # ------------------------------------------------------------------ outputs

    def connected(self, input_name: str) -> None:
        """``input_name``'s output (re)connected: whatever it showed is unknown, send it all."""
        for address in [address for address in self._sent if address[0] == input_name]:
            del self._sent[address]
        self._refresh()

    def close(self) -> None:
        """Stop the timers and put every light out: a surface must not show a selection
        nobody is acting on any more."""
        self._closed = True
        for pattern in self._patterns.values():
            pattern.timer.cancel()
        self._patterns.clear()
        if self._blink_timer is not None:
            self._blink_timer.cancel()
            self._blink_timer = None
        for address, lights in self._lights.items():
            self._show(address, lights[0], lights[0].off)

    # ------------------------------------------------------------------ timers

    def _step(self, binding: int) -> None:
        pattern = self._patterns.get(binding)
        if pattern is None:
            return
        pattern.step += 1
        if pattern.step >= len(pattern.steps):
            del self._patterns[binding]
        else:
            pattern.timer = self._clock.call_later(pattern.steps[pattern.step][1], lambda: self._step(binding))
        self._refresh()

    def _blink(self) -> None:
        self._blink_timer = None
        if not self._offline or self._closed:
            return  # every camera answers again: nothing blinks, and no timer runs
        self._blink_lit = not self._blink_lit
        self._blink_timer = self._clock.call_later(BLINK_HALF_PERIOD, self._blink)
        self._refresh()

    # ------------------------------------------------------------------ what a light shows

    def _refresh(self) -> None:
        if self._closed:
            return
        for address, lights in self._lights.items():
            self._show(address, lights[0], self._value(lights))

    def _show(self, address: Address, light: Light, value: int) -> None:
        if self._sent.get(address) == value:
            return
        if self._send(address[0], light.message(value)):
            self._sent[address] = value
        else:
            # Not connected: nothing is known about what it shows; connected() sends it all.
            self._sent.pop(address, None)

    def _value(self, lights: list[Light]) -> int:
        """What one address shows: the first lit light of those that apply, else dark."""
        shown = self._visible(lights)
        for light in shown:
            if self._lit(light):
                return light.on
        return (shown or lights)[0].off

    def _visible(self, lights: list[Light]) -> list[Light]:
        """The lights of one address that apply now, as the mapper picks bindings: layer
        buttons always; of the rest, the newest active layer's if it has any, else the base's."""
        always = [light for light in lights if light.action == "layer"]
        others = [light for light in lights if light.action != "layer"]
        for layer in reversed(self._layers):
            chosen = [light for light in others if light.layer == layer]
            if chosen:
                return always + chosen
        return always + [light for light in others if light.layer is None]

    def _lit(self, light: Light) -> bool:
        pattern = self._patterns.get(light.binding)
        if pattern is not None:
            return pattern.steps[pattern.step][0]
        if light.action == "select":
            camera = light.subject
            if camera in self._offline:
                return self._blink_lit
            selected = self._selections.get(light.group, self._first_selected)
            return camera == selected or (selected == "all" and camera not in ("next", "previous"))
        if light.action == "layer":
            return light.subject in self._layers
        if light.action == "fine":
            return self._fine
        return self._toggles.get(light.binding, False)


class SurfaceFeedback:
    """The daemon's LEDs: a :class:`Feedback` and the MIDI outputs it lights.

    Made with :meth:`for_config`; add :attr:`feedback` to the pipeline's observers, then
    :meth:`start`. Only inputs with ``feedback:`` get an output, each one long-lived rtmidi
    client that follows its port as it comes and goes.
    """

    def __init__(self, feedback: Feedback, outputs: Mapping[str, MidiFeedbackOutput]) -> None:
        self.feedback = feedback
        self.outputs = dict(outputs)

    @classmethod
    def for_config(
        cls, config: Config, clock: Clock, selected: str | None = None, log: logging.Logger | None = None,
    ) -> SurfaceFeedback | None:
        """None when no input has ``feedback:`` or no binding asks for a light."""
        from ptzmapd.inputs.midi.api import resolve_api
        from ptzmapd.surfaces.midi_out import MidiFeedbackOutput

        log = log or logging.getLogger("ptzmapd")
        ports = {name: device.feedback for name, device in config.inputs.items()
                 if device.type == "midi" and device.feedback}
        lights = [light for light in lights_of(config.bindings, config.inputs) if light.input in ports]
        if not lights:
            return None
        outputs: dict[str, MidiFeedbackOutput] = {}

        def send(input_name: str, message: bytes) -> bool:
            output = outputs.get(input_name)
            return output is not None and output.send(message)

        feedback = Feedback(lights, clock, send, selected)
        for name in sorted({light.input for light in lights}):
            outputs[name] = MidiFeedbackOutput(
                name, str(ports[name]), resolve_api(config.inputs[name].api),
                on_connect=functools.partial(feedback.connected, name), log=log,
            )
        return cls(feedback, outputs)

    async def start(self) -> None:
        for output in self.outputs.values():
            await output.start()

    async def close(self) -> None:
        self.feedback.close()  # the lights go out while the outputs are still open
        for output in self.outputs.values():
            await output.close()

