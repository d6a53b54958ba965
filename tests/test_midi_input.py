"""MIDI input, end to end on a real JACK server: mido plays a controller, MidiInput listens.

Every test names its ports and clients with a fresh token: the JACK server may be shared with
other test runs, and a glob must only ever find this test's fake device.
"""

from __future__ import annotations

import asyncio
import faulthandler
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import mido
import pytest
import rtmidi

from helpers import run, until
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.config.model import InputConfig, Mark
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.midi.input import MidiInput
from ptzmapd.inputs.midi.parse import parse_midi
from ptzmapd.inputs.midi.api import list_ports, midi_api_works, resolve_api
from ptzmapd.inputs.midi.ports import PortWatcher
from ptzmapd.inputs.midi.sender import MidiSender

# The test side of the wire, independent of the code under test.
MIDO_JACK = mido.Backend("mido.backends.rtmidi/UNIX_JACK")

# A CC no test sends otherwise: markers bracket each message a test sends.
MARKER_CC = 119
CLOCK = MonotonicClock()
_marker_values = itertools.count(1)

Control = tuple[str, int | str | None, float, int | None]


def token() -> str:
    return uuid.uuid4().hex[:8]


def midi_config(name: str, **fields: Any) -> InputConfig:
    return InputConfig(name=name, type="midi", mark=Mark("test.yaml", 1, 1), api="jack", **fields)


def is_marker(event: ControlEvent) -> bool:
    return event.kind == "cc" and event.number == MARKER_CC


def control(event: ControlEvent) -> Control:
    return (event.kind, event.number, event.value, event.channel)


class Collected:
    """What a MidiInput hands over, and on which thread."""

    def __init__(self) -> None:
        self.events: list[ControlEvent] = []
        self.states: list[tuple[str, bool]] = []
        self.threads: set[int] = set()

    def emit(self, event: ControlEvent) -> None:
        self.threads.add(threading.get_ident())
        self.events.append(event)

    def on_state(self, name: str, connected: bool) -> None:
        self.threads.add(threading.get_ident())
        self.states.append((name, connected))


class ToVirtual:
    """A MidiSender plugged into a virtual input port, that can plug itself in again.

    MidiSender checks the port list around opening, but a port that comes and goes within
    those few milliseconds (another test run on the same server) can still leave it
    connected elsewhere; the test then plugs in again rather than fail for it.
    """

    def __init__(self, virtual: str) -> None:
        self._virtual = virtual
        self._sender = self._plug()

    def _plug(self) -> MidiSender:
        port = f"*:{self._virtual}"
        return MidiSender(rtmidi.API_UNIX_JACK, port=port, client_name="test sender")

    @property
    def port_name(self) -> str:
        return self._sender.port_name

    def send(self, message: mido.Message) -> None:
        self._sender.send(bytes(message.bytes()))

    def replug(self) -> None:
        self._sender.close()
        self._sender = self._plug()

    def close(self) -> None:
        self._sender.close()


class Source(Protocol):
    """Where a test's messages come from: its fake device (a mido virtual output the input
    under test connects to) or a ToVirtual plugged into the input's virtual port."""

    def send(self, message: mido.Message) -> None: ...


async def mark(out: Source, seen: Collected, channel: int) -> int:
    """Send a fresh marker until it arrives; its index in ``seen.events``.

    Repeated because a JACK server without realtime scheduling misses a period now and then
    (an xrun) and the MIDI in it is lost; a fresh connection also takes effect only at a
    period boundary.
    """
    value = next(_marker_values) % 128
    marker = mido.Message("control_change", channel=channel - 1, control=MARKER_CC, value=value)
    first_new = len(seen.events)
    started = time.monotonic()
    replug_at = started + 1.0
    while True:
        for index in range(first_new, len(seen.events)):
            if is_marker(seen.events[index]) and seen.events[index].value == value:
                return index
        now = time.monotonic()
        assert now < started + 10.0, "a marker never arrived"
        if isinstance(out, ToVirtual) and now > replug_at:
            out.replug()
            replug_at = now + 1.0
        out.send(marker)
        await asyncio.sleep(0.02)


