"""The sans-io codec contract every protocol implements.

A codec turns :mod:`ptzmapd.commands` into bytes (:class:`Outgoing`) and bytes from the
camera into :class:`Reply` events. It owns no socket, no clock and no sleep: the per-camera
controller (:mod:`ptzmapd.control.controller`) decides *when* to send, the transport *how*.

``token`` ties a reply to the command it answers where the protocol carries one (the
VISCA-over-IP sequence number); where it does not, the token is ``None``. Which command a
reply answers is decided by :mod:`ptzmapd.protocols.pairing`, by the rules of the codec's
``pairing`` (tokens, VISCA sockets, HTTP's one request / one response). Whether a refusal
is worth repeating is decided in one place too: :func:`refusal_is_permanent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from ptzmapd.commands import Command

if TYPE_CHECKING:
    from ptzmapd.protocols.pairing import Pairing


@dataclass(frozen=True, slots=True)
class SpeedLimits:
    """The fastest protocol speed a full deflection gives, per axis, in protocol units."""

    pan: int
    tilt: int
    zoom: int
    focus: int


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Bytes to put on the wire for one command.

    Retransmitting a command means sending the same ``data`` again (VISCA over IP requires
    the same sequence number for a retransmission, so the bytes are identical).
    """

    data: bytes
    token: int | None = None
    #: False for protocols that never answer (Pelco on one-way RS-485 wiring).
    expects_reply: bool = True
    #: Opening words (:meth:`Codec.start`, :meth:`Codec.reset`): what to tell the user when
    #: the camera leaves them unanswered, in the protocol's own terms and with its own advice.
    unanswered: str = field(default="", compare=False)
    #: What a DEBUG trace shows of ``data`` where ``data`` carries a secret (an ONVIF
    #: WS-Security password digest and nonce, from which the password can be guessed offline
    #: and the request replayed): the same bytes with the secret blanked. None: ``data``.
    trace: bytes | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Reply:
    token: int | None


@dataclass(frozen=True, slots=True)
class Ack(Reply):
    """The camera accepted the command (VISCA ``z0 4y FF``)."""

    socket: int = 0


@dataclass(frozen=True, slots=True)
class Completion(Reply):
    """The camera finished a command (VISCA ``z0 5y FF``) with no data."""

    socket: int = 0


@dataclass(frozen=True, slots=True)
class Step(Ack):
    """The camera answered a request a command needed first, and the command goes again: only
    where the next request depends on that answer (a Panasonic auto focus toggle's query
    before the setting; ONVIF's connect sequence, or the preset list or position read a
    command needs). Requests known before anything is sent are separate commands instead,
    each with its own answer: a codec's parts (:func:`command_parts`) and a preset recall's
    travel speed setting (:class:`~ptzmapd.commands.PresetSpeed`), which the controller
    queues together (``CameraController._parts``).
    The controller sends the same command again, paced like any other, and the codec encodes
    the request that comes next; who waits for the command waits for its last step's answer."""


@dataclass(frozen=True, slots=True)
class InquiryAnswer(Reply):
    """Data answering an inquiry.

    ``what`` names the inquiry answered (``pantilt-position``: values (pan, tilt) as signed
    protocol units; ``zoom-position``: values (zoom,)); the codec remembers which inquiry it
    sent, so the controller never parses protocol bytes.
    """

    what: str = ""
    values: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorReply(Reply):
    """The camera refused the command.

    ``kind`` is one of ``syntax``, ``buffer-full``, ``cancelled``, ``no-socket``,
    ``not-executable``, ``sequence`` (VISCA-over-IP bad sequence number), ``message-length``.
    """

    kind: str = ""
    data: bytes = b""
    #: The VISCA socket the error names (``z0 6y EE FF``); 0 when none.
    socket: int = 0
    #: The HTTP status of the response that carried the refusal.
    http_status: int | None = None
    #: Hikvision ``ResponseStatus`` statusCode, when the response had one.
    status_code: int | None = None
    #: The protocol's own word on the refusal where neither the kind nor the HTTP status can
    #: tell (a Panasonic camera refuses with ``200 OK``): :data:`BUSY` (send again shortly)
    #: or :data:`PERMANENT` (a repeat cannot help); "" leaves it to the kind and status.
    nature: str = ""

    @property
    def permanent(self) -> bool:
        """Whether sending the same command again cannot help (see :func:`refusal_is_permanent`)."""
        return refusal_is_permanent(self)

    @property
    def remedy(self) -> Remedy:
        """What the controller does about it, in terms that name no protocol."""
        if self.nature == BUSY:
            return Remedy.BUSY
        return VISCA_REMEDIES.get(self.kind, Remedy.REFUSED)


#: :attr:`ErrorReply.nature` values.
BUSY = "busy"
PERMANENT = "permanent"


class Remedy(Enum):
    """What a controller does about a refusal (:attr:`ErrorReply.remedy`)."""

    #: A refusal: the command's answer (a stop is sent again; see ``permanent``).
    REFUSED = "refused"
    #: The camera is busy: send the newest state again a little later.
    BUSY = "busy"
    #: The camera lost count of the exchange: send the codec's ``reset()`` words, then again.
    RESYNC = "resync"
    #: An answer to something ptzmapd never sends: the command is refused, nothing is retried.
    NOT_OURS = "not-ours"


