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

Reading SDL is :mod:`.pump`'s job: one thread for every gamepad and joystick input.
Importing this module loads neither SDL nor pygame (:mod:`.library` only declares);
:meth:`GamepadInput.start` and :func:`~.devices.list_devices` load SDL.
"""

from __future__ import annotations

import asyncio
import logging

from ptzmapd.clock import Clock
from ptzmapd.config.model import InputConfig
from ptzmapd.errors import PtzmapdError
from ptzmapd.events import EmitEvent, InputStateChanged
from ptzmapd.inputs.sdl.devices import DeviceMatch
from ptzmapd.inputs.sdl.pump import Connection, JoystickService, PumpBinding, PumpItem, joystick_service

_log = logging.getLogger(__name__)

#: The input types this module serves.
INPUT_TYPES = ("gamepad", "joystick")


class GamepadInput:
    """A ``gamepad`` or ``joystick`` input: one device, matched by ``match``, re-found on hot-plug.

    ``emit`` and ``on_state`` are called on ``loop``'s thread; events carry ``clock.now()`` as
    the pump read them. ``close()`` does not report a state change.
    """

    def __init__(
        self,
        config: InputConfig,
        emit: EmitEvent,
        on_state: InputStateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        log: logging.Logger | None = None,
    ) -> None:
        where = f"{config.mark}: inputs.{config.name}"
        if config.type not in INPUT_TYPES:
            raise ValueError(f"{where}.type: not a gamepad input type {config.type!r} (valid: {', '.join(INPUT_TYPES)})")
        self.name = config.name
        self.type = config.type
        self.match = DeviceMatch.from_option(config.match, f"{where}.match")
        self._emit = emit
        self._on_state = on_state
        self._loop = loop
        self._log = log or _log
        self._binding = PumpBinding(config.name, config.type == "gamepad", self.match, self._post, clock)
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

    def _post(self, actions: list[PumpItem]) -> None:
        """Pump thread: hand a batch to the loop."""
        try:
            self._loop.call_soon_threadsafe(self._deliver, actions)
        except RuntimeError:
            pass  # the loop is closed: there is no one left to tell

    def _deliver(self, actions: list[PumpItem]) -> None:
        """Loop thread: emit events and state changes in the order the pump saw them."""
        if self._closed:
            return
        for action in actions:
            try:
                if isinstance(action, Connection):
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
