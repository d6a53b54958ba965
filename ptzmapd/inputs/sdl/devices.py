"""Which SDL devices there are, and which one an input takes (``match:``).

``match:`` absent, the first device (for ``gamepad``, the first SDL recognises as a game
controller); an integer, SDL's device index as ``ptzmapd devices`` lists it; 32 hex digits,
the device GUID; any other string, a case-insensitive glob on the device name (``"*xbox*"``).
Also :func:`device_fds`: the descriptors SDL reads a device through, which the pump waits on.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass

from ptzmapd.inputs.sdl import library as sdl_library

_GUID = re.compile(r"[0-9a-fA-F]{32}")


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
        # The config's own check refuses these: a caller building its own InputConfig is wrong.
        raise ValueError(f"{where}: expected a device name glob, a 32-digit GUID or a device index (got {value!r})")

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
