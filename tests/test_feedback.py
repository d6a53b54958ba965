"""Surface LEDs: what Feedback sends for each pipeline event, on a fake clock; then the real
thing on JACK, read back through a MIDI port that plays the controller.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import mido

from helpers import run, until
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import BindingConfig, InputConfig, LedConfig, Mark
from ptzmapd.surfaces.feedback import BLINK_HALF_PERIOD, PRESET_PATTERNS, Feedback, SurfaceFeedback, lights_of
from ptzmapd.simulators.visca import start_simulator
from test_learn import Plugged

MARK = Mark("studio.yaml", 1, 1)
NOTE_ON = 0x90


def binding(note: int, action: str, led_on: int = 127, **keys: object) -> BindingConfig:
    led = LedConfig("note", note, on=led_on, off=0)
    return BindingConfig(input="desk", control="note", number=note, action=action, mark=MARK, led=led, **keys)  # type: ignore[arg-type]


# Binding indexes below are what the pipeline reports (their place in the config).
BINDINGS = [
    binding(0, "select", camera="stage"),  # 0
    binding(1, "select", camera="pulpit"),  # 1
    binding(2, "select", camera="all"),  # 2
    binding(8, "preset", preset=1),  # 3
    binding(9, "tally", mode="toggle"),  # 4
    binding(10, "fine", mode="toggle"),  # 5
    binding(98, "layer", layer="shift"),  # 6
    binding(8, "preset", led_on=5, preset=1, store=True, layer="shift"),  # 7: pad 8 again, under shift
    binding(11, "home"),  # 8: nothing lights it
]
INPUTS = {"desk": InputConfig(name="desk", type="midi", mark=MARK, port="*desk*")}


class Surface:
    """The controller's side of the wire: every message Feedback sent, and its LEDs now."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int, int]] = []
        self.plugged = True

    def send(self, input_name: str, message: bytes) -> bool:
        assert input_name == "desk"
        if not self.plugged:
            return False
        self.sent.append((message[0], message[1], message[2]))
        return True

    def take(self) -> list[tuple[int, int]]:
        """(note, value) of the messages sent since the last call."""
        taken = [(note, value) for status, note, value in self.sent]
        assert all(status == NOTE_ON for status, _, _ in self.sent)
        self.sent.clear()
        return taken


def make(clock: FakeClock, selected: str | None = "stage") -> tuple[Feedback, Surface]:
    surface = Surface()
    feedback = Feedback(lights_of(BINDINGS, INPUTS), clock, surface.send, selected=selected)
    return feedback, surface


def test_at_start_the_selected_camera_is_lit_and_every_other_light_is_put_out(fake_clock: FakeClock) -> None:
    _, surface = make(fake_clock)
    assert sorted(surface.take()) == [(0, 127), (1, 0), (2, 0), (8, 0), (9, 0), (10, 0), (11, 0), (98, 0)]


