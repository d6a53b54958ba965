"""Reply pairing: which command a camera's reply answers (sans-io, like h11's state machine).

A reply is useful only once it is attributed to the command it answers; attributed wrongly it
is worse than lost: a pan's late completion taken for a lost stop's answer leaves the camera
panning with nobody touching anything (issue 9, item 1). This module owns those rules, once:

- **Named stages** a sent command goes through (:class:`Stage`) and **one transition table per
  protocol family** (:data:`TABLES`): a move outside the table is a :class:`PairingError` that
  names the event and the stage.
- **Attribution** (:class:`Ledger`): a reply carrying a token (VISCA-over-IP sequence number)
  belongs to the command with that token; a completion ``z0 5y FF`` (or an error naming socket
  y) belongs to the command whose ACK ``z0 4y FF`` named socket y, motion commands included
  (ERRATA: "Replies interleave"); anything else answers the command awaiting its first answer,
  by order, unless a stray (an answer still owed to an earlier copy or an abandoned command)
  could be the one speaking.
- **The stop rule**: a reply that cannot be attributed never confirms a stop. A stop is
  confirmed only by its own answer.

The protocol's quirks come from the codec, as its :class:`Pairing` (which family, whether its
replies carry tokens). The controller (:mod:`ptzmapd.control.controller`) keeps the ledger and acts on the
outcomes; nothing here sends, sleeps or reads a clock (``now`` is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import (
    Ack,
    Completion,
    ErrorReply,
    Garbage,
    InquiryAnswer,
    Reply,
    SequenceReset,
    UnreadableAnswer,
)


class Stage(Enum):
    """Where a sent command stands."""

    #: Sent; no answer of its own yet (at most one command is in this stage).
    AWAITING = "awaiting its answer"
    #: Accepted (ACK naming socket y); its completion is still to come.
    EXECUTING = "executing"
    #: Finished, or answered in full (HTTP response, inquiry answer).
    DONE = "done"
    #: The camera refused it.
    REFUSED = "refused"


class Event(Enum):
    """A reply, by what it means for the command it is attributed to."""

    ACK = "ack"
    COMPLETION = "completion"
    ANSWER = "inquiry answer"
    REFUSAL = "refusal"
    RESET_DONE = "sequence reset answer"


class Family(Enum):
    """How a protocol family's replies map onto its commands."""

    #: VISCA (raw, serial, over IP): ACK then completion, two command sockets, sequence
    #: numbers on VISCA over IP.
    VISCA = "visca"
    #: HTTP: one request, one response (the transport never has two requests out).
    EXCHANGE = "http exchange"
    #: No replies at all (Pelco on one-way RS-485).
    ONE_WAY = "one-way"


Transitions = dict[tuple[Stage, Event], Stage]

#: VISCA: an ACK puts a command in a socket, its completion (or a cancel/not-executable naming
#: that socket) ends it. A completion with no ACK before it answers too (some cameras skip the
#: ACK) but only when it can be attributed (see :meth:`Ledger.attribute`).
VISCA_TABLE: Transitions = {
    (Stage.AWAITING, Event.ACK): Stage.EXECUTING,
    (Stage.AWAITING, Event.COMPLETION): Stage.DONE,
    (Stage.AWAITING, Event.ANSWER): Stage.DONE,
    (Stage.AWAITING, Event.REFUSAL): Stage.REFUSED,
    (Stage.AWAITING, Event.RESET_DONE): Stage.DONE,
    (Stage.EXECUTING, Event.COMPLETION): Stage.DONE,
    (Stage.EXECUTING, Event.REFUSAL): Stage.REFUSED,
}
#: HTTP: the response is the whole answer.
EXCHANGE_TABLE: Transitions = {
    (Stage.AWAITING, Event.ACK): Stage.DONE,
    (Stage.AWAITING, Event.ANSWER): Stage.DONE,
    (Stage.AWAITING, Event.REFUSAL): Stage.REFUSED,
}
#: Nothing answers: every reply is a move outside the table.
ONE_WAY_TABLE: Transitions = {}

TABLES: dict[Family, Transitions] = {
    Family.VISCA: VISCA_TABLE,
    Family.EXCHANGE: EXCHANGE_TABLE,
    Family.ONE_WAY: ONE_WAY_TABLE,
}


class PairingError(ProtocolError):
    """A reply that the family's table has no move for in the command's stage."""

    def __init__(self, family: Family, event: Event, stage: Stage) -> None:
        super().__init__(f"{family.value}: a {event.value} is not expected by a command {stage.value}")
        self.family, self.event, self.stage = family, event, stage


