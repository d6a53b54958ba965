"""``ptzmapd learn``: the lines it prints for what a controller sends.

The Learner (event lines, binding guesses, flood collapsing) on a fake clock; then the whole
session in-process against real ports: a JACK MIDI sender, an SDL virtual gamepad.
"""

from __future__ import annotations

import asyncio
import itertools
import io
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import mido
import pytest
import rtmidi

import sdl_virtual
from ptzmapd.clock import FakeClock
from ptzmapd.config.loader import load_config
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.sdl.pump import joystick_service
from ptzmapd.inputs.midi.sender import MidiSender
from ptzmapd.learn import (
    FLOOD_INTERVAL,
    Learner,
    _port_glob,
    describe,
    discover_gamepads,
    discover_midi,
    learn,
    listen,
)
from sdl_virtual import AXIS_MIN, attach_gamepad

ROOT = Path(__file__).resolve().parent.parent


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def midi(kind: str, number: int | None, value: float, channel: int = 1, input: str = "desk") -> ControlEvent:
    return ControlEvent(input, kind, number, value, channel)


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (midi("cc", 7, 64), "desk cc 7 ch 1 = 64"),
        (midi("note", 36, 127, channel=10), "desk note 36 ch 10 = 127"),
        (midi("pitchbend", None, -8192), "desk pitchbend ch 1 = -8192"),
        (ControlEvent("pad", "axis", "leftx", -0.4213), "pad axis leftx = -0.42"),
        (ControlEvent("pad", "button", "a", 1), "pad button a = 1"),
        (ControlEvent("stick", "hat", 0, 1 | 2), "stick hat 0 = up+right"),
        (ControlEvent("stick", "hat", 0, 0), "stick hat 0 = centre"),
    ],
)
def test_events_are_printed_in_the_words_a_binding_uses(event: ControlEvent, line: str) -> None:
    assert describe(event) == line


@pytest.mark.parametrize(
    ("port", "glob"),
    [
        ("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0", "*nanoKONTROL2*"),  # ALSA, numbers and all
        ("Launch Control XL:midi_out", "*Launch Control XL*"),  # JACK: client:port
        ("a2j:nanoKONTROL2 [20] (capture): nanoKONTROL2 MIDI 1", "*nanoKONTROL2*"),  # the a2j bridge
        ("odd[1]:out", "*odd?1?*"),  # glob characters in a name match themselves, loosely
    ],
)
def test_a_found_port_is_suggested_by_its_device_name(port: str, glob: str) -> None:
    assert _port_glob(port) == glob


def test_each_new_control_gets_a_binding_line_to_paste(fake_clock: FakeClock) -> None:
    out = io.StringIO()
    learner = Learner(out, fake_clock, cameras=["stage", "pulpit"])
    for event in [
        midi("cc", 7, 64), midi("cc", 8, 30),  # two faders: pan, then tilt
        midi("note", 36, 127), midi("note", 36, 0), midi("note", 37, 127),  # pads: presets 1, 2
        midi("cc", 32, 127),  # a CC button: a preset too
        ControlEvent("pad", "axis", "lefty", 0.5), ControlEvent("pad", "button", "a", 1),
        ControlEvent("pad", "button", "b", 1), ControlEvent("stick", "hat", 0, 8),
    ]:
        learner.on_event(event)
    assert [line for line in lines(out) if line.startswith("  -")] == [
        "  - {input: desk, cc: 7, action: pan}",
        "  - {input: desk, cc: 8, action: tilt}",
        "  - {input: desk, note: 36, action: preset, preset: 1}",
        "  - {input: desk, note: 37, action: preset, preset: 2}",
        "  - {input: desk, cc: 32, action: preset, preset: 3}",
        "  - {input: pad, axis: lefty, action: tilt}",
        "  - {input: pad, button: a, action: select, camera: stage}",
        "  - {input: pad, button: b, action: select, camera: pulpit}",
        "  - {input: stick, hat: 0, direction: left, action: pan, value: -0.5}",
    ]


def test_a_cc_first_seen_at_an_end_that_then_moves_is_a_fader_after_all(fake_clock: FakeClock) -> None:
    out = io.StringIO()
    learner = Learner(out, fake_clock)
    learner.on_event(midi("cc", 0, 127))
    learner.on_event(midi("cc", 0, 0))  # still looks like a button
    fake_clock.advance(1)
    learner.on_event(midi("cc", 0, 100))
    assert [line for line in lines(out) if line.startswith("  -")] == [
        "  - {input: desk, cc: 0, action: preset, preset: 1}",
        "  - {input: desk, cc: 0, action: pan}",
    ]


