"""ctypes access to the SDL2 library that pygame bundles: joystick and game-controller calls only.

Why ctypes and not pygame's API: pygame's event functions refuse to run unless SDL's *video*
subsystem is up, and ``pygame.init()`` also opens audio. ptzmapd needs neither; it brings up
only SDL's joystick and game-controller subsystems and reads SDL's event queue itself.

The library is the very file pygame's extension modules link against (``pygame.libs/`` in
the manylinux wheels), so if pygame is imported in the same process both share one SDL
instance: one device list, one event queue, one set of virtual joysticks. Nothing here is
loaded until :func:`load` is called; importing this module costs nothing.

All SDL calls of the daemon are made from the one pump thread in :mod:`ptzmapd.inputs.sdl.pump`;
SDL's joystick functions take SDL's own joystick lock, so tests and benchmarks may drive
virtual joysticks from another thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import importlib.util
import os
import struct
import threading
from typing import Any

from ptzmapd.errors import PtzmapdError

# SDL_InitSubSystem flags (SDL_INIT_JOYSTICK also brings up SDL_INIT_EVENTS).
INIT_JOYSTICK = 0x0000_0200
INIT_GAMECONTROLLER = 0x0000_2000

# SDL_EventType values (SDL_events.h).
JOYAXISMOTION = 0x600
JOYHATMOTION = 0x602
JOYBUTTONDOWN = 0x603
JOYBUTTONUP = 0x604
JOYDEVICEADDED = 0x605
JOYDEVICEREMOVED = 0x606
CONTROLLERAXISMOTION = 0x650
CONTROLLERBUTTONDOWN = 0x651
CONTROLLERBUTTONUP = 0x652

# SDL_JoystickType for SDL_JoystickAttachVirtual.
JOYSTICK_TYPE_UNKNOWN = 0
JOYSTICK_TYPE_GAMECONTROLLER = 1

# SDL_HAT_* bits, the same bitmask ControlEvent carries for hats.
HAT_UP = 0x01
HAT_RIGHT = 0x02
HAT_DOWN = 0x04
HAT_LEFT = 0x08

AXIS_MAX = 32767

_PEEK_GETEVENT = 2  # SDL_GETEVENT: remove what is read
_FIRST_EVENT = 0
_LAST_EVENT = 0xFFFF

# SDL_Event is a 56-byte union on every platform SDL2 supports.
EVENT_SIZE = 56
# The prefix every joystick/controller event shares: type, timestamp, which (instance id or
# device index), then a byte for the axis/button/hat number and one for button state or hat
# value; axis events keep their Sint16 value at offset 16, after padding.
_EVENT_HEAD = struct.Struct("<IIiBB2xh")

# Which SDL the daemon needs: SDL_JoystickPath (2.24) tells which /dev node a joystick reads.
_MIN_VERSION = (2, 0, 18)


class SdlVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint8), ("minor", ctypes.c_uint8), ("patch", ctypes.c_uint8)]


class JoystickGUID(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint8 * 16)]


class VirtualJoystickDesc(ctypes.Structure):
    """SDL_VirtualJoystickDesc, version 1 (SDL 2.24+), for SDL_JoystickAttachVirtualEx."""

    _fields_ = [
        ("version", ctypes.c_uint16),
        ("type", ctypes.c_uint16),
        ("naxes", ctypes.c_uint16),
        ("nbuttons", ctypes.c_uint16),
        ("nhats", ctypes.c_uint16),
        ("vendor_id", ctypes.c_uint16),
        ("product_id", ctypes.c_uint16),
        ("padding", ctypes.c_uint16),
        ("button_mask", ctypes.c_uint32),
        ("axis_mask", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("userdata", ctypes.c_void_p),
        # Callbacks (Update, SetPlayerIndex, Rumble, RumbleTriggers, SetLED, SendEffect):
        # left NULL, which SDL accepts.
        ("update", ctypes.c_void_p),
        ("set_player_index", ctypes.c_void_p),
        ("rumble", ctypes.c_void_p),
        ("rumble_triggers", ctypes.c_void_p),
        ("set_led", ctypes.c_void_p),
        ("send_effect", ctypes.c_void_p),
    ]


_int, _u8, _u32, _ptr, _str = ctypes.c_int, ctypes.c_uint8, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_char_p

#: name -> (restype, argtypes). Optional entries may be missing from an older SDL.
_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "SDL_GetVersion": (None, [ctypes.POINTER(SdlVersion)]),
    "SDL_GetError": (_str, []),
    "SDL_SetHint": (_int, [_str, _str]),
    "SDL_InitSubSystem": (_int, [_u32]),
    "SDL_PumpEvents": (None, []),
    "SDL_PeepEvents": (_int, [_ptr, _int, _int, _u32, _u32]),
    "SDL_FlushEvents": (None, [_u32, _u32]),
    "SDL_NumJoysticks": (_int, []),
    "SDL_JoystickNameForIndex": (_str, [_int]),
    "SDL_JoystickGetDeviceGUID": (JoystickGUID, [_int]),
    "SDL_JoystickGetDeviceInstanceID": (ctypes.c_int32, [_int]),
    "SDL_IsGameController": (_int, [_int]),
    "SDL_JoystickOpen": (_ptr, [_int]),
    "SDL_JoystickClose": (None, [_ptr]),
    "SDL_JoystickInstanceID": (ctypes.c_int32, [_ptr]),
    "SDL_JoystickNumAxes": (_int, [_ptr]),
    "SDL_JoystickNumButtons": (_int, [_ptr]),
    "SDL_JoystickNumHats": (_int, [_ptr]),
    "SDL_JoystickGetAxis": (ctypes.c_int16, [_ptr, _int]),
    "SDL_JoystickUpdate": (None, []),
    "SDL_GameControllerOpen": (_ptr, [_int]),
    "SDL_GameControllerClose": (None, [_ptr]),
    "SDL_GameControllerGetJoystick": (_ptr, [_ptr]),
    "SDL_GameControllerGetAxis": (ctypes.c_int16, [_ptr, _int]),
    "SDL_GameControllerGetStringForAxis": (_str, [_int]),
    "SDL_GameControllerGetStringForButton": (_str, [_int]),
    "SDL_JoystickAttachVirtual": (_int, [_int, _int, _int, _int]),
    "SDL_JoystickDetachVirtual": (_int, [_int]),
    "SDL_JoystickSetVirtualAxis": (_int, [_ptr, _int, ctypes.c_int16]),
    "SDL_JoystickSetVirtualButton": (_int, [_ptr, _int, _u8]),
    "SDL_JoystickSetVirtualHat": (_int, [_ptr, _int, _u8]),
}
_OPTIONAL_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "SDL_JoystickPath": (_str, [_ptr]),  # 2.24
    "SDL_JoystickPathForIndex": (_str, [_int]),  # 2.24
    "SDL_JoystickAttachVirtualEx": (_int, [ctypes.POINTER(VirtualJoystickDesc)]),  # 2.24
}


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


class Sdl:
    """The loaded, initialised library: thin typed wrappers, SDL's names, no policy."""

    def __init__(self, library: ctypes.CDLL, path: str) -> None:
        self.file = path  # where the library was loaded from
        self._fn: dict[str, Any] = {}
        for name, (restype, argtypes) in _PROTOTYPES.items():
            self._fn[name] = self._declare(library, name, restype, argtypes)
        for name, (restype, argtypes) in _OPTIONAL_PROTOTYPES.items():
            if hasattr(library, name):
                self._fn[name] = self._declare(library, name, restype, argtypes)
        version = SdlVersion()
        self._fn["SDL_GetVersion"](ctypes.byref(version))
        self.version = (version.major, version.minor, version.patch)
        self._events = ctypes.create_string_buffer(EVENT_SIZE * 64)
        self._event_view = memoryview(self._events).cast("B")
        # SDL's names never change; look each up once.
        self.axis_names = self._names("SDL_GameControllerGetStringForAxis", 6)
        self.button_names = self._names("SDL_GameControllerGetStringForButton", 21)

    @staticmethod
    def _declare(library: ctypes.CDLL, name: str, restype: Any, argtypes: list[Any]) -> Any:
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
        return function

    def _names(self, function: str, count: int) -> tuple[str | None, ...]:
        return tuple(_text(self._fn[function](i)) for i in range(count))

    def error(self) -> str:
        return _text(self._fn["SDL_GetError"]()) or "unknown SDL error"

    def set_hint(self, name: str, value: str) -> None:
        self._fn["SDL_SetHint"](name.encode(), value.encode())

    def init_subsystems(self, flags: int) -> None:
        if self._fn["SDL_InitSubSystem"](flags) < 0:
            raise PtzmapdError(f"cannot start SDL's joystick subsystem: {self.error()}")

    # -- events --------------------------------------------------------------------------------

    def pump(self) -> None:
        """Let every joystick driver read its device and post events (SDL_PumpEvents)."""
        self._fn["SDL_PumpEvents"]()

    def take_events(self) -> list[tuple[int, int, int, int, int]]:
        """Remove every queued event; each as ``(type, which, number, state, axis_value)``.

        ``number`` is the axis/button/hat index, ``state`` the button state or hat bitmask,
        ``axis_value`` the raw Sint16 of an axis event; fields an event type lacks are junk.
        """
        events: list[tuple[int, int, int, int, int]] = []
        peep = self._fn["SDL_PeepEvents"]
        while True:
            count = peep(self._events, 64, _PEEK_GETEVENT, _FIRST_EVENT, _LAST_EVENT)
            if count <= 0:
                return events
            for i in range(count):
                kind, _timestamp, which, number, state, axis_value = _EVENT_HEAD.unpack_from(
                    self._event_view, i * EVENT_SIZE
                )
                events.append((kind, which, number, state, axis_value))
            if count < 64:
                return events

    def flush_events(self) -> None:
        self._fn["SDL_FlushEvents"](_FIRST_EVENT, _LAST_EVENT)

    # -- devices by index (valid until the next pump) ------------------------------------------

    def num_joysticks(self) -> int:
        return int(self._fn["SDL_NumJoysticks"]())

    def name_for_index(self, index: int) -> str:
        return _text(self._fn["SDL_JoystickNameForIndex"](index)) or ""

    def guid_for_index(self, index: int) -> str:
        # SDL's own GUID string is the 16 bytes in lowercase hex, so this matches SDL tools.
        return bytes(self._fn["SDL_JoystickGetDeviceGUID"](index).data).hex()

    def instance_id_for_index(self, index: int) -> int:
        return int(self._fn["SDL_JoystickGetDeviceInstanceID"](index))

    def path_for_index(self, index: int) -> str | None:
        function = self._fn.get("SDL_JoystickPathForIndex")
        return None if function is None else _text(function(index))

    def is_game_controller(self, index: int) -> bool:
        return bool(self._fn["SDL_IsGameController"](index))

    # -- open devices --------------------------------------------------------------------------

    def open_joystick(self, index: int) -> int | None:
        """SDL_Joystick* (reference counted by SDL), or None on failure."""
        return self._fn["SDL_JoystickOpen"](index) or None

    def close_joystick(self, joystick: int) -> None:
        self._fn["SDL_JoystickClose"](joystick)

    def open_controller(self, index: int) -> int | None:
        """SDL_GameController*, or None on failure."""
        return self._fn["SDL_GameControllerOpen"](index) or None

    def close_controller(self, controller: int) -> None:
        self._fn["SDL_GameControllerClose"](controller)

    def controller_joystick(self, controller: int) -> int:
        return int(self._fn["SDL_GameControllerGetJoystick"](controller))

    def instance_id(self, joystick: int) -> int:
        return int(self._fn["SDL_JoystickInstanceID"](joystick))

    def path(self, joystick: int) -> str | None:
        function = self._fn.get("SDL_JoystickPath")
        return None if function is None else _text(function(joystick))

    def update_joysticks(self) -> None:
        """Have SDL read every open joystick now (what a pump does), queueing its events."""
        self._fn["SDL_JoystickUpdate"]()

    def joystick_axis(self, joystick: int, axis: int) -> int:
        """An open joystick's axis as SDL last read it: raw -32768..32767."""
        return int(self._fn["SDL_JoystickGetAxis"](joystick, axis))

    def controller_axis(self, controller: int, axis: int) -> int:
        """An open game controller's axis by SDL's number (``axis_names`` order), raw."""
        return int(self._fn["SDL_GameControllerGetAxis"](controller, axis))

    def counts(self, joystick: int) -> tuple[int, int, int]:
        """(axes, buttons, hats) of an open joystick."""
        return (
            int(self._fn["SDL_JoystickNumAxes"](joystick)),
            int(self._fn["SDL_JoystickNumButtons"](joystick)),
            int(self._fn["SDL_JoystickNumHats"](joystick)),
        )

    # -- virtual joysticks (tests and benchmarks) ----------------------------------------------

    def attach_virtual(
        self,
        type: int,
        axes: int,
        buttons: int,
        hats: int,
        name: str | None = None,
        vendor_id: int = 0,
        product_id: int = 0,
    ) -> int:
        """Attach an SDL virtual joystick; returns its device index. It lives in this process."""
        attach_ex = self._fn.get("SDL_JoystickAttachVirtualEx")
        if name is not None and attach_ex is not None:
            desc = VirtualJoystickDesc(
                version=1,
                type=type,
                naxes=axes,
                nbuttons=buttons,
                nhats=hats,
                vendor_id=vendor_id,
                product_id=product_id,
                name=name.encode(),
            )
            index = int(attach_ex(ctypes.byref(desc)))
        else:
            index = int(self._fn["SDL_JoystickAttachVirtual"](type, axes, buttons, hats))
        if index < 0:
            raise PtzmapdError(f"cannot attach a virtual joystick: {self.error()}")
        return index

    def detach_virtual(self, index: int) -> None:
        if self._fn["SDL_JoystickDetachVirtual"](index) < 0:
            raise PtzmapdError(f"cannot detach virtual joystick {index}: {self.error()}")

    def set_virtual_axis(self, joystick: int, axis: int, value: int) -> None:
        self._check(self._fn["SDL_JoystickSetVirtualAxis"](joystick, axis, value))

    def set_virtual_button(self, joystick: int, button: int, pressed: bool) -> None:
        self._check(self._fn["SDL_JoystickSetVirtualButton"](joystick, button, int(pressed)))

    def set_virtual_hat(self, joystick: int, hat: int, value: int) -> None:
        self._check(self._fn["SDL_JoystickSetVirtualHat"](joystick, hat, value))

    def _check(self, result: int) -> None:
        if result < 0:
            raise PtzmapdError(f"SDL: {self.error()}")


