"""``ptzmapd learn``: move a control, see what it sends, get a binding line to paste.

Every event is printed as it arrives, in the words a binding uses (``desk cc 7 ch 1 = 64``,
``pad axis leftx = -0.42``), and the first time a control is seen, a binding for it, ready
for the ``bindings:`` list::

    - {input: desk, cc: 7, action: pan}

The action is a guess, made to be edited: faders, knobs and sticks get pan, tilt, zoom, focus
(a gamepad's by SDL name: ``leftx`` pans, ``lefty`` tilts); notes and CC buttons recall
presets 1, 2, 3...; gamepad buttons select cameras; hat directions move at half speed. A CC
first seen at 0 or 127 (an OSC address at 0 or 1) looks like a button; if it later sends
something in between, it was a fader after all and a motion binding follows. An OSC input's
addresses are learnt from its configured port (``address: /1/fader1``).

Which inputs: with a config, its inputs (or the one ``--input`` names); without, every MIDI
port that can be read (on the first MIDI API that works: ``MIDO_BACKEND``'s, else ALSA, else
JACK) and every SDL gamepad and joystick. SDL is loaded only when a joystick device node
exists or ``--gamepads`` asks for it, since loading it costs a second and most MIDI users
have none.

A fader or stick sends hundreds of messages a second: each such control is printed at most
every :data:`FLOOD_INTERVAL`, always ending on its last value. Buttons are always printed.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import math
import re
import signal
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from ptzmapd.clock import Clock, MonotonicClock, Timer
from ptzmapd.config.model import Config, InputConfig, Listener, Mark
from ptzmapd.config.summary import input_source
from ptzmapd.errors import PtzmapdError
from ptzmapd.events import ControlEvent
from ptzmapd.inputs import Input, make_input
from ptzmapd.inputs.controls import HAT_DIRECTIONS
from ptzmapd.transports.addresses import is_loopback

#: Seconds between two prints of one fader, knob or stick axis (at most ~10 lines a second).
FLOOD_INTERVAL = 0.1

#: Controls that stream values; the others (notes, buttons, hats, programs) are one per press.
#: An OSC address may be either: its values tell (:meth:`Learner._first_guess`).
CONTINUOUS_KINDS = frozenset({"cc", "pitchbend", "axis", "address"})
#: The values of a control that look like a button's: 0/127 on a CC, 0/1 on an OSC address.
BUTTON_VALUES: dict[str, tuple[float, float]] = {"cc": (0, 127), "address": (0, 1)}

#: Motion actions handed out in turn to the faders and knobs of one input.
MOTION_ORDER: tuple[str, ...] = ("pan", "tilt", "zoom", "focus")

#: Axes whose job is plain from their name or place. SDL's y axes are flipped to + = up by the
#: mapping, so none needs `invert`. A joystick's axis 3 is usually a throttle, which stays
#: where it is left: no guess, since a motion bound to it would never stop.
AXIS_GUESSES: dict[int | str, str] = {
    "leftx": "action: pan",
    "lefty": "action: tilt",
    "righty": "action: zoom",
    "rightx": "action: focus",
    "righttrigger": "action: zoom",
    "lefttrigger": "action: zoom, invert: true",
    0: "action: pan",
    1: "action: tilt",
    2: "action: zoom",  # the twist of a 4-axis stick
}

#: A hat direction used as a button: move that way at half speed while held.
HAT_GUESSES: dict[str, str] = {
    "up": "action: tilt, value: 0.5",
    "down": "action: tilt, value: -0.5",
    "right": "action: pan, value: 0.5",
    "left": "action: pan, value: -0.5",
}

#: Where discovered inputs are said to come from, in messages about them.
_LEARN_MARK = Mark("(learn)", 1, 1)


def describe(event: ControlEvent) -> str:
    """One event as ``learn`` prints it: ``desk cc 7 ch 1 = 64``."""
    control = event.kind if event.number is None else f"{event.kind} {event.number}"
    channel = f" ch {event.channel}" if event.channel is not None else ""
    return f"{event.input} {control}{channel} = {_shown_value(event)}"


def _shown_value(event: ControlEvent) -> str:
    if event.kind == "axis":
        return f"{event.value:.2f}"
    if event.kind == "address":
        return f"{event.value:.3g}"  # a fader's 0..1, a button's 0/1, an int as sent
    if event.kind == "hat":
        return "+".join(_hat_directions(event.value)) or "centre"
    return str(int(event.value))


def _hat_directions(value: float) -> list[str]:
    return [name for name, bit in HAT_DIRECTIONS.items() if int(value) & bit]


def _control_keys(event: ControlEvent, with_channel: bool = False) -> str:
    """The keys that name the control in a binding: ``cc: 7``, ``pitchbend: true``."""
    keys = f"{event.kind}: true" if event.number is None else f"{event.kind}: {event.number}"
    return keys + (f", channel: {event.channel}" if with_channel and event.channel is not None else "")


@dataclass(slots=True)
class _Seen:
    """What ``learn`` remembers of one control."""

    #: "button" or "motion": what its binding line proposed.
    guess: str
    last_print: float = -math.inf
    #: The newest event not yet printed (a flood in progress) and the timer that prints it.
    pending: ControlEvent | None = None
    timer: Timer | None = None


@dataclass(slots=True)
class _InputGuesses:
    """The next guess of each kind for one input, so one surface's faders get pan, tilt..."""

    motions: int = 0
    presets: int = 0
    cameras: int = 0
    hats: set[tuple[object, str]] = field(default_factory=set)