def step(family: Family, stage: Stage, event: Event) -> Stage:
    """The stage after ``event``; PairingError naming both when the table has no such move."""
    after = TABLES[family].get((stage, event))
    if after is None:
        raise PairingError(family, event, stage)
    return after


@dataclass(frozen=True, slots=True)
class Pairing:
    """What a codec tells the controller about its replies (its quirks for this module)."""

    family: Family
    #: Replies carry the command's token (VISCA over IP with sequence numbers).
    tokens: bool = False

    @property
    def stop_overtakes_moves(self) -> bool:
        """A move still awaiting its answer may be given up for a stop that waits: the move's
        late answer can still be told from the stop's (VISCA's tokens and sockets, and the
        ledger's owed strays). Not over one HTTP exchange, which is the whole of the wire
        until it ends; a one-way wire has nothing awaiting an answer."""
        return self.family is Family.VISCA


VISCA_SOCKETS = Pairing(Family.VISCA)
VISCA_SEQUENCE = Pairing(Family.VISCA, tokens=True)
HTTP_EXCHANGE = Pairing(Family.EXCHANGE)
ONE_WAY = Pairing(Family.ONE_WAY)


def event_of(reply: Reply) -> Event | None:
    """What a reply means for its command; None for Garbage (never attributed)."""
    if isinstance(reply, Ack):
        return Event.ACK
    if isinstance(reply, Completion):
        return Event.COMPLETION
    if isinstance(reply, (InquiryAnswer, UnreadableAnswer)):
        return Event.ANSWER  # an answer the codec could not read is an answer all the same
    if isinstance(reply, ErrorReply):
        return Event.REFUSAL
    if isinstance(reply, SequenceReset):
        return Event.RESET_DONE
    assert isinstance(reply, Garbage), reply
    return None


def _socket(reply: Reply) -> int:
    """The VISCA socket a reply names (0: none)."""
    return getattr(reply, "socket", 0) or 0


T = TypeVar("T")


#: Replies whose token matches nothing, in a row, before a ledger stops trusting tokens...
TOKEN_MISMATCHES = 3
#: ...and what the controller says then, once.
TOKENS_IGNORED = ("the camera answers with other sequence numbers than it is sent; "
                  "pairing its replies by order and VISCA socket")


@dataclass(slots=True)
class Entry(Generic[T]):
    """One sent command in the ledger; ``item`` is the controller's own record of it."""

    item: T
    stop: bool
    token: int | None = None
    #: It asks for data (an inquiry, or a raw command that may be one): only such a command
    #: takes an inquiry answer by order.
    asks: bool = False
    stage: Stage = Stage.AWAITING
    socket: int = 0
    #: Copies on the wire (1 + retransmissions): each may still be answered.
    copies: int = 1
    #: ``now`` of the newest copy.
    last_sent: float = 0.0


@dataclass(frozen=True, slots=True)
class Attributed(Generic[T]):
    """A reply and the command it was attributed to, with the stage it moved to."""

    entry: Entry[T]
    event: Event
    before: Stage
    after: Stage


