"""Gamepads and joysticks as inputs, read through SDL2 (the copy pygame bundles).

Two input types
---------------
``type: gamepad`` opens the device through SDL's GameController layer, so controls carry SDL's
own names whatever the brand: axes ``leftx lefty rightx righty lefttrigger righttrigger``,
buttons ``a b x y back guide start leftstick rightstick leftshoulder rightshoulder dpup
dpdown dpleft dpright`` (plus ``misc1``, ``paddle1``..``paddle4``, ``touchpad`` where present).
Only devices SDL has a mapping for qualify; a mapping can be added through the
``SDL_GAMECONTROLLERCONFIG`` environment variable. ``type: joystick`` gives the raw device:
``axis N``, ``button N``, ``hat N`` (flight sticks, PTZ joysticks with a twist axis, throttles).

Values, and the sign of the axes
--------------------------------
Every :class:`~ptzmapd.events.ControlEvent` carries SDL's raw reading, normalised and nothing
more: an axis is ``raw / 32767`` clamped to -1..1, a trigger 0..1, a button 1 or 0, a hat
SDL's bitmask (up 1, right 2, down 4, left 8). Hence **SDL's sign convention is kept: ``lefty``
and ``righty`` are positive when the stick is pushed DOWN** (towards the player), ``leftx`` and
``rightx`` positive to the right. ptzmapd's +tilt is up, so the mapping layer inverts tilt; no
deadzone or curve is applied here either. Raw joystick axes have whatever sign the device
reports. Only changes are emitted: a control repeating its value (two raw readings that
normalise alike, say) produces no event, and a control at rest when a device connects
produces none. Nor does an axis *off* its rest then (a throttle left at the bottom of its
travel, a stick held over): what it reads at connection is taken as where it stands, and
only a move away from it is an event, so plugging a device in never starts motion. A button
held at connection is reported (it was pressed on purpose, and its release must be seen).

Which device: ``match``
-----------------------
``match`` (the ``match:`` key): absent, the first device (for ``gamepad``, the first
SDL recognises as a game controller); an integer, SDL's device index as ``ptzmapd devices``
lists it; 32 hex digits, the device GUID; any other string, a case-insensitive glob on the
device name (``"*xbox*"``). An input holds one device at a time. When it goes away the input
reports ``on_state(name, False)`` at once (the daemon stops what it drove) and takes the next
matching device that appears, the same one plugged back in included.

One thread, fast and quiet
--------------------------
Every gamepad and joystick input shares one :class:`JoystickService`, the only code that calls
SDL. Its thread sleeps in ``poll()`` on the device nodes SDL reads (``/dev/input/eventN`` for
evdev, ``/dev/hidrawN`` for HIDAPI: found by the path SDL reports for each open joystick
among this process's descriptors) plus a wake pipe, and pumps SDL only when one of them is
readable, so a stick move is read as soon as the kernel has it and an untouched gamepad costs
nothing. A slow timer (:data:`HOTPLUG_INTERVAL`) lets SDL notice devices that appear. An
unplugged device shows on its descriptor as a hang-up, so its input is disconnected without
waiting for SDL's hot-plug detection. SDL's own ``SDL_WaitEvent`` cannot be used: with a
joystick open it polls every millisecond (1.4 to 3.4 % of a core measured on these machines).
SDL reports a guide-button release that follows the press within 250 ms only at a later
pump, so a guide press schedules one (:data:`GUIDE_RELEASE_DELAY`). Pads that SDL drives
through HIDAPI (PlayStation, Switch) may stream reports whether touched or not, which would
wake the pump at their report rate; ``SDL_JOYSTICK_HIDAPI=0`` hands them to the kernel's
driver, which reports changes only (unmeasured here: these machines have no input devices).

A device with no descriptor to wait on (SDL virtual joysticks, which live in this process;
SDL backends other than evdev/hidraw) is polled instead: every millisecond for
:data:`POLL_ACTIVE_HOLD` seconds after its last event, else every :data:`POLL_IDLE_INTERVAL`.
Code in this process that changes a virtual joystick can call :meth:`JoystickService.wake` to
have it read at once: the in-process stand-in for the kernel making a descriptor readable.
The thread hands events to each input's asyncio loop with ``call_soon_threadsafe``, one batch
per pump. ``bench/gamepad_latency.py`` measures all of this.

Importing this module loads neither SDL nor pygame (:mod:`ptzmapd.inputs.sdl` only declares);
:meth:`GamepadInput.start` and :func:`list_devices` load SDL.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import math
import os
import re
import select
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Union

from ptzmapd.config.model import InputConfig
from ptzmapd.errors import ConfigError, PtzmapdError
from ptzmapd.events import ControlEvent, EmitEvent, InputStateChanged
from ptzmapd.inputs import sdl as sdl_library
from ptzmapd.inputs.sdl import (
    CONTROLLERAXISMOTION,
    CONTROLLERBUTTONDOWN,
    CONTROLLERBUTTONUP,
    JOYAXISMOTION,
    JOYBUTTONDOWN,
    JOYBUTTONUP,
    JOYDEVICEADDED,
    JOYDEVICEREMOVED,
    JOYHATMOTION,
    Sdl,
)

#: The input types this module serves.
INPUT_TYPES = ("gamepad", "joystick")

#: Seconds between pumps when nothing is readable, so SDL notices devices that appear.
HOTPLUG_INTERVAL = 0.5
#: Polling of devices with no descriptor: fast while in use, slow once left alone.
POLL_ACTIVE_INTERVAL = 0.001
POLL_IDLE_INTERVAL = 0.05
POLL_ACTIVE_HOLD = 1.0
#: A device descriptor readable more often than this per second is one SDL does not drain
#: (a backend that does not read it on every pump); waiting on it would spin, so it is polled.
#: Real devices report at up to 1 kHz.
HOT_DESCRIPTOR_LIMIT = 5000
#: SDL holds back a guide-button release that comes within 250 ms of its press and reports it
#: only at a later pump (SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS); a pump is scheduled for it.
GUIDE_RELEASE_DELAY = 0.26

_TRIGGERS = frozenset({"lefttrigger", "righttrigger"})
_GUIDE_BUTTON = 5  # SDL_CONTROLLER_BUTTON_GUIDE
_GUID = re.compile(r"[0-9a-fA-F]{32}")
_HANG_UP = select.POLLHUP | select.POLLERR | select.POLLNVAL

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One device SDL sees, as ``ptzmapd devices`` shows it."""

    index: int
    name: str
    guid: str
    is_gamecontroller: bool
    axes: int
    buttons: int
    hats: int
    #: The device node SDL reads (``/dev/input/event3``); None for virtual devices.
    path: str | None = None