def test_selecting_a_camera_lights_its_pad_and_puts_out_the_other(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    feedback.selected("pulpit")
    assert sorted(surface.take()) == [(0, 0), (1, 127)]
    feedback.selected("pulpit")  # nothing changed: nothing is sent
    assert surface.take() == []
    feedback.selected("all")  # every camera is selected: every select pad is lit
    assert sorted(surface.take()) == [(0, 127), (2, 127)]


def test_a_stored_preset_flashes_then_goes_back_to_dark(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    feedback.preset(3, "stage", "stored", 1)
    seen = surface.take()
    for _ in range(len(PRESET_PATTERNS["stored"])):
        fake_clock.advance(0.08)
        seen += surface.take()
    assert seen == [(8, 127), (8, 0)] * 4
    fake_clock.advance(5)
    assert surface.take() == [] and fake_clock.pending() == 0


def test_a_recalled_preset_is_lit_for_a_moment(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    feedback.preset(3, "stage", "recalled", 1)
    assert surface.take() == [(8, 127)]
    fake_clock.advance(0.5)
    assert surface.take() == []
    fake_clock.advance(0.2)
    assert surface.take() == [(8, 0)]


def test_an_offline_camera_blinks_its_select_pad_until_it_answers_again(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock, selected="stage")
    surface.take()
    feedback.camera_online("pulpit", False)
    assert surface.take() == [(1, 127)]  # the blink starts lit, whatever the selection
    fake_clock.advance(BLINK_HALF_PERIOD)
    assert surface.take() == [(1, 0)]
    fake_clock.advance(BLINK_HALF_PERIOD)
    assert surface.take() == [(1, 127)]
    feedback.camera_online("pulpit", True)
    assert surface.take() == [(1, 0)]  # back to what it shows: not selected
    fake_clock.advance(10 * BLINK_HALF_PERIOD)
    assert surface.take() == [] and fake_clock.pending() == 0  # no timer left running


def test_a_layer_button_is_lit_while_its_layer_is_active_and_the_layer_takes_over_shared_pads(
    fake_clock: FakeClock,
) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    feedback.layer("shift", True)
    assert surface.take() == [(98, 127)]
    feedback.preset(7, "stage", "stored", 1)  # pad 8 under shift stores, in its own colour
    assert surface.take() == [(8, 5)]
    feedback.layer("shift", False)  # the base layer's binding shows pad 8 again: dark
    assert sorted(surface.take()) == [(8, 0), (98, 0)]


def test_toggles_and_the_fine_modifier_are_lit_while_on(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    feedback.toggled(4, True)
    feedback.fine(True)
    assert surface.take() == [(9, 127), (10, 127)]
    feedback.toggled(4, False)
    feedback.fine(False)
    assert surface.take() == [(9, 0), (10, 0)]


def test_a_reconnected_surface_is_sent_its_whole_state_again(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    surface.take()
    surface.plugged = False
    feedback.selected("pulpit")  # meanwhile, unplugged: nothing can go out
    assert surface.take() == []
    surface.plugged = True
    feedback.connected("desk")
    assert sorted(surface.take()) == [(0, 0), (1, 127), (2, 0), (8, 0), (9, 0), (10, 0), (11, 0), (98, 0)]


def test_closing_puts_every_light_out_and_stops_the_timers(fake_clock: FakeClock) -> None:
    feedback, surface = make(fake_clock)
    feedback.camera_online("pulpit", False)
    feedback.preset(3, "stage", "stored", 1)
    surface.take()
    feedback.close()
    assert sorted(surface.take()) == [(0, 0), (1, 0), (8, 0)]
    assert fake_clock.pending() == 0


# -- on JACK: what the controller receives --------------------------------------------------------

CONFIG = """\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: 9}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: 9}}
inputs:
  desk: {{type: midi, virtual: "{name} in", api: jack, feedback: "*{name} leds*", led_on: 1}}
bindings:
  - {{input: desk, note: 100, action: select, camera: stage, led: true}}
  - {{input: desk, note: 101, action: select, camera: pulpit, led: true}}
  - {{input: desk, note: 8, action: preset, preset: 1, led: {{note: 0, on: 2, off: 0}}}}
"""


class Leds:
    """The controller's LED input (a virtual port the test creates): what each note was last
    set to."""

    def __init__(self, name: str) -> None:
        self._backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        self.name = name
        self.port = self._backend.open_input(name, virtual=True)
        self.state: dict[int, int] = {}
        #: The MIDI channels (1-16) the LED messages came on.
        self.channels: set[int] = set()

    def unplug(self) -> None:
        self.port.close()

    def plug(self) -> None:
        self.port = self._backend.open_input(self.name, virtual=True)

    async def show(self, expected: dict[int, int], resend: Callable[[], None], timeout: float = 20.0) -> None:
        """Wait until the LEDs show ``expected``.

        A dummy JACK server on a loaded machine drops a period's MIDI now and then: every
        second without it, ``resend`` sends everything again. Every few seconds the port is
        unplugged and plugged back: on a server other test runs share, ports coming and going
        while the output connects can leave it connected elsewhere (it reconnects, and sends
        everything, when it sees the port come back).
        """
        started = time.monotonic()
        resend_at, replug_at = started + 1.0, started + 4.0
        while self.state != expected:
            now = time.monotonic()
            assert now < started + timeout, f"the surface shows {self.state}, not {expected}"
            if now > replug_at:
                self.unplug()
                await asyncio.sleep(1.5)  # the output looks once a second
                self.plug()
                replug_at = time.monotonic() + 4.0
            elif now > resend_at:
                resend()
                resend_at = now + 1.0
            for message in self.port.iter_pending():
                assert message.type == "note_on", message
                self.state[message.note] = message.velocity
                self.channels.add(message.channel + 1)
            await asyncio.sleep(0.01)


def test_the_surface_receives_its_leds_on_jack_and_again_after_it_is_plugged_back(jack: int, tmp_path: Path) -> None:
    name = f"FB nanoKONTROL2 {uuid.uuid4().hex[:8]}"

    async def body() -> None:
        path = tmp_path / "studio.yaml"
        path.write_text(CONFIG.format(name=name))
        config = load_config(path)
        leds = Leds(f"{name} leds")  # the controller's LED input
        surface = SurfaceFeedback.for_config(config, FakeClock(), selected="stage")
        assert surface is not None
        feedback, output = surface.feedback, surface.outputs["desk"]
        resend = lambda: feedback.connected("desk")  # noqa: E731
        await surface.start()
        try:
            # Connected at start: the whole state, with the input's led_on for `led: true`.
            await leds.show({0: 0, 100: 1, 101: 0}, resend)
            feedback.selected("pulpit")
            await leds.show({0: 0, 100: 0, 101: 1}, resend)

            leds.unplug()
            await until(lambda: not output.connected)
            feedback.selected("stage")
            leds.plug()  # ...and plugged back: it is sent everything, this change included
            await until(lambda: output.connected)
            await leds.show({0: 0, 100: 1, 101: 0}, resend)
        finally:
            await surface.close()
            leds.unplug()

    run(body)


DAEMON_CONFIG = """\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage}}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit}}}
inputs:
  desk: {{type: midi, virtual: "{name} in", api: jack, feedback: "*{name} leds*"}}
bindings:
  - {{input: desk, note: 100, action: select, camera: stage, led: true}}
  - {{input: desk, note: 101, action: select, camera: pulpit, led: true}}
"""


def test_the_daemon_lights_the_selected_cameras_pad_as_the_surface_selects_it(jack: int, tmp_path: Path) -> None:
    name = f"FB desk {uuid.uuid4().hex[:8]}"

    async def body() -> None:
        stage = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "studio.yaml"
        path.write_text(DAEMON_CONFIG.format(name=name, stage=stage.port, pulpit=pulpit.port))
        leds = Leds(f"{name} leds")
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        assert runtime.feedback is not None
        resend = functools.partial(runtime.feedback.feedback.connected, "desk")
        pads: Plugged | None = None
        try:
            await leds.show({100: 127, 101: 0}, resend)  # the first camera is selected at start
            await until(lambda: runtime.inputs["desk"].connected)
            pads = Plugged(f"*:{name} in")
            press = pads.send
            # The pad is pressed (again, until it shows: a fresh connection may miss a period).
            await leds.show({100: 0, 101: 127}, lambda: (press(bytes([0x90, 101, 127])), press(bytes([0x80, 101, 0]))))
            assert runtime.pipeline is not None and runtime.pipeline.selected == "pulpit"
        finally:
            if pads is not None:
                pads.close()
            await runtime.shutdown(grace=0.2)
            # Shut down, the surface is dark.
            await leds.show({100: 0, 101: 0}, lambda: None)
            leds.unplug()
            await stage.close()
            await pulpit.close()

    run(body)


def test_tally_lights_show_program_and_preview_and_a_held_back_press_flashes(fake_clock: FakeClock) -> None:
    bindings = [
        binding(20, "switcher-preview", camera="pulpit"),  # 0: shows pulpit's preview
        binding(21, "select", camera="stage", led_shows="program"),  # 1: shows stage's program
        binding(22, "home", camera="selected", led_shows="program"),  # 2: whichever is selected
        binding(23, "live-override"),  # 3: lit while held
    ]
    surface = Surface()
    feedback = Feedback(lights_of(bindings, INPUTS), fake_clock, surface.send, selected="stage")
    assert sorted(surface.take()) == [(20, 0), (21, 0), (22, 0), (23, 0)]
    feedback.tally("stage", True, False)
    feedback.tally("pulpit", False, True)
    assert sorted(surface.take()) == [(20, 127), (21, 127), (22, 127)]
    feedback.selected("pulpit")  # the selected camera is on preview, not on program
    assert surface.take() == [(22, 0)]
    feedback.toggled(3, True)
    assert surface.take() == [(23, 127)]
    feedback.refused(2)  # a press the lockout held back: a quick triple flash, then as before
    seen = surface.take()
    for _ in range(10):
        fake_clock.advance(0.1)
        seen += surface.take()
    assert seen == [(22, 127), (22, 0)] * 3
