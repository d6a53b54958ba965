"""The words every layer shares: actions, control kinds, motion axes, press modes, and the
capabilities a protocol lists. The bottom layer: it imports nothing of ptzmapd.

Each name is a :class:`~enum.StrEnum` whose values are the words written in a config file
(``action: move-to``, ``mode: toggle``): a member *is* that string (it compares, hashes,
formats and reprs as it), so mypy checks the names while the YAML spellings stay as they are.

A protocol's *capabilities* (``PROTOCOLS[name].capabilities``) are strings of this
vocabulary: an action name (``pan``, ``preset``, ``tally``), ``"<named action> <mode>"`` for
each mode of a named action it can do (``iris up``; a named action listed without any mode
entry has every mode), and ``"raw <kind>"`` for the raw kind it takes (``raw visca``). Build
them with :func:`named_capabilities` and :func:`raw_capability`; ask them with :func:`can`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum


class Word(StrEnum):
    """A word of the config language. Its repr is the word's own (``'pan'``): messages quote
    values with ``!r``, and a member must read there as the user wrote it."""

    def __repr__(self) -> str:
        return repr(self.value)


class Axis(Word):
    """A motion axis: what ``action: pan`` (…) drives and a :class:`Move` intent names."""

    PAN = "pan"
    TILT = "tilt"
    ZOOM = "zoom"
    FOCUS = "focus"


class ControlKind(Word):
    """What kind of control an event comes from (``ControlEvent.kind``) and a binding names."""

    CC = "cc"
    NOTE = "note"
    PITCHBEND = "pitchbend"
    PROGRAM = "program"
    #: Assembled from two CCs (MSB on n, LSB on n+32) by the MIDI assembler.
    CC14 = "cc14"
    NRPN = "nrpn"
    AXIS = "axis"
    BUTTON = "button"
    HAT = "hat"
    #: An OSC address (``/1/fader1``): its first argument as the value.
    ADDRESS = "address"


class Action(Word):
    """Every ``action:`` a binding can name, in the order messages list them."""

    # Motion: a speed while the control is held or deflected (the :class:`Axis` names).
    PAN = "pan"
    TILT = "tilt"
    ZOOM = "zoom"
    FOCUS = "focus"
    # Once per press.
    STOP = "stop"
    HOME = "home"
    PRESET = "preset"
    SELECT = "select"
    AUTOFOCUS = "autofocus"
    MOVE_TO = "move-to"
    JOG = "jog"
    # Programs the daemon runs on one camera: a tour of presets, a recorded move (a trace).
    TOUR = "tour"
    TRACE = "trace"
    # Named camera functions (:data:`NAMED_ACTIONS` gives their modes).
    POWER = "power"
    FOCUS_MODE = "focus-mode"
    FOCUS_LOCK = "focus-lock"
    WHITE_BALANCE = "white-balance"
    WHITE_BALANCE_TRIGGER = "white-balance-trigger"
    EXPOSURE = "exposure"
    IRIS = "iris"
    SHUTTER = "shutter"
    GAIN = "gain"
    BRIGHT = "bright"
    BACKLIGHT = "backlight"
    FLIP = "flip"
    TALLY = "tally"
    MENU = "menu"
    SAVE_SETTINGS = "save-settings"
    LIGHT = "light"
    WIPER = "wiper"
    AUTO_TRACKING = "auto-tracking"
    SWING = "swing"
    # Protocol bytes or an HTTP request written in the config.
    RAW = "raw"
    # On the surface itself, not on a camera: a shift layer, the fine-control modifier.
    LAYER = "layer"
    FINE = "fine"
    # The vision mixer (``switchers:``): put a camera's source on preview, take preview to
    # air (cut, or the mixer's transition), and, held, lift the live lockout.
    SWITCHER_PREVIEW = "switcher-preview"
    SWITCHER_CUT = "switcher-cut"
    SWITCHER_AUTO = "switcher-auto"
    LIVE_OVERRIDE = "live-override"


class Target(Word):
    """What a binding's ``camera:`` can name besides a camera: the selected camera(s), every
    camera, the camera(s) a switcher has on preview or on program (``switchers:``), and
    (``action: select`` only) the next or previous camera in the file's order."""

    SELECTED = "selected"
    ALL = "all"
    NEXT = "next"
    PREVIOUS = "previous"
    PREVIEW = "preview"
    PROGRAM = "program"


