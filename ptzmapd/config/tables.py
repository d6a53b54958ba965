"""The schemas: which keys a camera, an input, a binding, an ``include`` entry, a profile's LED
rule and the top level of a file may have, when each applies, and how each is checked.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Sequence

from ptzmapd.config.checks import (
    Boolean,
    Invalid,
    Check,
    Choice,
    Curve,
    DeviceMatch,
    Fingerprint,
    Flag,
    Globs,
    GroupName,
    Integer,
    Led,
    LedControls,
    Number,
    PresetRange,
    Ramps,
    RangeAtRest,
    Raw,
    Scope,
    Secret,
    Shape,
    Span,
    Text,
    show,
)
from ptzmapd.config.api import Listen
from ptzmapd.config.network import Networks, OscAddress
from ptzmapd.config.schema import Field, Schema, When, unless, when
from ptzmapd.config.yamlmarks import MappingNode, Node, ScalarNode, SequenceNode
from ptzmapd.inputs.controls import GAMEPAD_AXES, GAMEPAD_BUTTONS, GAMEPAD_TRIGGERS, HAT_DIRECTIONS
from ptzmapd.mapping.actions import ACTION_ROWS, SPEED, Param
from ptzmapd.mapping.midi_values import ENCODINGS
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.spec import KEY, ChoiceKey, FlagKey, IntegerKey, TextKey
from ptzmapd.vocabulary import (
    DIRECT_MODE,
    LEVELS,
    MOTION_ACTIONS,
    NAMED_ACTIONS,
    PRESET_SPEED,
    RAW_KINDS,
    BUSES,
    SELECT_STEPS,
    SURFACE_ACTIONS,
    SWITCH_MODES,
    SWITCHER_ACTIONS,
    TARGETS,
    TRACE_MODES,
    Action,
    ControlKind,
    Target,
    switchable,
)


#: Transports whose cameras are reached by host and port.
NETWORK_TRANSPORTS = ("udp", "tcp")


def _top_speed(axis: str) -> Callable[[Scope], int | None]:
    """A bound read from the camera's protocol: its fastest speed on ``axis``."""

    def top(scope: Scope) -> int | None:
        name = scope.facts.get("protocol", "")
        return int(getattr(PROTOCOLS[name].limits, axis)) if name in PROTOCOLS else None

    return top


def _lowest_lens_speed(scope: Scope) -> int | None:
    """A lens's slowest speed: 0 where the protocol's speed 0 still moves (VISCA's 0-7),
    else 1 (ISAPI's 0 is a stop, Pelco's lens is on/off): a top of 0 there is a dead lens."""
    name = scope.facts.get("protocol", "")
    return (0 if PROTOCOLS[name].lens_speed_from_zero else 1) if name in PROTOCOLS else None


def _able(capability: str) -> When:
    """Applies to cameras whose protocol can ``capability`` (an axis, ``position``): a key
    that acts through it would be ignored by any other."""
    return when(protocol=[name for name in PROTOCOLS if capability in PROTOCOLS[name].capabilities])


def _protocol_rows(key: str | None = None) -> tuple[Field, ...]:
    """Each protocol's own keys (the fields of its options dataclass, :mod:`ptzmapd.protocols.spec`)
    as rows that apply to the protocols that have them; a field without a default is required.
    With ``key``: the pacing key of that name, for the protocols whose spec lets a camera set it."""
    protocols: dict[tuple[str, object, bool], list[str]] = {}
    for name in PROTOCOLS:
        spec = PROTOCOLS[name]
        if key is not None:
            if key in spec.pacing_keys:
                protocols.setdefault((key, None, False), []).append(name)
            continue
        for option in dataclasses.fields(spec.options):
            required = option.default is dataclasses.MISSING and option.default_factory is dataclasses.MISSING
            protocols.setdefault((option.name, option.metadata[KEY], required), []).append(name)
    rows = []
    for (name, described, required), names in protocols.items():
        check = _PACING_CHECKS[name] if key is not None else _check_of(name, described)
        rows.append(Field(name, check, required=when(protocol=names) if required else False,
                          applies=when(protocol=names)))
    return tuple(rows)