def list_devices() -> list[DeviceInfo]:
    """Every joystick SDL sees now, in SDL's index order (what ``match: N`` counts)."""
    sdl = sdl_library.load()
    devices: list[DeviceInfo] = []
    for index in range(sdl.num_joysticks()):
        # Axis/button/hat counts are only known for an open joystick; SDL reference-counts
        # opens, so this does not disturb an input that holds the device.
        joystick = sdl.open_joystick(index)
        axes, buttons, hats = (0, 0, 0) if joystick is None else sdl.counts(joystick)
        if joystick is not None:
            sdl.close_joystick(joystick)
        devices.append(
            DeviceInfo(
                index=index,
                name=sdl.name_for_index(index),
                guid=sdl.guid_for_index(index),
                is_gamecontroller=sdl.is_game_controller(index),
                axes=axes,
                buttons=buttons,
                hats=hats,
                path=sdl.path_for_index(index),
            )
        )
    return devices


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """Which device an input takes (``match:``); all fields None means the first one."""

    name_glob: str | None = None
    guid: str | None = None
    index: int | None = None

    @classmethod
    def from_option(cls, value: object, where: str) -> DeviceMatch:
        if value is None:
            return cls()
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return cls(index=value)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if _GUID.fullmatch(text):
                return cls(guid=text.lower())
            return cls(name_glob=text)
        raise ConfigError(
            [f"{where}: expected a device name glob, a 32-digit GUID or a device index (got {value!r})"]
        )

    @property
    def explicit(self) -> bool:
        return self != DeviceMatch()

    def accepts(self, index: int, name: str, guid: str) -> bool:
        if self.index is not None:
            return index == self.index
        if self.guid is not None:
            return guid == self.guid
        if self.name_glob is not None:
            return fnmatch.fnmatchcase(name.casefold(), self.name_glob.casefold())
        return True

    def __str__(self) -> str:
        if self.index is not None:
            return f"index {self.index}"
        if self.guid is not None:
            return f"GUID {self.guid}"
        if self.name_glob is not None:
            return f"name {self.name_glob!r}"
        return "any name"