#: The selection group of an input that names none: every such input shares one ``selected``
#: camera (an input's ``group:`` gives it a selection of its own; the remote API uses this one).
DEFAULT_GROUP = "default"

#: Targets of every camera action.
TARGETS: tuple[Target, ...] = (Target.SELECTED, Target.ALL, Target.PREVIEW, Target.PROGRAM)
#: The switcher's buses a target (and ``follow:``) can name.
BUSES: tuple[Target, ...] = (Target.PREVIEW, Target.PROGRAM)
#: ``select`` targets besides camera names: step through the cameras, drive them all, or
#: select the camera a switcher has on preview (program).
SELECT_STEPS: tuple[Target, ...] = (Target.NEXT, Target.PREVIOUS, Target.ALL, Target.PREVIEW, Target.PROGRAM)


class PressMode(Word):
    """How a button drives something with two states (a layer, fine control, an on/off
    camera function): active while held, flipped by each press, or on while held and off on
    release. ``hold`` is the surface actions' word for what ``momentary`` is to a camera's."""

    HOLD = "hold"
    TOGGLE = "toggle"
    MOMENTARY = "momentary"


#: Actions that set a speed while the control is held or deflected.
MOTION_ACTIONS: tuple[Action, ...] = (Action.PAN, Action.TILT, Action.ZOOM, Action.FOCUS)
#: Actions on the surface itself, not on a camera.
SURFACE_ACTIONS: tuple[Action, ...] = (Action.LAYER, Action.FINE, Action.LIVE_OVERRIDE)
#: Actions that drive a switcher (its type must be able to: a TSL feed cannot).
SWITCHER_ACTIONS: tuple[Action, ...] = (Action.SWITCHER_PREVIEW, Action.SWITCHER_CUT, Action.SWITCHER_AUTO)
#: Switcher actions on the whole mixer, not on one camera's source.
MIXER_ACTIONS: tuple[Action, ...] = (Action.SWITCHER_CUT, Action.SWITCHER_AUTO)
#: How a layer or fine button behaves.
HOLD_MODES: tuple[PressMode, ...] = (PressMode.HOLD, PressMode.TOGGLE)
#: Extra modes of a named action that has both "on" and "off" (:func:`switchable`).
SWITCH_MODES: tuple[PressMode, ...] = (PressMode.TOGGLE, PressMode.MOMENTARY)

#: ``action: tour``: start it, stop it, or start it when it is stopped and stop it when it runs.
TOUR_MODES: tuple[str, ...] = ("start", "stop", "toggle")
#: ``action: trace``: ``record`` starts a recording and, pressed again, ends it; ``play`` plays
#: the trace and, pressed again, stops it; ``stop`` ends either.
TRACE_MODES: tuple[str, ...] = ("record", "play", "stop")
#: How a trace's ``play`` repeats (binding key ``loop``: false, true or ``ping-pong``): once,
#: from its start again and again, or forwards then backwards.
TRACE_REPEATS: tuple[str, ...] = ("once", "loop", "ping-pong")

#: The capability of clearing a stored preset (``action: preset`` with ``clear: true``):
#: not every protocol that recalls and stores presets can forget one.
PRESET_CLEAR = "preset clear"
#: The capability of recalling a preset at a given travel speed (``speed:`` on a preset
#: binding, a camera's ``preset_speed``): a protocol that lists it honours
#: ``PresetRecall.speed``, in the recall itself or with a setting sent before it.
PRESET_SPEED = "preset speed"

#: The capability of lighting a camera's tally lamps from a switcher
#: (:class:`~ptzmapd.commands.TallyLamp`; the camera's ``tally:`` names its dialect).
TALLY_LAMP = "tally-lamp"