class Learner:
    """Turns events into the lines ``learn`` prints. No I/O but ``out``; time from ``clock``."""

    def __init__(
        self, out: TextIO, clock: Clock, cameras: Sequence[str] = (), flood_interval: float = FLOOD_INTERVAL,
    ) -> None:
        self._out = out
        self._clock = clock
        self._cameras = list(cameras)
        self._interval = flood_interval
        self._seen: dict[tuple[str, str, object, int | None], _Seen] = {}
        self._guesses: dict[str, _InputGuesses] = defaultdict(_InputGuesses)

    def on_event(self, event: ControlEvent) -> None:
        key = (event.input, event.kind, event.number, event.channel)
        seen = self._seen.get(key)
        if seen is None:
            self._print(describe(event))
            # A binding without `channel:` takes every channel: fine until the same control
            # shows up on a second one, which the surface means as another control.
            other_channels = [k for k in self._seen if k[:3] == key[:3]]
            if other_channels:
                self._print(f"  # {event.input} {_control_keys(event)} also comes on channel {event.channel}: "
                            "give each binding of it a channel")
            seen = self._seen[key] = _Seen(self._first_guess(event), self._clock.now())
            self._suggest(event, seen.guess, with_channel=bool(other_channels))
            return
        if event.kind in BUTTON_VALUES and seen.guess == "button" and event.value not in BUTTON_VALUES[event.kind]:
            seen.guess = "motion"  # a fader that happened to start at an end
            self._suggest(event, "motion")
        if event.kind == "hat":
            self._suggest_hat(event)
        if event.kind not in CONTINUOUS_KINDS:
            self._print(describe(event))
            return
        now = self._clock.now()
        if now - seen.last_print >= self._interval and seen.timer is None:
            seen.last_print = now
            self._print(describe(event))
            return
        # A flood: keep only the newest value, printed when the interval is up.
        seen.pending = event
        if seen.timer is None:
            seen.timer = self._clock.call_later(seen.last_print + self._interval - now, lambda: self._flush(key))

    def on_state(self, input_name: str, connected: bool) -> None:
        self._print(f"# {input_name}: {'connected' if connected else 'gone'}")

    def close(self) -> None:
        """Print what a flood left pending, and stop the timers."""
        for key, seen in self._seen.items():
            if seen.timer is not None:
                seen.timer.cancel()
                self._flush(key)

    def _flush(self, key: tuple[str, str, object, int | None]) -> None:
        seen = self._seen[key]
        seen.timer = None
        if seen.pending is not None:
            seen.last_print = self._clock.now()
            self._print(describe(seen.pending))
            seen.pending = None

    # -- guesses ------------------------------------------------------------------------------

    @staticmethod
    def _first_guess(event: ControlEvent) -> str:
        if event.kind in BUTTON_VALUES:
            # Pads and buttons that send CCs send 127 and 0 (OSC buttons 1 and 0); a fader
            # rarely starts at an end.
            return "button" if event.value in BUTTON_VALUES[event.kind] else "motion"
        return "motion" if event.kind in CONTINUOUS_KINDS else "button"

    def _suggest(self, event: ControlEvent, guess: str, with_channel: bool = False) -> None:
        guesses = self._guesses[event.input]
        if event.kind == "hat":
            self._suggest_hat(event)
            return
        if event.kind == "program":
            action = "action: preset"  # a program change recalls the preset of its number
        elif event.kind == "axis":
            action = AXIS_GUESSES.get(event.number if event.number is not None else "", "")
            if not action:
                self._print(f"  # {event.input} axis {event.number}: bind it to a motion only if it springs back "
                            f"to centre, e.g. - {{input: {event.input}, axis: {event.number}, action: zoom}}")
                return
        elif guess == "motion":
            action = f"action: {MOTION_ORDER[guesses.motions % len(MOTION_ORDER)]}"
            guesses.motions += 1
        elif event.kind == "button":
            action = f"action: select, camera: {self._next_camera(guesses)}"
        else:
            guesses.presets += 1
            action = f"action: preset, preset: {guesses.presets}"
        self._print(f"  - {{input: {event.input}, {_control_keys(event, with_channel)}, {action}}}")

    def _suggest_hat(self, event: ControlEvent) -> None:
        guesses = self._guesses[event.input]
        for direction in _hat_directions(event.value):
            if (event.number, direction) in guesses.hats:
                continue
            guesses.hats.add((event.number, direction))
            self._print(
                f"  - {{input: {event.input}, hat: {event.number}, direction: {direction}, {HAT_GUESSES[direction]}}}"
            )

    def _next_camera(self, guesses: _InputGuesses) -> str:
        if not self._cameras:
            return "next"
        camera = self._cameras[guesses.cameras % len(self._cameras)]
        guesses.cameras += 1
        return camera

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)


