"""The action names a binding can use: one table, read by the config validator, the mapper,
``ptzmapd send`` and each protocol's capabilities.

A protocol's *capabilities* (``PROTOCOLS[name].capabilities``) are strings of this
vocabulary: an action name (``pan``, ``preset``, ``tally``), ``"<named action> <mode>"`` for
each mode of a named action it can do (``iris up``; a named action listed without any mode
entry has every mode), and ``"raw <kind>"`` for the raw kind it takes (``raw visca``). Build
them with :func:`named_capabilities` and :func:`raw_capability`; ask them with :func:`can`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

#: Actions that set a speed while the control is held or deflected.
MOTION_ACTIONS: tuple[str, ...] = ("pan", "tilt", "zoom", "focus")
#: Actions that fire once per press.
DISCRETE_ACTIONS: tuple[str, ...] = ("stop", "home", "preset", "select", "autofocus", "move-to", "jog")
#: The capability of clearing a stored preset (``action: preset`` with ``clear: true``):
#: not every protocol that recalls and stores presets can forget one.
PRESET_CLEAR = "preset clear"

#: Named camera functions (:class:`~ptzmapd.commands.CameraAction`) and their modes. A
#: ``direct`` mode takes a ``level:`` number (see :data:`LEVELS`). Where two protocols have
#: the same function (VISCA iris and Pelco iris, ISAPI one-push focus), the same name works
#: on both, each with the modes its protocol has.
NAMED_ACTIONS: dict[str, tuple[str, ...]] = {
    "power": ("on", "off"),
    "focus-mode": ("auto", "manual", "toggle"),
    "focus-lock": ("on", "off"),
    # "color-temperature" is the PTZOptics table's CAM_WB ColorTemperature mode (04 35 20).
    "white-balance": ("auto", "indoor", "outdoor", "one-push", "manual", "color-temperature"),
    "white-balance-trigger": ("one-push",),
    "exposure": ("auto", "manual", "shutter-priority", "iris-priority", "bright"),
    # up/down/reset/direct are VISCA's steps; open/close are Pelco's iris bits.
    "iris": ("up", "down", "reset", "direct", "open", "close"),
    "shutter": ("up", "down", "reset", "direct"),
    "gain": ("up", "down", "reset", "direct"),
    "bright": ("up", "down", "reset", "direct"),
    "backlight": ("on", "off"),
    # "both" turns the picture 180 degrees: what a ceiling-mounted camera needs.
    "flip": ("off", "horizontal", "vertical", "both"),
    "tally": ("on", "off", "flash"),
    "menu": ("open", "close", "up", "down", "left", "right", "enter", "back"),
    "save-settings": ("save",),
    "light": ("on", "off"),
    "wiper": ("on", "off"),
    "auto-tracking": ("on", "off"),
    "swing": ("on", "off"),
}

#: The mode of a named action that carries a ``level:`` number.
DIRECT_MODE = "direct"

#: ``level:`` numbers of each action with a direct mode. VISCA carries the level as two
#: nibble bytes ``0p 0q`` (``8x 01 04 4B 00 00 0p 0q FF``); the spec tables give no narrower
#: range, so this is what the frame can hold. A camera refuses a level beyond its own range
#: with a syntax error, which the controller logs.
LEVELS: dict[str, range] = {
    name: range(0, 0x100) for name, modes in NAMED_ACTIONS.items() if DIRECT_MODE in modes
}

#: The raw action: protocol bytes or an HTTP request written in the config.
RAW_ACTION = "raw"
#: What a raw action is written in, each the binding key that holds it (``visca: "81 01 …"``).
RAW_KINDS: tuple[str, ...] = ("visca", "pelco", "http")

#: Actions on the surface itself, not on a camera: a shift layer, the fine-control modifier.
SURFACE_ACTIONS: tuple[str, ...] = ("layer", "fine")
#: How a layer or fine button behaves: active while held, or flipped by each press.
HOLD_MODES: tuple[str, ...] = ("hold", "toggle")
#: Extra modes of a named action that has both "on" and "off": alternate them press by press
#: (``toggle``), or "on" while held and "off" on release (``momentary``).
SWITCH_MODES: tuple[str, ...] = ("toggle", "momentary")


def switchable(action: str) -> bool:
    modes = NAMED_ACTIONS.get(action, ())
    return "on" in modes and "off" in modes


ACTIONS: tuple[str, ...] = (
    MOTION_ACTIONS + DISCRETE_ACTIONS + tuple(NAMED_ACTIONS) + (RAW_ACTION,) + SURFACE_ACTIONS
)


def named_capabilities(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Capabilities for the (named action, mode) pairs a codec encodes: each name, and
    ``"name mode"`` for each pair, so that a check can tell ``iris`` from ``iris direct``."""
    capabilities: set[str] = set()
    for name, mode in pairs:
        capabilities |= {name, f"{name} {mode}"}
    return frozenset(capabilities)


def raw_capability(kind: str) -> str:
    """The capability of a protocol whose codec takes raw commands written as ``kind``."""
    return f"{RAW_ACTION} {kind}"


def can(capabilities: Collection[str], action: str, mode: str | None = None) -> bool:
    """Whether a protocol with ``capabilities`` can do ``action`` (in ``mode``).

    For ``raw`` the mode is the raw kind, and ``raw <kind>`` must be listed. For a named
    action, a protocol that lists the name without any ``name <mode>`` entry has every mode.
    """
    if action == RAW_ACTION:
        return mode is not None and raw_capability(mode) in capabilities
    if action not in capabilities:
        return False
    if mode is None or action not in NAMED_ACTIONS:
        return True
    listed = [entry for entry in capabilities if entry.startswith(action + " ")]
    return not listed or f"{action} {mode}" in capabilities


def modes_of(capabilities: Collection[str], action: str) -> tuple[str, ...]:
    """The modes of a named action (the kinds of ``raw``) a protocol can do, in table order."""
    modes = RAW_KINDS if action == RAW_ACTION else NAMED_ACTIONS.get(action, ())
    return tuple(mode for mode in modes if can(capabilities, action, mode))