def test_a_control_seen_on_a_second_channel_is_told_apart_by_channel(fake_clock: FakeClock) -> None:
    out = io.StringIO()
    learner = Learner(out, fake_clock)
    learner.on_event(midi("cc", 10, 70, channel=1))
    learner.on_event(midi("cc", 10, 70, channel=2))  # another strip, same CC on its own channel
    assert lines(out)[-2:] == [
        "  # desk cc: 10 also comes on channel 2: give each binding of it a channel",
        "  - {input: desk, cc: 10, channel: 2, action: tilt}",
    ]


def test_a_fader_flood_prints_at_most_ten_lines_a_second_and_always_its_last_value(fake_clock: FakeClock) -> None:
    out = io.StringIO()
    learner = Learner(out, fake_clock)
    for value in range(0, 128):  # a hand on a fader: a message a millisecond
        learner.on_event(midi("cc", 7, value))
        fake_clock.advance(0.001)
    fake_clock.advance(FLOOD_INTERVAL)
    events = [line for line in lines(out) if line.startswith("desk")]
    assert events[-1] == "desk cc 7 ch 1 = 127"
    assert 0.128 / FLOOD_INTERVAL <= len(events) <= 0.128 / FLOOD_INTERVAL + 2
    assert fake_clock.pending() == 0


def test_buttons_are_never_collapsed(fake_clock: FakeClock) -> None:
    out = io.StringIO()
    learner = Learner(out, fake_clock)
    for value in (127, 0, 127, 0):
        learner.on_event(midi("note", 40, value))
    assert [line for line in lines(out) if line.startswith("desk")] == [
        "desk note 40 ch 1 = 127", "desk note 40 ch 1 = 0", "desk note 40 ch 1 = 127", "desk note 40 ch 1 = 0",
    ]


# -- whole sessions on real ports ----------------------------------------------------------------


async def printed(out: io.StringIO, wanted: list[str], poke: Callable[[], None], timeout: float = 10.0) -> None:
    """Wait until every wanted line was printed, calling ``poke`` (send again) meanwhile: a
    fresh JACK connection carries only from the next period, and a loaded dummy server may
    drop one."""
    deadline = time.monotonic() + timeout
    while not all(line in lines(out) for line in wanted):
        assert time.monotonic() < deadline, f"never printed {wanted}; got:\n{out.getvalue()}"
        poke()
        await asyncio.sleep(0.1)


def test_learn_prints_what_a_configured_midi_input_sends(jack: int, tmp_path: Path) -> None:
    port = f"learn {uuid.uuid4().hex[:8]}"
    path = tmp_path / "studio.yaml"
    path.write_text(
        "cameras:\n  stage: {protocol: visca-udp, host: 127.0.0.2}\n"
        f'inputs:\n  desk: {{type: midi, virtual: "{port}", api: jack}}\n'
    )
    config = load_config(path)

    async def body() -> None:
        until, out = asyncio.Event(), io.StringIO()
        task = asyncio.create_task(learn(config, until, out))
        try:
            await printed(out, ["# desk: connected"], lambda: None)
            sender = Plugged(f"*:{port}")
            try:
                await printed(out, ["desk cc 7 ch 1 = 64", "  - {input: desk, cc: 7, action: pan}"],
                              lambda: sender.send(bytes([0xB0, 7, 64])))
                await printed(out, ["desk note 36 ch 1 = 127", "  - {input: desk, note: 36, action: preset, preset: 1}"],
                              lambda: sender.send(bytes([0x90, 36, 127])))
            finally:
                sender.close()
        finally:
            until.set()
            assert await asyncio.wait_for(task, 10) == 0

    asyncio.run(asyncio.wait_for(body(), timeout=60))


class Plugged:
    """A sender plugged into learn's virtual port, plugged in again every second its messages
    do not show: on a JACK server shared with other test runs, ports coming and going while it
    connects can leave it connected elsewhere."""

    def __init__(self, port: str) -> None:
        self._port = port
        self._sender = MidiSender(rtmidi.API_UNIX_JACK, port=port, client_name="learn test")
        self._replug_at = time.monotonic() + 1.0

    def send(self, message: bytes) -> None:
        if time.monotonic() > self._replug_at:
            self._sender.close()
            self._sender = MidiSender(rtmidi.API_UNIX_JACK, port=self._port, client_name="learn test")
            self._replug_at = time.monotonic() + 1.0
        self._sender.send(message)

    def close(self) -> None:
        self._sender.close()