# -- which inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """An input ``learn`` found by itself, and how a config would name it."""

    config: InputConfig
    #: What it is, for the header: "midi port 'nanoKONTROL2 MIDI 1'".
    what: str
    #: Its line for a config's ``inputs:``.
    entry: str


def _slug(text: str, taken: set[str]) -> str:
    """A config input name from a device name: ``nanoKONTROL2 MIDI 1`` -> ``nanokontrol2``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    base = (words[0] if words else "input")[:24]
    name, count = base, 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    taken.add(name)
    return name


def _port_device(port: str) -> str:
    """The device a port belongs to, as a config's glob should name it: the client part of
    ``client:port`` (JACK and ALSA alike), without ALSA's client:port numbers (they change
    when the device is plugged in elsewhere). a2jmidid's bridge names the device after its own
    client: ``a2j:nanoKONTROL2 [20] (capture): nanoKONTROL2 MIDI 1``."""
    name = re.sub(r"\s+\d+:\d+$", "", port)
    client, _, rest = name.partition(":")
    if client == "a2j" and rest:
        client = re.split(r" \[|:", rest)[0]
    return client.strip() or name


def _port_glob(port: str) -> str:
    return "*" + re.sub(r"[][*?]", "?", _port_device(port)) + "*"


def _midi_api() -> int | None:
    """The first MIDI API that works here: ``MIDO_BACKEND``'s if set, else ALSA, else JACK."""
    import rtmidi

    from ptzmapd.inputs.midi.api import midi_api_works, resolve_api

    candidates: list[int] = [resolve_api(None), rtmidi.API_LINUX_ALSA, rtmidi.API_UNIX_JACK]
    for api in dict.fromkeys(api for api in candidates if api != rtmidi.API_UNSPECIFIED):
        if api in rtmidi.get_compiled_api() and midi_api_works(api):
            return api
    return None


def discover_midi(taken: set[str]) -> list[Found]:
    """Every MIDI port that can be read now, each as an input of its own."""
    from ptzmapd.inputs.midi.api import MIDI_APIS, list_ports

    api = _midi_api()
    if api is None:
        return []
    label = {number: name for name, number in MIDI_APIS.items()}[api]
    inputs, _outputs = list_ports(api)
    found: list[Found] = []
    for port in inputs:
        if port.startswith("ptzmapd") or "Midi Through" in port:
            continue  # our own ports, and ALSA's loopback that nobody plays
        name = _slug(_port_device(port), taken)
        # The learn session opens exactly this port; the config line uses a glob that survives
        # a replug.
        config = InputConfig(name=name, type="midi", mark=_LEARN_MARK, port=glob.escape(port), api=label)
        api_key = ", api: jack" if label == "jack" else ""
        entry = f'{name}: {{type: midi, port: "{_port_glob(port)}"{api_key}}}'
        found.append(Found(config, f"midi port {port!r}", entry))
    return found


def joysticks_present() -> bool:
    """Whether the kernel shows a joystick device node, without loading SDL."""
    return bool(glob.glob("/dev/input/js*") or glob.glob("/dev/input/by-id/*-joystick"))


def discover_gamepads(taken: set[str]) -> list[Found]:
    """Every gamepad and joystick SDL sees now (loads SDL)."""
    from ptzmapd.inputs.sdl.devices import list_devices

    found: list[Found] = []
    for device in list_devices():
        kind = "gamepad" if device.is_gamecontroller else "joystick"
        name = _slug(device.name, taken)
        # By index for this session (two identical pads share a name); by name in a config.
        config = InputConfig(name=name, type=kind, mark=_LEARN_MARK, match=device.index)
        entry = f"{name}: {{type: {kind}, match: {_yaml_text(device.name)}}}"
        found.append(Found(config, f"{kind} {device.name!r}", entry))
    return found


