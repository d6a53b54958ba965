"""The latest-wins motion slots (``pantilt``, ``zoom``, ``focus``) of one camera.

A fader flood collapses to the newest speed of each slot (``CameraState.motion``); a slot is
sent only when its wire form (the codec's ``key``) differs from what the camera was last
sent. This module keeps, per slot: that last key, who waits for the answer to the newest
value, the stops a reply-less protocol still owes (each stop is sent ``stop_repeats`` extra
times, and a held motion again every ``refresh`` seconds), and the permanent refusals of
its stop. The controller decides when to send; the slots say what.
"""

from __future__ import annotations

from collections.abc import Callable

from ptzmapd.commands import MOTION_SLOTS, Command
from ptzmapd.control.outcomes import Answer, Outcome, resolve_all
from ptzmapd.protocols.base import Outgoing


class MotionSlots:
    def __init__(self, motion: dict[str, Command], key: Callable[[Command], bytes | None], stop_repeats: int) -> None:
        """``motion``: the newest value of each slot (shared with the camera's state);
        ``key(command)``: its wire form, None when the codec cannot say it."""
        self.motion = motion
        self._key = key
        self._stop_repeats = stop_repeats
        # Slot -> key of the newest command the camera was sent (None: unknown, send again).
        self.sent_keys: dict[str, bytes | None] = {slot: None for slot in MOTION_SLOTS}
        #: Who waits for the answer to each slot's newest value, not yet on the wire.
        self.waiters: dict[str, list[Outcome]] = {slot: [] for slot in MOTION_SLOTS}
        #: The slot whose turn is next (slots take turns so a pan flood cannot starve zoom).
        self._next_slot = 0
        # Reply-less protocols: extra stops still owed per slot, and when each slot was sent.
        self._stops_owed: dict[str, int] = {slot: 0 for slot in MOTION_SLOTS}
        self._sent_at: dict[str, float] = {slot: 0.0 for slot in MOTION_SLOTS}
        #: Who waits for a stop whose repeats are still owed (reply-less protocols).
        self._repeat_waiters: dict[str, list[Outcome]] = {slot: [] for slot in MOTION_SLOTS}
        #: Permanent refusals of each slot's stop in a row (see STOP_REFUSED_TRIES).
        self._stop_refusals: dict[str, int] = {slot: 0 for slot in MOTION_SLOTS}
        #: Slots whose last stop was given up as refused (asking for it again is refused too).
        self.given_up: set[str] = set()

    def newest(self, slot: str, command: Command, key: bytes | None) -> None:
        """``command`` is the slot's newest value: who waited for another value is superseded."""
        waiters = self.waiters[slot]
        for waiter in waiters:
            if self._key(waiter.command) != key:
                waiter.resolve(Answer.SUPERSEDED)
        waiters[:] = [waiter for waiter in waiters if not waiter.done]
        self.motion[slot] = command

    def forget_sent(self) -> None:
        """The camera may have missed anything (a new connection): every slot goes again."""
        for slot in MOTION_SLOTS:
            self.sent_keys[slot] = None

    def next_stop(self) -> tuple[Command, str] | None:
        """A stop not yet sent, else a stop repeat still owed: these go before anything else."""
        motion = self.motion
        for slot in MOTION_SLOTS:
            command = motion[slot]
            if command.is_stop() and self._key(command) != self.sent_keys[slot]:
                return command, slot
        # Repeats (reply-less protocols) come after every first stop: on Pelco each frame
        # carries every axis, so a zoom stop must not wait behind the pan stop's repeats.
        for slot in MOTION_SLOTS:
            if motion[slot].is_stop() and self._stops_owed[slot] > 0:
                return motion[slot], slot
        return None

    def next_motion(self, refresh_before: float | None) -> tuple[Command, str] | None:
        """The next slot, in turn, whose newest value was not sent (or, held since before
        ``refresh_before``, is due again)."""
        for offset in range(len(MOTION_SLOTS)):
            slot = MOTION_SLOTS[(self._next_slot + offset) % len(MOTION_SLOTS)]
            command = self.motion[slot]
            if self._key(command) != self.sent_keys[slot]:
                return command, slot
            # Only what the codec can say is refreshed (a zoom held on a camera without zoom is not).
            if refresh_before is not None and not command.is_stop() and self._sent_at[slot] <= refresh_before \
                    and self._key(command) is not None:
                return command, slot
        return None

    def repeating(self, slot: str) -> bool:
        """A reply-less stop of ``slot`` still has repeats owed (it is on the wire already)."""
        return self._stops_owed[slot] > 0

    def stop_pending(self) -> bool:
        return any(
            command.is_stop() and self._key(command) != self.sent_keys[slot]
            for slot, command in self.motion.items()
        )

    def refresh_deadlines(self, refresh: float) -> list[float]:
        """When each held motion is due again (reply-less protocols' ``refresh``)."""
        return [self._sent_at[slot] + refresh for slot, command in self.motion.items()
                if not command.is_stop() and self._key(command) is not None]

    def take(self, slot: str, key: bytes | None) -> list[Outcome]:
        """The slot's value with ``key`` is on its way; returns who waits for its answer."""
        self.sent_keys[slot] = key
        self.given_up.discard(slot)
        waiters = self.waiters[slot]
        if key is None:
            taken, waiters[:] = list(waiters), []
        else:
            taken = [waiter for waiter in waiters if self._key(waiter.command) == key]
            waiters[:] = [waiter for waiter in waiters if waiter not in taken]
        return taken

    def went_out(self, slot: str, command: Command, outgoing: Outgoing, outcomes: list[Outcome], now: float) -> list[Outcome]:
        """``command`` is on the wire; returns who still waits for its answer (on a
        reply-less wire a stop is answered when its repeats are sent too)."""
        self._sent_at[slot] = now
        if not command.is_stop():
            self._stop_refusals[slot] = 0
        outcomes.extend(self._same_stop_elsewhere(slot, outgoing))
        if not outgoing.expects_reply:
            repeating = self._repeat_waiters[slot]
            if not command.is_stop():
                self._stops_owed[slot] = 0  # the next stop is a new one, with all its repeats
                resolve_all(repeating, Answer.SUPERSEDED)
            elif self._stops_owed[slot] > 0:
                self._stops_owed[slot] -= 1
            else:
                self._stops_owed[slot] = self._stop_repeats
            # A stop is sent when its repeats are too (``send`` must not exit before them).
            repeating.extend(outcomes)
            outcomes = []
            if self._stops_owed[slot] == 0:
                resolve_all(repeating, Answer.SENT)
        self._next_slot = (MOTION_SLOTS.index(slot) + 1) % len(MOTION_SLOTS)
        return outcomes

    def _same_stop_elsewhere(self, slot: str, outgoing: Outgoing) -> list[Outcome]:
        """A stop whose bytes on the wire are exactly another slot's stop stops that slot too
        (Pelco: every frame carries every axis, so one all-stop frame ends pan, zoom and focus;
        issue 9 item 12). Those slots count as sent; their waiters wait for this answer."""
        outcomes: list[Outcome] = []
        if not self.motion[slot].is_stop():
            return outcomes
        for other in MOTION_SLOTS:
            command = self.motion[other]
            if other == slot or not command.is_stop():
                continue
            key = self._key(command)
            if key is not None and key == outgoing.data and self.sent_keys[other] != key:
                self.sent_keys[other] = key
                self._stops_owed[other] = 0
                outcomes.extend(self.waiters[other])
                self.waiters[other] = []
        return outcomes

    def requeue(self, slot: str, command: Command, outcomes: list[Outcome]) -> None:
        """``command`` did not get through: the slot's newest value goes again; who waited
        for ``command`` goes on waiting, unless a newer value replaced it meanwhile."""
        self.sent_keys[slot] = None
        newest = self._key(self.motion[slot])
        for outcome in outcomes:
            if self._key(outcome.command) == newest:
                self.waiters[slot].append(outcome)
            else:
                outcome.resolve(Answer.SUPERSEDED)

    def stop_taken(self, slot: str) -> None:
        self._stop_refusals[slot] = 0

    def stop_refused(self, slot: str) -> int:
        """The slot's stop was refused for good once more; returns how often in a row."""
        self._stop_refusals[slot] += 1
        return self._stop_refusals[slot]

    def give_up_stops(self, slot: str, message: str) -> None:
        """The slot's stop is given up as refused (``message``), and so are the other slots'
        stops waiting now, which would be refused for the same reason."""
        self._stop_refusals[slot] = 0
        self.given_up.add(slot)
        for other, command in self.motion.items():
            key = self._key(command)
            if command.is_stop() and key is not None and key != self.sent_keys[other]:
                self.sent_keys[other] = key
                self.given_up.add(other)
                resolve_all(self.waiters[other], Answer.REFUSED, message)