def device_fds(path: str | None) -> list[int]:
    """This process's descriptors open on the device node ``path``: what SDL reads it through.

    SDL does not hand out its descriptors, but it does report the node it opened
    (``SDL_JoystickPath``), and ``/proc/self/fd`` says which descriptors point there. Empty
    when there is no node (virtual joysticks) or no ``/proc`` (not Linux): such devices are
    polled.
    """
    if not path or not path.startswith("/dev/"):
        return []
    target = os.path.realpath(path)
    try:
        entries = os.listdir("/proc/self/fd")
    except OSError:
        return []
    fds: list[int] = []
    for entry in entries:
        try:
            if os.readlink(f"/proc/self/fd/{entry}") == target:
                fds.append(int(entry))
        except OSError:
            continue  # closed meanwhile, or the listing's own descriptor
    return fds


@dataclass(frozen=True, slots=True)
class _Connection:
    """A connect/disconnect for the loop side: on_state plus one log line."""

    connected: bool
    device: str


_Action = Union[ControlEvent, _Connection]


class _Binding:
    """One input as the pump thread sees it; everything but ``name``/``gamepad``/``match``
    belongs to that thread."""

    def __init__(
        self, name: str, gamepad: bool, match: DeviceMatch, post: Callable[[list[_Action]], None]
    ) -> None:
        self.name = name
        self.gamepad = gamepad
        self.match = match
        self.post = post
        self.handle: int | None = None  # SDL_GameController* or SDL_Joystick*
        self.instance_id: int | None = None
        self.device = ""
        #: Last value sent per (kind, number); absent means at rest (0).
        self.last: dict[tuple[str, int | str], float] = {}
        self.outbox: list[_Action] = []
        self.warned: set[int] = set()  # instance ids already reported as "not a gamepad"

    def change(self, kind: str, number: int | str, value: float, now: float) -> None:
        key = (kind, number)
        if self.last.get(key, 0) == value:
            return
        self.last[key] = value
        self.outbox.append(ControlEvent(self.name, kind, number, value, time=now))


@dataclass(eq=False)
class _Device:
    """A device at least one input holds open, keyed by SDL instance id."""

    instance_id: int
    name: str
    fds: list[int]
    bindings: list[_Binding] = field(default_factory=list)
    readable: int = 0  # readiness count in the current one-second window
    window_start: float = 0.0


def _axis(raw: int) -> float:
    # SDL axes run -32768..32767: dividing by 32767 makes centre exactly 0 and the top exactly
    # 1; the bottom overshoots by one step and is clamped.
    return max(-1.0, raw / 32767)


def _gamepad_axis(name: str, raw: int) -> float:
    # SDL maps a trigger to 0..32767.
    return max(0, raw) / 32767 if name in _TRIGGERS else _axis(raw)


