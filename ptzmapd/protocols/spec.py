"""What a protocol is, in one value: :class:`ProtocolSpec`, and the typed settings a config gives
its codec (a dataclass per protocol, whose fields are the protocol's own config keys).

Each protocol package (``visca/``, ``pelco/``, ``isapi/``, …) exports its specs; the registry
in :mod:`ptzmapd.protocols` names them. Nothing outside ``protocols/`` (and the simulators)
knows a protocol by name: the config schema, the runtime, ``check``, ``send`` and ``snapshot``
ask the spec.

A protocol's own config keys are the fields of its options dataclass, each with a
:func:`integer_key` / :func:`choice_key` / :func:`flag_key` describing its check; a field
without a default is a required key. :mod:`ptzmapd.config.tables` turns them into schema rows,
so a protocol's defaults are written once, in its dataclass.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ptzmapd.commands import MoveTo
from ptzmapd.protocols.base import Codec, SpeedLimits
from ptzmapd.protocols.position import PanTiltRange
from ptzmapd.secrets import Credentials

#: The metadata key of a config key's check in an options dataclass field.
KEY = "ptzmapd.key"


@dataclass(frozen=True, slots=True)
class IntegerKey:
    """A whole number in ``low..high``."""

    low: int
    high: int


@dataclass(frozen=True, slots=True)
class ChoiceKey:
    """One of ``choices``."""

    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FlagKey:
    """true or false."""


@dataclass(frozen=True, slots=True)
class TextKey:
    """A word or name the camera knows (an ONVIF profile token)."""


def integer_key(low: int, high: int, **default: Any) -> Any:
    """An options field that is a config key taking ``low..high`` (``default=`` as for ``field``)."""
    return field(metadata={KEY: IntegerKey(low, high)}, **default)


def choice_key(choices: Collection[str], **default: Any) -> Any:
    """An options field that is a config key taking one of ``choices``."""
    return field(metadata={KEY: ChoiceKey(tuple(choices))}, **default)


def flag_key(**default: Any) -> Any:
    """An options field that is a config key taking true or false."""
    return field(metadata={KEY: FlagKey()}, **default)


def text_key(**default: Any) -> Any:
    """An options field that is a config key taking a text."""
    return field(metadata={KEY: TextKey()}, **default)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolOptions:
    """A protocol's own settings for one camera; protocols without any use it as is."""

    @property
    def bus_address(self) -> int | None:
        """The camera's address on a shared serial wire (daisy chain, RS-485 bus), if any."""
        return None

    def summary(self) -> str:
        """What ``ptzmapd check`` adds after the camera's endpoint (`` channel 2``); "" for none."""
        return ""

    def bind(self, url: str, credentials: Credentials | None) -> tuple["ProtocolOptions", str]:
        """HTTP cameras: the options the codec is made with and the url the transport sends to,
        given the configured ``url`` and credentials. As configured by default; a protocol whose
        ``url`` names one service of the camera and whose codec signs its own requests (ONVIF's
        device service, WS-Security) takes the path and the credentials into its options."""
        return self, url

    @property
    def tally_lamps(self) -> bool:
        """Whether the camera's tally lamps follow the switchers: a protocol that can light
        them (capability ``tally-lamp``) has a ``tally`` key naming its dialect, or none."""
        return getattr(self, "tally", "none") != "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pacing:
    """How a camera is paced. A spec holds the protocol's defaults; a config may override them.

    ``min_interval``: least seconds between two commands, counted from the previous command's
    sending, or from its answer where ``from_reply`` (a camera that needs the gap after it has
    answered); ``ack_timeout``: seconds to wait for an answer before retransmitting; reply-less
    protocols send each stop ``stop_repeats`` more times and send a held motion again every
    ``refresh`` seconds (0 = never).
    """

    min_interval: float
    ack_timeout: float
    stop_repeats: int = 0
    refresh: float = 0.0
    from_reply: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RawKind:
    """The raw commands a protocol's codec takes: the binding key (``visca``, ``pelco``,
    ``http``), a parser that raises ValueError or ProtocolError saying why a text is not one,
    and an example for messages."""

    kind: str
    parse: Callable[[str], object]
    example: str


@dataclass(frozen=True, slots=True)
class Found:
    """A camera a discovery probe found: what its config's ``url`` (or ``host``) says, and its name."""

    address: str
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """How ``ptzmapd devices --<protocol>`` finds cameras: a UDP probe sent to a multicast
    ``group:port`` (or one address, for tests), and the reader of the answers to it."""

    group: str
    port: int
    #: A fresh probe: (its id, its bytes).
    probe: Callable[[], tuple[str, bytes]]
    #: An answer's cameras, given the probe's id ([] for anything else; never raises).
    read: Callable[[bytes, str], list[Found]]
    #: The config key an address goes in, and what the cameras are called, for the listing.
    config_key: str
    what: str


O = TypeVar("O", bound=ProtocolOptions)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolSpec(Generic[O]):
    """Everything ptzmapd knows about one protocol a config can name."""

    name: str
    #: One line for ``ptzmapd --help`` and the docs.
    summary: str
    #: "udp", "tcp", "serial" or "http": picks the transport and the config keys that apply.
    transport: str
    default_port: int | None = None
    #: Serial protocols: the line speed when the config gives none (8N1).
    default_baud: int | None = None
    #: The protocol's own top speeds (VISCA pan 0x18, tilt 0x14, zoom/focus 7).
    limits: SpeedLimits
    #: The slowest zoom/focus speed is 0 and still moves (VISCA), so a lens speed of N levels
    #: spans 0..N-1 and ``max_zoom_speed: 0`` is allowed.
    lens_speed_from_zero: bool = False
    #: The zoom position at full tele (VISCA 0x4000, ISAPI 1000), for normalising reported
    #: positions; None: the protocol reports none.
    zoom_max: int | None = None
    #: The mechanical range of its reported pan/tilt positions, for normalising them to
    #: -1..1 (:mod:`ptzmapd.protocols.position`); None: the protocol reports none.
    pan_tilt: PanTiltRange | None = None
    pacing: Pacing
    #: Which :class:`Pacing` fields a camera's config may set (``min_interval`` and
    #: ``ack_timeout`` always; reply-less protocols also ``stop_repeats`` and ``refresh``).
    pacing_keys: tuple[str, ...] = ("min_interval", "ack_timeout")
    #: Action names (binding ``action:``) the codec can carry out, derived from its tables;
    #: ``ptzmapd check`` rejects a binding that asks a camera for anything else.
    capabilities: frozenset[str]
    #: The protocol's own settings: a dataclass whose fields are its config keys.
    options: type[O]
    make_codec: Callable[[O, SpeedLimits], Codec]
    raw: RawKind | None = None
    #: HTTP cameras: the path of a JPEG of what the camera sees (``ptzmapd snapshot``).
    snapshot_path: Callable[[O], str] | None = None
    #: ``"module:function"`` of its simulated camera (:mod:`ptzmapd.simulators`).
    simulator: str | None = None
    #: How ``ptzmapd devices`` finds such cameras on the network, if it can.
    discovery: Discovery | None = None
    #: The command that takes the camera back to a position it reported (pan/tilt and zoom in
    #: the protocol's units, as its position inquiries answer; None where not reported), or
    #: None when that is not enough to go back; where a trace starts without a preset. None:
    #: the protocol cannot go back to a reported position.
    return_to: Callable[[tuple[int, int] | None, int | None], MoveTo | None] | None = None
