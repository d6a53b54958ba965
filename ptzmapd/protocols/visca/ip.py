"""Sony VISCA over IP (UDP 52381): the 8-byte header and its sequence numbers (sans-io).

This module owns the header (payload type, payload length, 32-bit sequence number, all
big-endian), the sequence counter and its RESET, the control replies, and the quirks
of cameras that implement it loosely (ERRATA: wrong length fields, bare replies, cameras
that reject the header, cameras that act only on sequence numbers 1-3 or answer everything
with 1), each with its config switch (:data:`SEQUENCE_MODES`, :data:`REPLY_SEQUENCE`). The
VISCA payload itself, dialect included, is the raw codec's (:mod:`.codec`, :mod:`.encode`,
:mod:`.read`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Callable

from ptzmapd.commands import Command
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import ErrorReply, Garbage, Notice, Outgoing, Reply, SequenceReset, SpeedLimits
from ptzmapd.protocols.pairing import VISCA_SEQUENCE, VISCA_SOCKETS, Pairing
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.encode import inquiry_what
from ptzmapd.protocols.visca.read import FrameSplitter, describe_command, replies_from
from ptzmapd.protocols.visca.tables import DEFAULT_DIALECT, TALLY_NONE, is_reply_start


class PayloadType(IntEnum):
    COMMAND = 0x0100
    INQUIRY = 0x0110
    REPLY = 0x0111
    DEVICE_SETTING = 0x0120
    CONTROL = 0x0200
    CONTROL_REPLY = 0x0201


HEADER = struct.Struct(">HHI")
SEQUENCE_MODULUS = 2**32
#: Control command payload that resets the camera's sequence counter; its reply payload too.
RESET_PAYLOAD = b"\x01"
#: Control reply payloads meaning the camera refused a message.
BAD_SEQUENCE = b"\x0f\x01"
BAD_LENGTH = b"\x0f\x02"
#: How many unanswered inquiries to remember (a camera that never answers must not grow memory).
_PENDING_LIMIT = 16


@dataclass(frozen=True, slots=True)
class Header:
    payload_type: int
    #: The length field as sent; ERRATA: some cameras get it wrong, so nothing relies on it.
    length: int
    sequence: int


def pack(payload_type: int, sequence: int, payload: bytes) -> bytes:
    """A whole datagram: header + payload."""
    return HEADER.pack(payload_type, len(payload), sequence % SEQUENCE_MODULUS) + payload


def unpack(datagram: bytes) -> tuple[Header, bytes] | None:
    """Split a datagram into header and payload; None if it carries no header.

    A datagram that opens with a VISCA byte (0x80 and up) is a bare frame: no payload type
    starts that high, so the two never mix up.
    """
    if len(datagram) < HEADER.size or datagram[0] >= 0x80:
        return None
    payload_type, length, sequence = HEADER.unpack_from(datagram)
    return Header(payload_type, length, sequence), datagram[HEADER.size :]


RESET_DATAGRAM = pack(PayloadType.CONTROL, 0, RESET_PAYLOAD)


@dataclass(frozen=True, slots=True)
class SequenceMode:
    """How a camera takes the header and its sequence number: the config's ``sequence:``.

    ERRATA lists the quirks each mode is for. ``header``: whether commands carry the 8-byte
    header at all; ``counted``: whether the number counts up from 1 after a RESET (else every
    message carries :data:`FIXED_SEQUENCE`, and no RESET is sent since nothing is counted);
    ``replies_by_number``: whether a reply's number says which command it answers (else
    replies pair with the one command in flight by order).
    """

    name: str
    header: bool
    counted: bool
    replies_by_number: bool
    #: What to suggest when the camera never answers the opening words.
    summary: str


#: The sequence number of every message in ``sequence: fixed`` (ERRATA: cameras that act
#: only on sequence numbers 1-3 and always reply with 1).
FIXED_SEQUENCE = 1

SEQUENCE_MODES: dict[str, SequenceMode] = {
    mode.name: mode
    for mode in (
        SequenceMode("on", header=True, counted=True, replies_by_number=True,
                     summary="header, sequence number counted from 1 after a RESET"),
        SequenceMode("fixed", header=True, counted=False, replies_by_number=False,
                     summary=f"header, every message numbered {FIXED_SEQUENCE}, replies paired by order"),
        # Bare commands carry no number to pair by; a reply that comes with a header anyway
        # keeps its number (the controller pairs a numberless command's replies by order).
        SequenceMode("none", header=False, counted=False, replies_by_number=True,
                     summary="no header: bare VISCA frames, as on UDP 1259"),
    )
}
#: ``reply_sequence:``: whether a reply's sequence number is trusted (ERRATA: some cameras
#: count what they are sent but answer everything with sequence number 1).
REPLY_SEQUENCE = ("checked", "ignored")
#: What a camera gets when its config says nothing: Sony's own header and counting.
DEFAULT_SEQUENCE = "on"
DEFAULT_REPLY_SEQUENCE = "checked"

#: What the controller tells the user when the RESET goes unanswered.
RESET_UNANSWERED = (
    "no answer to the sequence RESET (02 00 00 01 00 00 00 00 01); carrying on without it "
    "(if the camera takes no command either: 'sequence: fixed' keeps the header without counting, "
    "'sequence: none' sends bare frames)"
)


def newer(sequence: int, last: int) -> bool:
    """Whether ``sequence`` comes after ``last`` on the 32-bit circle (so a wrap is newer)."""
    distance = (sequence - last) % SEQUENCE_MODULUS
    return 0 < distance < SEQUENCE_MODULUS // 2


#: Control replies (payload type 0x0201) by payload.
_CONTROL_REPLIES: dict[bytes, Callable[[int | None], Reply]] = {
    RESET_PAYLOAD: lambda token: SequenceReset(token),
    BAD_SEQUENCE: lambda token: ErrorReply(token, kind="sequence", data=BAD_SEQUENCE),
    BAD_LENGTH: lambda token: ErrorReply(token, kind="message-length", data=BAD_LENGTH),
}


class ViscaIpCodec:
    """One camera spoken to in VISCA over IP.

    ``sequence`` is the config's ``sequence:`` (a :data:`SEQUENCE_MODES` key) and
    ``reply_sequence`` its ``reply_sequence:`` (``ignored``: replies pair by order whatever
    number they carry). Replies are read with or without a header in every mode, and their
    length field is never relied on (ERRATA: some cameras get it wrong).

    A retransmission is the same :class:`Outgoing` sent again (same sequence number, which
    is how the camera tells it from a new command), so :meth:`encode` runs once per command.
    """

    text_wire = False

    def __init__(
        self,
        limits: SpeedLimits,
        sequence: str = DEFAULT_SEQUENCE,
        address: int = 1,
        reply_sequence: str = DEFAULT_REPLY_SEQUENCE,
        dialect: str = DEFAULT_DIALECT,
        preset_base: int | None = None,
        tally: str = TALLY_NONE,
        tally_preview: bool = False,
    ) -> None:
        if sequence not in SEQUENCE_MODES:
            raise ProtocolError(f"unknown visca-ip sequence mode {sequence!r} (valid: {', '.join(SEQUENCE_MODES)})")
        if reply_sequence not in REPLY_SEQUENCE:
            raise ProtocolError(
                f"unknown visca-ip reply_sequence {reply_sequence!r} (valid: {', '.join(REPLY_SEQUENCE)})"
            )
        self.limits = limits
        self.mode = SEQUENCE_MODES[sequence]
        self.replies_by_number = self.mode.replies_by_number and reply_sequence == "checked"
        self.address = address
        # The payload's own encoder: bytes, dialect and preset numbering are raw VISCA's.
        self._frames_of = ViscaCodec(limits, address, dialect, preset_base, tally, tally_preview)
        #: A tally state is one command per lamp, as raw VISCA sends it.
        self.split = self._frames_of.split
        #: The sequence number the next command carries (+1 per command, wraps at 2**32).
        self.next_sequence = FIXED_SEQUENCE
        #: Sequence number → the inquiry it carried, so its answer gets the right ``what``.
        self._pending: dict[int, str] = {}
        #: For replies that carry no usable number (no header, or numbers not trusted).
        self._last_inquiry: str | None = None

    @property
    def pairing(self) -> Pairing:
        """Sequence numbers pair replies when they are counted and trusted (``sequence: on``,
        ``reply_sequence: checked``); VISCA sockets and order otherwise (ERRATA: cameras that
        count only 1..3 or answer every command with sequence 1)."""
        return VISCA_SEQUENCE if self.replies_by_number else VISCA_SOCKETS

    def start(self) -> list[Outgoing]:
        return self.reset()

    def reset(self) -> list[Outgoing]:
        if not self.mode.counted:
            return []  # nothing is counted, so there is nothing to reset
        # The RESET itself carries 0; the first command after it carries 1 (ERRATA example).
        self.next_sequence = 1
        self._pending.clear()
        return [Outgoing(RESET_DATAGRAM, token=0, unanswered=RESET_UNANSWERED)]

    def key(self, command: Command) -> bytes:
        """The VISCA frame alone: the sequence number differs on every send, the command not."""
        return self._frames_of.payload(command)

    def encode(self, command: Command) -> Outgoing:
        payload = self._frames_of.payload(command)
        what = inquiry_what(command)
        self._last_inquiry = what
        if not self.mode.header:
            return Outgoing(payload, token=None)
        payload_type = PayloadType.INQUIRY if command.inquiry else PayloadType.COMMAND
        if not self.mode.counted:
            # Every message carries the same number: replies pair with it by order.
            return Outgoing(pack(payload_type, FIXED_SEQUENCE, payload), token=None)
        sequence = self.next_sequence
        self.next_sequence = (sequence + 1) % SEQUENCE_MODULUS
        if what is not None:
            self._pending[sequence] = what
            while len(self._pending) > _PENDING_LIMIT:
                del self._pending[next(iter(self._pending))]
        return Outgoing(pack(payload_type, sequence, payload), token=sequence if self.replies_by_number else None)

    def receive(self, data: bytes) -> list[Reply]:
        """Replies in one datagram (each datagram is whole: nothing carries over)."""
        split = unpack(data)
        if split is None:
            if data and is_reply_start(data[0]):
                return self._frames(data, None, self._last_inquiry)
            return [Garbage(None, data, "neither a VISCA-over-IP header nor a VISCA reply")]
        header, payload = split
        # ERRATA: some cameras put a wrong payload length in the header; the datagram's own
        # size is what counts.
        token = header.sequence if self.replies_by_number else None
        if header.payload_type == PayloadType.REPLY:
            inquiry = self._last_inquiry
            if self.replies_by_number:
                inquiry = self._pending.get(header.sequence, inquiry)
            return self._frames(payload, token, inquiry)
        if header.payload_type == PayloadType.CONTROL_REPLY:
            control = _CONTROL_REPLIES.get(payload)
            if control is None:
                return [Garbage(token, data, "unknown control reply")]
            return [control(token)]
        return [Garbage(header.sequence, data, f"unexpected payload type 0x{header.payload_type:04X}")]

    def _frames(self, payload: bytes, token: int | None, pending_inquiry: str | None) -> list[Reply]:
        if not payload:
            return [Garbage(token, payload, "empty reply")]
        splitter = FrameSplitter(is_reply_start)
        replies = replies_from(splitter.feed(payload) + splitter.flush(), token, pending_inquiry)
        # A network change at connect (ERRATA) is accepted silently: an IP camera has no
        # chain to re-address.
        return [reply for reply in replies if not isinstance(reply, Notice)]

    def describe(self, data: bytes) -> str:
        return describe_datagram(data)


def describe_datagram(data: bytes) -> str:
    """``#5 pan right 0x18, tilt stop`` for a header, the bare text for a bare frame."""
    split = unpack(data)
    if split is None:
        return describe_command(data)
    header, payload = split
    if header.payload_type == PayloadType.CONTROL and payload == RESET_PAYLOAD:
        return f"#{header.sequence} reset sequence"
    if header.payload_type in (PayloadType.COMMAND, PayloadType.INQUIRY):
        return f"#{header.sequence} {describe_command(payload)}"
    return f"#{header.sequence} payload type 0x{header.payload_type:04X} {hexbytes(payload)}"
