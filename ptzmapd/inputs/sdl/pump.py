"""The one SDL pump of the process: a thread that reads every open gamepad and joystick.

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

Importing this module loads neither SDL nor pygame; the thread loads SDL when it starts.
"""

from __future__ import annotations

import logging
import math
import os
import select
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Union

from ptzmapd.clock import Clock
from ptzmapd.errors import PtzmapdError
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.sdl import library as sdl_library
from ptzmapd.inputs.sdl.devices import DeviceMatch, device_fds
from ptzmapd.inputs.sdl.library import (
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
_HANG_UP = select.POLLHUP | select.POLLERR | select.POLLNVAL

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Connection:
    """A connect/disconnect for the loop side: on_state plus one log line."""

    connected: bool
    device: str


PumpItem = Union[ControlEvent, Connection]


class PumpBinding:
    """One input as the pump thread sees it; everything but ``name``/``gamepad``/``match``
    belongs to that thread."""

    def __init__(
        self,
        name: str,
        gamepad: bool,
        match: DeviceMatch,
        post: Callable[[list[PumpItem]], None],
        clock: Clock,
    ) -> None:
        self.name = name
        self.gamepad = gamepad
        self.match = match
        self.post = post
        #: Stamps this input's events: the clock its consumers compare them with.
        self.clock = clock
        self.handle: int | None = None  # SDL_GameController* or SDL_Joystick*
        self.instance_id: int | None = None
        self.device = ""
        #: Last value sent per (kind, number); absent means at rest (0).
        self.last: dict[tuple[str, int | str], float] = {}
        self.outbox: list[PumpItem] = []
        self.warned: set[int] = set()  # instance ids already reported as "not a gamepad"

    def change(self, kind: str, number: int | str, value: float) -> None:
        key = (kind, number)
        if self.last.get(key, 0) == value:
            return
        self.last[key] = value
        self.outbox.append(ControlEvent(self.name, kind, number, value, time=self.clock.now()))


@dataclass(eq=False)
class _Device:
    """A device at least one input holds open, keyed by SDL instance id."""

    instance_id: int
    name: str
    fds: list[int]
    bindings: list[PumpBinding] = field(default_factory=list)
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
        self._bindings: list[PumpBinding] = []
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

    def register(self, binding: PumpBinding) -> Future[threading.Thread | None]:
        """Start serving ``binding``; resolves once its first device scan is done."""
        return self._submit(lambda: self._add(binding))

    def unregister(self, binding: PumpBinding) -> Future[threading.Thread | None]:
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
        # The pump's own timing (poll() timeouts, hot-plug and polling intervals) is the OS's
        # real time, whatever clock the inputs stamp their events with.
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

    def _add(self, binding: PumpBinding) -> None:
        self._bindings.append(binding)
        self._connect(binding)

    def _remove(self, binding: PumpBinding) -> None:
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
                        binding.change(control_kind, control_number, value)
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

    def _connect(self, binding: PumpBinding) -> None:
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

    def _open(self, binding: PumpBinding, index: int, instance_id: int, name: str, guid: str) -> bool:
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
        binding.outbox.append(Connection(True, binding.device))
        return True

    def _axes_now(self, gamepad: bool, handle: int, joystick: int) -> dict[tuple[str, int | str], float]:
        """Every axis's reading on an open device, keyed as :meth:`PumpBinding.change` keys them."""
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
            binding.outbox.append(Connection(False, f"{binding.device}: {why}"))
        for binding in bindings:
            self._connect(binding)

    def _disconnect(self, binding: PumpBinding) -> None:
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
