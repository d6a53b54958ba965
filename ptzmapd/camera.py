"""The per-camera controller: the rules of the road between intents and the wire.

One :class:`CameraController` per camera. It owns:

- **latest-wins motion slots** (``pantilt``, ``zoom``, ``focus``): a fader flood collapses to
  the newest speed; a slot is sent only when its wire form (the codec's ``key``) changes;
- **a queue of discrete commands** (preset, home, autofocus...) that are never dropped;
- **priority**: a pending stop goes first, then discrete commands, then motion (slots take
  turns so a pan flood cannot starve zoom);
- **one command awaiting its answer**: the next command waits for the ACK of the previous one,
  so a VISCA camera's two command sockets never overflow; which command a reply answers is
  decided by :mod:`ptzmapd.protocols.pairing` (a late completion never confirms a stop);
- **pacing**: at least ``min_interval`` between two sends;
- **retries**: a command not acknowledged within ``ack_timeout`` is retransmitted with the
  same bytes (VISCA over IP: the same sequence number, so the camera can tell it is a repeat);
  a motion command whose slot has moved on is replaced by the newest value instead;
- **error replies**: buffer full → resend the newest state a little later; syntax / not
  executable → logged with the bytes; bad sequence number → RESET and carry on; a refused
  stop is sent again, a permanently refused one only :data:`STOP_REFUSED_TRIES` times (then
  the camera is marked "stop refused" and other commands go on);
- **answers per command**: :meth:`CameraController.submit`, :meth:`~CameraController.set_motion`
  and :meth:`~CameraController.stop` return an :class:`Outcome` that says what became of that
  command (acknowledged, refused with the camera's words, replaced by a newer value...);
- **offline handling**: online means the camera answered recently (one-way protocols: that its
  wire is open); after ``retries`` unanswered tries the camera is marked offline and probed
  with exponential backoff; the newest state is sent when it answers again.

It is driven by callbacks (intents, transport data, one timer) on the event loop's thread and
never blocks, so a dead camera cannot delay another. Time comes from an injected
:class:`~ptzmapd.clock.Clock`; tests drive it with :class:`~ptzmapd.clock.FakeClock`.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import (
    MOTION_SLOTS,
    STOPS,
    CameraAction,
    Command,
    PanTiltPositionInquiry,
    RawCommand,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError, TransportError
from ptzmapd.protocols.base import (
    Codec,
    ErrorReply,
    Garbage,
    InquiryAnswer,
    Notice,
    Outgoing,
    Reply,
    UnreadableAnswer,
)
from ptzmapd.protocols.pairing import Attributed, Family, Ledger, PairingError, Stage
from ptzmapd.transports.base import Transport

#: Discrete commands waiting beyond this many are dropped oldest-first (a camera that is
#: offline for minutes must not replay a minute of button presses when it returns).
MAX_QUEUED = 32
#: A busy camera ("buffer full") is asked again after at least this long.
BUSY_RETRY = 0.1
#: A refused stop is sent again after this long (until the camera takes it)...
STOP_RETRY = 0.5
#: A stop to a camera that stopped answering is tried at every chance this many times before
#: it, too, waits for the offline backoff (a camera that is really gone is not flooded).
STOP_EAGER_TRIES = 8
#: A stop refused permanently (``ErrorReply.permanent``: wrong channel, no such function,
#: credentials rejected) is tried this many times in all (once more, in case the refusal was
#: a passing one after all), then the camera is marked "stop refused" and other commands go
#: on: sending it forever would block the user's preset behind it, and every HTTP try after
#: a 401 is two failed logins (httpx signs again with a fresh nonce), which a Hikvision
#: camera counts toward locking the user out.
STOP_REFUSED_TRIES = 2
#: Offline probing backs off from the ACK timeout up to this many seconds.
BACKOFF_MAX = 5.0
#: Garbage replies, and the same refusal again, are logged at most once per camera per this
#: many seconds (a fader on a camera with wrong credentials must not flood the log).
GARBAGE_LOG_INTERVAL = 60.0


def command_kind(command: Command) -> str:
    """What a command is for a log line: ``PresetRecall``, ``tally on``, ``raw visca``."""
    if isinstance(command, CameraAction):
        return f"{command.name} {command.mode}"
    if isinstance(command, RawCommand):
        return f"raw {command.kind}".rstrip()
    return type(command).__name__


def wire_text(data: bytes, as_text: bool = True) -> str:
    """Bytes for a trace or a message: on a text wire (``Codec.text_wire``: HTTP requests
    and replies, and the readable messages HTTP codecs put in an ErrorReply) their text on
    one line when they are printable; binary protocols (``as_text=False``) always in hex, the
    way their specs print them, even when the bytes happen to be printable (``51`` is not ``Q``)."""
    if not data:
        return "(nothing)"
    if not as_text:
        return data.hex(" ").upper()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and all(char.isprintable() or char in "\r\n\t" for char in text):
        return " ".join(text.split())
    return data.hex(" ").upper()


class Answer(Enum):
    """What became of one command (:class:`Outcome`)."""

    PENDING = "pending"
    #: The camera answered it as its own (ACK, completion, response, inquiry answer).
    ACKNOWLEDGED = "acknowledged"
    #: On the wire of a protocol that never answers (Pelco on one-way wiring).
    SENT = "sent"
    #: The camera refused it (``Outcome.message`` has the camera's words).
    REFUSED = "refused"
    #: A newer value of its motion slot replaced it before it was answered.
    SUPERSEDED = "superseded"
    #: Dropped before it was sent (the queue overflowed, the controller closed).
    DROPPED = "dropped"
    #: The camera's protocol cannot express it.
    UNSENDABLE = "unsendable"


#: Which answer tells most about several (a stop's three slots): the worst one wins.
_SEVERITY: tuple[Answer, ...] = (
    Answer.REFUSED, Answer.DROPPED, Answer.PENDING, Answer.SUPERSEDED, Answer.ACKNOWLEDGED, Answer.SENT, Answer.UNSENDABLE,
)


class Outcome:
    """The answer to one command given to the controller: the per-command answer API.

    ``answer`` is :attr:`Answer.PENDING` until the command's own answer arrives (see
    :mod:`ptzmapd.protocols.pairing`); callbacks given to :meth:`on_done` run then, on the
    controller's thread, once. A command that is never answered stays pending: the caller
    decides how long to wait (``ptzmapd send`` waits a few seconds). ``refusal`` keeps the
    last temporary refusal of a command that is being sent again (a stop refused with 503).
    """

    __slots__ = ("command", "answer", "message", "refusal", "_callbacks")

    def __init__(self, command: Command) -> None:
        self.command = command
        self.answer = Answer.PENDING
        self.message = ""
        self.refusal: str | None = None
        self._callbacks: list[Callable[[Outcome], None]] = []

    def __repr__(self) -> str:
        return f"Outcome({self.command!r}, {self.answer.value}{', ' + repr(self.message) if self.message else ''})"

    @property
    def done(self) -> bool:
        return self.answer is not Answer.PENDING

    def on_done(self, callback: Callable[["Outcome"], None]) -> None:
        """Call ``callback(outcome)`` when the answer is known (at once if it is)."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def resolve(self, answer: Answer, message: str = "") -> None:
        """Settle the outcome (the first answer counts); for the controller."""
        if self.done or answer is Answer.PENDING:
            return
        self.answer, self.message = answer, message
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    @classmethod
    def gather(cls, command: Command, parts: list["Outcome"]) -> "Outcome":
        """One outcome for several (a stop of every slot): done when all are, the worst answer."""
        whole = cls(command)

        def part_done(_: Outcome) -> None:
            if all(part.done for part in parts):
                worst = min(parts, key=lambda part: _SEVERITY.index(part.answer))
                whole.refusal = next((part.refusal for part in parts if part.refusal), None)
                whole.resolve(worst.answer, worst.message)

        for part in parts:
            part.on_done(part_done)
        if not parts:
            whole.resolve(Answer.ACKNOWLEDGED)
        return whole


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    min_interval: float
    ack_timeout: float
    #: Retransmissions of one command before the camera is considered offline.
    retries: int = 2
    #: Ask for the position this often while the camera moves (0 = never).
    position_poll: float = 0.0
    #: Protocols that never answer (Pelco on one-way wiring): send each stop this many extra
    #: times, since a lost stop is a runaway camera...
    stop_repeats: int = 0
    #: ...and send a held motion again this often, so a lost frame is soon made good (0 = never).
    refresh: float = 0.0