class JoystickService:
    """The one SDL pump of the process: owns the thread, dispatches to registered inputs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commands: deque[tuple[Callable[[], None], Future[threading.Thread | None]]] = deque()
        self._thread: threading.Thread | None = None
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        # Owned by the pump thread:
        self._sdl: Sdl | None = None
        self._poller = select.poll()
        self._bindings: list[_Binding] = []
        self._devices: dict[int, _Device] = {}
        self._fd_device: dict[int, int] = {}
        #: Devices whose descriptor hung up but which SDL has not yet reported removed.
        self._vanished: set[int] = set()
        self._polled_activity = -math.inf
        #: When SDL may have a held-back guide release to report (see GUIDE_RELEASE_DELAY).
        self._pump_due = math.inf
        #: How many times SDL was pumped: benchmarks divide it by time to show idle wake-ups.
        self.pumps = 0

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def wake(self) -> None:
        """Have the pump read every device now (thread-safe, never blocks)."""
        try:
            os.write(self._wake_write, b"\0")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups already: the thread is sure to wake

    def register(self, binding: _Binding) -> Future[threading.Thread | None]:
        """Start serving ``binding``; resolves once its first device scan is done."""
        return self._submit(lambda: self._add(binding))

    def unregister(self, binding: _Binding) -> Future[threading.Thread | None]:
        """Stop serving ``binding``; resolves to the pump thread if that was the last input
        and the thread is ending (for the caller to join), else None."""
        return self._submit(lambda: self._remove(binding))

    def _submit(self, command: Callable[[], None]) -> Future[threading.Thread | None]:
        future: Future[threading.Thread | None] = Future()
        with self._lock:
            self._commands.append((command, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ptzmapd-sdl", daemon=True)
                self._thread.start()
        self.wake()
        return future

    # -- the pump thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._sdl = sdl_library.load()
        except PtzmapdError as exc:
            with self._lock:
                pending = list(self._commands)
                self._commands.clear()
                self._thread = None
            for _command, future in pending:
                future.set_exception(exc)
            return
        # Events queued while no thread ran (device opens by list_devices, an earlier run)
        # are stale; each registration scans the devices present anyway.
        self._sdl.flush_events()
        self._poller = select.poll()
        self._poller.register(self._wake_read, select.POLLIN)
        running = True
        while running:
            try:
                ready = self._poller.poll(self._timeout_ms())
                self._handle_ready(ready)
                running = self._run_commands()
                if running:
                    self._pump()
            except Exception:
                _log.exception("gamepad pump failed; carrying on")
                time.sleep(0.1)  # a bug that repeats must not spin a core

    def _timeout_ms(self) -> int:
        now = time.monotonic()
        if any(not device.fds for device in self._devices.values()):
            quiet = now - self._polled_activity
            interval = POLL_ACTIVE_INTERVAL if quiet < POLL_ACTIVE_HOLD else POLL_IDLE_INTERVAL
        else:
            interval = HOTPLUG_INTERVAL
        if self._pump_due < math.inf:
            interval = min(interval, self._pump_due - now)
        return max(1, math.ceil(interval * 1000))

    def _handle_ready(self, ready: list[tuple[int, int]]) -> None:
        now = time.monotonic()
        for fd, mask in ready:
            if fd == self._wake_read:
                try:
                    while os.read(self._wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
                continue
            instance_id = self._fd_device.get(fd)
            if instance_id is None:
                continue
            device = self._devices[instance_id]
            if mask & _HANG_UP:
                # The kernel reports an unplugged evdev/hidraw device this way at once; SDL
                # would only notice at its next hot-plug check, and lists the device until
                # then, so it is marked before its inputs look for another.
                self._vanished.add(instance_id)
                self._lose(device, "its device node hung up")
            else:
                self._note_readable(device, now)

    def _note_readable(self, device: _Device, now: float) -> None:
        if now - device.window_start >= 1.0:
            device.window_start = now
            device.readable = 0
        device.readable += 1
        if device.readable > HOT_DESCRIPTOR_LIMIT:
            _log.warning("%r: SDL leaves its device node readable; polling it instead", device.name)
            self._unwatch(device)

    def _run_commands(self) -> bool:
        """Run queued commands; False when no input is left and the thread must end."""
        done: list[tuple[Future[threading.Thread | None], BaseException | None]] = []
        while True:
            with self._lock:
                if not self._commands:
                    running = bool(self._bindings)
                    if not running:
                        # From here a register() starts a fresh thread, so this one touches
                        # no shared state any more.
                        self._thread = None
                    break
                command, future = self._commands.popleft()
            try:
                command()
                done.append((future, None))
            except Exception as exc:
                done.append((future, exc))
            # Posted before the futures resolve, so an input is told it connected before its
            # start() returns (both travel through call_soon_threadsafe, in order).
            self._flush_outboxes()
        # Resolved only now, so that whoever waits on the last unregister can join this thread.
        ending = None if running else threading.current_thread()
        for future, error in done:
            if error is None:
                future.set_result(ending)
            else:
                future.set_exception(error)
        return running

    def _add(self, binding: _Binding) -> None:
        self._bindings.append(binding)
        self._connect(binding)

    def _remove(self, binding: _Binding) -> None:
        if binding not in self._bindings:
            return  # its registration failed
        if binding.handle is not None:
            self._disconnect(binding)
        self._bindings.remove(binding)
        binding.outbox.clear()  # a closed input hears nothing more

    def _pump(self) -> None:
        assert self._sdl is not None
        sdl = self._sdl
        sdl.pump()
        self.pumps += 1
        now = time.monotonic()
        if now >= self._pump_due:
            self._pump_due = math.inf
        rescan = False
        for kind, which, number, state, axis_value in sdl.take_events():
            if kind == JOYDEVICEADDED:
                rescan = True
            elif kind == JOYDEVICEREMOVED:
                self._vanished.discard(which)
                device = self._devices.get(which)
                if device is not None:
                    self._lose(device, "unplugged")
            else:
                device = self._devices.get(which)
                if device is None:
                    continue
                if not device.fds:
                    self._polled_activity = now
                if kind == CONTROLLERBUTTONDOWN and number == _GUIDE_BUTTON:
                    self._pump_due = now + GUIDE_RELEASE_DELAY
                control = self._control(kind, number, state, axis_value)
                if control is None:
                    continue
                for_gamepad, control_kind, control_number, value = control
                for binding in device.bindings:
                    if binding.gamepad == for_gamepad:
                        binding.change(control_kind, control_number, value, now)
        if rescan:
            for binding in self._bindings:
                if binding.handle is None:
                    self._connect(binding)
        self._flush_outboxes()

    def _control(
        self, kind: int, number: int, state: int, axis_value: int
    ) -> tuple[bool, str, int | str, float] | None:
        """(for gamepad inputs?, control kind, number or SDL name, value), or None to ignore."""
        assert self._sdl is not None
        if kind == CONTROLLERAXISMOTION:
            name = _name(self._sdl.axis_names, number)
            if name is None:
                return None
            return True, "axis", name, _gamepad_axis(name, axis_value)
        if kind == CONTROLLERBUTTONDOWN or kind == CONTROLLERBUTTONUP:
            name = _name(self._sdl.button_names, number)
            return None if name is None else (True, "button", name, int(kind == CONTROLLERBUTTONDOWN))
        if kind == JOYAXISMOTION:
            return False, "axis", number, _axis(axis_value)
        if kind == JOYBUTTONDOWN or kind == JOYBUTTONUP:
            return False, "button", number, int(kind == JOYBUTTONDOWN)
        if kind == JOYHATMOTION:
            return False, "hat", number, state
        return None

    def _flush_outboxes(self) -> None:
        for binding in self._bindings:
            if binding.outbox:
                actions, binding.outbox = binding.outbox, []
                binding.post(actions)

    # -- devices -------------------------------------------------------------------------------

    def _connect(self, binding: _Binding) -> None:
        """Open the first present device ``binding`` matches, if any."""
        assert self._sdl is not None
        sdl = self._sdl
        for index in range(sdl.num_joysticks()):
            instance_id = sdl.instance_id_for_index(index)
            if instance_id in self._vanished:
                continue
            name, guid = sdl.name_for_index(index), sdl.guid_for_index(index)
            if not binding.match.accepts(index, name, guid):
                continue
            if binding.gamepad and not sdl.is_game_controller(index):
                if binding.match.explicit and instance_id not in binding.warned:
                    binding.warned.add(instance_id)
                    _log.warning(
                        "gamepad input %r: %r matches but SDL has no gamepad mapping for it: "
                        "use type: joystick, or give SDL one in SDL_GAMECONTROLLERCONFIG",
                        binding.name,
                        name,
                    )
                continue
            if self._open(binding, index, instance_id, name, guid):
                return

    def _open(self, binding: _Binding, index: int, instance_id: int, name: str, guid: str) -> bool:
        assert self._sdl is not None
        sdl = self._sdl
        if binding.gamepad:
            handle = sdl.open_controller(index)
            joystick = None if handle is None else sdl.controller_joystick(handle)
        else:
            handle = joystick = sdl.open_joystick(index)
        if handle is None or joystick is None:
            _log.warning("input %r: cannot open %r: %s", binding.name, name, sdl.error())
            return False
        device = self._devices.get(instance_id)
        path = sdl.path(joystick)
        if device is None:
            device = _Device(instance_id, name, device_fds(path))
            self._devices[instance_id] = device
            for fd in device.fds:
                self._poller.register(fd, select.POLLIN)
                self._fd_device[fd] = instance_id
        device.bindings.append(binding)
        binding.handle, binding.instance_id = handle, instance_id
        binding.last.clear()
        # Where each axis stands now is its starting point, not a move (see the module doc).
        binding.last.update(self._axes_now(binding.gamepad, handle, joystick))
        how = f"waiting on {path or 'its descriptor'}" if device.fds else "polled"
        binding.device = f"{name!r} (index {index}, GUID {guid}, {how})"
        binding.outbox.append(_Connection(True, binding.device))
        return True

    def _axes_now(self, gamepad: bool, handle: int, joystick: int) -> dict[tuple[str, int | str], float]:
        """Every axis's reading on an open device, keyed as :meth:`_Binding.change` keys them."""
        assert self._sdl is not None
        sdl = self._sdl
        # SDL reads a device at a pump; a device just opened may not have been read yet (a
        # virtual one never has). The events this queues repeat these readings: not moves.
        sdl.update_joysticks()
        if gamepad:
            return {
                ("axis", name): _gamepad_axis(name, sdl.controller_axis(handle, number))
                for number, name in enumerate(sdl.axis_names)
                if name is not None
            }
        axes, _buttons, _hats = sdl.counts(joystick)
        return {("axis", number): _axis(sdl.joystick_axis(joystick, number)) for number in range(axes)}

    def _lose(self, device: _Device, why: str) -> None:
        """The device is gone: its inputs disconnect now and look for another match."""
        bindings = list(device.bindings)
        for binding in bindings:
            self._disconnect(binding)
            binding.outbox.append(_Connection(False, f"{binding.device}: {why}"))
        for binding in bindings:
            self._connect(binding)

    def _disconnect(self, binding: _Binding) -> None:
        assert self._sdl is not None and binding.handle is not None and binding.instance_id is not None
        device = self._devices[binding.instance_id]
        device.bindings.remove(binding)
        if not device.bindings:
            # Stop waiting on the descriptors before SDL may close them (and the number be
            # reused by something else).
            self._unwatch(device)
            del self._devices[device.instance_id]
        if binding.gamepad:
            self._sdl.close_controller(binding.handle)
        else:
            self._sdl.close_joystick(binding.handle)
        binding.handle = binding.instance_id = None

    def _unwatch(self, device: _Device) -> None:
        for fd in device.fds:
            self._fd_device.pop(fd, None)
            try:
                self._poller.unregister(fd)
            except KeyError:
                pass
        device.fds = []