async def exchange(
    out: Source,
    seen: Collected,
    message: mido.Message,
    channel: int = 1,
    expect_event: bool = True,
) -> list[ControlEvent]:
    """Send one message between two markers; the events it became (none if it was ignored).

    The dummy JACK server on a loaded machine loses a period's MIDI now and then, or hands
    the last period over twice. Both are the transport's doing, not the input's: a message
    expected to give an event is sent again if it got lost, and back-to-back repeats of one
    event count once. A repeat of an earlier period arrives before the opening marker, outside
    the window.
    """
    for _attempt in range(5):
        start = await mark(out, seen, channel)
        out.send(message)
        end = await mark(out, seen, channel)
        arrived: list[ControlEvent] = []
        for event in seen.events[start + 1 : end]:
            if not is_marker(event) and not (arrived and control(arrived[-1]) == control(event)):
                arrived.append(event)
        if arrived or not expect_event:
            return arrived
    raise AssertionError(f"{message} never arrived")


async def controls_for(
    out: Source, seen: Collected, messages: list[mido.Message], channel: int = 1
) -> list[Control]:
    received = []
    for message in messages:
        received += [control(event) for event in await exchange(out, seen, message, channel)]
    return received


@contextmanager
def output_to(virtual: str) -> Iterator[ToVirtual]:
    """A sender plugged into the virtual port ``virtual``.

    Not mido's own output: mido opens a port by its index in a list read a moment before,
    and on a JACK server shared with other test runs that index may name another port by then.
    """
    out = ToVirtual(virtual)
    try:
        yield out
    finally:
        out.close()


def fake_device(client: str, port: str) -> mido.ports.BaseOutput:
    """A controller that plugs in (opens) and unplugs (closes) like a USB device would."""
    return MIDO_JACK.open_output(port, virtual=True, client_name=client)


def jack_ports_of(client: str) -> list[str]:
    inputs, outputs = list_ports(rtmidi.API_UNIX_JACK)
    return sorted(name for name in {*inputs, *outputs} if name.startswith(f"{client}:"))


# -- parsing, without a server ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ([0xB0, 7, 100], ("cc", 7, 100, 1)),
        ([0xBF, 0, 0], ("cc", 0, 0, 16)),
        ([0x92, 60, 101], ("note", 60, 101, 3)),
        ([0x92, 60, 0], ("note", 60, 0, 3)),
        ([0x82, 60, 64], ("note", 60, 0, 3)),
        ([0xE0, 0x00, 0x00], ("pitchbend", None, -8192, 1)),
        ([0xE0, 0x00, 0x40], ("pitchbend", None, 0, 1)),
        ([0xE0, 0x7F, 0x7F], ("pitchbend", None, 8191, 1)),
        ([0xC4, 5], ("program", None, 5, 5)),
    ],
)
def test_parse_midi_channel_messages(message: list[int], expected: Control) -> None:
    event = parse_midi("desk", message, 12.5)
    assert event is not None
    assert control(event) == expected
    assert (event.input, event.time) == ("desk", 12.5)


@pytest.mark.parametrize(
    "message",
    [
        [],
        [0xF0, 0x7E, 0x7F, 0xF7],  # sysex
        [0xF8],  # clock
        [0xFE],  # active sensing
        [0xFA],  # start
        [0xA0, 60, 10],  # polyphonic aftertouch
        [0xD0, 10],  # channel pressure
        [0xB0, 7],  # truncated
    ],
)
def test_parse_midi_ignores_what_ptzmapd_does_not_map(message: list[int]) -> None:
    assert parse_midi("desk", message, 0.0) is None