@dataclass(slots=True)
class _InFlight:
    command: Command
    outgoing: Outgoing
    first_sent: float
    last_sent: float
    attempts: int = 1
    #: Protocol housekeeping (the VISCA-over-IP RESET, serial VISCA's opening broadcasts) is
    #: sent like a command but is not one.
    is_reset: bool = False
    #: Who waits for this command's answer.
    outcomes: list[Outcome] = field(default_factory=list)
    #: Garbage arrived while this (inquiry) was awaiting its answer.
    garbled: bool = False


@dataclass(slots=True)
class _Queued:
    """A discrete command waiting its turn, and who waits for its answer."""

    command: Command
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(slots=True)
class CameraState:
    """What the controller knows; read by ``ptzmapd status`` and the motion layer."""

    #: The camera answered recently (one-way protocols: its wire is open). False until then.
    online: bool = False
    #: Set when the camera refused a stop :data:`STOP_REFUSED_TRIES` times for good (the
    #: refusal's text); cleared when a stop is taken. Shown by ``ptzmapd status``.
    stop_refused: str | None = None
    #: The newest speeds asked of each slot (what the camera is doing or about to do).
    motion: dict[str, Command] = field(default_factory=lambda: dict(STOPS))
    pan_tilt_position: tuple[int, int] | None = None
    zoom_position: int | None = None
    commands_sent: int = 0
    retransmissions: int = 0
    last_error: str | None = None
    garbage_replies: int = 0
    #: When the most recent commands were sent, for ``commands_per_second``.
    recent_sends: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def commands_per_second(self, now: float, window: float = 2.0) -> float:
        return sum(1 for sent in self.recent_sends if now - sent <= window) / window

    @property
    def moving(self) -> bool:
        return any(not command.is_stop() for command in self.motion.values())