def _check_of(key: str, described: object) -> Check:
    if isinstance(described, IntegerKey):
        return Integer(described.low, described.high)
    if isinstance(described, ChoiceKey):
        return Choice(key, described.choices)
    if isinstance(described, FlagKey):
        return Boolean()
    if isinstance(described, TextKey):
        return Text()
    raise TypeError(f"option {key!r} has no config key check: {described!r}")


#: Pacing keys only some protocols take. Reply-less wiring: a lost stop is a runaway camera,
#: so stops are sent again, and a held motion is refreshed this often (seconds; 0 = never).
_PACING_CHECKS: dict[str, Check] = {"stop_repeats": Integer(0, 10), "refresh": Number(0, 10)}


@functools.cache
def camera_schema() -> Schema:
    """The camera schema. Built on first use: its protocol rows import every protocol's spec,
    and the protocol packages import the mapping vocabulary, whose modules import the config
    model."""
    return Schema((
        Field("protocol", Choice("protocol", tuple(PROTOCOLS)), required=True),
        Field("host", Text(), required=when(transport=NETWORK_TRANSPORTS), applies=when(transport=NETWORK_TRANSPORTS)),
        Field("port", Integer(1, 65535), applies=when(transport=NETWORK_TRANSPORTS)),
        # The protocol's own keys (VISCA's dialect and IP sequence switches, a bus address, an
        # ISAPI channel…): rows made from its options dataclass.
        *_protocol_rows(),
        # Seconds. Above 10 s a camera is no longer being controlled live.
        Field("min_interval", Number(0, 10, above_low=True)),
        Field("ack_timeout", Number(0, 10, above_low=True)),
        *_protocol_rows("stop_repeats"),
        *_protocol_rows("refresh"),
        Field("max_pan_speed", Integer(1, _top_speed("pan")), applies=_able("pan")),
        Field("max_tilt_speed", Integer(1, _top_speed("tilt")), applies=_able("tilt")),
        # Zoom and focus may start at 0 where that still moves (VISCA's slowest speed is 0).
        Field("max_zoom_speed", Integer(_lowest_lens_speed, _top_speed("zoom")), applies=_able("zoom")),
        Field("max_focus_speed", Integer(_lowest_lens_speed, _top_speed("focus")), applies=_able("focus")),
        # Seconds between position inquiries while the camera moves; 0 = never. A protocol
        # without position inquiries (Pelco, the CGI ones) has nothing to poll.
        Field("position_poll", Number(0, 60), applies=_able("position")),
        # Motion feel: ramps per axis, a soft release, steps that hold against a resting hand,
        # pan/tilt slowed as the lens zooms in, and a watchdog on endless moves.
        Field("ramps", Ramps()),
        Field("soft_stop", Boolean()),
        Field("hysteresis", Number(0, 0.5)),
        # The zoom curve and the lens estimate need a zoom; zoom_max scales reported positions.
        Field("zoom_speed_at_tele", Number(0, 1, above_low=True), applies=_able("zoom")),
        Field("zoom_curve", Number(0.2, 5), applies=_able("zoom")),
        Field("zoom_travel_time", Number(0, 60, above_low=True), applies=_able("zoom")),
        Field("zoom_max", Integer(1, 1 << 20), applies=_able("position")),
        Field("max_move", Number(0, 3600)),
        # The travel speed of a preset recall whose binding gives none (0..1 of the fastest):
        # only where the protocol can recall at a speed (Pelco cannot).
        Field("preset_speed", _number(ACTION_ROWS[Action.PRESET].param("speed")), applies=_able(PRESET_SPEED)),
        # -- serial cameras: a device path (/dev/ttyUSB0) or a pyserial URL (socket://host:port,
        # rfc2217://...). Every camera on one device shares it (daisy chain, RS-485 bus).
        Field("device", Text(), required=when(transport="serial"), applies=when(transport="serial")),
        Field("baud", Integer(300, 921600), applies=when(transport="serial")),
        # -- HTTP cameras. Passwords come from the environment or a file, never from logs.
        Field("url", Text(), required=when(transport="http"), applies=when(transport="http")),
        Field("username", Text(), applies=when(transport="http")),
        Field("password_env", Text(), applies=when(transport="http")),
        Field("password_file", Text(), applies=when(transport="http")),
        Field("password", Secret(), applies=when(transport="http")),  # accepted, with a warning
        Field("timeout", Number(0, 60, above_low=True), applies=when(transport="http")),
        # Pin a self-signed camera certificate (SHA-256, as `openssl x509 -fingerprint -sha256`
        # prints it) instead of turning verification off.
        Field("tls_fingerprint", Fingerprint(), applies=when(transport="http")),
    ))