def test_resolve_api(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_api("jack") == rtmidi.API_UNIX_JACK
    assert resolve_api("alsa") == rtmidi.API_LINUX_ALSA
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/UNIX_JACK")
    assert resolve_api(None) == rtmidi.API_UNIX_JACK
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/LINUX_ALSA")
    assert resolve_api(None) == rtmidi.API_LINUX_ALSA
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi")
    assert resolve_api(None) == rtmidi.API_UNSPECIFIED
    monkeypatch.delenv("MIDO_BACKEND")
    assert resolve_api(None) == rtmidi.API_UNSPECIFIED
    with pytest.raises(ValueError, match=r"unknown midi api 'coremidi' \(valid: alsa, jack\)"):
        resolve_api("coremidi")


# -- a virtual port of our own ------------------------------------------------------------------


def test_events_are_stamped_by_the_injected_clock(jack: int) -> None:
    """The deadman compares event times with the daemon's clock: the input must use it too."""
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"
    clock = FakeClock(start=5000.0)

    async def body() -> None:
        seen = Collected()
        midi = MidiInput(midi_config(name, virtual=virtual), seen.emit, seen.on_state,
                         asyncio.get_running_loop(), clock=clock)
        await midi.start()
        try:
            with output_to(virtual) as out:
                received = await exchange(out, seen, mido.Message("control_change", control=7, value=100))
        finally:
            await midi.close()
        assert [(control(event), event.time) for event in received] == [(("cc", 7, 100, 1), 5000.0)]

    asyncio.run(body())


def test_virtual_input_turns_messages_into_events(jack: int) -> None:
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"

    async def body() -> None:
        seen = Collected()
        loop = asyncio.get_running_loop()
        midi = MidiInput(midi_config(name, virtual=virtual), seen.emit, seen.on_state, loop, clock=CLOCK)
        await midi.start()
        try:
            assert midi.connected and midi.port_name == virtual
            assert seen.states == [(name, True)]
            with output_to(virtual) as out:
                sent_after = time.monotonic()
                received: list[ControlEvent] = []
                for message in [
                    mido.Message("control_change", channel=0, control=7, value=100),
                    mido.Message("note_on", channel=1, note=60, velocity=99),
                    mido.Message("note_on", channel=1, note=60, velocity=0),
                    mido.Message("note_off", channel=1, note=61, velocity=64),
                    mido.Message("pitchwheel", channel=2, pitch=-8192),
                    mido.Message("pitchwheel", channel=2, pitch=0),
                    mido.Message("pitchwheel", channel=2, pitch=8191),
                    mido.Message("program_change", channel=15, program=5),
                ]:
                    received += await exchange(out, seen, message)
        finally:
            await midi.close()
        assert [control(event) for event in received] == [
            ("cc", 7, 100, 1),
            ("note", 60, 99, 2),
            ("note", 60, 0, 2),
            ("note", 61, 0, 2),
            ("pitchbend", None, -8192, 3),
            ("pitchbend", None, 0, 3),
            ("pitchbend", None, 8191, 3),
            ("program", None, 5, 16),
        ]
        assert {event.input for event in received} == {name}
        # Stamped on receipt, by the monotonic clock.
        assert all(sent_after <= event.time <= time.monotonic() for event in received)
        # Everything was handed over on the loop's thread, never rtmidi's.
        assert seen.threads == {threading.get_ident()}
        assert not midi.connected
        assert jack_ports_of(f"ptzmapd {name}") == []

    run(body)


def test_channel_filter_drops_other_channels(jack: int) -> None:
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"

    async def body() -> None:
        seen = Collected()
        loop = asyncio.get_running_loop()
        config = midi_config(name, virtual=virtual, channel=3)
        midi = MidiInput(config, seen.emit, seen.on_state, loop, clock=CLOCK)
        await midi.start()
        try:
            with output_to(virtual) as out:
                received = {}
                for channel in (1, 3, 16):
                    wire = channel - 1  # mido counts channels from 0
                    events = await exchange(
                        out,
                        seen,
                        mido.Message("control_change", channel=wire, control=1, value=channel),
                        channel=3,  # the markers must pass the filter too
                        expect_event=channel == 3,
                    )
                    received[channel] = [control(event) for event in events]
        finally:
            await midi.close()
        assert received == {1: [], 3: [("cc", 1, 3, 3)], 16: []}

    run(body)


def test_sysex_clock_and_unmapped_messages_are_ignored(jack: int) -> None:
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"

    async def body() -> None:
        seen = Collected()
        loop = asyncio.get_running_loop()
        midi = MidiInput(midi_config(name, virtual=virtual), seen.emit, seen.on_state, loop, clock=CLOCK)
        await midi.start()
        try:
            with output_to(virtual) as out:
                for message in [
                    mido.Message("sysex", data=[0x7E, 0x7F, 0x06, 0x01]),
                    mido.Message("clock"),
                    mido.Message("active_sensing"),
                    mido.Message("start"),
                    mido.Message("songpos", pos=16),
                    mido.Message("polytouch", note=60, value=10),
                    mido.Message("aftertouch", value=10),
                ]:
                    assert await exchange(out, seen, message, expect_event=False) == [], message
                # ...and the input still works after them.
                assert await controls_for(
                    out, seen, [mido.Message("control_change", control=2, value=64)]
                ) == [("cc", 2, 64, 1)]
        finally:
            await midi.close()

    run(body)


# -- a device found by glob ---------------------------------------------------------------------


def test_port_glob_follows_the_device_out_and_back(jack: int) -> None:
    name, tag = f"desk-{token()}", token()
    device = f"Fake nanoKONTROL2 {tag}"
    port = f"{device} SLIDER/KNOB"

    async def body() -> None:
        seen = Collected()
        controller = fake_device(device, port)
        midi = MidiInput(
            midi_config(name, port=f"*nanoKONTROL2 {tag}*"),
            seen.emit,
            seen.on_state,
            asyncio.get_running_loop(),
            clock=CLOCK,
            poll_interval=0.1,
        )
        try:
            await midi.start()
            # Normally connected by start() itself; a poll later if another test run's ports
            # changed the list while it opened.
            await until(lambda: seen.states == [(name, True)], "the device")
            assert midi.connected and midi.port_name == f"{device}:{port}"
            assert await controls_for(
                controller, seen, [mido.Message("control_change", control=16, value=42)]
            ) == [("cc", 16, 42, 1)]

            controller.close()  # unplugged
            await until(lambda: seen.states[-1] == (name, False), "on_state(False)")
            assert not midi.connected and midi.port_name is None

            controller = fake_device(device, port)  # plugged back
            await until(lambda: seen.states[-1] == (name, True), "on_state(True) again")
            assert seen.states == [(name, True), (name, False), (name, True)]
            assert midi.port_name == f"{device}:{port}"
            assert await controls_for(
                controller, seen, [mido.Message("note_on", note=36, velocity=127)]
            ) == [("note", 36, 127, 1)]
        finally:
            await midi.close()
            controller.close()
        assert jack_ports_of(f"ptzmapd {name}") == []

    run(body)


def test_port_watcher_follows_an_output_port_and_reports_each_change_once(
    jack: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The watcher both MIDI inputs and LED outputs stand on, here driving an rtmidi output
    towards a device's input port: each plug and unplug is reported once, with the port's name,
    and a device that stays away is logged once, not on every poll."""
    tag = token()
    device = f"Fake lights {tag}"
    client = f"ptzmapd watcher {tag}"
    log = logging.getLogger("ptzmapd.test.watcher")

    async def body() -> None:
        changes: list[tuple[str, str]] = []
        watcher = PortWatcher(
            "test watcher",
            rtmidi.MidiOut,
            rtmidi.API_UNIX_JACK,
            client,
            "out",
            pattern=f"*lights {tag}*",
            on_open=lambda port: changes.append(("open", port)),
            on_lost=lambda port: changes.append(("lost", port)),
            poll_interval=0.05,
            log=log,
        )
        with caplog.at_level(logging.INFO, logger="ptzmapd.test.watcher"):
            watcher.start()
            with pytest.raises(RuntimeError, match="already started"):
                watcher.start()
            await asyncio.sleep(0.3)  # several polls without the device
            assert changes == [] and watcher.port_name is None
            lamp = MIDO_JACK.open_input("in", virtual=True, client_name=device)
            try:
                await until(lambda: changes == [("open", f"{device}:in")], "the device")
                assert jack_ports_of(client) == [f"{client}:out"]
            finally:
                lamp.close()
            await until(lambda: len(changes) == 2, "the unplug")
            assert changes[1] == ("lost", f"{device}:in") and watcher.port_name is None
            await asyncio.sleep(0.3)
            await watcher.close()
        waiting = [m for m in caplog.messages if "waiting for a port matching" in m]
        assert len(waiting) == 1, caplog.messages  # logged when it began, not on every poll
        assert sum("disappeared" in m for m in caplog.messages) == 1
        assert watcher.client is None
        assert jack_ports_of(client) == []  # the client is unregistered

    run(body)


def test_port_watcher_needs_exactly_one_of_a_glob_or_a_virtual_port() -> None:
    log = logging.getLogger("ptzmapd.test.watcher")
    for where in ({}, {"pattern": "*x*", "virtual": "x"}):
        with pytest.raises(ValueError, match="exactly one"):
            PortWatcher("w", rtmidi.MidiOut, rtmidi.API_UNIX_JACK, "c", "out", on_open=print, log=log, **where)


def test_missing_device_at_start_is_waited_for(
    jack: int, caplog: pytest.LogCaptureFixture
) -> None:
    name, tag = f"desk-{token()}", token()
    device = f"Fake nanoKONTROL2 {tag}"
    # Lower case on purpose: when nothing matches exactly, case is ignored.
    pattern = f"*nanokontrol2 {tag}*"

    async def body() -> None:
        seen = Collected()
        midi = MidiInput(
            midi_config(name, port=pattern),
            seen.emit,
            seen.on_state,
            asyncio.get_running_loop(),
            clock=CLOCK,
            poll_interval=0.1,
        )
        controller: mido.ports.BaseOutput | None = None
        try:
            with caplog.at_level(logging.INFO, logger="ptzmapd.inputs.midi"):
                await midi.start()
                assert not midi.connected and seen.states == []
                # A few polls that find nothing (they log nothing new, so nothing to wait on).
                await asyncio.sleep(0.35)
                waiting = [m for m in caplog.messages if "waiting for" in m]
                assert len(waiting) == 1
                assert waiting[0].startswith(
                    f"midi input {name!r}: waiting for a port matching {pattern!r} (available: "
                )

                controller = fake_device(device, f"{device} SLIDER/KNOB")
                await until(lambda: seen.states == [(name, True)], "the late device")
            assert midi.port_name == f"{device}:{device} SLIDER/KNOB"
            assert await controls_for(
                controller, seen, [mido.Message("pitchwheel", channel=4, pitch=100)]
            ) == [("pitchbend", None, 100, 5)]
        finally:
            await midi.close()
            if controller is not None:
                controller.close()

    run(body)


def test_unreachable_midi_api_is_retried_quietly(
    jack: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"

    async def body() -> None:
        seen = Collected()
        midi = MidiInput(
            midi_config(name, virtual=virtual),
            seen.emit,
            seen.on_state,
            asyncio.get_running_loop(),
            clock=CLOCK,
            poll_interval=0.02,
        )
        try:
            # libjack reads the server name at every client registration: this one finds none.
            monkeypatch.setenv("JACK_DEFAULT_SERVER", f"ptzmapd-nowhere-{token()}")
            with caplog.at_level(logging.DEBUG, logger="ptzmapd.inputs.midi"):
                await midi.start()
                assert not midi.connected
                await until(
                    lambda: sum("still unusable" in m for m in caplog.messages) >= 2,
                    "two more attempts (every 0.1 s)",
                )
                monkeypatch.undo()
                await until(lambda: seen.states == [(name, True)], "the server to be found")
        finally:
            await midi.close()
        failures = [r for r in caplog.records if "cannot open the jack MIDI API" in r.getMessage()]
        assert len(failures) == 1 and failures[0].levelno == logging.WARNING
        assert "retrying every 0.1 s" in failures[0].getMessage()
        assert any("usable again" in m for m in caplog.messages)

    run(body)
    # libjack's own complaints ("Cannot connect to server socket...") stayed off the terminal.
    assert capfd.readouterr().err == ""


def test_closing_while_a_fader_floods_the_input_neither_hangs_nor_crashes(jack: int) -> None:
    """rtmidi's thread may be delivering a message while close() runs (python-rtmidi frees
    the callback under it; deleting the client waits for that thread): seen as hangs and
    segfaults before MidiInput took care of both."""
    tag = token()
    device = f"Fake fader {tag}"
    flooding = threading.Event()
    flooding.set()
    controller = fake_device(device, "out")

    def flood() -> None:
        value = 0
        while flooding.is_set():
            controller.send(mido.Message("control_change", control=0, value=value))
            value = (value + 1) % 128
            time.sleep(0.0005)

    async def body() -> None:
        loop = asyncio.get_running_loop()
        for cycle in range(15):
            seen = Collected()
            config = midi_config(f"fader-{tag}-{cycle}", port=f"{device}:*")
            midi = MidiInput(config, seen.emit, seen.on_state, loop, clock=CLOCK, poll_interval=0.05)
            await midi.start()
            await until(lambda: bool(seen.events), "the flood")
            await midi.close()

    pump = threading.Thread(target=flood, daemon=True)
    pump.start()
    # A hang here would be a deadlock in C with the GIL held: nothing in Python can time it
    # out, so have the interpreter dump the stacks and exit instead of hanging the run.
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        run(body)
    finally:
        faulthandler.cancel_dump_traceback_later()
        flooding.clear()
        pump.join()
        controller.close()


# -- the helpers the CLI and the demo use -------------------------------------------------------


def test_midi_sender_plays_into_a_virtual_input(jack: int) -> None:
    name, virtual = f"desk-{token()}", f"ptzmapd-test-{token()}"

    async def body() -> None:
        seen = Collected()
        loop = asyncio.get_running_loop()
        midi = MidiInput(midi_config(name, virtual=virtual), seen.emit, seen.on_state, loop, clock=CLOCK)
        await midi.start()
        try:
            with output_to(virtual) as out:  # a MidiSender, found by glob
                assert out.port_name == f"ptzmapd {name}:{virtual}"
                received = await controls_for(
                    out, seen, [mido.Message("control_change", channel=1, control=21, value=77)]
                )
        finally:
            await midi.close()
        assert received == [("cc", 21, 77, 2)]

    run(body)


def test_list_ports_and_api_probe(jack: int) -> None:
    device = f"Fake device {token()}"
    assert midi_api_works(jack)
    controller = fake_device(device, "out")
    try:
        inputs, outputs = list_ports(jack)
    finally:
        controller.close()
    assert f"{device}:out" in inputs
    assert f"{device}:out" not in outputs