def test_learn_without_a_config_finds_the_midi_ports_and_names_them_for_a_config(jack: int) -> None:
    """Discovery, then a session on the port it found. Only this test's own port is opened:
    connecting to every port of a JACK server shared with other test runs, whose ports come
    and go by the dozen, has crashed libjack here (an endless recursion in
    JackGraphManager::GetBuffer on the process thread)."""
    name = f"learnpad{uuid.uuid4().hex[:8]}"
    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")

    async def body() -> None:
        surface = backend.open_output(f"{name} MIDI 1", virtual=True, client_name=name)
        try:
            found = [item for item in discover_midi(set()) if name in item.what]
            assert [(item.config.name, item.entry) for item in found] == [
                (name, f'{name}: {{type: midi, port: "*{name}*", api: jack}}'),
            ]
            until, out = asyncio.Event(), io.StringIO()
            task = asyncio.create_task(listen(found, until, out))
            try:
                await printed(out, [f"{name} cc 2 ch 3 = 99", f"  - {{input: {name}, cc: 2, action: pan}}"],
                              lambda: surface.send(mido.Message("control_change", channel=2, control=2, value=99)))
                assert f'#     {name}: {{type: midi, port: "*{name}*", api: jack}}' in lines(out)
            finally:
                until.set()
                await asyncio.wait_for(task, 10)
        finally:
            surface.close()

    asyncio.run(asyncio.wait_for(body(), timeout=60))


def test_learn_names_an_unknown_input_and_the_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(
        "cameras:\n  stage: {protocol: visca-udp, host: 127.0.0.2}\n"
        'inputs:\n  desk: {type: midi, virtual: "x"}\n'
    )
    with pytest.raises(ValueError, match=r"no input 'dsk' \(valid: desk\)"):
        asyncio.run(learn(load_config(path), asyncio.Event(), io.StringIO(), input_name="dsk"))
    # The command line says it before listening to anything: a usage error, exit 2.
    learn_command = subprocess.run([sys.executable, "-m", "ptzmapd.cli", "learn", "-c", str(path), "--input", "dsk"],
                                   capture_output=True, text=True, timeout=30)
    assert learn_command.returncode == 2 and learn_command.stdout == ""
    assert learn_command.stderr.strip() == f"ptzmapd: {path}: no input 'dsk' (valid: desk)"


@pytest.fixture
def virtual_pads() -> Iterator[None]:
    sdl_virtual.detach_all()
    yield
    sdl_virtual.detach_all()
    assert not joystick_service().running, "learn left the SDL pump running"


def test_learn_finds_an_sdl_gamepad_and_reads_it_by_its_sdl_names(virtual_pads: None) -> None:
    async def body() -> None:
        pad = attach_gamepad("Learn Test Pad")
        found = [item for item in discover_gamepads(set()) if "Learn Test Pad" in item.what]
        assert [item.entry for item in found] == ['learn: {type: gamepad, match: "Learn Test Pad"}']
        until, out = asyncio.Event(), io.StringIO()
        task = asyncio.create_task(listen(found, until, out))
        # Between rest and full left: an axis held where it stands when the pad connects is
        # not a move (issue 9 item 2), and the first pokes may come before the connection.
        positions = itertools.cycle([0, AXIS_MIN])
        try:
            await printed(out, ["learn axis leftx = -1.00", "  - {input: learn, axis: leftx, action: pan}"],
                          lambda: pad.move("leftx", next(positions)))
        finally:
            until.set()
            await asyncio.wait_for(task, 10)

    asyncio.run(asyncio.wait_for(body(), timeout=60))


def test_ptzmapd_learn_runs_until_ctrl_c_and_exits_0(jack: int, tmp_path: Path) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(
        "cameras:\n  stage: {protocol: visca-udp, host: 127.0.0.2}\n"
        f'inputs:\n  desk: {{type: midi, virtual: "learn cli {uuid.uuid4().hex[:8]}", api: jack}}\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ptzmapd.cli", "learn", "-c", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("# move a control"):
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, process.stderr.read() if process.stderr else ""
    finally:
        process.kill()
        process.wait()


def test_ptzmapd_devices_lists_every_section() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ptzmapd.cli", "devices"], capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    for section in ("MIDI", "Gamepads and joysticks", "Serial ports"):
        assert section in result.stdout
