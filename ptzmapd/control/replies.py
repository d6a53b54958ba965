"""What the camera says back, for the controller: each reply paired with the command it
answers (by the codec's pairing rules, :mod:`ptzmapd.protocols.pairing`), and what is done
about a refusal.

Refusals, in terms that name no protocol (``ErrorReply.remedy``): a busy camera gets the
newest state again a little later (:data:`BUSY_RETRY`); one that lost count of the exchange
gets the codec's reset words, then the command again; a refused stop is sent again
(:data:`STOP_RETRY`), a permanently refused one only :data:`STOP_REFUSED_TRIES` times (then
the camera is marked "stop refused" and other commands go on); any other refusal answers
the command (its :class:`~ptzmapd.control.outcomes.Outcome`) with the camera's words.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ptzmapd.clock import Clock
from ptzmapd.commands import Command
from ptzmapd.control.liveness import Liveness
from ptzmapd.control.outcomes import Answer, Outcome, resolve_all
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.control.slots import MotionSlots
from ptzmapd.control.state import CameraState
from ptzmapd.control.trace import wire_text
from ptzmapd.protocols.base import (
    Codec,
    ErrorReply,
    Garbage,
    InquiryAnswer,
    Notice,
    Outgoing,
    Remedy,
    Reply,
    Step,
    UnreadableAnswer,
)
from ptzmapd.protocols.pairing import TOKENS_IGNORED, Attributed, Family, Ledger, PairingError, Stage

#: A busy camera ("buffer full") is asked again after at least this long.
BUSY_RETRY = 0.1
#: A refused stop is sent again after this long (until the camera takes it)...
STOP_RETRY = 0.5
#: A stop refused permanently (``ErrorReply.permanent``: wrong channel, no such function,
#: credentials rejected) is tried this many times in all (once more, in case the refusal was
#: a passing one after all), then the camera is marked "stop refused" and other commands go
#: on: sending it forever would block the user's preset behind it, and every HTTP try after
#: a 401 is two failed logins (httpx signs again with a fresh nonce), which a Hikvision
#: camera counts toward locking the user out.
STOP_REFUSED_TRIES = 2


@dataclass(slots=True)
class InFlight:
    """The command sent and awaiting its answer (at most one per camera)."""

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


class ReplyHandling:
    """The reply side of :class:`~ptzmapd.control.controller.CameraController` (a mixin:
    the controller owns the state declared here and the scheduling, ``_service``)."""

    name: str
    label: str
    codec: Codec
    clock: Clock
    log: logging.Logger
    state: CameraState
    settings: ControllerSettings
    _in_flight: InFlight | None
    _ledger: Ledger[InFlight]
    _live: Liveness
    _slots: MotionSlots
    _urgent: deque[Outgoing]
    _next_send_at: float
    _service: Callable[[], None]
    _requeue: Callable[[InFlight], None]
    _went_online: Callable[[], None]

    @property
    def _one_way(self) -> bool:
        return self.codec.pairing.family is Family.ONE_WAY

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
        if self.settings.pace_from_reply and not all(isinstance(reply, Garbage) for reply in replies):
            # The camera times its interval from its own answer, not from our send (and a
            # camera that has just come back online is no exception).
            self._next_send_at = max(self._next_send_at, self.clock.now() + self.settings.min_interval)
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
            if self._live.garbage_may_be_logged():
                self.log.warning(
                    "[%s] ignoring garbage from the camera (%s): %s",
                    self.label, reply.reason, wire_text(reply.data, self.codec.text_wire),
                )
            return
        if self._one_way:
            return  # a dome that does talk on a one-way bus: nothing of ours to pair
        # Whatever it answers, a camera that answers is there.
        if self._live.answered():
            self._went_online()
        attributed = self._attribute(reply)
        if attributed is None:
            return  # a late answer to an abandoned command, or one nobody can attribute
        flight = attributed.entry.item
        if attributed.before is Stage.AWAITING and flight is self._in_flight:
            self._in_flight = None
        if isinstance(reply, UnreadableAnswer):
            # The camera answered in a shape the codec cannot read: the inquiry is given up
            # for this cycle (it is asked again at the next poll); the camera is online.
            self._live.log_once("unreadable-answer", f"could not read the camera's answer ({reply.reason}): "
                           f"{wire_text(reply.data, self.codec.text_wire)}")
            return
        if attributed.after is Stage.REFUSED:
            assert isinstance(reply, ErrorReply)
            self._on_error(flight, reply, accepted_before=attributed.before is Stage.EXECUTING)
            return
        if isinstance(reply, Step) and attributed.before is Stage.AWAITING and not flight.is_reset:
            # The camera took a request the command needed first (a Panasonic preset speed,
            # ONVIF's connect sequence): the same command goes again, paced, and the codec
            # sends what comes next. Who waits for it waits for the last answer.
            self._requeue(flight)
            return
        if isinstance(reply, InquiryAnswer):
            if reply.what == "pantilt-position" and len(reply.values) == 2:
                self.state.pan_tilt_position = (reply.values[0], reply.values[1])
                scale = self.settings.pan_tilt
                if scale is not None:
                    self.state.pan, self.state.tilt = scale.normalise(reply.values[0], reply.values[1])
            elif reply.what == "zoom-position" and reply.values:
                self.state.zoom_position = reply.values[0]
                top = self.settings.zoom_max
                self.state.zoom = min(1.0, max(0.0, reply.values[0] / top)) if top else None
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

    def _attribute(self, reply: Reply) -> Attributed[InFlight] | None:
        """The command ``reply`` answers, by the codec's pairing rules; None for none."""
        ledger = self._ledger
        trusted = not ledger.ignore_tokens
        try:
            attributed = ledger.attribute(reply, self.clock.now())
        except PairingError as exc:
            self._live.log_once("pairing", f"reply {type(reply).__name__} ignored: {exc}")
            return None
        if trusted and ledger.ignore_tokens:
            self.log.warning("[%s] %s", self.label, TOKENS_IGNORED)
        return attributed

    def _answered(self, flight: InFlight) -> None:
        """The command awaiting its answer got it (its ACK, or all of its answer)."""
        slot = flight.command.slot
        if flight.command.is_stop() and slot is not None and not flight.is_reset:
            self._slots.stop_taken(slot)
            if self.state.stop_refused is not None:
                self.state.stop_refused = None
                self.log.info("[%s] the camera takes stops again", self.label)
        resolve_all(flight.outcomes, Answer.ACKNOWLEDGED)

    def _on_error(self, flight: InFlight, reply: ErrorReply, accepted_before: bool = False) -> None:
        """A refusal attributed to ``flight`` (before its ACK, or after it: ``accepted_before``)."""
        describe = self.codec.describe(flight.outgoing.data)
        message = f"camera refused {describe!r}: {reply.kind} ({wire_text(reply.data, self.codec.text_wire)})"
        stop = flight.command.is_stop() and not flight.is_reset
        remedy = reply.remedy
        if remedy is Remedy.BUSY and not accepted_before:
            # The camera is busy (a preset still moving): try again shortly with the newest state.
            self._requeue(flight)
            self._next_send_at = max(self._next_send_at, self.clock.now() + BUSY_RETRY)
            self.log.debug("[%s] camera busy; will resend", self.label)
            return
        if remedy is Remedy.RESYNC and not flight.is_reset and not accepted_before:
            # The camera lost count of the exchange (VISCA over IP: our sequence numbers): the
            # codec's reset words, then send again.
            self.log.info("[%s] camera reported a %s error; resetting the sequence number", self.label, reply.kind)
            self._requeue(flight)
            self._urgent.extend(self.codec.reset())
            return
        if remedy is Remedy.NOT_OURS:
            # Answers to something ptzmapd never sends (a VISCA Cancel): nothing to send again.
            self.log.debug("[%s] %s reply: %s", self.label, reply.kind, wire_text(reply.data, self.codec.text_wire))
            resolve_all(flight.outcomes, Answer.REFUSED, message)
            return
        self.state.last_error = message
        self._live.log_once(reply.kind, message)
        if not stop:
            resolve_all(flight.outcomes, Answer.REFUSED, message)
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
            tries = self._slots.stop_refused(slot)
            if tries >= STOP_REFUSED_TRIES:
                self.log.error("[%s] stop refused %d times, not sent again until the next stop: %s",
                               self.label, tries, message)
                self.state.stop_refused = message
                resolve_all(flight.outcomes, Answer.REFUSED, message)
                self._slots.give_up_stops(slot, message)
                return
        for outcome in flight.outcomes:
            outcome.refusal = message
        self._requeue(flight)
        self._next_send_at = max(self._next_send_at, self.clock.now() + STOP_RETRY)