#: Input types a config can name.
INPUT_TYPES: tuple[str, ...] = ("midi", "gamepad", "joystick", "osc")
SDL_TYPES = ("gamepad", "joystick")

INPUT = Schema(
    (
        Field("type", Choice("input type", INPUT_TYPES), required=True),
        # A glob over port names (and JACK port aliases), or globs in order of preference.
        Field("port", Globs(), applies=when(type="midi")),
        Field("virtual", Text(), applies=when(type="midi")),  # a port we create
        Field("api", Choice("api", ("alsa", "jack")), applies=when(type="midi")),
        Field("channel", Integer(1, 16), applies=when(type="midi")),
        # LEDs: the MIDI output port (a glob) that lights the surface, and its usual values.
        Field("feedback", Globs(), applies=when(type="midi")),
        Field("led_on", Integer(0, 127), applies=when(type="midi")),
        Field("led_off", Integer(0, 127), applies=when(type="midi")),
        # Which SDL device: its index, GUID or a name glob; absent = the first one.
        Field("match", DeviceMatch(), applies=when(type=SDL_TYPES)),
        # OSC: the UDP address to listen on, and the sender networks it obeys (required
        # beyond loopback: TouchOSC cannot send a token; see loader.input).
        Field("listen", Listen(), required=when(type="osc"), applies=when(type="osc")),
        Field("allow", Networks(), applies=when(type="osc")),
        # Seconds of silence after which what the input drives is stopped (for inputs that
        # stream continuously; a fader at rest is silent, so off by default).
        Field("deadman", Number(0, 60, above_low=True)),
        # Inputs of one group share one `selected` camera; each group has its own.
        Field("group", GroupName()),
    ),
    one_of=(("port", "virtual"),),
)

#: Binding targets besides camera names; so no camera may be called this.
#: The keys that name a binding's control; exactly one per binding. A flag control
#: (pitchbend, program) has no number.
CONTROL_KEYS: tuple[str, ...] = (
    "cc", "note", "pitchbend", "program", "cc14", "nrpn", "axis", "button", "hat", "address",
)
#: Controls with a travel that a deadzone and a curve can shape.
TRAVELLING = ("position", "stick", "trigger")


def used_as(control: str, number: object, has_encoding: bool, input_type: str | None) -> str:
    """The ``used_as`` fact of a binding: how its control drives a motion (:data:`USED_AS`)."""
    if control in (ControlKind.NOTE, ControlKind.BUTTON, ControlKind.HAT, ControlKind.PROGRAM):
        return "button"
    if control == ControlKind.CC and has_encoding:
        return "encoder"
    if control == ControlKind.AXIS and input_type == "gamepad":
        return "trigger" if number in GAMEPAD_TRIGGERS else "stick"
    return "position"


#: Named actions, and those of them with a direct mode (which takes ``level:``).
NAMED = tuple(NAMED_ACTIONS)
LEVELLED = tuple(LEVELS)


def _targets(targets: Sequence[Target], scope: Scope) -> tuple[Target, ...]:
    """``targets`` a binding may name here: the switcher's buses only where one is configured."""
    return tuple(target for target in targets if scope.switchers or target not in BUSES)


def _named_modes(scope: Scope) -> Sequence[str]:
    action = scope.facts.get("action", "")
    modes = NAMED_ACTIONS.get(action, ())
    return (*modes, *SWITCH_MODES) if switchable(action) else modes




def _level_bound(end: str) -> Callable[[Scope], int | None]:
    """The lowest or highest ``level`` of the binding's action (its row's ``level`` key)."""

    def bound(scope: Scope) -> int | None:
        action = scope.facts.get("action", "")
        if action not in LEVELS:
            return None
        level = ACTION_ROWS[action].param("level")
        return int(level.low if end == "low" else level.high)

    return bound


