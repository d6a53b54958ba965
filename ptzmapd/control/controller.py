"""The per-camera controller: the rules of the road between motion and the wire.

One :class:`CameraController` per camera. It owns:

- **latest-wins motion slots** (:mod:`.slots`): a fader flood collapses to the newest speed;
  a slot is sent only when its wire form (the codec's ``key``) changes;
- **a queue of discrete commands** (preset, home, autofocus...) that are never dropped; a
  preset recall at a travel speed has its speed setting go ahead of it when the camera needs
  one (:mod:`.preset_speed`);
- **priority**: a pending stop goes first, then discrete commands, then motion (slots take
  turns so a pan flood cannot starve zoom);
- **one command awaiting its answer**: the next command waits for the answer to the previous
  one, so a VISCA camera's two command sockets never overflow; which command a reply answers,
  and what is done about a refusal, is :mod:`.replies`;
- **pacing**: at least ``min_interval`` between two sends;
- **retries**: a command not acknowledged within ``ack_timeout`` is retransmitted with the
  same bytes (VISCA over IP: the same sequence number, so the camera can tell it is a repeat);
  a motion command whose slot has moved on is replaced by the newest value instead;
- **answers per command**: :meth:`CameraController.submit`, :meth:`~CameraController.set_motion`
  and :meth:`~CameraController.stop` return an :class:`~ptzmapd.control.outcomes.Outcome`;
- **offline handling** (:mod:`.liveness`): after ``retries`` unanswered tries the camera is
  marked offline and probed with backoff; the newest state is sent when it answers again.

It is driven by callbacks (intents, transport data, one timer) on the event loop's thread and
never blocks, so a dead camera cannot delay another. Time comes from an injected
:class:`~ptzmapd.clock.Clock`; tests drive it with :class:`~ptzmapd.clock.FakeClock`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import STOPS, Command, PanTiltPositionInquiry, PresetRecall, RawCommand, ZoomPositionInquiry
from ptzmapd.control.liveness import Liveness
from ptzmapd.control.outcomes import Answer, Outcome, resolve_all
from ptzmapd.control.preset_speed import PresetSpeeds
from ptzmapd.control.replies import BUSY_RETRY, InFlight, ReplyHandling
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.control.slots import MotionSlots
from ptzmapd.control.state import CameraState, CameraWatcher
from ptzmapd.control.trace import command_kind, wire_text
from ptzmapd.errors import ProtocolError, TransportError
from ptzmapd.protocols.base import Codec, Outgoing, command_parts
from ptzmapd.protocols.pairing import Ledger
from ptzmapd.transports.base import Transport

#: Discrete commands waiting beyond this many are dropped oldest-first (a camera that is
#: offline for minutes must not replay a minute of button presses when it returns).
MAX_QUEUED = 32
#: A stop to a camera that stopped answering is tried at every chance this many times before
#: it, too, waits for the offline backoff (a camera that is really gone is not flooded).
STOP_EAGER_TRIES = 8
@dataclass(slots=True)
class _Queued:
    """A discrete command waiting its turn, and who waits for its answer."""

    command: Command
    outcomes: list[Outcome] = field(default_factory=list)


class CameraController(ReplyHandling):
    def __init__(
        self,
        name: str,
        codec: Codec,
        transport: Transport,
        clock: Clock,
        settings: ControllerSettings,
        log: logging.Logger | None = None,
        label: str | None = None,
        watchers: Sequence[CameraWatcher] = (),
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
        #: What each motion slot asks for, what the camera was sent of it, who waits.
        self._slots = MotionSlots(self.state.motion, self._key, settings.stop_repeats)
        self._queue: deque[_Queued] = deque()
        self._urgent: deque[Outgoing] = deque()  # protocol housekeeping (RESET) ahead of all
        #: The command awaiting its answer (at most one; see ptzmapd.protocols.pairing).
        self._in_flight: InFlight | None = None
        #: Which reply answers which command: the codec's pairing rules.
        self._ledger: Ledger[InFlight] = Ledger(codec.pairing, stray_window=2 * settings.ack_timeout)
        self._next_send_at = 0.0
        self._timer: Timer | None = None
        self._timer_at: float | None = None
        self._last_poll = 0.0
        #: Kinds of command the codec refused to encode, each logged once (see _send_next).
        self._unsendable: set[str] = set()
        self._waiting_turn = False
        self._closed = False
        #: Online or not, offline backoff, log rate limits; tells the watchers (surface LEDs).
        self._live = Liveness(name, self.label, self.state, clock, self.log, watchers)
        #: Called once the camera has settled (see when_settled).
        self._settle_waiters: list[Callable[[], None]] = []
        #: The preset travel speed settings the camera has.
        self._preset_speeds = PresetSpeeds(self._key, settings.preset_speed)

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
        if not self.state.online:
            self._live.tell_watchers(False)  # they start from what is known: nothing answered yet
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
        own: list[Outcome] = []
        for part, is_own in self._parts(command):
            outcome = self._enqueue(part)
            if is_own:
                own.append(outcome)
            else:
                outcome.on_done(self._preset_speeds.answered)
        self._service()
        return own[0] if len(own) == 1 else Outcome.gather(command, own)

    def _parts(self, command: Command) -> Iterator[tuple[Command, bool]]:
        """The one path for a discrete command sent as several: the commands ``command`` goes
        out as, in order, each with whether it is the command's own (its answer is the
        command's) or a setting it needs first. A preset recall's travel speed setting
        (:class:`PresetSpeeds`, only when the camera lacks it; its refusal does not refuse the
        recall), then the codec's parts (:func:`command_parts`: one per tally lamp).
        Requests that depend on the camera's answer are the codec's own (a ``Step`` reply)."""
        if isinstance(command, PresetRecall):
            command, setting = self._preset_speeds.prepare(command)
            if setting is not None:
                yield setting, False
        for part in command_parts(self.codec, command):
            yield part, True

    def withdraw(self, outcome: Outcome) -> bool:
        """Take back the queued command ``outcome`` (from :meth:`submit`) is for, if it has not
        been sent yet: it never goes, and ``outcome`` is DROPPED. False when it was sent already
        (or is not this controller's). A tour paused by the live lockout takes back its recall."""
        for queued in self._queue:
            if any(waiting is outcome for waiting in queued.outcomes):
                self._queue.remove(queued)
                resolve_all(queued.outcomes, Answer.DROPPED, "withdrawn before it was sent")
                return True
        return False

    def _enqueue(self, command: Command) -> Outcome:
        outcome = Outcome(command)
        self._queue.append(_Queued(command, [outcome]))
        while len(self._queue) > MAX_QUEUED:
            dropped = self._queue.popleft()
            self.log.warning("[%s] too many commands waiting; dropped %r", self.label, dropped.command)
            resolve_all(dropped.outcomes, Answer.DROPPED, "too many commands waiting")
        return outcome

    def _set_slot(self, command: Command, again: bool = False, everywhere: bool = False) -> Outcome:
        slot = command.slot
        if slot is None:
            raise ValueError(f"{command!r} is not a motion command")
        outcome = Outcome(command)
        key = self._key(command)
        slots = self._slots
        slots.newest(slot, command, key)
        flight = self._in_flight
        if key is None:
            outcome.resolve(Answer.UNSENDABLE, f"the {self.codec.pairing.family.value} protocol cannot send {command_kind(command)}")
        elif flight is not None and not flight.is_reset and flight.command.slot == slot and self._key(flight.command) == key:
            flight.outcomes.append(outcome)  # on the wire already: its answer is this one's
        elif again and key == slots.sent_keys[slot] and (slot in slots.given_up or everywhere) \
                and not slots.repeating(slot):
            # Given up (or, everywhere, sent and taken) before: sent again (see stop()). A
            # one-way stop still repeating is on the wire already.
            slots.sent_keys[slot] = None
            slots.given_up.discard(slot)
            slots.waiters[slot].append(outcome)
        elif key == slots.sent_keys[slot] and slot in slots.given_up:
            # The stop the camera refused for good: not sent again until the next stop.
            outcome.resolve(Answer.REFUSED, self.state.stop_refused or "the camera refused this stop")
        elif key == slots.sent_keys[slot]:
            # What the camera was last sent, and took (or nothing answers on this wire).
            outcome.resolve(Answer.SENT if self._one_way else Answer.ACKNOWLEDGED, "unchanged")
        else:
            slots.waiters[slot].append(outcome)
        return outcome

    @property
    def awaiting(self) -> Outgoing | None:
        """The command sent and not yet answered, if any."""
        return self._in_flight.outgoing if self._in_flight is not None else None

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing waiting to be sent."""
        return self._in_flight is None and not self._urgent and self._next_command() is None

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once, as soon as the controller is :attr:`idle` or its camera
        is offline (at once if it is now): shutdown waits for this for its stops."""
        self._settle_waiters.append(callback)
        self._check_settled()

    def _check_settled(self) -> None:
        if self._settle_waiters and (not self.state.online or self.idle):
            waiters, self._settle_waiters = self._settle_waiters, []
            for waiter in waiters:
                waiter()

    # ------------------------------------------------------------------------- the wire side

    def on_transport_state(self, connected: bool) -> None:
        if connected:
            # A new connection (TCP reconnect): the camera may have missed anything, so the
            # newest state of every slot is sent again, and the protocol starts afresh.
            self._slots.forget_sent()
            self._preset_speeds.forget()
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

    def _set_online(self, online: bool) -> None:
        if self._live.set_online(online) and online:
            self._went_online()
        self._check_settled()

    def _went_online(self) -> None:
        self._next_send_at = 0.0  # the newest state goes at once
        self._preset_speeds.forget()  # a camera back from silence may have rebooted
        self._check_settled()

    def _requeue(self, flight: InFlight) -> None:
        """Put a command that did not get through back where it will be sent again; who waits
        for it goes on waiting, unless a newer value of its slot replaced it meanwhile."""
        if flight.is_reset:
            self._urgent.appendleft(flight.outgoing)
            return
        slot = flight.command.slot
        if slot is not None:
            self._slots.requeue(slot, flight.command, flight.outcomes)
            flight.outcomes = []
        elif not flight.command.inquiry:
            self._queue.appendleft(_Queued(flight.command, flight.outcomes))
            flight.outcomes = []

    # ---------------------------------------------------------------------------- scheduling

    def _next_command(self) -> tuple[Command, str | None] | None:
        """What to send next, by priority: stops, discrete commands, then motion slots."""
        stop = self._slots.next_stop()
        if stop is not None:
            return stop
        if self._queue:
            return self._queue[0].command, None
        refresh_before = self.clock.now() - self.settings.refresh if self.settings.refresh > 0 else None
        return self._slots.next_motion(refresh_before)

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
        self._check_settled()

    def _stop_waits_behind(self, flight: InFlight) -> bool:
        """A stop is waiting while a move (not a stop, not opening words) awaits its answer, on
        a protocol whose pairing lets a stop overtake a move (see
        :attr:`~ptzmapd.protocols.pairing.Pairing.stop_overtakes_moves`)."""
        command = flight.command
        if flight.is_reset or command.slot is None or command.is_stop():
            return False
        if not self.codec.pairing.stop_overtakes_moves:
            return False
        return self._slots.stop_pending()

    def _send_at(self) -> float:
        """When the next send may go: pacing always; the offline backoff only when no stop is
        waiting (a stop to a camera that may be moving goes at every chance)."""
        urgent_stop = self._live.failures < STOP_EAGER_TRIES and self._slots.stop_pending()
        if self._live.backoff_until > self._next_send_at and not urgent_stop:
            return self._live.backoff_until
        return self._next_send_at

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

    def _on_timeout(self, flight: InFlight, now: float) -> None:
        # Every unanswered send counts toward "offline", whether it is retransmitted or
        # replaced by a newer speed: a dead camera under a moving fader is still dead. An
        # inquiry answered with bytes nobody could read was answered all the same.
        if not flight.garbled:
            self._live.unanswered += 1
        slot = flight.command.slot
        stale = slot is not None and not flight.is_reset and self._key(self.state.motion[slot]) != self._key(flight.command)
        giving_up = self._live.unanswered > self.settings.retries
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
            self._live.unanswered = 0
            return
        self._requeue(flight)  # a motion slot goes again with its newest value
        if not giving_up:
            return
        if self._live.gave_up(now, self.settings.ack_timeout):
            if self._live.ever_answered:
                # A camera that answered before and fell silent may have rebooted and lost
                # its count (VISCA over IP) or its address (a serial chain): the codec's reset
                # words go out with the probes.
                self._queue_opening(self.codec.reset())
            self._live.went_silent()
            self._check_settled()

    def _send_next(self, now: float) -> None:
        if self._urgent:
            outgoing = self._urgent.popleft()
            if self._write(outgoing, now):
                self._in_flight = InFlight(STOPS["pantilt"], outgoing, now, now, is_reset=True)
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
            resolve_all(self._consume(command, slot, None), Answer.UNSENDABLE, str(exc))
            return
        if not self._write(outgoing, now, stop=command.is_stop()):
            return
        key = self._key(command)
        outcomes = self._consume(command, slot, key)
        self.state.commands_sent += 1
        self.state.recent_sends.append(now)
        if slot is not None:
            outcomes = self._slots.went_out(slot, command, outgoing, outcomes, now)
        if outgoing.expects_reply:
            self._in_flight = InFlight(command, outgoing, now, now, outcomes=outcomes)
            self._ledger.sent(self._in_flight, stop=command.is_stop(), token=outgoing.token, now=now,
                              asks=command.inquiry or isinstance(command, RawCommand))
        else:
            resolve_all(outcomes, Answer.SENT)

    def _consume(self, command: Command, slot: str | None, key: bytes | None) -> list[Outcome]:
        """Mark ``command`` as on its way; returns who waits for its answer."""
        if slot is not None:
            return self._slots.take(slot, key)
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
    def _is_stop(flight: InFlight) -> bool:
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
            shown = outgoing.data if outgoing.trace is None else outgoing.trace
            self.log.debug("[%s] --> %s", self.label, wire_text(shown, self.codec.text_wire))
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
            deadlines.extend(self._slots.refresh_deadlines(self.settings.refresh))
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
