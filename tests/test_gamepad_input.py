"""Gamepad and joystick inputs, through SDL's real event path with SDL virtual joysticks.

Virtual joysticks (tests/sdl_virtual.py) are real SDL devices living in this process: what
ptzmapd reads is what SDL's GameController layer makes of them, as with a USB gamepad. Tests
wait for conditions with timeouts, never for fixed times; speed is bench/gamepad_latency.py's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sdl_virtual
from helpers import until
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import InputConfig, Mark
from ptzmapd.errors import ConfigError
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.sdl import pump
from ptzmapd.inputs.sdl.devices import list_devices
from ptzmapd.inputs.sdl.input import GamepadInput
from ptzmapd.inputs.sdl.pump import joystick_service
from sdl_virtual import AXIS_MAX, AXIS_MIN, HAT_RIGHT, HAT_UP, attach_gamepad, attach_joystick

MARK = Mark("studio.yaml", 3, 5)
#: (kind, number, value) of an event; tests may give the value as pytest.approx(...).
Control = tuple[str, "int | str | None", object]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def no_devices_left() -> Iterator[None]:
    """Each test starts with no virtual device and leaves the pump stopped."""
    sdl_virtual.detach_all()
    yield
    sdl_virtual.detach_all()
    assert not joystick_service().running, "a test left an input open"


class Inputs:
    """Opens inputs on the running loop and records what they report."""

    def __init__(self) -> None:
        self.events: list[ControlEvent] = []
        self.states: list[tuple[str, bool]] = []
        self.opened: list[GamepadInput] = []

    async def open(self, name: str = "pad", type: str = "gamepad", match: Any = None) -> GamepadInput:
        config = InputConfig(name=name, type=type, mark=MARK, match=match)
        loop = asyncio.get_running_loop()
        found = GamepadInput(config, self.events.append, self._on_state, loop, clock=MonotonicClock())
        self.opened.append(found)
        await found.start()
        return found

    def _on_state(self, name: str, connected: bool) -> None:
        self.states.append((name, connected))

    def controls(self, input: str = "pad") -> list[Control]:
        return [(e.kind, e.number, e.value) for e in self.events if e.input == input]

    async def close(self) -> None:
        for opened in self.opened:
            await opened.close()


def run(body: Callable[[Inputs], Awaitable[None]]) -> None:
    """Run a test body on a fresh loop; its inputs are closed however it ends."""

    async def main() -> None:
        inputs = Inputs()
        try:
            await body(inputs)
        finally:
            await inputs.close()

    asyncio.run(main())


async def seen(inputs: Inputs, *expected: Control, input: str = "pad") -> None:
    """Wait until the latest controls ``input`` reported are ``expected``."""
    await until(lambda: inputs.controls(input)[-len(expected) :] == list(expected))


async def settled(inputs: Inputs, device: sdl_virtual.VirtualDevice, input: str = "pad") -> None:
    """Wait until everything done to ``device`` so far has been read, by pressing and
    releasing a marker button after it (the pump keeps SDL's order); then forget the marker."""
    marker: int | str = "back" if device.gamepad else 0
    device.press(marker)
    await seen(inputs, ("button", marker, 1), input=input)
    device.release(marker)
    await seen(inputs, ("button", marker, 0), input=input)
    inputs.events[:] = [e for e in inputs.events if not (e.kind == "button" and e.number == marker)]


# -- control names and values ----------------------------------------------------------------


def test_gamepad_axes_carry_sdl_names_and_sdl_sign() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await inputs.open()
        pad.move("leftx", AXIS_MAX)
        pad.move("lefty", AXIS_MAX)  # pushed down: positive, as SDL reports it
        pad.move("righty", AXIS_MIN)  # pushed up: -1 (the bottom step is clamped)
        pad.move("lefttrigger", AXIS_MAX)
        await until(lambda: len(inputs.controls()) == 4)
        assert sorted(inputs.controls()) == [
            ("axis", "lefttrigger", 1.0),
            ("axis", "leftx", 1.0),
            ("axis", "lefty", 1.0),
            ("axis", "righty", -1.0),
        ]
        inputs.events.clear()
        pad.move("lefttrigger", AXIS_MIN)  # released
        pad.move("righttrigger", 0)  # half way: SDL maps a trigger's full range to 0..1
        pad.move("rightx", -16384)
        await until(lambda: len(inputs.controls()) == 3)
        values = {number: value for _, number, value in inputs.controls()}
        assert values["lefttrigger"] == 0.0
        assert values["righttrigger"] == pytest.approx(0.5, abs=1e-3)
        assert values["rightx"] == pytest.approx(-0.5, abs=1e-3)

    run(body)


def test_gamepad_buttons_carry_sdl_names() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await inputs.open()
        pad.press("a")
        await seen(inputs, ("button", "a", 1))
        pad.press("dpup")
        await seen(inputs, ("button", "dpup", 1))
        pad.press("rightshoulder")
        await seen(inputs, ("button", "rightshoulder", 1))
        pad.release("a")
        await seen(inputs, ("button", "a", 0))
        assert len(inputs.controls()) == 4

    run(body)


def test_joystick_gives_raw_axes_buttons_and_hats_by_index() -> None:
    async def body(inputs: Inputs) -> None:
        stick = attach_joystick(axes=4, buttons=8, hats=1)
        await inputs.open(type="joystick")
        stick.move(3, AXIS_MAX)  # a twist axis, say
        stick.press(7)
        stick.hat(0, HAT_UP | HAT_RIGHT)
        await until(lambda: len(inputs.controls()) == 3)
        assert sorted(inputs.controls(), key=str) == [
            ("axis", 3, 1.0),
            ("button", 7, 1),
            ("hat", 0, HAT_UP | HAT_RIGHT),
        ]
        stick.hat(0, 0)
        await seen(inputs, ("hat", 0, 0))
        stick.release(7)
        await seen(inputs, ("button", 7, 0))

    run(body)


def test_joystick_type_reads_a_gamepad_raw() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await inputs.open(type="joystick")
        pad.move("lefty", AXIS_MAX)  # the gamepad's raw axis 1
        pad.press("b")  # raw button 1
        await until(lambda: len(inputs.controls()) == 2)
        assert inputs.controls() == [("axis", 1, 1.0), ("button", 1, 1)]

    run(body)


def test_identical_values_are_not_emitted_again() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await inputs.open()
        pad.move("lefty", -32767)
        await seen(inputs, ("axis", "lefty", -1.0))
        pad.move("lefty", AXIS_MIN)  # SDL reports the new raw reading; it normalises alike
        pad.move("leftx", 20000)
        await seen(inputs, ("axis", "leftx", pytest.approx(20000 / 32767)))
        pad.move("leftx", 20000)
        await settled(inputs, pad)
        assert inputs.controls() == [
            ("axis", "lefty", -1.0),
            ("axis", "leftx", pytest.approx(20000 / 32767)),
        ]

    run(body)


def test_controls_at_rest_on_connect_say_nothing_but_held_buttons_do() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        pad.press("y")  # held while the daemon starts
        await inputs.open()
        await settled(inputs, pad)
        assert inputs.controls() == [("button", "y", 1)]

    run(body)


@pytest.mark.parametrize("kind", ["gamepad", "joystick"])
def test_an_axis_off_rest_when_its_device_connects_starts_nothing_until_it_moves(kind: str) -> None:
    """Issue 9 item 2: a throttle left at the bottom (raw -32768) or a stick held over when
    the device connects must not start motion; motion from an axis begins when it moves."""

    async def body(inputs: Inputs) -> None:
        if kind == "gamepad":
            device, axis, other = attach_gamepad(), "rightx", "leftx"
        else:
            device, axis, other = attach_joystick(), 3, 0
        device.move(axis, AXIS_MIN if kind == "joystick" else AXIS_MAX)
        device.move(other, 20000)
        await inputs.open(type=kind)
        await settled(inputs, device)
        assert inputs.controls() == []
        device.move(axis, -16384 if kind == "joystick" else 16384)
        expected = -16384 / 32767 if kind == "joystick" else 16384 / 32767
        await seen(inputs, ("axis", axis, pytest.approx(expected)))
        assert inputs.controls() == [("axis", axis, pytest.approx(expected))]

    run(body)


# -- which device ------------------------------------------------------------------------------


def two_pads() -> tuple[sdl_virtual.VirtualDevice, sdl_virtual.VirtualDevice]:
    return attach_gamepad("Alpha Pad", product_id=1), attach_gamepad("Beta Pad", product_id=2)


@pytest.mark.parametrize("how", ["glob", "index", "guid"])
def test_match_picks_the_device(how: str) -> None:
    async def body(inputs: Inputs) -> None:
        alpha, beta = two_pads()
        match = {"glob": "*BETA*", "index": beta.index, "guid": beta.guid.upper()}[how]
        found = await inputs.open(match=match)
        assert found.connected and found.device is not None and "Beta Pad" in found.device
        alpha.press("a")
        beta.press("b")
        await settled(inputs, beta)  # one pump reads both: alpha's press was read and ignored
        assert inputs.controls() == [("button", "b", 1)]

    run(body)


def test_default_match_is_the_first_gamepad() -> None:
    async def body(inputs: Inputs) -> None:
        attach_joystick("Flight Stick")  # index 0, but no gamepad mapping
        attach_gamepad("Stage Pad")
        found = await inputs.open()
        assert found.device is not None and "Stage Pad" in found.device

    run(body)


def test_gamepad_input_skips_a_device_without_mapping_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    async def body(inputs: Inputs) -> None:
        attach_joystick("Flight Stick")
        found = await inputs.open(match="flight*")
        assert not found.connected
        assert "no gamepad mapping" in caplog.text and "type: joystick" in caplog.text

    caplog.set_level(logging.INFO)
    run(body)


@pytest.mark.parametrize("match", ["2.5", "-1", '""', "true", "[a]"])
def test_a_bad_match_is_a_config_error_at_its_line(match: str, tmp_path: Path) -> None:
    # The config refuses it (check and run alike), before any input is opened.
    path = tmp_path / "studio.yaml"
    path.write_text(f"cameras:\n  stage: {{protocol: visca-udp, host: 127.0.0.2}}\ninputs:\n  pad: {{type: gamepad, match: {match}}}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}:4:31: inputs.pad.match: expected a device name glob")


@pytest.mark.parametrize("match", [2.5, -1, "", True, ["a"]])
def test_a_bad_match_built_by_hand_is_refused(match: object) -> None:
    async def body(inputs: Inputs) -> None:
        with pytest.raises(ValueError) as error:
            await inputs.open(match=match)
        assert str(error.value).startswith("studio.yaml:3:5: inputs.pad.match: expected a device name glob")

    run(body)


# -- hot-plug ----------------------------------------------------------------------------------


def test_a_device_attached_after_start_is_picked_up() -> None:
    async def body(inputs: Inputs) -> None:
        found = await inputs.open(match="Late Pad")
        assert not found.connected and inputs.states == []
        pad = attach_gamepad("Late Pad")
        await until(lambda: found.connected)
        assert inputs.states == [("pad", True)]
        pad.press("start")
        await until(lambda: inputs.controls() == [("button", "start", 1)])

    run(body)


def test_unplug_disconnects_and_replug_reconnects() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad("Stage Pad")
        found = await inputs.open()
        assert inputs.states == [("pad", True)]  # reported before start() returned
        pad.detach()
        await until(lambda: not found.connected)
        assert inputs.states == [("pad", True), ("pad", False)]
        inputs.events.clear()
        pad = attach_gamepad("Stage Pad")
        await until(lambda: found.connected)
        assert inputs.states == [("pad", True), ("pad", False), ("pad", True)]
        pad.move("leftx", AXIS_MAX)
        await until(lambda: inputs.controls() == [("axis", "leftx", 1.0)])

    run(body)


def test_a_device_nobody_wakes_for_is_polled() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad(wake=False)
        found = await inputs.open()
        pad.move("righty", AXIS_MAX)
        await until(lambda: inputs.controls() == [("axis", "righty", 1.0)])
        pad.detach()
        await until(lambda: not found.connected)

    run(body)


def test_device_fds_finds_the_descriptors_open_on_a_device_node() -> None:
    """How the pump finds what to wait on: SDL reports the node it opened (/dev/input/eventN)."""
    with open("/dev/zero", "rb") as first, open("/dev/zero", "rb") as second:
        ours = {first.fileno(), second.fileno()}
        assert ours <= set(pump.device_fds("/dev/zero"))  # (pytest may hold it open too)
        assert not ours & set(pump.device_fds("/dev/full"))
    assert not ours & set(pump.device_fds("/dev/zero"))
    assert pump.device_fds(None) == []  # a virtual device has no node: it is polled


def test_a_hung_up_device_node_disconnects_without_waiting_for_sdl(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the kernel does when an evdev gamepad is unplugged: its descriptor hangs up. A pipe
    stands in for the evdev node; SDL still lists the device, so only the hang-up can tell."""
    node_read, node_write = os.pipe()
    handed_out: list[int] = []

    def fake_device_fds(path: str | None) -> list[int]:
        if handed_out:
            return []  # the device plugged back in later is an ordinary virtual one
        handed_out.append(node_read)
        return [node_read]

    monkeypatch.setattr(pump, "device_fds", fake_device_fds)

    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad("Stage Pad")
        found = await inputs.open()
        assert found.device is not None and "waiting on" in found.device
        os.close(node_write)
        await until(lambda: not found.connected)
        assert pad.index == 0  # SDL has not noticed anything
        await asyncio.sleep(0.05)
        assert not found.connected  # and the vanished device is not taken again
        pad.detach()
        pad = attach_gamepad("Stage Pad")
        await until(lambda: found.connected)
        assert inputs.states == [("pad", True), ("pad", False), ("pad", True)]

    try:
        run(body)
    finally:
        os.close(node_read)


def test_a_quick_guide_tap_is_released_without_waiting_for_another_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SDL reports a guide release that follows its press within 250 ms only at a later pump.
    With the device waited on through its (here: quiet stand-in) descriptor and no hot-plug
    timer to speak of, only the pump scheduled for it can deliver the release."""
    node_read, node_write = os.pipe()
    monkeypatch.setattr(pump, "device_fds", lambda path: [node_read])
    monkeypatch.setattr(pump, "HOTPLUG_INTERVAL", 60.0)

    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await inputs.open()
        pad.press("guide")
        await seen(inputs, ("button", "guide", 1))
        pad.release("guide")
        await seen(inputs, ("button", "guide", 0))

    try:
        run(body)
    finally:
        os.close(node_read)
        os.close(node_write)


def test_a_descriptor_sdl_never_drains_is_polled_instead(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    node_read, node_write = os.pipe()
    os.write(node_write, b"stays readable")
    monkeypatch.setattr(pump, "device_fds", lambda path: [node_read])
    # A low limit, so a slow or busy machine trips it as surely as a fast one.
    monkeypatch.setattr(pump, "HOT_DESCRIPTOR_LIMIT", 100)

    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad(wake=False)
        await inputs.open()
        await until(lambda: "polling it instead" in caplog.text)
        pad.move("leftx", AXIS_MAX)
        await until(lambda: inputs.controls() == [("axis", "leftx", 1.0)])

    try:
        run(body)
    finally:
        os.close(node_read)
        os.close(node_write)


# -- several inputs, one pump ------------------------------------------------------------------


def pump_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ptzmapd-sdl"]


def test_two_devices_at_once_share_one_pump_thread() -> None:
    async def body(inputs: Inputs) -> None:
        alpha, beta = two_pads()
        left = await inputs.open("left", match="Alpha*")
        right = await inputs.open("right", match="Beta*")
        assert left.connected and right.connected
        assert len(pump_threads()) == 1
        alpha.move("leftx", AXIS_MAX)
        beta.press("y")
        await settled(inputs, alpha, "left")
        await settled(inputs, beta, "right")
        assert inputs.controls("left") == [("axis", "leftx", 1.0)]
        assert inputs.controls("right") == [("button", "y", 1)]
        beta.detach()
        await until(lambda: not right.connected)
        assert left.connected and ("left", False) not in inputs.states

    run(body)


def test_two_inputs_can_read_one_device() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        named = await inputs.open("named")
        raw = await inputs.open("raw", type="joystick")
        pad.press("a")
        await seen(inputs, ("button", "a", 1), input="named")
        await seen(inputs, ("button", 0, 1), input="raw")
        await named.close()
        pad.release("a")
        await seen(inputs, ("button", 0, 0), input="raw")
        assert inputs.controls("named") == [("button", "a", 1)]
        assert raw.connected

    run(body)


def test_close_stops_the_thread_and_silences_the_input() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        found = await inputs.open()
        assert len(pump_threads()) == 1
        await found.close()
        assert not joystick_service().running
        assert pump_threads() == []
        pad.press("a")
        await asyncio.sleep(0)
        assert inputs.events == []
        await found.close()  # idempotent

    run(body)


def test_inputs_can_start_again_after_the_thread_stopped() -> None:
    async def body(inputs: Inputs) -> None:
        pad = attach_gamepad()
        await (await inputs.open("first")).close()
        await inputs.open("second")
        pad.press("a")
        await until(lambda: inputs.controls("second") == [("button", "a", 1)])

    run(body)


# -- listing and process hygiene ---------------------------------------------------------------


def test_list_devices_describes_each_device() -> None:
    pad = attach_gamepad("Stage Pad")
    attach_joystick("Flight Stick", axes=3, buttons=5, hats=1)
    devices = list_devices()
    assert [(d.index, d.name, d.is_gamecontroller, d.axes, d.buttons, d.hats) for d in devices] == [
        (0, "Stage Pad", True, 6, 15, 0),
        (1, "Flight Stick", False, 3, 5, 1),
    ]
    assert devices[0].guid == pad.guid and len(pad.guid) == 32
    assert devices[0].path is None  # virtual: no device node


def test_a_non_gamepad_type_is_refused() -> None:
    config = InputConfig(name="pad", type="midi", mark=MARK)
    with pytest.raises(ValueError, match="studio.yaml:3:5: inputs.pad.type"):
        GamepadInput(config, lambda e: None, lambda n, s: None, asyncio.new_event_loop(), clock=MonotonicClock())


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)


def test_importing_the_module_loads_neither_sdl_nor_pygame() -> None:
    result = run_python(
        "import sys, ptzmapd.inputs.sdl.input, ptzmapd.inputs.sdl.pump\n"
        "maps = open('/proc/self/maps').read()\n"
        "print('pygame' in sys.modules, 'libSDL2' in maps)\n"
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_sdl_leaves_sigterm_to_the_daemon() -> None:
    """Left to itself SDL turns SIGTERM into a queued SDL_QUIT: systemd could not stop us."""
    result = run_python(
        "import os, signal, time\n"
        "from ptzmapd.inputs.sdl import library as sdl\n"
        "sdl.load()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(5)\n"
    )
    assert result.returncode == -signal.SIGTERM, result.stderr
