"""SDL virtual joysticks for tests and benchmarks: attach, drive, unplug.

A virtual joystick is a real SDL device: ptzmapd reads it through SDL's own event path (the
same queue, the same GameController mapping), exactly as it reads a USB gamepad. It lives in
the process that attached it and goes through the same SDL instance ptzmapd loads
(:func:`ptzmapd.inputs.sdl.library.load`).

A gamepad is attached as SDL's type 1 (game controller) with 6 axes and 15 buttons, which SDL
maps by default in its own order: axes ``leftx lefty rightx righty lefttrigger
righttrigger``, buttons ``a b x y back guide start leftstick rightstick leftshoulder
rightshoulder dpup dpdown dpleft dpright``. Driving it by those names reads like the binding
it exercises. On a virtual gamepad a trigger at rest is raw -32768 (SDL sets it so), fully
pressed 32767.

A virtual device is read as *state*: at each pump SDL compares every control with its last
reading. Two changes to one control between two pumps therefore show as one (a press and
release as nothing), and changes to different controls come out in SDL's control order, not
the order they were made. Where order or every step matters, wait for one change to arrive
before making the next. (A real device is read as a stream of kernel events and has neither
limit.)

Virtual devices have no descriptor for ptzmapd's pump to wait on, so it polls them; unless
``wake=False``, every change also calls :meth:`JoystickService.wake`, the in-process stand-in
for the kernel making a device node readable.
"""

from __future__ import annotations

from ptzmapd.inputs.sdl import library as sdl_library
from ptzmapd.inputs.sdl.pump import joystick_service

GAMEPAD_AXES = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")
GAMEPAD_BUTTONS = (
    "a", "b", "x", "y", "back", "guide", "start", "leftstick", "rightstick",
    "leftshoulder", "rightshoulder", "dpup", "dpdown", "dpleft", "dpright",
)  # fmt: skip
AXIS_MIN, AXIS_MAX = -32768, 32767
HAT_UP, HAT_RIGHT, HAT_DOWN, HAT_LEFT = (
    sdl_library.HAT_UP,
    sdl_library.HAT_RIGHT,
    sdl_library.HAT_DOWN,
    sdl_library.HAT_LEFT,
)

_attached: list[VirtualDevice] = []


class VirtualDevice:
    """One attached virtual joystick. Controls are SDL names on a gamepad, indexes otherwise."""

    def __init__(self, index: int, gamepad: bool, wake: bool) -> None:
        self._sdl = sdl_library.load()
        self.gamepad = gamepad
        self.wake = wake
        self.name = self._sdl.name_for_index(index)
        self.guid = self._sdl.guid_for_index(index)
        self.instance_id = self._sdl.instance_id_for_index(index)
        # SDL's Set* calls need an open joystick. SDL reference-counts opens, so this is the
        # same object ptzmapd opens, and holding it does not change what ptzmapd sees.
        handle = self._sdl.open_joystick(index)
        if handle is None:
            raise RuntimeError(f"cannot open virtual joystick {index}: {self._sdl.error()}")
        self._handle: int | None = handle
        self._changed()

    @property
    def index(self) -> int:
        """The device's SDL index now (indexes shift as devices come and go)."""
        for index in range(self._sdl.num_joysticks()):
            if self._sdl.instance_id_for_index(index) == self.instance_id:
                return index
        raise LookupError(f"{self.name!r} is not attached")

    def move(self, axis: int | str, value: int) -> None:
        """Set an axis to a raw SDL value, -32768..32767."""
        self._sdl.set_virtual_axis(self._live(), self._number(axis, GAMEPAD_AXES), value)
        self._changed()

    def press(self, button: int | str) -> None:
        self._sdl.set_virtual_button(self._live(), self._number(button, GAMEPAD_BUTTONS), True)
        self._changed()

    def release(self, button: int | str) -> None:
        self._sdl.set_virtual_button(self._live(), self._number(button, GAMEPAD_BUTTONS), False)
        self._changed()

    def hat(self, hat: int, value: int) -> None:
        """Set a hat to an SDL bitmask (HAT_UP | HAT_RIGHT ...; 0 = centred)."""
        self._sdl.set_virtual_hat(self._live(), hat, value)
        self._changed()

    def detach(self) -> None:
        """Unplug: SDL reports the device removed. Idempotent."""
        if self._handle is None:
            return
        self._sdl.detach_virtual(self.index)
        self._sdl.close_joystick(self._handle)
        self._handle = None
        _attached.remove(self)
        self._changed()

    def _live(self) -> int:
        if self._handle is None:
            raise RuntimeError(f"{self.name!r} was detached")
        return self._handle

    def _number(self, control: int | str, names: tuple[str, ...]) -> int:
        if isinstance(control, int):
            return control
        if not self.gamepad:
            raise ValueError(f"a raw joystick has numbered controls, not {control!r}")
        return names.index(control)

    def _changed(self) -> None:
        if self.wake:
            joystick_service().wake()


def attach_gamepad(
    name: str = "ptzmapd test pad", *, product_id: int = 0x0001, wake: bool = True
) -> VirtualDevice:
    """A game controller with SDL's default mapping. Names make distinct GUIDs too."""
    sdl = sdl_library.load()
    index = sdl.attach_virtual(
        sdl_library.JOYSTICK_TYPE_GAMECONTROLLER, 6, 15, 0, name=name, vendor_id=0x1209, product_id=product_id
    )
    return _track(VirtualDevice(index, gamepad=True, wake=wake))


def attach_joystick(
    name: str = "ptzmapd test stick", *, axes: int = 4, buttons: int = 8, hats: int = 1, wake: bool = True
) -> VirtualDevice:
    """A raw joystick SDL has no gamepad mapping for (a flight stick, a PTZ joystick)."""
    sdl = sdl_library.load()
    index = sdl.attach_virtual(
        sdl_library.JOYSTICK_TYPE_UNKNOWN, axes, buttons, hats, name=name, vendor_id=0x1209, product_id=0x0002
    )
    return _track(VirtualDevice(index, gamepad=False, wake=wake))


def detach_all() -> None:
    """Unplug every device this helper attached (test cleanup)."""
    for device in list(_attached):
        device.detach()


def _track(device: VirtualDevice) -> VirtualDevice:
    _attached.append(device)
    return device
