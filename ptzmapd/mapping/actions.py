"""One home per action: a table with one row per ``action:`` a binding can name.

A row says what the action is (:class:`Behaviour`), the binding keys of its own with their
ranges (:class:`Param`), the ``mode:`` words it takes, what one press sends to a camera
(``command``) or asks of the pipeline instead (``intent``), what it asks of a camera's
protocol (``asks``, the capabilities ``ptzmapd check`` tests) and which of its commands are
fixed by the config (``fixed``, checked against each camera's codec).

Read by: the config schema (the action-specific binding rows take their ranges and modes
from here), the mapper (:mod:`.bindings` compiles each binding from its row), ``ptzmapd send``
(one press of a button binding with the action, checked with the config's ranges) and
``ptzmapd check``'s capability messages. Adding an action is one row here, one member of
:class:`~ptzmapd.vocabulary.Action`, and the codec rows that encode its command.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Callable, Literal

from ptzmapd.commands import (
    AUTOFOCUS_MODES,
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.mapping.intents import Intent, Select, StopAll, SwitcherRequest, TourControl, TraceControl
from ptzmapd.vocabulary import (
    HOLD_MODES,
    LEVELS,
    MOTION_ACTIONS,
    NAMED_ACTIONS,
    PRESET_CLEAR,
    PRESET_SPEED,
    SWITCH_MODES,
    TOUR_MODES,
    TRACE_MODES,
    Action,
    Axis,
)

if TYPE_CHECKING:
    # Only a type here: the config's loader reads this table, so it cannot be imported first.
    from ptzmapd.config.model import BindingConfig


class Behaviour(StrEnum):
    """How a binding with the action acts on its control (which compiled binding runs it)."""

    #: A speed while the control is held or deflected (a relative encoder: a nudge per detent).
    MOTION = "motion"
    #: One command (or intent) per press; an on/off named action also toggles or is momentary.
    ONE_SHOT = "one-shot"
    #: A preset by number (a tap recalls, a hold stores), or a step of the preset cursor.
    PRESET = "preset"
    #: On the surface itself: held or toggled on (a layer, fine control).
    SURFACE = "surface"


#: What ``ptzmapd send``'s VALUE argument is for an action: a speed -1..1, a preset number,
#: one of the row's modes, raw text in the camera's own kind, or nothing (stop, home).
Argument = Literal["speed", "preset", "mode", "raw", ""]


@dataclass(frozen=True, slots=True)
class Param:
    """A number key of an action, as ``ptzmapd check`` and ``ptzmapd send`` both take it:
    ``low..high`` (``low < x <= high`` with ``above_low``), whole numbers with ``integer``."""

    key: str
    low: float
    high: float
    default: float | None = None
    above_low: bool = False
    integer: bool = False
    #: The key applies only to some bindings with the action (a preset named by number, a
    #: motion on a button, a direct mode): config/tables.py writes its row's conditions.
    #: Otherwise the key applies wherever the action does, and its row is made from here.
    conditional: bool = False

    @property
    def words(self) -> str:
        """The range as the messages say it: ``0.05..10``."""
        return f"more than {self.low:g}, at most {self.high:g}" if self.above_low else f"{self.low:g}..{self.high:g}"


#: (binding key to blame, capability action, mode): one thing a binding asks of a camera.
Ask = tuple[str, str, str | None]


def _ask_action(binding: BindingConfig) -> list[Ask]:
    return [("action", binding.action, None)]


def _no_asks(binding: BindingConfig) -> list[Ask]:
    return []


def _nothing_fixed(binding: BindingConfig) -> list[Command]:
    return []


def _needs_nothing(binding: BindingConfig, spell: Callable[[str], str]) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class ActionRow:
    """Everything about one action. The callables take the binding (a config's, or the
    button binding ``ptzmapd send`` is one press of) after the config checked its keys."""

    action: Action
    behaviour: Behaviour
    #: What one press sends to a camera, from the binding's values. None: not a camera command.
    command: Callable[[BindingConfig], Command] | None = None
    #: What one press asks of the pipeline instead of a command to its cameras (stop, select).
    intent: Callable[[BindingConfig], Intent] | None = None
    #: The action's own number keys and their ranges.
    params: tuple[Param, ...] = ()
    #: The ``mode:`` words of one press, and the one it has when none is written (None:
    #: required). An on/off named action also takes ``toggle`` and ``momentary``
    #: (:func:`~ptzmapd.vocabulary.switchable`), which a single press cannot be.
    modes: tuple[str, ...] = ()
    default_mode: str | None = None
    #: What a binding with it asks of its camera's protocol (``ptzmapd check`` tests them).
    asks: Callable[[BindingConfig], list[Ask]] = _ask_action
    #: Its commands whose values the config fixes, to check against each camera's codec.
    fixed: Callable[[BindingConfig], list[Command]] = _nothing_fixed
    #: What a binding with it lacks although each key is valid, or None; ``spell`` writes a
    #: key as the caller's user wrote it (``pan`` in a config, ``--pan`` on the command line).
    needs: Callable[[BindingConfig, Callable[[str], str]], str | None] = _needs_nothing
    #: What ``ptzmapd send``'s VALUE argument is (a speed, a preset number, a mode, raw text).
    argument: Argument = ""

    def param(self, key: str) -> Param:
        """The row's number key ``key``; LookupError when it has none (a caller's bug)."""
        for param in self.params:
            if param.key == key:
                return param
        raise LookupError(f"action {self.action!r} has no key {key!r}")


# ---------------------------------------------------------------------------- motion

#: The speed of a note or button held on a motion action (binding key ``value``), per
#: encoder detent too: -1..1 like every speed above the codec. 1.0 when not written.
SPEED = Param("value", -1, 1, conditional=True)

_MOTION_COMMANDS: dict[Action, Callable[[float], Command]] = {
    Action.PAN: lambda speed: PanTilt(speed, 0.0),
    Action.TILT: lambda speed: PanTilt(0.0, speed),
    Action.ZOOM: lambda speed: Zoom(speed),
    Action.FOCUS: lambda speed: Focus(speed),
}


def _motion(action: Action) -> ActionRow:
    encode = _MOTION_COMMANDS[action]
    return ActionRow(
        action, Behaviour.MOTION, command=lambda b: encode(1.0 if b.value is None else b.value),
        params=(SPEED,), argument="speed",
    )


# ---------------------------------------------------------------------------- presets

PRESET_NUMBER = Param("preset", 0, 127, integer=True, conditional=True)
#: The travel speed of a recall, a fraction of the camera's fastest (a camera's
#: ``preset_speed`` too): 0 would never arrive.
PRESET_TRAVEL = Param("speed", 0, 1, above_low=True, conditional=True)


def _preset_command(binding: BindingConfig) -> Command:
    number = binding.preset if binding.preset is not None else 0
    if binding.clear:
        return PresetClear(number)
    return PresetStore(number) if binding.store else PresetRecall(number, binding.speed)


def _preset_asks(binding: BindingConfig) -> list[Ask]:
    if binding.clear:
        return [("action", Action.PRESET, None), ("clear", PRESET_CLEAR, None)]
    if binding.speed is not None:
        return [("action", Action.PRESET, None), ("speed", PRESET_SPEED, None)]
    return _ask_action(binding)


def _preset_fixed(binding: BindingConfig) -> list[Command]:
    if binding.preset is not None:
        return [_preset_command(binding)]
    if binding.step is not None or binding.encoding is not None:
        return [PresetRecall(number, binding.speed) for number in binding.presets]
    return []


# ---------------------------------------------------------------------------- positions

#: The axis keys of move-to and jog (``--pan/--tilt/--zoom`` on the command line).
AXIS_KEYS: tuple[str, ...] = (Axis.PAN, Axis.TILT, Axis.ZOOM)
#: ``move-to``: degrees, zoom on the ISAPI document's 0..100 scale; None leaves the axis.
POSITION_PARAMS = (Param(Axis.PAN, 0, 360), Param(Axis.TILT, -90, 270), Param(Axis.ZOOM, 0, 100))
#: ``jog``: speeds -1..1 for ``duration`` seconds, timed by the camera (who stops it).
JOG_PARAMS = (*(Param(axis, -1, 1) for axis in AXIS_KEYS), Param("duration", 0.05, 10, default=0.5))


def _move_to(binding: BindingConfig) -> Command:
    return MoveTo(binding.pan, binding.tilt, binding.zoom)


def _jog(binding: BindingConfig) -> Command:
    return Jog(binding.pan or 0.0, binding.tilt or 0.0, binding.zoom or 0.0, binding.duration)


def _needs_position(binding: BindingConfig, spell: Callable[[str], str]) -> str | None:
    if any(axis is not None for axis in (binding.pan, binding.tilt, binding.zoom)):
        return None
    return f"{Action.MOVE_TO} needs at least one of {', '.join(spell(axis) for axis in AXIS_KEYS)}"


def _needs_speed(binding: BindingConfig, spell: Callable[[str], str]) -> str | None:
    if any((binding.pan, binding.tilt, binding.zoom)):
        return None
    pan, tilt, zoom = (spell(axis) for axis in AXIS_KEYS)
    return f"{Action.JOG} needs a nonzero speed for {pan}, {tilt} or {zoom}"


# ---------------------------------------------------------------------------- named actions

def _named(action: Action) -> ActionRow:
    name = str(action)  # a plain string in the command, as the config gives it
    levels = LEVELS.get(action)
    params = (Param("level", levels.start, levels.stop - 1, integer=True, conditional=True),) if levels is not None else ()
    return ActionRow(
        action, Behaviour.ONE_SHOT,
        command=lambda b: CameraAction(name, b.mode or "", b.level),
        params=params, modes=NAMED_ACTIONS[action], asks=_named_asks, argument="mode",
    )


def _named_asks(binding: BindingConfig) -> list[Ask]:
    action = binding.action
    if binding.mode in SWITCH_MODES:  # toggle/momentary send "on" and "off"
        return [("action", action, None), ("mode", action, "on"), ("mode", action, "off")]
    return [("action", action, None), ("mode", action, binding.mode)]


def _raw(binding: BindingConfig) -> Command:
    # The config's one_of rule gives a raw binding exactly one of visca/pelco/http.
    assert binding.raw is not None
    return RawCommand(binding.raw.text, binding.raw.kind)


def _raw_asks(binding: BindingConfig) -> list[Ask]:
    return [(binding.raw.kind, Action.RAW, binding.raw.kind)] if binding.raw is not None else []


# ---------------------------------------------------------------------------- the table

ROWS: tuple[ActionRow, ...] = (
    *(_motion(action) for action in MOTION_ACTIONS),
    ActionRow(Action.STOP, Behaviour.ONE_SHOT, command=lambda b: PanTilt(0.0, 0.0),
              intent=lambda b: StopAll(b.camera, b.group)),
    ActionRow(Action.HOME, Behaviour.ONE_SHOT, command=lambda b: Home()),
    ActionRow(Action.PRESET, Behaviour.PRESET, command=_preset_command,
              params=(PRESET_NUMBER, Param("step", -16, 16, integer=True, conditional=True),
                      Param("hold", 0.2, 10, conditional=True), PRESET_TRAVEL),
              asks=_preset_asks, fixed=_preset_fixed, argument="preset"),
    ActionRow(Action.SELECT, Behaviour.ONE_SHOT, intent=lambda b: Select(b.camera, b.carry, b.group), asks=_no_asks),
    # "toggle" by default: one button, pressed again, gives back manual focus. The mode is
    # one of AUTOFOCUS_MODES (the config's choice), which mypy cannot see through a str.
    ActionRow(Action.AUTOFOCUS, Behaviour.ONE_SHOT, command=lambda b: Autofocus(b.mode or "toggle"),  # type: ignore[arg-type]
              modes=AUTOFOCUS_MODES, default_mode="toggle", argument="mode"),
    ActionRow(Action.MOVE_TO, Behaviour.ONE_SHOT, command=_move_to, params=POSITION_PARAMS, needs=_needs_position,
              fixed=lambda b: [_move_to(b)] if any(axis is not None for axis in (b.pan, b.tilt, b.zoom)) else []),
    ActionRow(Action.JOG, Behaviour.ONE_SHOT, command=_jog, params=JOG_PARAMS, needs=_needs_speed,
              fixed=lambda b: [_jog(b)] if any((b.pan, b.tilt, b.zoom)) else []),
    # A tour's camera and presets are its tours: entry's, checked there (config/tours.py).
    ActionRow(Action.TOUR, Behaviour.ONE_SHOT, intent=lambda b: TourControl(b.tour or "", b.mode or "toggle"),
              modes=TOUR_MODES, default_mode="toggle", asks=_no_asks),
    ActionRow(Action.TRACE, Behaviour.ONE_SHOT,
              intent=lambda b: TraceControl(b.trace or "", b.mode or "", b.camera, b.loop, b.group),
              modes=TRACE_MODES, asks=_no_asks),
    *(_named(Action(name)) for name in NAMED_ACTIONS),
    ActionRow(Action.RAW, Behaviour.ONE_SHOT, command=_raw, asks=_raw_asks, argument="raw"),
    ActionRow(Action.LAYER, Behaviour.SURFACE, modes=HOLD_MODES, default_mode="hold", asks=_no_asks),
    ActionRow(Action.FINE, Behaviour.SURFACE, modes=HOLD_MODES, default_mode="hold", asks=_no_asks,
              params=(Param("factor", 0, 1, default=0.25, above_low=True),)),
    # The switcher's own actions ask nothing of a camera's protocol: ``check`` asks the
    # switcher's type instead (config.switchers).
    ActionRow(Action.SWITCHER_PREVIEW, Behaviour.ONE_SHOT, asks=_no_asks,
              intent=lambda b: SwitcherRequest(Action.SWITCHER_PREVIEW, b.camera, b.switcher, b.group)),
    ActionRow(Action.SWITCHER_CUT, Behaviour.ONE_SHOT, asks=_no_asks,
              intent=lambda b: SwitcherRequest(Action.SWITCHER_CUT, None, b.switcher)),
    ActionRow(Action.SWITCHER_AUTO, Behaviour.ONE_SHOT, asks=_no_asks,
              intent=lambda b: SwitcherRequest(Action.SWITCHER_AUTO, None, b.switcher)),
    # Held (by default) lifts the live lockout of every switcher with ``live:``.
    ActionRow(Action.LIVE_OVERRIDE, Behaviour.SURFACE, modes=HOLD_MODES, default_mode="hold", asks=_no_asks),
)

#: Each action's row.
ACTION_ROWS: dict[str, ActionRow] = {row.action: row for row in ROWS}
assert tuple(ACTION_ROWS) == tuple(Action), "one row per action, in the vocabulary's order"


def switched(binding: BindingConfig, on: bool) -> BindingConfig:
    """A toggle/momentary binding as the press that turns its function on (or off)."""
    return replace(binding, mode="on" if on else "off")


