"""The raw VISCA codec: :class:`ViscaCodec`, bare frames to one camera (PTZOptics UDP 1259 and
TCP 5678); :mod:`ptzmapd.protocols.visca.ip` wraps the same payloads in the Sony header and
:mod:`ptzmapd.protocols.visca.serial` addresses a daisy chain. The bytes come from
:mod:`.tables`, :mod:`.encode` and :mod:`.read`.
"""

from __future__ import annotations


from ptzmapd.commands import Command
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Notice, Outgoing, Reply, SpeedLimits
from ptzmapd.protocols.pairing import VISCA_SOCKETS, Pairing

from ptzmapd.commands import TallyLamp
from ptzmapd.protocols.visca.tables import (
    ADDRESSES,
    DEFAULT_DIALECT,
    DIALECTS,
    TALLY_DIALECTS,
    TALLY_NONE,
    Dialect,
    is_reply_start,
)
from ptzmapd.protocols.visca.encode import Tally, encode_payload, inquiry_what
from ptzmapd.protocols.visca.read import FrameSplitter, describe_command, replies_from


# --------------------------------------------------------------------------- the codec


def dialect_of(name: str) -> Dialect:
    """The :data:`DIALECTS` row called ``name``; ProtocolError listing them otherwise."""
    dialect = DIALECTS.get(name)
    if dialect is None:
        raise ProtocolError(f"unknown visca dialect {name!r} (valid: {', '.join(DIALECTS)})")
    return dialect


def tally_of(name: str, preview: bool) -> Tally | None:
    """A camera's ``tally:`` (and ``tally_preview:``) as its :class:`Tally`; None for none."""
    if name == TALLY_NONE:
        return None
    dialect = TALLY_DIALECTS.get(name)
    if dialect is None:
        raise ProtocolError(f"unknown visca tally {name!r} (valid: {', '.join(TALLY_DIALECTS)}, {TALLY_NONE})")
    return Tally(dialect, preview)


class ViscaCodec:
    """Bare VISCA frames to one camera, over UDP datagrams or a TCP stream alike.

    Raw VISCA has no token: the controller keeps one command in flight, and the codec
    remembers the last inquiry it encoded so the answer can be decoded. ``dialect`` and
    ``preset_base`` (None: the dialect's) are the camera's :data:`DIALECTS` settings. A
    network change message is accepted silently (some IP cameras send one at connect).
    """

    text_wire = False
    #: Completions pair by the socket their ACK named (ERRATA: replies interleave).
    pairing: Pairing = VISCA_SOCKETS

    def __init__(
        self, limits: SpeedLimits, address: int = 1, dialect: str = DEFAULT_DIALECT, preset_base: int | None = None,
        tally: str = TALLY_NONE, tally_preview: bool = False,
    ) -> None:
        if address not in ADDRESSES:
            raise ProtocolError(f"visca camera address must be 1..7, got {address!r}")
        self.limits = limits
        self.address = address
        self.dialect = dialect_of(dialect)
        self.preset_base = self.dialect.preset_base if preset_base is None else preset_base
        self.tally = tally_of(tally, tally_preview)
        self._splitter = FrameSplitter(is_reply_start)
        self._pending_inquiry: str | None = None

    def start(self) -> list[Outgoing]:
        return []

    def reset(self) -> list[Outgoing]:
        self._splitter.clear()
        return []

    def key(self, command: Command) -> bytes:
        return self.payload(command)

    def split(self, command: Command) -> tuple[Command, ...]:
        """A tally state as one command per lamp where the camera has two (see
        :func:`~ptzmapd.protocols.base.command_parts`); any other command as it is."""
        if isinstance(command, TallyLamp) and self.tally is not None:
            return self.tally.parts(command)
        return (command,)

    def payload(self, command: Command) -> bytes:
        """The frame ``8x … FF`` for ``command`` in this camera's dialect."""
        return encode_payload(command, self.limits, self.address, self.dialect, self.preset_base, self.tally)

    def encode(self, command: Command) -> Outgoing:
        data = self.payload(command)
        self._pending_inquiry = inquiry_what(command)
        return Outgoing(data=data, token=None)

    def receive(self, data: bytes) -> list[Reply]:
        replies = replies_from(self._splitter.feed(data), None, self._pending_inquiry)
        # A network change at connect (ERRATA) is accepted silently on the network: there is
        # no chain to re-address (the serial codec overrides this).
        return [reply for reply in replies if not isinstance(reply, Notice)]

    def describe(self, data: bytes) -> str:
        return describe_command(data)