def osc_listener(listen: Listener, taken: set[str]) -> Found:
    """An OSC input listening on ``listen`` for this session, and its line for a config
    (with the ``allow`` a listener beyond loopback needs, to be filled in)."""
    name = _slug("osc", taken)
    allow = "" if is_loopback(listen.host) else ", allow: [192.168.1.0/24]"
    config = InputConfig(name=name, type="osc", mark=_LEARN_MARK, listen=listen)
    entry = f'{name}: {{type: osc, listen: "{listen}"{allow}}}' + ("  # allow: your senders' network" if allow else "")
    return Found(config, f"osc on {listen}", entry)


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def configured_inputs(config: Config, input_name: str | None) -> list[Found]:
    """The config's inputs, or the one named; ValueError naming the valid ones (``ptzmapd
    learn`` checks the name first: :func:`input_problem`)."""
    problem = input_problem(config, input_name)
    if problem is not None:
        raise ValueError(problem)
    return [
        Found(device, _configured(device), "")
        for name, device in config.inputs.items()
        if input_name is None or name == input_name
    ]


def input_problem(config: Config, input_name: str | None) -> str | None:
    """What is wrong with ``--input NAME`` for this config, in words; None if nothing."""
    if input_name is None or input_name in config.inputs:
        return None
    return f"{config.path}: no input {input_name!r} (valid: {', '.join(config.inputs) or 'none'})"


def _configured(device: InputConfig) -> str:
    """What a configured input listens to, for the header: ``midi port '*nanoKONTROL2*'``."""
    source = input_source(device)
    if source:
        return f"{device.type}{source}"
    match = device.match
    return f"{device.type} {'matching ' + repr(match) if match is not None else '(the first one)'}"


# -- the session ----------------------------------------------------------------------------------


async def learn(
    config: Config | None,
    until: asyncio.Event,
    out: TextIO,
    *,
    input_name: str | None = None,
    gamepads: bool = False,
    osc: Listener | None = None,
    clock: Clock | None = None,
    log: logging.Logger | None = None,
) -> int:
    """Print what the inputs send until ``until`` is set; the exit code (1: nothing to read).

    ``config``: read its inputs (or only ``input_name``); None: find every MIDI port, and every
    gamepad/joystick if one is plugged in or ``gamepads`` is true. ``osc``: also listen for OSC
    there (any sender), as an ``osc`` input would. PtzmapdError when that port cannot be bound.
    """
    log = log or logging.getLogger("ptzmapd")
    taken: set[str] = set()
    if config is not None:
        found = configured_inputs(config, input_name)
        taken |= set(config.inputs)
    else:
        found = discover_midi(taken)
        if gamepads or joysticks_present():
            try:
                found += discover_gamepads(taken)
            except PtzmapdError as error:
                log.warning("no gamepads: %s", error)
    if osc is not None:
        found.append(osc_listener(osc, taken))
    if not found:
        # An error, not a finding: stderr, so `ptzmapd learn > bindings.txt` shows it.
        print("ptzmapd: nothing to listen to: no MIDI port, gamepad or joystick found (see `ptzmapd devices`)",
              file=sys.stderr)
        return 1
    cameras = list(config.cameras) if config is not None else []
    await listen(found, until, out, cameras=cameras, clock=clock, log=log)
    return 0


async def listen(
    found: Sequence[Found],
    until: asyncio.Event,
    out: TextIO,
    *,
    cameras: Sequence[str] = (),
    clock: Clock | None = None,
    log: logging.Logger | None = None,
) -> None:
    """Open ``found``'s inputs and print what they send until ``until`` is set."""
    log = log or logging.getLogger("ptzmapd")
    clock = clock or MonotonicClock()
    learner = Learner(out, clock, cameras)
    for item in found:
        print(f"# listening to {item.config.name}: {item.what}", file=out)
    entries = [item.entry for item in found if item.entry]
    if entries:
        print("# for your config:\n#   inputs:", file=out)
        for entry in entries:
            print(f"#     {entry}", file=out)
    print("# move a control; Ctrl-C to stop", file=out, flush=True)

    loop = asyncio.get_running_loop()
    opened: list[Input] = []
    try:
        for item in found:
            device = make_input(item.config, learner.on_event, learner.on_state, loop, log, clock)
            await device.start()
            opened.append(device)
        await until.wait()
    finally:
        # All at once: each MIDI input waits a moment for rtmidi's thread before letting go of
        # its client, and a machine with many ports should not wait for each in turn.
        results = await asyncio.gather(*(device.close() for device in opened), return_exceptions=True)
        for device, result in zip(opened, results):
            if isinstance(result, Exception):  # one input failing to close must not keep the others open
                log.debug("closing %r failed: %s", device, result)
        learner.close()


async def run_learn(
    config: Config | None, input_name: str | None, gamepads: bool, log: logging.Logger, osc: Listener | None = None,
) -> int:
    """``ptzmapd learn``: :func:`learn` on stdout until Ctrl-C (or SIGTERM), which exits 0."""
    until = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, until.set)
    try:
        return await learn(config, until, sys.stdout, input_name=input_name, gamepads=gamepads, osc=osc, log=log)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