def _number(param: Param) -> Integer | Number:
    """The check of an action's number key: its row's range."""
    if param.integer:
        return Integer(int(param.low), int(param.high))
    return Number(param.low, param.high, above_low=param.above_low)


def _key(action: Action, key: str, **conditions: str | tuple[str, ...]) -> Field:
    """The row of ``action``'s own number key ``key`` (range and default from its action row),
    applying to bindings with the action and ``conditions``."""
    param = ACTION_ROWS[action].param(key)
    return Field(key, _number(param), applies=when(action=action, **conditions), default=param.default)


#: The rows of the number keys that apply whenever their action does (move-to's position,
#: jog's speeds and duration, fine's factor): made from the action rows alone.
ACTION_KEYS = tuple(
    _key(row.action, param.key) for row in ACTION_ROWS.values() for param in row.params if not param.conditional
)


def _mode(action: Action) -> Field:
    """The ``mode`` row of an action whose modes are fixed (not a named action's)."""
    row = ACTION_ROWS[action]
    return Field("mode", Choice("mode", row.modes), applies=when(action=action), default=row.default_mode)


@dataclasses.dataclass(frozen=True, slots=True)
class PlainName:
    """A name that is also a file name (a trace's): letters, digits, ``_`` and ``-``."""

    noun: str

    def __call__(self, node: Node, scope: Scope) -> str:
        value = Text()(node, scope)
        if not NAME.fullmatch(value):
            raise Invalid(f"{self.noun} name {value!r} may only use letters, digits, '_' and '-'")
        return value


@dataclasses.dataclass(frozen=True, slots=True)
class Repeat:
    """How a played trace repeats: ``loop: true`` (from its start again and again),
    ``false`` (once) or ``ping-pong`` (forwards, then backwards); the value is one of
    :data:`~ptzmapd.vocabulary.TRACE_REPEATS`."""

    def __call__(self, node: Node, scope: Scope) -> str:
        value = node.value if isinstance(node, ScalarNode) else None
        if isinstance(value, bool):
            return "loop" if value else "once"
        if value == "ping-pong":
            return "ping-pong"
        raise Invalid(f"expected true, false or 'ping-pong', got {show(node)}")


#: A binding's input, and an include entry's: one of the inputs defined in any file.
INPUT_NAME = Choice("input", lambda scope: scope.inputs)

