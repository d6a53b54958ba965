"""Typed, validated configuration: what the rest of ptzmapd reads (never raw YAML).

Every object keeps the :class:`Mark` of the YAML node it came from so later checks
(capabilities, duplicate bindings) can still point at ``FILE:LINE:COL``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ptzmapd.vocabulary import Action, ControlKind


@dataclass(frozen=True, slots=True)
class Mark:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class CameraConfig:
    name: str
    protocol: str
    mark: Mark
    host: str | None = None
    port: int | None = None
    #: VISCA over IP (ERRATA quirks; protocols.visca_ip.SEQUENCE_MODES): "on" (Sony header,
    #: sequence number counted from 1 after a RESET), "fixed" (header, every message numbered
    #: 1, replies paired by order) or "none" (no header: bare VISCA frames).
    sequence: str = "on"
    #: Minimum seconds between two commands to this camera; None = protocol default.
    min_interval: float | None = None
    #: Seconds to wait for an ACK before retransmitting; None = protocol default.
    ack_timeout: float | None = None
    #: Fastest protocol speed a full deflection gives; None = the protocol's top.
    max_pan_speed: int | None = None
    max_tilt_speed: int | None = None
    max_zoom_speed: int | None = None
    max_focus_speed: int | None = None
    #: Protocol-specific settings (serial device, address, credentials...), already validated.
    #: Left out of repr: a plain ``password:`` lives here and a repr can end up in a log.
    options: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class InputConfig:
    name: str
    type: str  # "midi" (later: "gamepad", "joystick")
    mark: Mark
    #: MIDI: glob matched against port names and JACK aliases (e.g. "*nanoKONTROL2*"), or
    #: several globs in order of preference (midi_ports.matching_ports).
    port: str | tuple[str, ...] | None = None
    #: MIDI: create a virtual port of this name that other programs connect to.
    virtual: str | None = None
    #: MIDI: rtmidi API, "alsa" or "jack"; None = MIDO_BACKEND or the platform default.
    api: str | None = None
    #: MIDI channel filter 1..16; None = any channel.
    channel: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawText:
    """A raw action as written: ``kind`` is its binding key (``visca``, ``pelco``, ``http``),
    ``text`` the hex bytes or the HTTP request, already validated for that kind."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class BindingConfig:
    input: str
    #: "cc", "note", "pitchbend", "program", "cc14", "nrpn" (MIDI); "axis", "button", "hat".
    control: ControlKind
    #: CC/note number; None for pitchbend/program.
    number: int | str | None
    action: Action
    mark: Mark
    #: Camera name, "selected" or "all" (``select`` also: "next", "previous").
    camera: str = "selected"
    channel: int | None = None
    preset: int | None = None
    store: bool = False
    #: Motion speed for a note/button on a motion action (default 1.0 = full speed).
    value: float | None = None
    #: A fader, stick or trigger on a motion action: "bipolar" (its middle is the stop) or
    #: "unipolar" (its whole travel is 0..1). None: the control's own (a gamepad trigger,
    #: resting at one end, is unipolar; everything else bipolar).
    range: str | None = None
    #: autofocus: "on", "off", "toggle", "one-push"; a named action: one of its modes
    #: (vocabulary.NAMED_ACTIONS); layer and fine: "hold" or "toggle".
    mode: str | None = None
    #: A named action's ``direct`` mode: the level to set (vocabulary.LEVELS).
    level: int | None = None
    #: The raw action: what to send, written for one protocol family.
    raw: RawText | None = None
    #: The layer this binding belongs to (None = the base layer). For ``action: layer`` it
    #: is the layer the button switches, and the binding works from every layer.
    layer: str | None = None
    #: A hat used as a button: which direction.
    direction: str | None = None
    #: Motion shaping: deadzone, curve, invert, scale (None: the control's default deadzone).
    deadzone: float | None = None
    expo: float = 0.0
    points: tuple[tuple[float, float], ...] = ()
    invert: bool = False
    scale: float = 1.0
    #: A note's velocity scales its speed.
    velocity: bool = False
    #: A relative encoder: how its messages count detents.
    encoding: str | None = None
    #: Presets: step the preset cursor by this much (D-pad preset up/down), within ``presets``.
    step: int | None = None
    presets: tuple[int, int] = (1, 16)
    #: Presets: held this long = store (a tap recalls); clear instead of recall.
    hold: float | None = None
    clear: bool = False
    #: ``action: move-to``: the position (degrees; zoom 0..100), None = leave that axis;
    #: ``action: jog``: the speeds (-1..1), None = 0.
    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None
    #: ``action: jog``: seconds the camera moves before it stops by itself.
    duration: float = 0.5
    #: ``action: fine``: the speed factor while it is on.
    factor: float = 0.25
    #: ``action: select``: keep moving on the newly selected camera what moved the old one.
    carry: bool = False
    #: Light for this binding on the input's feedback output.
    led: "LedConfig | None" = None


@dataclass(frozen=True, slots=True)
class LedConfig:
    """One LED on a surface: the MIDI message that lights it, and its on/off values."""

    kind: str  # "note" or "cc"
    number: int
    on: int = 127
    off: int = 0
    channel: int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    cameras: dict[str, CameraConfig]  # insertion order = file order; the first is selected at start
    inputs: dict[str, InputConfig]
    bindings: list[BindingConfig]
