"""The per-camera controller: the rules of the road between intents and the wire.

One :class:`CameraController` per camera. It owns:

- **latest-wins motion slots** (``pantilt``, ``zoom``, ``focus``): a fader flood collapses to
  the newest speed; a slot is sent only when its wire form (the codec's ``key``) changes;
- **a queue of discrete commands** (preset, home, autofocus...) that are never dropped;
- **priority**: a pending stop goes first, then discrete commands, then motion (slots take
  turns so a pan flood cannot starve zoom);
- **one command in flight**: the next command waits for the ACK of the previous one, so a
  VISCA camera's two command sockets never overflow;
- **pacing**: at least ``min_interval`` between two sends;
- **retries**: a command not acknowledged within ``ack_timeout`` is retransmitted with the
  same bytes (VISCA over IP: the same sequence number, so the camera can tell it is a repeat);
  a motion command whose slot has moved on is replaced by the newest value instead;
- **error replies**: buffer full → resend the newest state a little later; syntax / not
  executable → logged with the bytes; bad sequence number → RESET and carry on;
- **offline handling**: after ``retries`` unanswered tries the camera is marked offline and
  probed with exponential backoff; the newest state is sent when it answers again.

It is driven by callbacks (intents, transport data, one timer) on the event loop's thread and
never blocks, so a dead camera cannot delay another. Time comes from an injected
:class:`~ptzmapd.clock.Clock`; tests drive it with :class:`~ptzmapd.clock.FakeClock`.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
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
    Ack,
    Codec,
    Completion,
    ErrorReply,
    Garbage,
    InquiryAnswer,
    Notice,
    Outgoing,
    Reply,
    SequenceReset,
)
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
#: ...unless the refusal says the bytes themselves are wrong: sending them again cannot help.
PERMANENT_REFUSALS = frozenset({"syntax", "not-executable", "message-length"})
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
    #: The sequence RESET of VISCA over IP is sent like a command but is not one.
    is_reset: bool = False


@dataclass(slots=True)
class CameraState:
    """What the controller knows; read by ``ptzmapd status`` and the motion layer."""

    online: bool = True
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
        self._queue: deque[Command] = deque()
        self._urgent: deque[Outgoing] = deque()  # protocol housekeeping (RESET) ahead of all
        self._in_flight: _InFlight | None = None
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
        self._error_logged_at: dict[str, float] = {}
        #: Kinds of command the codec refused to encode, each logged once (see _send_next).
        self._unsendable: set[str] = set()
        self._waiting_turn = False
        self._closed = False
        #: Command sockets holding an acknowledged command whose completion is still to come.
        self._busy_sockets: set[int] = set()
        self._mismatched = 0
        self._tolerant_tokens = False
        #: Offline probing waits until then; a pending stop does not (see _service).
        self._backoff_until = 0.0
        #: Whether the camera has answered anything (opening words included) since start.
        self._heard = False
        #: Told when the camera stops answering or answers again (LEDs blink an offline camera).
        self.on_online: Callable[[str, bool], None] | None = None

    # ----------------------------------------------------------------- inputs to the controller

    def start(self) -> None:
        """Attach to the transport and send the protocol's opening words (e.g. RESET).

        Every slot starts as "unknown", so the first thing a camera hears is a stop: after a
        crash or a restart nobody knows whether it is still moving.
        """
        self.transport.add_listener(self.on_data, self.on_transport_state)
        self._urgent.extend(self.codec.start())
        self._service()

    def close(self) -> None:
        self._closed = True
        self._cancel_timer()
        self.transport.remove_listener(self.on_data, self.on_transport_state)

    def set_motion(self, command: Command) -> None:
        """The newest speed for the command's slot; replaces anything not yet sent."""
        slot = command.slot
        if slot is None:
            raise ValueError(f"{command!r} is not a motion command")
        self.state.motion[slot] = command
        self._service()

    def stop(self) -> None:
        """Stop every slot (sent ahead of anything else that is waiting)."""
        for slot, stop in STOPS.items():
            self.state.motion[slot] = stop
        self._service()

    def submit(self, command: Command) -> None:
        """A discrete command (preset, home...): queued, never dropped by a motion flood."""
        if command.slot is not None:
            self.set_motion(command)
            return
        self._queue.append(command)
        while len(self._queue) > MAX_QUEUED:
            dropped = self._queue.popleft()
            self.log.warning("[%s] too many commands waiting; dropped %r", self.label, dropped)
        self._service()

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
        elif self._in_flight is not None:
            self._requeue(self._in_flight)
            self._in_flight = None
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

    def _matches(self, reply: Reply, late_completion: bool = False) -> bool:
        flight = self._in_flight
        if flight is None or late_completion:
            # A late completion is an earlier command's (a preset arriving), not this one's answer.
            return False
        if reply.token is None or flight.outgoing.token is None or reply.token == flight.outgoing.token:
            return True
        # ERRATA: some cameras answer every command with the same sequence number. With one
        # command in flight, order pairs them as well as the number would.
        if self._tolerant_tokens:
            return True
        self._mismatched += 1
        if self._mismatched >= 3:
            self._tolerant_tokens = True
            self.log.warning("[%s] the camera answers with other sequence numbers than it is sent; "
                             "pairing its replies by order", self.label)
            return True
        return False

    def _on_reply(self, reply: Reply) -> None:
        if isinstance(reply, Notice):
            self._on_notice(reply)
            return
        if isinstance(reply, Garbage):
            self.state.garbage_replies += 1
            now = self.clock.now()
            if now - self._last_garbage_log >= GARBAGE_LOG_INTERVAL:
                self._last_garbage_log = now
                self.log.warning(
                    "[%s] ignoring garbage from the camera (%s): %s",
                    self.label, reply.reason, wire_text(reply.data, self.codec.text_wire),
                )
            return
        late_completion = (
            isinstance(reply, Completion) and reply.token is None and reply.socket in self._busy_sockets
        )
        if late_completion:
            self._busy_sockets.discard(reply.socket)  # type: ignore[attr-defined]
        if self._in_flight is None:
            # A late answer with nothing waiting: the camera is there, that is all it says.
            self._mark_online()
            return
        if not self._matches(reply, late_completion):
            # Late completions (a preset that finished) and answers to abandoned commands.
            return
        self._mismatched = 0
        flight = self._in_flight
        assert flight is not None
        if isinstance(reply, Ack):
            if reply.token is None and flight.command.slot is None:
                self._busy_sockets.add(reply.socket)  # its completion comes later
            self._done()
        elif isinstance(reply, SequenceReset):
            self._done()
        elif isinstance(reply, Completion):
            # Some cameras skip the ACK; a completion answers the command all the same.
            self._done()
        elif isinstance(reply, InquiryAnswer):
            if reply.what == "pantilt-position" and len(reply.values) == 2:
                self.state.pan_tilt_position = (reply.values[0], reply.values[1])
            elif reply.what == "zoom-position" and reply.values:
                self.state.zoom_position = reply.values[0]
            self._done()
        elif isinstance(reply, ErrorReply):
            self._on_error(flight, reply)

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

    def _on_error(self, flight: _InFlight, reply: ErrorReply) -> None:
        self._mark_online()
        self._in_flight = None
        if reply.kind == "buffer-full":
            # The camera is busy (a preset still moving): try again shortly with the newest state.
            self._requeue(flight)
            self._next_send_at = max(self._next_send_at, self.clock.now() + BUSY_RETRY)
            self.log.debug("[%s] camera busy; will resend", self.label)
        elif reply.kind in ("sequence", "message-length") and not flight.is_reset:
            # VISCA over IP lost count of our sequence numbers: RESET, then send again.
            self.log.info("[%s] camera reported a %s error; resetting the sequence number", self.label, reply.kind)
            self._requeue(flight)
            self._urgent.extend(self.codec.reset())
        elif reply.kind in ("cancelled", "no-socket"):
            self.log.debug("[%s] %s reply: %s", self.label, reply.kind, wire_text(reply.data, self.codec.text_wire))
        else:
            answer = wire_text(reply.data, self.codec.text_wire)
            message = f"camera refused {self.codec.describe(flight.outgoing.data)!r}: {reply.kind} ({answer})"
            self.state.last_error = message
            self._log_once(reply.kind, message)
            if flight.command.is_stop() and reply.kind not in PERMANENT_REFUSALS:
                # A refused stop is a camera that may still be moving: ask again, gently,
                # until it takes it (an HTTP 503 from a busy camera passes).
                self._requeue(flight)
                self._next_send_at = max(self._next_send_at, self.clock.now() + STOP_RETRY)

    def _log_once(self, kind: str, message: str) -> None:
        """Warn about a kind of refusal once a minute, not once per fader message."""
        now = self.clock.now()
        last = self._error_logged_at.get(kind)
        if last is None or now - last >= GARBAGE_LOG_INTERVAL:
            self._error_logged_at[kind] = now
            self.log.warning("[%s] %s", self.label, message)

    def _done(self) -> None:
        self._in_flight = None
        self._mark_online()

    def _mark_online(self) -> None:
        self._heard = True
        self._failures = 0
        self._unanswered = 0
        self._backoff_until = 0.0
        if not self.state.online:
            self.state.online = True
            self.log.info("[%s] camera is answering again", self.label)
            self._next_send_at = 0.0
            if self.on_online is not None:
                self.on_online(self.name, True)

    def _requeue(self, flight: _InFlight) -> None:
        """Put a command that did not get through back where it will be sent again."""
        if flight.is_reset:
            self._urgent.appendleft(flight.outgoing)
            return
        slot = flight.command.slot
        if slot is not None:
            self._sent_keys[slot] = None  # the newest value of the slot goes again
        elif not flight.command.inquiry:
            self._queue.appendleft(flight.command)

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
            return self._queue[0], None
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
        if flight is not None and now >= flight.last_sent + self.settings.ack_timeout:
            self._on_timeout(flight, now)
        if self._in_flight is None and now >= self._send_at() and self.transport.connected and self._has_work(now):
            # On a shared slow bus the wire decides when it is our turn (see _take_turn).
            if self.transport.request_turn(self._take_turn):
                self._send_next(now)
            else:
                self._waiting_turn = True  # the wire calls _take_turn; no timer of our own
        self._arm_timer(now)

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
        # replaced by a newer speed: a dead camera under a moving fader is still dead.
        self._unanswered += 1
        slot = flight.command.slot
        stale = slot is not None and not flight.is_reset and self._key(self.state.motion[slot]) != self._key(flight.command)
        giving_up = self._unanswered > self.settings.retries
        if not giving_up and not stale:
            self.log.debug("[%s] no answer; retransmitting %s", self.label, self.codec.describe(flight.outgoing.data))
            if self._write(flight.outgoing, now):
                flight.attempts += 1
                flight.last_sent = now
                self.state.retransmissions += 1
                return
        self._in_flight = None
        if flight.is_reset and giving_up:
            # Opening words left unanswered (a RESET, an IF_Clear that is not echoed): the codec
            # says what that means in its protocol's terms. The camera may still take commands,
            # so one that has answered before (the AddressSet ahead of an IF_Clear) stays
            # online: its commands' own answers will tell.
            if self.state.online:
                what = flight.outgoing.unanswered or f"no answer to {self.codec.describe(flight.outgoing.data)}"
                self.log.warning("[%s] %s", self.label, what)
                if self._heard:
                    self._unanswered = 0
                    return
        else:
            self._requeue(flight)  # a motion slot goes again with its newest value
        if not giving_up:
            return
        self._failures += 1
        if self.state.online:
            self.state.online = False
            if self._heard:
                # A camera that answered before and fell silent may have rebooted and lost
                # its count (VISCA over IP): the codec's reset words go out with the probes.
                self._queue_opening(self.codec.reset())
            if self.on_online is not None:
                self.on_online(self.name, False)
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
            self._consume(command, slot, None)
            return
        if not self._write(outgoing, now):
            return
        self._consume(command, slot, self._key(command))
        self.state.commands_sent += 1
        self.state.recent_sends.append(now)
        if slot is not None:
            self._slot_sent_at[slot] = now
            if not outgoing.expects_reply:
                if not command.is_stop():
                    self._stops_owed[slot] = 0  # the next stop is a new one, with all its repeats
                elif self._stops_owed[slot] > 0:
                    self._stops_owed[slot] -= 1
                else:
                    self._stops_owed[slot] = self.settings.stop_repeats
        if outgoing.expects_reply:
            self._in_flight = _InFlight(command, outgoing, now, now)
        if slot is not None:
            self._next_slot = (MOTION_SLOTS.index(slot) + 1) % len(MOTION_SLOTS)

    def _consume(self, command: Command, slot: str | None, key: bytes | None) -> None:
        if slot is not None:
            self._sent_keys[slot] = key
        elif self._queue and self._queue[0] is command:
            self._queue.popleft()

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

    def _write(self, outgoing: Outgoing, now: float) -> bool:
        try:
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