#: Named camera functions (:class:`~ptzmapd.commands.CameraAction`) and their modes. A
#: ``direct`` mode takes a ``level:`` number (see :data:`LEVELS`). Where two protocols have
#: the same function (VISCA iris and Pelco iris, ISAPI one-push focus), the same name works
#: on both, each with the modes its protocol has.
NAMED_ACTIONS: dict[str, tuple[str, ...]] = {
    Action.POWER: ("on", "off"),
    Action.FOCUS_MODE: ("auto", "manual", "toggle"),
    Action.FOCUS_LOCK: ("on", "off"),
    # "color-temperature" is the PTZOptics table's CAM_WB ColorTemperature mode (04 35 20).
    Action.WHITE_BALANCE: ("auto", "indoor", "outdoor", "one-push", "manual", "color-temperature"),
    Action.WHITE_BALANCE_TRIGGER: ("one-push",),
    Action.EXPOSURE: ("auto", "manual", "shutter-priority", "iris-priority", "bright"),
    # up/down/reset/direct are VISCA's steps; open/close are Pelco's iris bits.
    Action.IRIS: ("up", "down", "reset", "direct", "open", "close"),
    Action.SHUTTER: ("up", "down", "reset", "direct"),
    Action.GAIN: ("up", "down", "reset", "direct"),
    Action.BRIGHT: ("up", "down", "reset", "direct"),
    Action.BACKLIGHT: ("on", "off"),
    # "both" turns the picture 180 degrees: what a ceiling-mounted camera needs.
    Action.FLIP: ("off", "horizontal", "vertical", "both"),
    Action.TALLY: ("on", "off", "flash"),
    Action.MENU: ("open", "close", "up", "down", "left", "right", "enter", "back"),
    Action.SAVE_SETTINGS: ("save",),
    Action.LIGHT: ("on", "off"),
    Action.WIPER: ("on", "off"),
    Action.AUTO_TRACKING: ("on", "off"),
    Action.SWING: ("on", "off"),
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

#: What a raw action is written in, each the binding key that holds it (``visca: "81 01 …"``).
RAW_KINDS: tuple[str, ...] = ("visca", "pelco", "http")


def switchable(action: str) -> bool:
    """Whether a named action has both "on" and "off" (and so also ``toggle``/``momentary``)."""
    modes = NAMED_ACTIONS.get(action, ())
    return "on" in modes and "off" in modes


def named_capabilities(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Capabilities for the (named action, mode) pairs a codec encodes: each name, and
    ``"name mode"`` for each pair, so that a check can tell ``iris`` from ``iris direct``."""
    capabilities: set[str] = set()
    for name, mode in pairs:
        capabilities |= {name, f"{name} {mode}"}
    return frozenset(capabilities)


def raw_capability(kind: str) -> str:
    """The capability of a protocol whose codec takes raw commands written as ``kind``."""
    return f"{Action.RAW} {kind}"


def can(capabilities: Collection[str], action: str, mode: str | None = None) -> bool:
    """Whether a protocol with ``capabilities`` can do ``action`` (in ``mode``).

    For ``raw`` the mode is the raw kind, and ``raw <kind>`` must be listed. For a named
    action, a protocol that lists the name without any ``name <mode>`` entry has every mode.
    """
    if action == Action.RAW:
        return mode is not None and raw_capability(mode) in capabilities
    if action not in capabilities:
        return False
    if mode is None or action not in NAMED_ACTIONS:
        return True
    listed = [entry for entry in capabilities if entry.startswith(action + " ")]
    return not listed or f"{action} {mode}" in capabilities


def modes_of(capabilities: Collection[str], action: str) -> tuple[str, ...]:
    """The modes of a named action (the kinds of ``raw``) a protocol can do, in table order."""
    modes = RAW_KINDS if action == Action.RAW else NAMED_ACTIONS.get(action, ())
    return tuple(mode for mode in modes if can(capabilities, action, mode))