@dataclass(slots=True)
class Ledger(Generic[T]):
    """The commands a camera may still answer, and the rules that pair its replies with them.

    ``stray_window`` is how long after its last copy an unanswered or extra copy may still be
    answered (the controller passes twice its ack timeout).
    """

    pairing: Pairing
    stray_window: float
    awaiting: Entry[T] | None = None
    #: Socket -> the accepted command in it (VISCA).
    executing: dict[int, Entry[T]] = field(default_factory=dict)
    #: Until when each answer still owed to a copy nobody waits for may arrive.
    strays: list[float] = field(default_factory=list)
    #: Tokens are not trusted (ERRATA: a camera answering every command with one sequence
    #: number); set by :meth:`attribute` after :data:`TOKEN_MISMATCHES` in a row.
    ignore_tokens: bool = False
    #: Replies in a row whose token answered nothing while a tokened command awaited one.
    mismatched: int = 0

    def sent(self, item: T, stop: bool, token: int | None, now: float, asks: bool = False) -> Entry[T]:
        """A new command went out and now awaits its answer (one at a time)."""
        if self.awaiting is not None:
            self.abandon(now)
        self.awaiting = Entry(item, stop, token, asks=asks, last_sent=now)
        return self.awaiting

    def resent(self, now: float) -> None:
        """The awaiting command went out again (same bytes)."""
        if self.awaiting is not None:
            self.awaiting.copies += 1
            self.awaiting.last_sent = now

    def abandon(self, now: float) -> Entry[T] | None:
        """Nobody waits for the awaiting command any more; its copies' answers become strays."""
        entry, self.awaiting = self.awaiting, None
        # An inquiry is never ACKed: its late answer is data, which only an asking command takes.
        if entry is not None and self.pairing.family is Family.VISCA and not self._by_token(entry.token) \
                and not entry.asks:
            self._owed_strays(now)  # forget the expired ones: a dead camera must not grow the list
            self.strays.extend([entry.last_sent + self.stray_window] * entry.copies)
        return entry

    def clear(self) -> None:
        """The line started afresh (reconnect, sequence RESET): nothing is owed any more."""
        self.awaiting = None
        self.executing.clear()
        self.strays.clear()

    def _by_token(self, token: int | None) -> bool:
        return self.pairing.tokens and not self.ignore_tokens and token is not None

    def _owed_strays(self, now: float) -> int:
        self.strays = [until for until in self.strays if until >= now]
        return len(self.strays)

    def attribute(self, reply: Reply, now: float) -> Attributed[T] | None:
        """The command ``reply`` answers and the move it makes; None when it answers none we
        know, or cannot be attributed safely (never a stop's confirmation then).

        Raises PairingError when the attributed command's stage has no move for the reply.
        """
        attributed = self._attribute(reply, now)
        awaiting = self.awaiting
        if attributed is None and self._by_token(reply.token) and awaiting is not None and awaiting.token is not None:
            # ERRATA: some cameras answer every command with the same sequence number.
            # After three in a row, the sockets and the order pair them instead.
            self.mismatched += 1
            if self.mismatched < TOKEN_MISMATCHES:
                return None
            self.ignore_tokens = True
            attributed = self._attribute(reply, now)
        if attributed is not None:
            self.mismatched = 0
        return attributed

    def _attribute(self, reply: Reply, now: float) -> Attributed[T] | None:
        event = event_of(reply)
        if event is None:
            return None
        entry = self._find(reply, event, now)
        if entry is None:
            return None
        before = entry.stage
        after = step(self.pairing.family, before, event)
        entry.stage = after
        if entry is self.awaiting and after is not Stage.AWAITING:
            self.awaiting = None
            # Its other copies may be answered too: those answers are owed to nobody.
            if entry.copies > 1 and self.pairing.family is Family.VISCA and not self._by_token(entry.token):
                self.strays.extend([entry.last_sent + self.stray_window] * (entry.copies - 1))
        socket = _socket(reply)
        if after is Stage.EXECUTING:
            if socket:
                # A socket holds one command: an older holder's completion was lost.
                entry.socket = socket
                self.executing[socket] = entry
            else:
                entry.stage = Stage.DONE  # an ACK naming no socket: nothing more will come
        elif before is Stage.EXECUTING:
            self.executing.pop(entry.socket, None)
        return Attributed(entry, event, before, entry.stage)

    def _find(self, reply: Reply, event: Event, now: float) -> Entry[T] | None:
        family = self.pairing.family
        awaiting = self.awaiting
        if family is Family.ONE_WAY:
            return None
        if family is Family.EXCHANGE:
            return awaiting  # one request, one response
        # VISCA. A sequence number settles it where the camera keeps them straight.
        if self._by_token(reply.token):
            if awaiting is not None and awaiting.token == reply.token:
                return awaiting
            return next((e for e in self.executing.values() if e.token == reply.token), None)
        socket = _socket(reply)
        if event in (Event.COMPLETION, Event.REFUSAL) and socket in self.executing:
            # z0 5y / z0 6y: the command whose ACK named socket y.
            return self.executing[socket]
        if awaiting is None:
            if event is Event.ACK and self._owed_strays(now):
                # An abandoned copy's ACK arriving while nothing awaits: one owed answer the
                # less, so the next stop's own ACK is not taken for it.
                self.strays.pop(0)
            return None
        if event is Event.ANSWER and not awaiting.asks:
            return None  # data answers a question: an abandoned inquiry's, not this command's
        if event is Event.COMPLETION and socket:
            # A completion on a socket no accepted command holds: the camera skipped the ACK,
            # or an earlier command's ACK was lost. Only a non-stop may take it as its answer.
            return None if awaiting.stop else awaiting
        if awaiting.stop and self._owed_strays(now):
            # An earlier copy's answer may be the one arriving: not proof the stop arrived.
            self.strays.pop(0)
            return None
        return awaiting
