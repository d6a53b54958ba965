"""Whether a camera answers: online and offline, the backoff of an offline camera's probes,
and how often the controller may say the same thing in its log.

Online means the camera answered recently (one-way protocols: that its wire is open). After
the controller's ``retries`` unanswered tries the camera is marked offline and probed with
exponential backoff (from the ACK timeout up to :data:`BACKOFF_MAX`); its watchers
(:class:`~ptzmapd.control.state.CameraWatcher`) are told of every change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ptzmapd.clock import Clock
from ptzmapd.control.state import CameraState, CameraWatcher

#: Offline probing backs off from the ACK timeout up to this many seconds.
BACKOFF_MAX = 5.0
#: Garbage replies, and the same refusal again, are logged at most once per camera per this
#: many seconds (a fader on a camera with wrong credentials must not flood the log).
GARBAGE_LOG_INTERVAL = 60.0


class Liveness:
    """One camera's online state (kept in its :class:`CameraState`) and log rate limits."""

    def __init__(
        self, name: str, label: str, state: CameraState, clock: Clock, log: logging.Logger,
        watchers: Sequence[CameraWatcher] = (),
    ) -> None:
        self.name = name
        self.label = label
        self.state = state
        self.clock = clock
        self.log = log
        self._watchers = tuple(watchers)
        #: Give-ups in a row (each one a command whose tries were all unanswered).
        self.failures = 0
        #: Sends in a row that got no answer (retransmissions and replaced motions alike).
        self.unanswered = 0
        #: Offline probing waits until then (a pending stop does not: see the controller).
        self.backoff_until = 0.0
        self.ever_answered = False
        self._error_logged_at: dict[str, float] = {}
        self._last_garbage_log = -GARBAGE_LOG_INTERVAL

    def answered(self) -> bool:
        """The camera answered: it is online, the backoff is over. True if that is news."""
        self.failures = 0
        self.unanswered = 0
        self.backoff_until = 0.0
        return self.set_online(True)

    def set_online(self, online: bool) -> bool:
        """Mark the camera online or offline and tell the watchers; True if it changed."""
        if online == self.state.online:
            return False
        self.state.online = online
        if online:
            if self.ever_answered:
                self.log.info("[%s] camera is answering again", self.label)
            self.ever_answered = True
        self.tell_watchers(online)
        return True

    def tell_watchers(self, online: bool) -> None:
        for watcher in self._watchers:
            try:
                watcher.camera_online(self.name, online)
            except Exception:  # a broken LED must never stop a camera
                self.log.exception("[%s] camera watcher failed", self.label)

    def gave_up(self, now: float, ack_timeout: float) -> bool:
        """A command's tries are used up: back off (ACK timeout doubling up to BACKOFF_MAX).
        True for the first give-up of a silence: the camera is then going offline."""
        self.failures += 1
        self.backoff_until = now + min(BACKOFF_MAX, ack_timeout * (2 ** min(self.failures, 6)))
        return self.failures == 1

    def went_silent(self) -> None:
        """The first give-up of a silence (or of a camera never heard): offline, and said."""
        self.set_online(False)
        self.state.last_error = f"no answer after {self.unanswered} tries"
        self.log.warning("[%s] camera is not answering (%s); retrying with backoff", self.label, self.state.last_error)

    def log_once(self, kind: str, message: str) -> None:
        """Warn about a kind of refusal once a minute, not once per fader message."""
        now = self.clock.now()
        last = self._error_logged_at.get(kind)
        if last is None or now - last >= GARBAGE_LOG_INTERVAL:
            self._error_logged_at[kind] = now
            self.log.warning("[%s] %s", self.label, message)

    def garbage_may_be_logged(self) -> bool:
        """Whether garbage from the camera may be logged now (at most once a minute)."""
        now = self.clock.now()
        if now - self._last_garbage_log < GARBAGE_LOG_INTERVAL:
            return False
        self._last_garbage_log = now
        return True