def library_path() -> str:
    """Where pygame's SDL2 is: the wheel's bundled copy first, else the system's libSDL2.

    A distro pygame (Raspberry Pi OS's python3-pygame) links the system libSDL2, which
    ``find_library`` returns, so the shared-instance rule holds there too.
    """
    candidates: list[str] = []
    spec = importlib.util.find_spec("pygame")
    for package_dir in (spec.submodule_search_locations or []) if spec else []:
        site = os.path.dirname(package_dir)
        candidates += sorted(glob.glob(os.path.join(site, "pygame.libs", "libSDL2-*.so*")))  # Linux
        candidates += sorted(glob.glob(os.path.join(package_dir, ".dylibs", "libSDL2-*.dylib")))  # macOS
        candidates += sorted(glob.glob(os.path.join(package_dir, "SDL2.dll")))  # Windows
    if candidates:
        return candidates[0]
    system = ctypes.util.find_library("SDL2")
    if system:
        return system
    raise PtzmapdError(
        "gamepad and joystick inputs need SDL2: install pygame (pip install pygame) "
        "or the system's libSDL2"
    )


_lock = threading.Lock()
_loaded: Sdl | None = None


def load() -> Sdl:
    """Load SDL2 and bring up its joystick and game-controller subsystems, once per process.

    Thread-safe; later calls return the same object. Never initialises video or audio.
    """
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        # Headless: nothing here needs a display, but SDL picks a video driver whenever one is
        # initialised anywhere in the process (pygame in the same process, say); dummy never
        # needs X or Wayland.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        path = library_path()
        try:
            library = ctypes.CDLL(path)
        except OSError as exc:
            raise PtzmapdError(f"cannot load SDL2 from {path}: {exc}") from exc
        sdl = Sdl(library, path)
        if sdl.version < _MIN_VERSION:
            found = ".".join(map(str, sdl.version))
            raise PtzmapdError(f"SDL2 {found} at {path} is too old (need 2.0.18 or newer)")
        # Without this hint SDL replaces the default SIGTERM (and SIGINT) handler with one
        # that only queues an SDL_QUIT event: systemd's stop would be swallowed (seen here).
        sdl.set_hint("SDL_NO_SIGNAL_HANDLERS", "1")
        sdl.init_subsystems(INIT_JOYSTICK | INIT_GAMECONTROLLER)
        _loaded = sdl
        return sdl