class CameraController:
    def __init__(
        self,
        name: str,
        codec: Codec,
        transport: Transport,
        clock: Clock,
        settings: ControllerSettings,
        log: logging.Logger | None = None,
        label: str | None = None,
    ) -> None:
        self.name = name
        self.codec = codec
        self.transport = transport
        self.clock = clock
        self.settings = settings
        self.log = log or logging.getLogger("ptzmapd.camera")
        #: "stage/visca-ip": how traces name this camera.
        self.label = label or name
        self.state = CameraState()
        # Slot -> key of the newest command the camera was sent (None: unknown, send again).
        self._sent_keys: dict[str, bytes | None] = {slot: None for slot in MOTION_SLOTS}
        #: Who waits for the answer to each slot's newest value, not yet on the wire.
        self._slot_waiters: dict[str, list[Outcome]] = {slot: [] for slot in MOTION_SLOTS}
        self._queue: deque[_Queued] = deque()
        self._urgent: deque[Outgoing] = deque()  # protocol housekeeping (RESET) ahead of all
        #: The command awaiting its answer (at most one; see ptzmapd.protocols.pairing).
        self._in_flight: _InFlight | None = None
        #: Which reply answers which command: the codec's pairing rules.
        self._ledger: Ledger[_InFlight] = Ledger(codec.pairing, stray_window=2 * settings.ack_timeout)
        self._next_send_at = 0.0
        self._next_slot = 0
        self._timer: Timer | None = None
        self._timer_at: float | None = None
        self._failures = 0
        #: Sends in a row that got no answer (retransmissions and replaced motions alike).
        self._unanswered = 0
        self._last_garbage_log = -GARBAGE_LOG_INTERVAL
        self._last_poll = 0.0
        # Reply-less protocols: extra stops still owed per slot, and when each slot was sent.
        self._stops_owed: dict[str, int] = {slot: 0 for slot in MOTION_SLOTS}
        self._slot_sent_at: dict[str, float] = {slot: 0.0 for slot in MOTION_SLOTS}
        #: Who waits for a stop whose repeats are still owed (reply-less protocols).
        self._repeat_waiters: dict[str, list[Outcome]] = {slot: [] for slot in MOTION_SLOTS}
        #: Permanent refusals of each slot's stop in a row (see STOP_REFUSED_TRIES).
        self._stop_refusals: dict[str, int] = {slot: 0 for slot in MOTION_SLOTS}
        #: Slots whose last stop was given up as refused (asking for it again is refused too).
        self._given_up: set[str] = set()
        self._error_logged_at: dict[str, float] = {}
        #: Kinds of command the codec refused to encode, each logged once (see _send_next).
        self._unsendable: set[str] = set()
        self._waiting_turn = False
        self._closed = False
        self._mismatched = 0
        self._ever_answered = False
        #: Offline probing waits until then; a pending stop does not (see _service).
        self._backoff_until = 0.0
        #: Told when the camera stops answering or answers again (LEDs blink an offline camera).
        self.on_online: Callable[[str, bool], None] | None = None

    @property
    def _one_way(self) -> bool:
        return self.codec.pairing.family is Family.ONE_WAY

    # ----------------------------------------------------------------- inputs to the controller

    def start(self) -> None:
        """Attach to the transport and send the protocol's opening words (e.g. RESET).

        Every slot starts as "unknown", so the first thing a camera hears is a stop: after a
        crash or a restart nobody knows whether it is still moving.
        """
        self.transport.add_listener(self.on_data, self.on_transport_state)
        self._urgent.extend(self.codec.start())
        if self._one_way and self.transport.connected:
            self._set_online(True)
        self._service()

    def close(self) -> None:
        self._closed = True
        self._cancel_timer()
        self.transport.remove_listener(self.on_data, self.on_transport_state)

    def set_motion(self, command: Command) -> Outcome:
        """The newest speed for the command's slot; replaces anything not yet sent.

        Returns the command's :class:`Outcome`. A value the camera was already sent (and took)
        is acknowledged at once; a value replaced before it is answered is superseded.
        """
        outcome = self._set_slot(command)
        self._service()
        return outcome

    def stop(self, everywhere: bool = False) -> Outcome:
        """Stop every slot (sent ahead of anything else that is waiting); the outcome is
        done when every slot's stop is answered (or sent, on a reply-less protocol).

        A stop given up because the camera refused it for good is tried again (by the stop
        rules, bounded as before): the refusal may have passed (a password changed back).
        ``everywhere`` (the stop button, shutdown, a reload) also sends a stop on every slot
        ptzmapd believes stopped: the camera may be moving for a reason ptzmapd did not see
        (a preset recall still travelling, another controller)."""
        parts = [self._set_slot(stop, again=True, everywhere=everywhere) for stop in STOPS.values()]
        self._service()
        return Outcome.gather(STOPS["pantilt"], parts)

    def submit(self, command: Command) -> Outcome:
        """A discrete command (preset, home...): queued, never dropped by a motion flood."""
        if command.slot is not None:
            return self.set_motion(command)
        outcome = Outcome(command)
        self._queue.append(_Queued(command, [outcome]))
        while len(self._queue) > MAX_QUEUED:
            dropped = self._queue.popleft()
            self.log.warning("[%s] too many commands waiting; dropped %r", self.label, dropped.command)
            self._resolve(dropped.outcomes, Answer.DROPPED, "too many commands waiting")
        self._service()
        return outcome

    def _set_slot(self, command: Command, again: bool = False, everywhere: bool = False) -> Outcome:
        slot = command.slot
        if slot is None:
            raise ValueError(f"{command!r} is not a motion command")
        outcome = Outcome(command)
        key = self._key(command)
        waiters = self._slot_waiters[slot]
        for waiter in waiters:
            if self._key(waiter.command) != key:
                waiter.resolve(Answer.SUPERSEDED)
        waiters[:] = [waiter for waiter in waiters if not waiter.done]
        self.state.motion[slot] = command
        flight = self._in_flight
        if key is None:
            outcome.resolve(Answer.UNSENDABLE, f"the {self.codec.pairing.family.value} protocol cannot send {command_kind(command)}")
        elif flight is not None and not flight.is_reset and flight.command.slot == slot and self._key(flight.command) == key:
            flight.outcomes.append(outcome)  # on the wire already: its answer is this one's
        elif again and key == self._sent_keys[slot] and (slot in self._given_up or everywhere) \
                and self._stops_owed[slot] == 0:
            # Given up (or, everywhere, sent and taken) before: sent again (see stop()). A
            # one-way stop still repeating is on the wire already.
            self._sent_keys[slot] = None
            self._given_up.discard(slot)
            waiters.append(outcome)
        elif key == self._sent_keys[slot] and slot in self._given_up:
            # The stop the camera refused for good: not sent again until the next stop.
            outcome.resolve(Answer.REFUSED, self.state.stop_refused or "the camera refused this stop")
        elif key == self._sent_keys[slot]:
            # What the camera was last sent, and took (or nothing answers on this wire).
            outcome.resolve(Answer.SENT if self._one_way else Answer.ACKNOWLEDGED, "unchanged")
        else:
            waiters.append(outcome)
        return outcome

    @property
    def awaiting(self) -> Outgoing | None:
        """The command sent and not yet answered, if any."""
        return self._in_flight.outgoing if self._in_flight is not None else None

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing waiting to be sent."""
        return self._in_flight is None and not self._urgent and self._next_command() is None

    # ------------------------------------------------------------------------- the wire side

    def on_transport_state(self, connected: bool) -> None:
        if connected:
            # A new connection (TCP reconnect): the camera may have missed anything, so the
            # newest state of every slot is sent again, and the protocol starts afresh.
            for slot in MOTION_SLOTS:
                self._sent_keys[slot] = None
            # Opening words queued before (a line that came up after start()) are said once.
            self._urgent.clear()
            self._urgent.extend(self.codec.start())
            self._next_send_at = 0.0
            if self._one_way:
                self._set_online(True)  # all a one-way camera can tell: its wire is open
        else:
            if self._in_flight is not None:
                self._requeue(self._in_flight)
                self._in_flight = None
            self._ledger.clear()
            # A wire that is down (no TCP connection, a serial device gone) answers nothing.
            self._set_online(False)
        self._service()

    def on_data(self, data: bytes) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("[%s] <-- %s", self.label, wire_text(data, self.codec.text_wire))
        try:
            replies = self.codec.receive(data)
        except Exception as exc:  # a codec must not raise, but a live daemon must not die if it does
            self.log.error("[%s] could not decode %r: %s", self.label, data, exc)
            return
        for reply in replies:
            self._on_reply(reply)
        self._service()

    def _on_reply(self, reply: Reply) -> None:
        if isinstance(reply, Notice):
            self._on_notice(reply)
            return
        if isinstance(reply, Garbage):
            self.state.garbage_replies += 1
            flight = self._in_flight
            if flight is not None and flight.command.inquiry and not flight.is_reset:
                # Perhaps the inquiry's answer in a shape nobody can read: if it stays
                # unanswered, that silence does not count toward "offline" (see _on_timeout).
                flight.garbled = True
            now = self.clock.now()
            if now - self._last_garbage_log >= GARBAGE_LOG_INTERVAL:
                self._last_garbage_log = now
                self.log.warning(
                    "[%s] ignoring garbage from the camera (%s): %s",
                    self.label, reply.reason, wire_text(reply.data, self.codec.text_wire),
                )
            return
        if self._one_way:
            return  # a dome that does talk on a one-way bus: nothing of ours to pair
        # Whatever it answers, a camera that answers is there.
        self._mark_online()
        attributed = self._attribute(reply)
        if attributed is None:
            return  # a late answer to an abandoned command, or one nobody can attribute
        flight = attributed.entry.item
        if attributed.before is Stage.AWAITING and flight is self._in_flight:
            self._in_flight = None
        if isinstance(reply, UnreadableAnswer):
            # The camera answered in a shape the codec cannot read: the inquiry is given up
            # for this cycle (it is asked again at the next poll); the camera is online.
            self._log_once("unreadable-answer", f"could not read the camera's answer ({reply.reason}): "
                           f"{wire_text(reply.data, self.codec.text_wire)}")
            return
        if attributed.after is Stage.REFUSED:
            assert isinstance(reply, ErrorReply)
            self._on_error(flight, reply, accepted_before=attributed.before is Stage.EXECUTING)
            return
        if isinstance(reply, InquiryAnswer):
            if reply.what == "pantilt-position" and len(reply.values) == 2:
                self.state.pan_tilt_position = (reply.values[0], reply.values[1])
            elif reply.what == "zoom-position" and reply.values:
                self.state.zoom_position = reply.values[0]
        if attributed.before is Stage.AWAITING:
            self._answered(flight)

    def _on_notice(self, notice: Notice) -> None:
        """Something the camera said unasked (a VISCA network change): the codec says what to send."""
        if not notice.send:
            self.log.debug("[%s] %s", self.label, notice.text)
            return
        self.log.info("[%s] %s", self.label, notice.text)
        self._queue_opening(notice.send)

    def _queue_opening(self, words: "tuple[Outgoing, ...] | list[Outgoing]") -> None:
        """Queue the codec's opening words ahead of everything, each once."""
        self._urgent.extend(word for word in words if word not in self._urgent)

    def _attribute(self, reply: Reply) -> Attributed[_InFlight] | None:
        """The command ``reply`` answers, by the codec's pairing rules; None for none."""
        now = self.clock.now()
        ledger = self._ledger
        try:
            attributed = ledger.attribute(reply, now)
            awaiting = ledger.awaiting
            if (attributed is None and ledger.pairing.tokens and not ledger.ignore_tokens and reply.token is not None
                    and awaiting is not None and awaiting.token is not None):
                # ERRATA: some cameras answer every command with the same sequence number.
                # After three in a row, the sockets and the order pair them instead.
                self._mismatched += 1
                if self._mismatched < 3:
                    return None
                ledger.ignore_tokens = True
                self.log.warning("[%s] the camera answers with other sequence numbers than it is sent; "
                                 "pairing its replies by order and VISCA socket", self.label)
                attributed = ledger.attribute(reply, now)
        except PairingError as exc:
            self._log_once("pairing", f"reply {type(reply).__name__} ignored: {exc}")
            return None
        if attributed is not None:
            self._mismatched = 0
        return attributed

    def _answered(self, flight: _InFlight) -> None:
        """The command awaiting its answer got it (its ACK, or all of its answer)."""
        slot = flight.command.slot
        if flight.command.is_stop() and slot is not None and not flight.is_reset:
            self._stop_refusals[slot] = 0
            if self.state.stop_refused is not None:
                self.state.stop_refused = None
                self.log.info("[%s] the camera takes stops again", self.label)
        self._resolve(flight.outcomes, Answer.ACKNOWLEDGED)

    def _on_error(self, flight: _InFlight, reply: ErrorReply, accepted_before: bool = False) -> None:
        """A refusal attributed to ``flight`` (before its ACK, or after it: ``accepted_before``)."""
        describe = self.codec.describe(flight.outgoing.data)
        message = f"camera refused {describe!r}: {reply.kind} ({wire_text(reply.data, self.codec.text_wire)})"
        stop = flight.command.is_stop() and not flight.is_reset
        if reply.kind == "buffer-full" and not accepted_before:
            # The camera is busy (a preset still moving): try again shortly with the newest state.
            self._requeue(flight)
            self._next_send_at = max(self._next_send_at, self.clock.now() + BUSY_RETRY)
            self.log.debug("[%s] camera busy; will resend", self.label)
            return
        if reply.kind in ("sequence", "message-length") and not flight.is_reset and not accepted_before:
            # VISCA over IP lost count of our sequence numbers: RESET, then send again.
            self.log.info("[%s] camera reported a %s error; resetting the sequence number", self.label, reply.kind)
            self._requeue(flight)
            self._urgent.extend(self.codec.reset())
            return
        if reply.kind in ("cancelled", "no-socket"):
            # Answers to a VISCA Cancel, which ptzmapd never sends: nothing to send again.
            self.log.debug("[%s] %s reply: %s", self.label, reply.kind, wire_text(reply.data, self.codec.text_wire))
            self._resolve(flight.outcomes, Answer.REFUSED, message)
            return
        self.state.last_error = message
        self._log_once(reply.kind, message)
        if not stop:
            self._resolve(flight.outcomes, Answer.REFUSED, message)
            return
        # A refused stop is a camera that may still be moving: ask again, gently, until it
        # takes it (an HTTP 503 from a busy camera passes)...
        slot = flight.command.slot
        assert slot is not None
        if reply.permanent:
            # ...but a refusal that cannot pass (wrong channel, wrong password, no such
            # function) only a few times: the user's other commands must not wait behind it
            # forever, and a camera must not lock the user out for failed logins. The other
            # slots' stops waiting now would be refused for the same reason: given up too.
            self._stop_refusals[slot] += 1
            if self._stop_refusals[slot] >= STOP_REFUSED_TRIES:
                self.log.error("[%s] stop refused %d times, not sent again until the next stop: %s",
                               self.label, self._stop_refusals[slot], message)
                self.state.stop_refused = message
                self._stop_refusals[slot] = 0
                self._given_up.add(slot)
                self._resolve(flight.outcomes, Answer.REFUSED, message)
                for other, command in self.state.motion.items():
                    key = self._key(command)
                    if command.is_stop() and key is not None and key != self._sent_keys[other]:
                        self._sent_keys[other] = key
                        self._given_up.add(other)
                        self._resolve(self._slot_waiters[other], Answer.REFUSED, message)
                return
        for outcome in flight.outcomes:
            outcome.refusal = message
        self._requeue(flight)
        self._next_send_at = max(self._next_send_at, self.clock.now() + STOP_RETRY)

    def _resolve(self, outcomes: list[Outcome], answer: Answer, message: str = "") -> None:
        for outcome in outcomes:
            outcome.resolve(answer, message)
        outcomes.clear()

    def _log_once(self, kind: str, message: str) -> None:
        """Warn about a kind of refusal once a minute, not once per fader message."""
        now = self.clock.now()
        last = self._error_logged_at.get(kind)
        if last is None or now - last >= GARBAGE_LOG_INTERVAL:
            self._error_logged_at[kind] = now
            self.log.warning("[%s] %s", self.label, message)

    def _mark_online(self) -> None:
        self._failures = 0
        self._unanswered = 0
        self._backoff_until = 0.0
        self._set_online(True)

    def _set_online(self, online: bool) -> None:
        if online == self.state.online:
            return
        self.state.online = online
        if online:
            if self._ever_answered:
                self.log.info("[%s] camera is answering again", self.label)
            self._ever_answered = True
            self._next_send_at = 0.0
        if self.on_online is not None:
            self.on_online(self.name, online)

    def _requeue(self, flight: _InFlight) -> None:
        """Put a command that did not get through back where it will be sent again; who waits
        for it goes on waiting, unless a newer value of its slot replaced it meanwhile."""
        if flight.is_reset:
            self._urgent.appendleft(flight.outgoing)
            return
        slot = flight.command.slot
        if slot is not None:
            self._sent_keys[slot] = None  # the newest value of the slot goes again
            newest = self._key(self.state.motion[slot])
            for outcome in flight.outcomes:
                if self._key(outcome.command) == newest:
                    self._slot_waiters[slot].append(outcome)
                else:
                    outcome.resolve(Answer.SUPERSEDED)
            flight.outcomes = []
        elif not flight.command.inquiry:
            self._queue.appendleft(_Queued(flight.command, flight.outcomes))
            flight.outcomes = []

    # ---------------------------------------------------------------------------- scheduling

    def _next_command(self) -> tuple[Command, str | None] | None:
        """What to send next, by priority: stops, discrete commands, then motion slots."""
        motion = self.state.motion
        for slot in MOTION_SLOTS:
            command = motion[slot]
            if command.is_stop() and self._key(command) != self._sent_keys[slot]:
                return command, slot
        # Repeats (reply-less protocols) come after every first stop: on Pelco each frame
        # carries every axis, so a zoom stop must not wait behind the pan stop's repeats.
        for slot in MOTION_SLOTS:
            if motion[slot].is_stop() and self._stops_owed[slot] > 0:
                return motion[slot], slot
        if self._queue:
            return self._queue[0].command, None
        refresh_before = self.clock.now() - self.settings.refresh if self.settings.refresh > 0 else None
        for offset in range(len(MOTION_SLOTS)):
            slot = MOTION_SLOTS[(self._next_slot + offset) % len(MOTION_SLOTS)]
            command = motion[slot]
            if self._key(command) != self._sent_keys[slot]:
                return command, slot
            # Only what the codec can say is refreshed (a zoom held on a camera without zoom is not).
            if refresh_before is not None and not command.is_stop() and self._slot_sent_at[slot] <= refresh_before \
                    and self._key(command) is not None:
                return command, slot
        return None

    def _key(self, command: Command) -> bytes | None:
        try:
            return self.codec.key(command)
        except ProtocolError:
            return None

    def _service(self) -> None:
        """Send what may be sent now, then arm the timer for the next thing that is due."""
        if self._closed:
            return
        now = self.clock.now()
        flight = self._in_flight
        if flight is not None and flight.command.inquiry and not flight.is_reset and self._next_command() is not None:
            # A position poll never holds back a command (a stop least of all): given up for
            # this cycle, and its answer, should it still come, answers nothing.
            self._in_flight = None
            self._ledger.abandon(now)
            flight = None
        if flight is not None and self._stop_waits_behind(flight):
            # A stop never waits for the answer to a move (a slow camera's ack timeout is a
            # policy timer too): the move is given up, its late answer becomes a stray that
            # the pairing rules never take for the stop's (pairing.Ledger.abandon).
            self._in_flight = None
            self._ledger.abandon(now)
            self._requeue(flight)
            flight = None
        if flight is not None and now >= flight.last_sent + self.settings.ack_timeout:
            self._on_timeout(flight, now)
        if self._in_flight is None and now >= self._send_at() and self.transport.connected and self._has_work(now):
            # On a shared slow bus the wire decides when it is our turn (see _take_turn).
            if self.transport.request_turn(self._take_turn):
                self._send_next(now)
            else:
                self._waiting_turn = True  # the wire calls _take_turn; no timer of our own
        self._arm_timer(now)

    def _stop_waits_behind(self, flight: _InFlight) -> bool:
        """A stop is waiting while a move (not a stop, not opening words) awaits its answer, on
        a protocol whose replies can be told apart by the pairing rules (not one HTTP exchange,
        which is the whole of the wire until it ends)."""
        command = flight.command
        if flight.is_reset or command.slot is None or command.is_stop():
            return False
        if self.codec.pairing.family is not Family.VISCA:
            return False
        return self._stop_pending()

    def _send_at(self) -> float:
        """When the next send may go: pacing always; the offline backoff only when no stop is
        waiting (a stop to a camera that may be moving goes at every chance)."""
        urgent_stop = self._failures < STOP_EAGER_TRIES and self._stop_pending()
        if self._backoff_until > self._next_send_at and not urgent_stop:
            return self._backoff_until
        return self._next_send_at

    def _stop_pending(self) -> bool:
        return any(
            command.is_stop() and self._key(command) != self._sent_keys[slot]
            for slot, command in self.state.motion.items()
        )

    def _has_work(self, now: float) -> bool:
        return bool(self._urgent) or self._next_command() is not None or self._poll_due(now)

    def _take_turn(self) -> bool:
        """The shared wire's call: our turn has come. Send the newest thing, if any."""
        self._waiting_turn = False
        if self._closed:
            return False
        now = self.clock.now()
        if self._in_flight is not None or now < self._send_at() or not self._has_work(now):
            self._arm_timer(now)  # nothing to send after all: the refresh timer still matters
            return False
        sent = self.state.commands_sent
        urgent = len(self._urgent)
        self._send_next(now)
        self._arm_timer(now)
        return self.state.commands_sent != sent or len(self._urgent) != urgent

    def _on_timeout(self, flight: _InFlight, now: float) -> None:
        # Every unanswered send counts toward "offline", whether it is retransmitted or
        # replaced by a newer speed: a dead camera under a moving fader is still dead. An
        # inquiry answered with bytes nobody could read was answered all the same.
        if not flight.garbled:
            self._unanswered += 1
        slot = flight.command.slot
        stale = slot is not None and not flight.is_reset and self._key(self.state.motion[slot]) != self._key(flight.command)
        giving_up = self._unanswered > self.settings.retries
        # An inquiry is not repeated: the next poll asks again (and commands go first meanwhile).
        inquiry = flight.command.inquiry and not flight.is_reset
        if not giving_up and not stale and not inquiry:
            self.log.debug("[%s] no answer; retransmitting %s", self.label, self.codec.describe(flight.outgoing.data))
            if self._write(flight.outgoing, now, stop=self._is_stop(flight)):
                flight.attempts += 1
                flight.last_sent = now
                self._ledger.resent(now)
                self.state.retransmissions += 1
                return
        self._in_flight = None
        self._ledger.abandon(now)  # its answer may still come: then it answers nobody
        if flight.is_reset and giving_up:
            # Opening words nobody answers (the VISCA-over-IP RESET, an IF_Clear a chain does
            # not echo): carry on without them. Whether the camera is there, its answers to
            # commands tell: the silence of housekeeping alone does not make it offline. The
            # codec says what the silence means in its protocol's terms.
            what = flight.outgoing.unanswered or f"no answer to {self.codec.describe(flight.outgoing.data)}"
            self.log.warning("[%s] %s", self.label, what)
            self._unanswered = 0
            return
        self._requeue(flight)  # a motion slot goes again with its newest value
        if not giving_up:
            return
        self._failures += 1
        if self._failures == 1:  # the first give-up of a silence (or of a camera never heard)
            if self._ever_answered:
                # A camera that answered before and fell silent may have rebooted and lost
                # its count (VISCA over IP) or its address (a serial chain): the codec's reset
                # words go out with the probes.
                self._queue_opening(self.codec.reset())
            self._set_online(False)
            self.state.last_error = f"no answer after {self._unanswered} tries"
            self.log.warning(
                "[%s] camera is not answering (%s); retrying with backoff", self.label, self.state.last_error
            )
        backoff = min(BACKOFF_MAX, self.settings.ack_timeout * (2 ** min(self._failures, 6)))
        self._backoff_until = now + backoff

    def _send_next(self, now: float) -> None:
        if self._urgent:
            outgoing = self._urgent.popleft()
            if self._write(outgoing, now):
                self._in_flight = _InFlight(STOPS["pantilt"], outgoing, now, now, is_reset=True)
                self._ledger.sent(self._in_flight, stop=False, token=outgoing.token, now=now)
            else:
                self._urgent.appendleft(outgoing)
            return
        picked = self._next_command()
        if picked is None:
            picked = self._position_inquiry(now)
            if picked is None:
                return
        command, slot = picked
        try:
            outgoing = self.codec.encode(command)
        except ProtocolError as exc:
            # A binding to "all" or "selected" may reach a camera whose protocol cannot do it
            # (``ptzmapd check`` allows that): skip it, and say so once per kind, not per press.
            kind = command_kind(command)
            if kind in self._unsendable:
                self.log.debug("[%s] cannot send %r: %s", self.label, command, exc)
            else:
                self._unsendable.add(kind)
                self.log.error("[%s] cannot send %s (skipped from now on, said once): %s", self.label, kind, exc)
            self._resolve(self._consume(command, slot, None), Answer.UNSENDABLE, str(exc))
            return
        if not self._write(outgoing, now, stop=command.is_stop()):
            return
        key = self._key(command)
        outcomes = self._consume(command, slot, key)
        self.state.commands_sent += 1
        self.state.recent_sends.append(now)
        if slot is not None:
            self._slot_sent_at[slot] = now
            if not command.is_stop():
                self._stop_refusals[slot] = 0
            outcomes.extend(self._same_stop_elsewhere(slot, outgoing))
            if not outgoing.expects_reply:
                repeating = self._repeat_waiters[slot]
                if not command.is_stop():
                    self._stops_owed[slot] = 0  # the next stop is a new one, with all its repeats
                    self._resolve(repeating, Answer.SUPERSEDED)
                elif self._stops_owed[slot] > 0:
                    self._stops_owed[slot] -= 1
                else:
                    self._stops_owed[slot] = self.settings.stop_repeats
                # A stop is sent when its repeats are too (``send`` must not exit before them).
                repeating.extend(outcomes)
                outcomes = []
                if self._stops_owed[slot] == 0:
                    self._resolve(repeating, Answer.SENT)
        if outgoing.expects_reply:
            self._in_flight = _InFlight(command, outgoing, now, now, outcomes=outcomes)
            self._ledger.sent(self._in_flight, stop=command.is_stop(), token=outgoing.token, now=now,
                              asks=command.inquiry or isinstance(command, RawCommand))
        else:
            self._resolve(outcomes, Answer.SENT)
        if slot is not None:
            self._next_slot = (MOTION_SLOTS.index(slot) + 1) % len(MOTION_SLOTS)

    def _same_stop_elsewhere(self, slot: str, outgoing: Outgoing) -> list[Outcome]:
        """A stop whose bytes on the wire are exactly another slot's stop stops that slot too
        (Pelco: every frame carries every axis, so one all-stop frame ends pan, zoom and focus;
        issue 9 item 12). Those slots count as sent; their waiters wait for this answer."""
        outcomes: list[Outcome] = []
        if not self.state.motion[slot].is_stop():
            return outcomes
        for other in MOTION_SLOTS:
            command = self.state.motion[other]
            if other == slot or not command.is_stop():
                continue
            key = self._key(command)
            if key is not None and key == outgoing.data and self._sent_keys[other] != key:
                self._sent_keys[other] = key
                self._stops_owed[other] = 0
                outcomes.extend(self._slot_waiters[other])
                self._slot_waiters[other] = []
        return outcomes

    def _consume(self, command: Command, slot: str | None, key: bytes | None) -> list[Outcome]:
        """Mark ``command`` as on its way; returns who waits for its answer."""
        if slot is not None:
            self._sent_keys[slot] = key
            self._given_up.discard(slot)
            waiters = self._slot_waiters[slot]
            if key is None:
                taken, waiters[:] = list(waiters), []
            else:
                taken = [waiter for waiter in waiters if self._key(waiter.command) == key]
                waiters[:] = [waiter for waiter in waiters if waiter not in taken]
            return taken
        if self._queue and self._queue[0].command is command:
            return self._queue.popleft().outcomes
        return []

    def _poll_due(self, now: float) -> bool:
        interval = self.settings.position_poll
        return interval > 0 and self.state.moving and now - self._last_poll >= interval

    def _position_inquiry(self, now: float) -> tuple[Command, None] | None:
        """Poll the position lightly while moving, when there is nothing else to send."""
        if not self._poll_due(now):
            return None
        self._last_poll = now
        # Alternate the two inquiries so each costs one slot of the command budget.
        inquiry: Command = PanTiltPositionInquiry() if self.state.commands_sent % 2 else ZoomPositionInquiry()
        if self._key(inquiry) is None:  # the protocol has no such inquiry
            return None
        return inquiry, None

    @staticmethod
    def _is_stop(flight: _InFlight) -> bool:
        return flight.command.is_stop() and not flight.is_reset

    def _write(self, outgoing: Outgoing, now: float, stop: bool = False) -> bool:
        try:
            if stop:
                self.transport.send_stop(outgoing.data)  # no policy timer holds a stop back
            else:
                self.transport.send(outgoing.data)
        except TransportError as exc:
            self.log.debug("[%s] %s", self.label, exc)
            # Not a busy loop: a wire that refuses now is asked again after a pause.
            self._next_send_at = now + max(self.settings.min_interval, BUSY_RETRY)
            return False
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("[%s] --> %s", self.label, wire_text(outgoing.data, self.codec.text_wire))
        self._next_send_at = now + self.settings.min_interval
        return True

    def _deadline(self) -> float | None:
        flight = self._in_flight
        if flight is not None:
            return flight.last_sent + self.settings.ack_timeout
        if not self.transport.connected or self._waiting_turn:
            return None  # the transport's state callback, or our turn on the wire, wakes us
        if self._urgent or self._next_command() is not None:
            return self._send_at()
        deadlines = []
        if self.settings.position_poll > 0 and self.state.moving:
            deadlines.append(self._last_poll + self.settings.position_poll)
        if self.settings.refresh > 0:
            moving = [self._slot_sent_at[slot] + self.settings.refresh
                      for slot, command in self.state.motion.items()
                      if not command.is_stop() and self._key(command) is not None]
            deadlines.extend(moving)
        return max(self._send_at(), min(deadlines)) if deadlines else None

    def _arm_timer(self, now: float) -> None:
        deadline = self._deadline()
        if deadline == self._timer_at:
            return
        self._cancel_timer()
        if deadline is not None:
            self._timer_at = deadline
            self._timer = self.clock.call_later(max(0.0, deadline - now), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self._service()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None
