"""Typed, validated configuration: what the rest of ptzmapd reads (never raw YAML).

Every object keeps the :class:`Mark` of the YAML node it came from so later checks
(capabilities, duplicate bindings) can still point at ``FILE:LINE:COL``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from ptzmapd.protocols.spec import Pacing, ProtocolOptions
from ptzmapd.secrets import Credentials, Secret

from ptzmapd.vocabulary import DEFAULT_GROUP, Action, ControlKind


@dataclass(frozen=True, slots=True)
class Mark:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class NetLink:
    """A camera reached over the network by host and port (UDP datagrams or a TCP stream);
    the port is the protocol's default when the config gives none."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class SerialLink:
    """A camera on a serial wire: a device path (``/dev/ttyUSB0``) or a pyserial URL
    (``socket://host:port``, ``rfc2217://…``); every camera on one device shares it (daisy
    chain, RS-485 bus) at one line speed (8N1; the protocol's default when unset)."""

    device: str
    baud: int


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """An HTTP camera: its base url (http or https, no credentials in it, no trailing slash),
    the user and password its config's source gave when the config was loaded (``Secret``:
    never shown), seconds a request may take (all in: connect, auth round trips, body), and a
    pinned certificate (SHA-256)."""

    url: str
    credentials: Credentials | None = field(default=None, repr=False)
    #: The password is written in the config file itself: accepted, with a warning at start.
    password_in_config: bool = False
    timeout: float = 2.5
    tls_fingerprint: str | None = None


Link = NetLink | SerialLink | HttpEndpoint


@dataclass(frozen=True, slots=True)
class Ramp:
    """How fast an axis may speed up and slow down: normalised speed per second (0 = at once)."""

    accel: float = 0.0
    decel: float = 0.0


@dataclass(frozen=True, slots=True)
class MotionFeel:
    """How a camera's motion feels (:mod:`ptzmapd.motion`): ramps per axis and a soft release,
    speed steps that hold against a resting hand (``hysteresis``, a fraction of a step),
    pan/tilt slowed as the lens zooms in (``zoom_speed_at_tele`` at full tele, shaped by
    ``zoom_curve``; ``zoom_travel_time`` seconds wide to tele when the camera reports no
    position; ``zoom_max`` overrides the protocol's full-tele position), a watchdog on endless
    moves (``max_move`` seconds, 0 = none) and position inquiries while moving
    (``position_poll`` seconds, 0 = never)."""

    ramps: Mapping[str, Ramp] = field(default_factory=dict)
    soft_stop: bool = False
    hysteresis: float = 0.3
    zoom_speed_at_tele: float = 1.0
    zoom_curve: float = 1.0
    zoom_travel_time: float = 4.0
    zoom_max: int | None = None
    max_move: float = 0.0
    position_poll: float = 0.0


@dataclass(frozen=True, slots=True)
class CameraConfig:
    name: str
    protocol: str
    mark: Mark
    link: Link
    #: How commands are paced: the protocol's defaults with the config's overrides applied.
    pacing: Pacing
    #: The protocol's own settings (its spec's options dataclass: address, dialect, channel…).
    options: ProtocolOptions = field(default_factory=ProtocolOptions)
    #: Fastest protocol speed a full deflection gives; None = the protocol's top.
    max_pan_speed: int | None = None
    max_tilt_speed: int | None = None
    max_zoom_speed: int | None = None
    max_focus_speed: int | None = None
    feel: MotionFeel = field(default_factory=MotionFeel)
    #: The travel speed 0..1 of a preset recall whose binding gives no ``speed:``; None: the
    #: camera's own preset speed.
    preset_speed: float | None = None


@dataclass(frozen=True, slots=True)
class InputConfig:
    name: str
    type: str  # "midi", "gamepad", "joystick", "osc"
    mark: Mark
    #: MIDI: glob matched against port names and JACK aliases (e.g. "*nanoKONTROL2*"), or
    #: several globs in order of preference (inputs.midi.ports.matching_ports).
    port: str | tuple[str, ...] | None = None
    #: MIDI: create a virtual port of this name that other programs connect to.
    virtual: str | None = None
    #: MIDI: rtmidi API, "alsa" or "jack"; None = MIDO_BACKEND or the platform default.
    api: str | None = None
    #: MIDI channel filter 1..16; None = any channel.
    channel: int | None = None
    #: MIDI: the output port (a glob, or globs) whose LEDs light the surface; None = no LEDs.
    feedback: str | tuple[str, ...] | None = None
    #: MIDI: the usual LED values, where a binding's ``led:`` gives none.
    led_on: int | None = None
    led_off: int | None = None
    #: Gamepad/joystick: SDL's index, a GUID or a name glob; None = the first device.
    match: int | str | None = None
    #: Seconds of silence after which what the input drives is stopped; None = never.
    deadman: float | None = None
    #: OSC: the UDP address to listen on.
    listen: "Listener | None" = None
    #: OSC: the sender networks obeyed (empty: any sender, allowed on loopback only).
    allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    #: The selection group: inputs of one group share one ``selected`` camera.
    group: str = DEFAULT_GROUP


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
    #: Presets: the travel speed 0..1 of a recall (None: the camera's ``preset_speed``).
    speed: float | None = None
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
    #: The switcher actions: which switcher (None: the only one configured).
    switcher: str | None = None
    #: Its LED shows whether its camera is on the switcher's program or preview bus instead.
    led_shows: str | None = None
    #: Light for this binding on the input's feedback output.
    led: "LedConfig | None" = None
    #: ``action: tour``: the tour (a ``tours:`` entry) it starts or stops.
    tour: str | None = None
    #: ``action: trace``: the trace it records or plays (a file under ``state_dir``).
    trace: str | None = None
    #: ``action: trace``, ``mode: play``: how the trace repeats, one of
    #: :data:`~ptzmapd.vocabulary.TRACE_REPEATS` (config key ``loop``: false, true, ping-pong).
    loop: str = "once"
    #: Its input's selection group (the loader copies it from the input; not a binding key).
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class LedConfig:
    """One LED on a surface: the MIDI message that lights it, and its on/off values."""

    kind: str  # "note" or "cc"
    number: int
    on: int = 127
    off: int = 0
    channel: int | None = None