#: VISCA's refusals that are not plain ones: buffer full (``z0 6y 03``), a bad sequence number
#: or message length (VISCA over IP: RESET and send again), and the answers to a Cancel
#: (``z0 6y 04`` cancelled, ``z0 6y 05`` no socket), which ptzmapd never sends.
VISCA_REMEDIES: dict[str, Remedy] = {
    "buffer-full": Remedy.BUSY,
    "sequence": Remedy.RESYNC,
    "message-length": Remedy.RESYNC,
    "cancelled": Remedy.NOT_OURS,
    "no-socket": Remedy.NOT_OURS,
}


#: VISCA error kinds: the bytes themselves are wrong, or the camera cannot do this now and a
#: repeat will not change that (syntax ``z0 60 02``, not executable ``z0 6y 41``, and the
#: VISCA-over-IP message-length control reply).
VISCA_PERMANENT = frozenset({"syntax", "not-executable", "message-length"})
#: ...and the passing ones: buffer full, cancelled, no socket, bad sequence number (RESET).
VISCA_TEMPORARY = frozenset({"buffer-full", "cancelled", "no-socket", "sequence"})
#: HTTP statuses that are worth asking again: timeout, too many requests (and every 5xx).
HTTP_TEMPORARY = frozenset({408, 429})
#: ISAPI ``statusCode`` (hikvision-isapi-ptz-v2.0 ResponseStatus): 2 device busy, 3 device
#: error, 7 reboot required pass; 4 invalid operation, 5 invalid XML format, 6 invalid XML
#: content do not.
ISAPI_PERMANENT_CODES = frozenset({4, 5, 6})


def refusal_is_permanent(refusal: ErrorReply) -> bool:
    """The one place that says whether a refusal is permanent, for every protocol.

    A refusal whose protocol says outright what it is (:attr:`ErrorReply.nature`) is taken at
    its word; VISCA by error kind; HTTP 5xx, 408 and 429 are temporary, other 4xx permanent; an
    ISAPI ``ResponseStatus`` that came with a 2xx or a permanent status decides by its
    statusCode (ERRATA: a ``200 OK`` can carry an error statusCode). Anything else is temporary.
    """
    if refusal.nature:
        return refusal.nature == PERMANENT
    if refusal.kind in VISCA_PERMANENT:
        return True
    if refusal.kind in VISCA_TEMPORARY:
        return False
    status = refusal.http_status
    if status is not None and (status >= 500 or status in HTTP_TEMPORARY):
        return False
    if refusal.status_code is not None:
        return refusal.status_code in ISAPI_PERMANENT_CODES
    return status is not None and 400 <= status < 500


@dataclass(frozen=True, slots=True)
class UnreadableAnswer(Reply):
    """An answer to an inquiry that the codec could not read: the camera answered (it is
    there), but there are no values to take. The inquiry is given up for this cycle."""

    data: bytes = b""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SequenceReset(Reply):
    """The camera acknowledged a sequence-number RESET (VISCA over IP)."""


@dataclass(frozen=True, slots=True)
class Notice(Reply):
    """Something the camera says unasked that answers no command (VISCA's network change
    ``z0 38 FF``): ``text`` says what it means, and ``send`` goes out ahead of everything
    else (a serial chain re-sends AddressSet); with nothing to send it is only traced."""

    text: str = ""
    send: tuple[Outgoing, ...] = ()


@dataclass(frozen=True, slots=True)
class Garbage(Reply):
    """Bytes that are not a valid reply; logged (rate limited) and otherwise ignored."""

    data: bytes = b""
    reason: str = ""


def command_parts(codec: Codec, command: Command) -> tuple[Command, ...]:
    """The commands ``command`` goes out as, in order: itself, unless the codec has a
    ``split(command)`` that sends it as several (a tally state that two lamps show, one
    command per lamp, lit lamps first so that none is ever left wrong)."""
    split = getattr(codec, "split", None)
    return tuple(split(command)) if split is not None else (command,)


class Codec(Protocol):
    """One camera's protocol state (sequence numbers, reassembly buffers)."""

    #: Whether the wire carries text (HTTP requests and replies, traced as text) or binary
    #: frames (traced in hex, the way their specs print them, even when bytes look printable).
    text_wire: bool

    def start(self) -> list[Outgoing]:
        """What to send when the link comes up (VISCA-over-IP RESET), possibly nothing."""
        ...

    def reset(self) -> list[Outgoing]:
        """What to send after the camera reported a sequence error, or fell silent after it
        had answered (a camera that rebooted lost its count); possibly nothing."""
        ...

    def key(self, command: Command) -> bytes:
        """What ``command`` looks like to the camera, without framing or sequence numbers.

        Two commands with the same key are the same to the camera: the controller sends a
        motion command only when its key changes, so a resting hand causes no traffic.
        """
        ...

    def encode(self, command: Command) -> Outgoing:
        """Bytes for ``command``; raises ProtocolError if the protocol cannot express it."""
        ...

    def receive(self, data: bytes) -> list[Reply]:
        """Feed bytes from the wire (a datagram or a stream chunk) and get the replies."""
        ...

    def describe(self, data: bytes) -> str:
        """A readable rendering of bytes this codec sent, for DEBUG traces."""
        ...

    @property
    def pairing(self) -> "Pairing":
        """How its replies pair with its commands (:mod:`ptzmapd.protocols.pairing`)."""
        ...