def _name(names: tuple[str | None, ...], number: int) -> str | None:
    return names[number] if 0 <= number < len(names) else None


_service_lock = threading.Lock()
_service: JoystickService | None = None


def joystick_service() -> JoystickService:
    """The process's one :class:`JoystickService` (created on first use; starts no thread)."""
    global _service
    with _service_lock:
        if _service is None:
            _service = JoystickService()
        return _service


class GamepadInput:
    """A ``gamepad`` or ``joystick`` input: one device, matched by ``match``, re-found on hot-plug.

    ``emit`` and ``on_state`` are called on ``loop``'s thread. ``close()`` does not report a
    state change.
    """

    def __init__(
        self,
        config: InputConfig,
        emit: EmitEvent,
        on_state: InputStateChanged,
        loop: asyncio.AbstractEventLoop,
        log: logging.Logger | None = None,
    ) -> None:
        where = f"{config.mark}: inputs.{config.name}"
        if config.type not in INPUT_TYPES:
            raise ConfigError([f"{where}.type: not a gamepad input type {config.type!r} (valid: {', '.join(INPUT_TYPES)})"])
        self.name = config.name
        self.type = config.type
        self.match = DeviceMatch.from_option(config.match, f"{where}.match")
        self._emit = emit
        self._on_state = on_state
        self._loop = loop
        self._log = log or _log
        self._binding = _Binding(config.name, config.type == "gamepad", self.match, self._post)
        self._service: JoystickService | None = None
        self._connected = False
        self._device: str | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def device(self) -> str | None:
        """The device held now, as the log names it; None while disconnected."""
        return self._device

    async def start(self) -> None:
        """Load SDL if needed and take a matching device if one is present (else wait for one).

        Raises :class:`~ptzmapd.errors.PtzmapdError` when SDL2 cannot be loaded.
        """
        if self._service is not None:
            return
        self._service = service = joystick_service()
        try:
            await asyncio.wrap_future(service.register(self._binding), loop=self._loop)
        except PtzmapdError:
            self._service = None  # SDL did not load: nothing was registered
            raise
        if not self._connected:
            self._log.info("%s input %r: waiting for a device matching %s", self.type, self.name, self.match)

    async def close(self) -> None:
        """Release the device; the pump thread ends with the last input. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._service is None:
            return
        ending = await asyncio.wrap_future(self._service.unregister(self._binding), loop=self._loop)
        if ending is not None:
            # The thread has run its last command and only returns now: joining takes
            # microseconds, so blocking the loop for it is harmless.
            ending.join(timeout=1.0)

    def _post(self, actions: list[_Action]) -> None:
        """Pump thread: hand a batch to the loop."""
        try:
            self._loop.call_soon_threadsafe(self._deliver, actions)
        except RuntimeError:
            pass  # the loop is closed: there is no one left to tell

    def _deliver(self, actions: list[_Action]) -> None:
        """Loop thread: emit events and state changes in the order the pump saw them."""
        if self._closed:
            return
        for action in actions:
            try:
                if isinstance(action, _Connection):
                    self._connected = action.connected
                    self._device = action.device if action.connected else None
                    if action.connected:
                        self._log.info("%s input %r: connected to %s", self.type, self.name, action.device)
                    else:
                        self._log.warning("%s input %r: lost %s", self.type, self.name, action.device)
                    self._on_state(self.name, action.connected)
                else:
                    self._emit(action)
            except Exception:
                # One failing consumer must not swallow the rest of the batch (a disconnect
                # after it, say).
                self._log.exception("%s input %r: handler failed", self.type, self.name)