BINDING = Schema(
    (
        Field("input", INPUT_NAME, required=True),
        Field("cc", Integer(0, 127), applies=when(input_type="midi")),
        Field("note", Integer(0, 127), applies=when(input_type="midi")),
        Field("pitchbend", Flag(), applies=when(input_type="midi")),
        # A program change is never released: on a motion action it would start a move that
        # nothing stops.
        Field("program", Flag(), applies=when(input_type="midi").but_not(action=MOTION_ACTIONS)),
        # A 14-bit controller: MSB on CC n (0..31), LSB on CC n+32.
        Field("cc14", Integer(0, 31), applies=when(input_type="midi")),
        Field("nrpn", Integer(0, 16383), applies=when(input_type="midi")),
        Field("channel", Integer(1, 16), applies=when(input_type="midi")),
        # Gamepads by SDL's names; joysticks by SDL's indexes.
        Field("axis", Choice("gamepad axis", GAMEPAD_AXES), applies=when(input_type="gamepad")),
        Field("button", Choice("gamepad button", GAMEPAD_BUTTONS), applies=when(input_type="gamepad")),
        Field("axis", Integer(0, 63), applies=when(input_type="joystick")),
        Field("button", Integer(0, 127), applies=when(input_type="joystick")),
        Field("hat", Integer(0, 15), applies=when(input_type="joystick")),
        # OSC: the address a sender sends (its first argument is the value; 0..1 faders).
        Field("address", OscAddress(), applies=when(input_type="osc")),
        # A hat used as a button; without it, a hat on pan/tilt moves at `value` speed. Any
        # other action needs it: a hat without a direction is never "pressed".
        Field("direction", Choice("direction", tuple(HAT_DIRECTIONS)), applies=when(control=ControlKind.HAT),
              required=when(control=ControlKind.HAT).but_not(action=MOTION_ACTIONS)),
        Field("layer", Text()),
        Field("action", Choice("action", tuple(Action)), required=True),
        # A recording captures one camera's moves; a tour has its camera in its tours: entry,
        # a trace plays on the camera it was recorded on.
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, Target.SELECTED), not_here=(Target.ALL,)),
              applies=when(action=Action.TRACE, mode="record"), default="selected"),
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, *_targets(TARGETS, scope)), not_here=BUSES),
              applies=unless(action=(Action.SELECT, Action.TOUR, Action.TRACE, *SURFACE_ACTIONS, *SWITCHER_ACTIONS)), default="selected"),
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, *_targets(SELECT_STEPS, scope)),
                               not_here=(Target.SELECTED, *BUSES)),
              required=when(action=Action.SELECT), applies=when(action=Action.SELECT)),
        Field("carry", Boolean(), applies=when(action=Action.SELECT), default=False),
        # The switcher's actions: the camera whose source goes to preview, and which switcher.
        Field("camera", Choice("camera", lambda scope: (*scope.cameras, Target.SELECTED)),
              applies=when(action=Action.SWITCHER_PREVIEW), default="selected"),
        Field("switcher", Choice("switcher", lambda scope: scope.switchers), applies=when(action=SWITCHER_ACTIONS)),
        # Its light shows whether its camera is on a switcher's program (or preview) bus.
        Field("led_shows", Choice("led_shows", BUSES), applies=when(input_type="midi")),
        # Motion shaping (pan/tilt/zoom/focus). A deadzone and a curve shape a control's
        # travel; a button or an encoder has none (it moves at `value`).
        Field("deadzone", Number(0, 0.9), applies=when(action=MOTION_ACTIONS, used_as=TRAVELLING)),
        Field("curve", Curve(), applies=when(action=MOTION_ACTIONS, used_as=TRAVELLING)),
        Field("invert", Boolean(), applies=when(action=MOTION_ACTIONS), default=False),
        Field("scale", Number(0, 1, above_low=True), applies=when(action=MOTION_ACTIONS), default=1.0),
        Field("velocity", Boolean(), applies=when(action=MOTION_ACTIONS, control=ControlKind.NOTE), default=False),
        Field("encoding", Choice("encoding", ENCODINGS),
              applies=when(action=(*MOTION_ACTIONS, Action.PRESET), control=ControlKind.CC)),
        # Surface actions: a shift layer, the fine-control modifier.
        *(_mode(action) for action in SURFACE_ACTIONS),
        Field("led", Led(), applies=when(input_type="midi")),
        # A program change may stand for the preset of the same number; a step binding (or a
        # relative encoder) walks through `presets` instead of naming one.
        # store/clear/hold act on the one preset a binding names; a program change is never
        # released, so it cannot tell a tap from a hold.
        Field("preset", _number(ACTION_ROWS[Action.PRESET].param("preset")),
              applies=when(action=Action.PRESET, preset_by="number"),
              required=when(action=Action.PRESET).but_not(control=ControlKind.PROGRAM, preset_by=("step", "encoder"))),
        Field("store", Boolean(), applies=when(action=Action.PRESET, preset_by="number"), default=False),
        Field("clear", Boolean(), applies=when(action=Action.PRESET, preset_by="number"), default=False),
        Field("hold", _number(ACTION_ROWS[Action.PRESET].param("hold")),
              applies=when(action=Action.PRESET, preset_by="number").but_not(control=ControlKind.PROGRAM)),
        # The travel speed of a recall (0..1 of the camera's fastest); a store or a clear
        # does not travel.
        _key(Action.PRESET, "speed", preset_does="recall"),
        _key(Action.PRESET, "step", preset_by="step"),
        Field("presets", PresetRange(), applies=when(action=Action.PRESET, preset_by=("step", "encoder"))),
        # Each action's own number keys that apply wherever it does (move-to's position, jog's
        # speeds and duration, fine's factor): their ranges and defaults are the action rows'.
        *ACTION_KEYS,
        # Speed while a note/button is held, or per encoder detent: -1..1 like every speed
        # above the codec. A fader or stick gives its own speed (shaped by `scale`).
        Field(SPEED.key, _number(SPEED), applies=when(action=MOTION_ACTIONS, used_as=("button", "encoder"))),
        # unipolar: the whole travel is 0..1 (a throttle, a fader with its stop at the bottom).
        Field("range", Choice("range", ("bipolar", "unipolar")), applies=when(action=MOTION_ACTIONS, used_as="position"),
              default="bipolar"),
        # A gamepad's sticks and triggers spring back when let go: their range is the one in
        # which that rest means stop (absent on a trigger: unipolar, mapping.bindings).
        Field("range", RangeAtRest("bipolar", "a gamepad stick springs back to its middle"),
              applies=when(action=MOTION_ACTIONS, used_as="stick"), default="bipolar"),
        Field("range", RangeAtRest("unipolar", "a gamepad trigger springs back to its end"),
              applies=when(action=MOTION_ACTIONS, used_as="trigger")),
        # "toggle" by default: one button, pressed again, gives back manual focus.
        _mode(Action.AUTOFOCUS),
        # A named action does one thing per press: which one is not guessed. On/off actions
        # also take `toggle` (alternate) and `momentary` (on while held).
        Field("mode", Choice("mode", _named_modes), required=when(action=NAMED), applies=when(action=NAMED)),
        Field("level", Integer(_level_bound("low"), _level_bound("high")),
              required=when(action=LEVELLED, mode=DIRECT_MODE), applies=when(action=LEVELLED, mode=DIRECT_MODE)),
        # Tours and traces: which one (a tour of the tours: section, checked there; a trace is
        # a file name), what a press does, and how a played trace repeats.
        Field("tour", Text(), required=when(action=Action.TOUR), applies=when(action=Action.TOUR)),
        _mode(Action.TOUR),
        Field("trace", PlainName("trace"), required=when(action=Action.TRACE), applies=when(action=Action.TRACE)),
        Field("mode", Choice("mode", TRACE_MODES), required=when(action=Action.TRACE), applies=when(action=Action.TRACE)),
        Field("loop", Repeat(), applies=when(action=Action.TRACE, mode="play"), default="once"),
        # The raw action: exactly one of visca/pelco/http, written for the target's protocol.
        *(Field(kind, Raw(kind), applies=when(action=Action.RAW)) for kind in RAW_KINDS),
    ),
    one_of=(CONTROL_KEYS, RAW_KINDS),
)