@dataclass(frozen=True, slots=True)
class SwitcherConfig:
    """One ``switchers:`` entry. ``host``/``port``: where the switcher is (obs: from ``url``;
    vmix port 8099; tsl: the address to listen on for UDP). ``sources``: the switcher's source
    names as written (OBS scene or source name, vMix input number or title, ATEM input number,
    TSL tally index) → camera name. ``follow``: which bus ``selected`` tracks (preview,
    program, off); ``live``: what motion aimed at the camera on program does (off, block,
    slow at ``live_factor``); ``tally_hold``: seconds the lamps keep their state after the
    switcher is lost."""

    name: str
    type: str  # obs | vmix | atem | tsl
    mark: Mark
    host: str
    port: int
    url: str | None = None
    password: str | None = field(default=None, repr=False)
    sources: Mapping[str, str] = field(default_factory=dict)
    follow: str = "off"
    live: str = "off"
    live_factor: float = 0.25
    tally_hold: float = 5.0
    #: ``follow``: keep moving on the newly followed camera what moved the one left behind.
    carry: bool = False
    #: ``follow``: the selection groups whose ``selected`` follows (None: every group).
    follow_groups: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Listener:
    """An address ptzmapd listens on (``HOST:PORT``); ``mark`` is where the config gives it."""

    host: str
    port: int
    mark: Mark

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """The ``api:`` section (:mod:`ptzmapd.config.api`): the HTTP + WebSocket + web page
    listener and the OSC listener (None: off), the API token read from the environment
    variable ``token_env`` when the config loaded (None: no token asked), and ``hold``,
    the seconds a network move lasts unless repeated."""

    mark: Mark
    http: Listener | None = None
    osc: Listener | None = None
    token_env: str | None = None
    token: Secret | None = field(default=None, repr=False)
    #: Always given by :mod:`ptzmapd.config.api` (the facade's ``DEFAULT_HOLD`` when not written).
    hold: float = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """The ``mqtt:`` section (:mod:`ptzmapd.config.mqtt`): the broker, the topic prefix, the
    user and the password read from ``password_env`` when the config loaded (never shown),
    and the client id (None: ``ptzmapd-HOSTNAME-PID``)."""

    mark: Mark
    broker: Listener
    topic: str = "ptzmapd"
    username: str | None = None
    password_env: str | None = None
    password: Secret | None = field(default=None, repr=False)
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class TourStop:
    """One stop of a tour: recall ``preset``, then stay ``dwell`` seconds once the camera has
    answered the recall (VISCA answers when it arrives)."""

    preset: int
    dwell: float
    mark: Mark
    #: Its place in the tour's ``stops`` (0-based), for messages.
    index: int = 0


@dataclass(frozen=True, slots=True)
class TourConfig:
    """One ``tours:`` entry: ``camera`` walks ``stops`` in order, travelling at ``speed``
    (0..1 of its fastest preset travel; None: the camera's own), and starts again with the
    first stop after the last when ``loop``."""

    name: str
    camera: str
    stops: tuple[TourStop, ...]
    mark: Mark
    speed: float | None = None
    loop: bool = False


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    cameras: dict[str, CameraConfig]  # insertion order = file order; the first is selected at start
    inputs: dict[str, InputConfig]
    bindings: list[BindingConfig]
    switchers: dict[str, SwitcherConfig] = field(default_factory=dict)
    #: The network API; None: no ``api:`` section, nothing listens.
    api: ApiConfig | None = None
    #: The MQTT broker to publish state to and take commands from; None: no ``mqtt:``.
    mqtt: MqttConfig | None = None
    tours: dict[str, TourConfig] = field(default_factory=dict)
    #: Where traces are kept: ``state_dir:``, else the user's state directory
    #: (:func:`ptzmapd.config.tours.default_state_dir`); "" only in configs built by hand.
    state_dir: str = ""
