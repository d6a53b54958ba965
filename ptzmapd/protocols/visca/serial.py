"""Serial VISCA (RS-232/RS-422 daisy chains): the chain's broadcasts and reply routing (sans-io).

This module owns what serial VISCA adds to the message layer of
:mod:`ptzmapd.protocols.visca`: the broadcasts a controller opens a chain with (AddressSet
numbers the cameras in chain order, IF_Clear empties their command buffers), their answers,
and picking one camera's replies out of a line that every camera on the chain answers on
(``z0``, z = address + 8: ``90`` for camera 1). Commands, the camera address in their first
byte (``8x``), raw frames and reply parsing are the VISCA codec's own, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.commands import Command
from ptzmapd.protocols.base import Completion, Garbage, Notice, Outgoing, Reply, SpeedLimits
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.tables import reply_start
from ptzmapd.protocols.visca.read import NETWORK_CHANGE, FrameSplitter, describe_command, replies_from
from ptzmapd.protocols.visca.tables import DEFAULT_DIALECT, TALLY_NONE, TERMINATOR, is_reply_start

#: The serial broadcast address byte: a command to every camera on the chain.
BROADCAST = 0x88


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A broadcast the controller sends, and how its answer looks."""

    name: str
    frame: bytes
    #: The answer starts with these bytes (AddressSet ``88 30 0w FF``; IF_Clear is echoed).
    answer_prefix: bytes
    answer_length: int
    #: What the controller tells the user when the chain leaves it unanswered.
    unanswered: str


ADDRESS_SET = Broadcast(
    "address set", bytes.fromhex("88 30 01 FF"), bytes.fromhex("88 30"), 4,
    "no answer to AddressSet (88 30 01 FF): check the chain's wiring (TX to RX, RX to TX), "
    "the line speed and that the cameras are powered",
)
IF_CLEAR = Broadcast(
    "if clear", bytes.fromhex("88 01 00 01 FF"), bytes.fromhex("88 01 00 01 FF"), 5,
    "IF_Clear (88 01 00 01 FF) did not come back round the chain; carrying on "
    "(some cameras do not pass broadcasts on; the commands' own answers will tell)",
)
#: What a controller sends when the line comes up, in this order (ERRATA: AddressSet, then
#: IF_Clear). Each camera's controller sends them: they are idempotent, and every camera must
#: know its address before the first command whichever controller speaks first.
OPENING: tuple[Broadcast, ...] = (ADDRESS_SET, IF_CLEAR)
_BY_FRAME: dict[bytes, Broadcast] = {broadcast.frame: broadcast for broadcast in OPENING}


def is_line_start(byte: int) -> bool:
    """What opens a frame on the controller's receive line: a reply or a broadcast answer."""
    return is_reply_start(byte) or byte == BROADCAST


def address_set_answer(cameras: int) -> bytes:
    """The AddressSet answer after ``cameras`` cameras: ``88 30 0w FF``, w = cameras + 1."""
    return bytes([BROADCAST, 0x30, cameras + 1, TERMINATOR])


def describe_frame(frame: bytes) -> str:
    """Readable text for a command or broadcast frame: ``address set``, ``preset recall 3``."""
    broadcast = _BY_FRAME.get(frame)
    return broadcast.name if broadcast is not None else describe_command(frame)


class ViscaSerialCodec(ViscaCodec):
    """One camera on a serial VISCA daisy chain.

    Every camera's codec sees every byte of the line (the transport is shared); a codec keeps
    only replies from its own address. Broadcast answers carry no address and every camera's
    controller opens the line, so the answers to those broadcasts are interchangeable: while
    the codec is opening (from :meth:`start` until it encodes its first command, a stretch in
    which the controller has nothing but the opening broadcasts in flight) any of them answers
    the broadcast in flight; after that they belong to other cameras' controllers.
    """

    def __init__(
        self, limits: SpeedLimits, address: int, dialect: str = DEFAULT_DIALECT, preset_base: int | None = None,
        tally: str = TALLY_NONE, tally_preview: bool = False,
    ) -> None:
        super().__init__(limits, address, dialect, preset_base, tally, tally_preview)
        self._splitter = FrameSplitter(is_line_start)
        self._opening = False

    def start(self) -> list[Outgoing]:
        self._opening = True
        return [Outgoing(broadcast.frame, token=None, unanswered=broadcast.unanswered) for broadcast in OPENING]

    def reset(self) -> list[Outgoing]:
        # A camera that fell silent may have been power-cycled and lost its address: open the
        # chain again (idempotent for the cameras that kept theirs).
        return self.start()

    def encode(self, command: Command) -> Outgoing:
        self._opening = False
        return super().encode(command)

    def receive(self, data: bytes) -> list[Reply]:
        own = reply_start(self.address)
        replies: list[Reply] = []
        for piece in self._splitter.feed(data):
            if piece.junk:
                replies.append(Garbage(None, piece.data, piece.junk))
            elif piece.data[0] == BROADCAST:
                replies.extend(self._broadcast_answer(piece.data))
            elif piece.data[1:] == bytes([NETWORK_CHANGE, TERMINATOR]):
                # ERRATA: a camera was added or the chain re-addressed (any camera may say
                # so): every camera's controller numbers the chain again.
                replies.append(Notice(None, text="network change on the chain: sending AddressSet again",
                                      send=tuple(self.start())))
            elif piece.data[0] == own:
                replies.extend(replies_from([piece], None, self._pending_inquiry))
            # Anything else is another camera's reply on the shared line.
        return replies

    def _broadcast_answer(self, frame: bytes) -> list[Reply]:
        broadcast = next(
            (b for b in OPENING if len(frame) == b.answer_length and frame.startswith(b.answer_prefix)), None
        )
        if broadcast is None or not self._opening:
            return []  # a broadcast passing by, or an answer to another camera's controller
        if broadcast is ADDRESS_SET:
            cameras = frame[2] - 1
            if not 0 <= cameras <= 7:
                return [Garbage(None, frame, "AddressSet answer out of range")]
            if self.address > cameras:
                # Not an answer for us: the controller retries, so a camera plugged in later
                # is found, and the reason is in the log meanwhile.
                return [Garbage(None, frame, f"AddressSet found {cameras} camera(s) on the chain; none at address {self.address}")]
        return [Completion(None)]

    def describe(self, data: bytes) -> str:
        return describe_frame(data)