INCLUDE_ENTRY = Schema((
    Field("file", Text(), required=True),
    # Checked against the known inputs once every file is read (it may name one defined
    # in the included file itself).
    Field("input", Text()),
))

#: One rule of a profile's ``leds:`` (:mod:`ptzmapd.config.led_rules`): what the device lights.
LED_RULE = Schema(
    (
        Field("note", Span(0, 127)),
        Field("cc", Span(0, 127)),
        Field("channel", Integer(1, 16), required=True),
        Field("channels", Span(1, 16)),
        Field("on", Integer(0, 127), required=True),
        Field("off", Integer(0, 127), required=True),
        Field("blink", Integer(0, 127)),
        Field("values", Span(0, 127)),
        Field("controls", LedControls()),
    ),
    one_of=(("note", "cc"),),
)

TOP = Schema((
    Field("cameras", Shape(MappingNode)),
    Field("inputs", Shape(MappingNode)),
    Field("bindings", Shape(SequenceNode)),
    Field("include", Shape(SequenceNode)),
    # A profile's device: the LED messages it obeys (for the input its include entry names).
    Field("leds", Shape(SequenceNode)),
    # The network API's listeners (config.api); only in the main config file.
    Field("api", Shape(MappingNode)),
    # Vision mixers and tally feeds (config.switchers).
    Field("switchers", Shape(MappingNode)),
    # The MQTT broker for state and commands (config.mqtt); only in the main config file.
    Field("mqtt", Shape(MappingNode)),
    # Tours (config/tours.py) and where traces are kept.
    Field("tours", Shape(MappingNode)),
    Field("state_dir", Text()),
))

#: Camera and input names appear in paths, logs and targets: keep them plain.
NAME = re.compile(r"[A-Za-z0-9_-]+")

