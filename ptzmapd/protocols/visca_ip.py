"""Sony VISCA over IP (UDP 52381): the 8-byte header and its sequence numbers (sans-io).

This module owns the header (payload type, payload length, 32-bit sequence number, all
big-endian), the sequence counter and its RESET, the control replies, and the quirks
of cameras that implement it loosely (ERRATA: wrong length fields, bare replies, cameras
that reject the header). The VISCA payload itself is :mod:`ptzmapd.protocols.visca`'s.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Callable

from ptzmapd.commands import Command
from ptzmapd.protocols.base import ErrorReply, Garbage, Outgoing, Reply, SequenceReset, SpeedLimits
from ptzmapd.protocols.pairing import VISCA_SEQUENCE, VISCA_SOCKETS, Pairing
from ptzmapd.protocols.visca import (
    FrameSplitter,
    describe_command,
    encode_payload,
    hexbytes,
    inquiry_what,
    is_reply_start,
    replies_from,
)


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


def newer(sequence: int, last: int) -> bool:
    """Whether ``sequence`` comes after ``last`` on the 32-bit circle (so a wrap is newer)."""
    distance = (sequence - last) % SEQUENCE_MODULUS
    return 0 < distance < SEQUENCE_MODULUS // 2


#: Control replies (payload type 0x0201) by payload.
_CONTROL_REPLIES: dict[bytes, Callable[[int], Reply]] = {
    RESET_PAYLOAD: lambda token: SequenceReset(token),
    BAD_SEQUENCE: lambda token: ErrorReply(token, kind="sequence", data=BAD_SEQUENCE),
    BAD_LENGTH: lambda token: ErrorReply(token, kind="message-length", data=BAD_LENGTH),
}


class ViscaIpCodec:
    """One camera spoken to in VISCA over IP.

    ``sequence=False`` is the config's ``sequence: none`` for cameras that reject the header
    (ERRATA quirks): bare frames go out, no RESET, and replies are read with or without a
    header either way.

    A retransmission is the same :class:`Outgoing` sent again (same sequence number, which
    is how the camera tells it from a new command), so :meth:`encode` runs once per command.
    """

    def __init__(self, limits: SpeedLimits, sequence: bool = True, address: int = 1) -> None:
        self.limits = limits
        self.sequence = sequence
        self.address = address
        #: The sequence number the next command carries (+1 per command, wraps at 2**32).
        self.next_sequence = 1
        #: Sequence number → the inquiry it carried, so its answer gets the right ``what``.
        self._pending: dict[int, str] = {}
        #: For replies that arrive without a header (no sequence number to look up).
        self._last_inquiry: str | None = None

    @property
    def pairing(self) -> Pairing:
        """Sequence numbers pair replies when the header is sent; sockets otherwise."""
        return VISCA_SEQUENCE if self.sequence else VISCA_SOCKETS

    def start(self) -> list[Outgoing]:
        return self.reset()

    def reset(self) -> list[Outgoing]:
        if not self.sequence:
            return []
        # The RESET itself carries 0; the first command after it carries 1 (ERRATA example).
        self.next_sequence = 1
        self._pending.clear()
        return [Outgoing(RESET_DATAGRAM, token=0)]

    def key(self, command: Command) -> bytes:
        """The VISCA frame alone: the sequence number differs on every send, the command not."""
        return encode_payload(command, self.limits, self.address)

    def encode(self, command: Command) -> Outgoing:
        payload = encode_payload(command, self.limits, self.address)
        what = inquiry_what(command)
        self._last_inquiry = what
        if not self.sequence:
            return Outgoing(payload, token=None)
        sequence = self.next_sequence
        self.next_sequence = (sequence + 1) % SEQUENCE_MODULUS
        if what is not None:
            self._pending[sequence] = what
            while len(self._pending) > _PENDING_LIMIT:
                del self._pending[next(iter(self._pending))]
        payload_type = PayloadType.INQUIRY if command.inquiry else PayloadType.COMMAND
        return Outgoing(pack(payload_type, sequence, payload), token=sequence)

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
        if header.payload_type == PayloadType.REPLY:
            return self._frames(payload, header.sequence, self._pending.get(header.sequence, self._last_inquiry))
        if header.payload_type == PayloadType.CONTROL_REPLY:
            control = _CONTROL_REPLIES.get(payload)
            if control is None:
                return [Garbage(header.sequence, data, "unknown control reply")]
            return [control(header.sequence)]
        return [Garbage(header.sequence, data, f"unexpected payload type 0x{header.payload_type:04X}")]

    def _frames(self, payload: bytes, token: int | None, pending_inquiry: str | None) -> list[Reply]:
        if not payload:
            return [Garbage(token, payload, "empty reply")]
        splitter = FrameSplitter(is_reply_start)
        return replies_from(splitter.feed(payload) + splitter.flush(), token, pending_inquiry)

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
