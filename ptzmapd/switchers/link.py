"""The life of a switcher connection, shared by every switcher type: connect, keep the state,
lose it, back off, connect again; say each of those once.

A type subclasses :class:`SwitcherLink` and writes :meth:`~SwitcherLink.session`: one
connection from opening to loss (it returns or raises when the peer is gone, and calls
:meth:`~SwitcherLink.connected` once it is really talking). :class:`SwitcherLink` runs
sessions forever with :class:`~ptzmapd.transports.backoff.Backoff` on the injected clock,
publishes each new :class:`~ptzmapd.switchers.base.SwitcherState` to ``on_change``
(only when it changed), turns mixer names into the config's source keys, and rate-limits
the log line of a malformed message to one a minute.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.switchers.base import StateChanged, SwitcherError, SwitcherState
from ptzmapd.tasks import cancel_and_wait
from ptzmapd.transports.backoff import Backoff

#: Reconnecting waits from this many seconds, doubling up to :data:`BACKOFF_MOST`.
BACKOFF_FIRST = 1.0
BACKOFF_MOST = 30.0
#: A malformed message is logged at most once per this many seconds per switcher.
MALFORMED_LOG_INTERVAL = 60.0
#: Seconds to open a connection before calling the attempt failed.
CONNECT_TIMEOUT = 5.0


class Refused(Exception):
    """The switcher answered but will not talk to us (a wrong password): the message says
    what the user must fix. Retried like any failure, since the user may fix it live."""


class SwitcherLink(ABC):
    """A switcher source's connection loop and state (see the module docstring).

    ``label``: ``name/type`` as the log shows it, like a camera's ``stage/visca-ip``.
    """

    can_drive: ClassVar[bool] = True
    #: The mixer's name in log lines ("OBS", "vMix").
    product: ClassVar[str]
    #: What a session does first, for the log line when it fails ("cannot connect to vMix").
    attempt: ClassVar[str] = "connect to"

    def __init__(
        self,
        config: SwitcherConfig,
        on_change: StateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        log: logging.Logger,
    ) -> None:
        self.config = config
        self.loop = loop
        self.clock = clock
        self.log = log
        self.label = f"{config.name}/{config.type}"
        self._on_change = on_change
        self._state = SwitcherState()
        self._task: asyncio.Task[None] | None = None
        self._backoff = Backoff(clock, BACKOFF_FIRST, BACKOFF_MOST)
        self._malformed_logged_at: float | None = None
        #: Sessions that reached :meth:`connected` (tests and status read it).
        self.sessions = 0

    @property
    def state(self) -> SwitcherState:
        return self._state

    @property
    def where(self) -> str:
        """Where the switcher is, for log lines (never with a password)."""
        return f"{self.config.host}:{self.config.port}"

    async def start(self) -> None:
        self._task = self.loop.create_task(self._keep_connected())

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self.publish(SwitcherState())

    async def _keep_connected(self) -> None:
        while True:
            was_talking = self.sessions
            try:
                await self.session()
                reason = "closed by the switcher"
            except asyncio.CancelledError:
                raise
            except Refused as refusal:
                reason = str(refusal)
            except Exception as exc:  # noqa: BLE001 - whatever the peer or its library throws, the loop goes on
                reason = str(exc) or type(exc).__name__
            finally:
                self.publish(SwitcherState())
            if self.sessions != was_talking:
                self.log.warning("[%s] %s connection lost (%s); reconnecting", self.label, self.product, reason)
                await self._backoff.retry()
            else:
                await self._backoff.retry(self.log, "[%s] cannot %s %s at %s (%s); retrying with backoff",
                                          self.label, self.attempt, self.product, self.where, reason)

    @abstractmethod
    async def session(self) -> None:
        """One connection: open it, call :meth:`connected` once it talks, keep the state
        current until the peer goes; return or raise then (:class:`Refused` when the
        switcher turned us away)."""

    def connected(self, detail: str = "") -> None:
        """The session is talking: the backoff starts afresh, and the log says so."""
        self.sessions += 1
        self._backoff.reset()
        self.log.info("[%s] connected to %s at %s%s", self.label, self.product, self.where,
                      f" ({detail})" if detail else "")

    def publish(self, state: SwitcherState) -> None:
        """Make ``state`` the current one and tell ``on_change`` if it differs."""
        if state == self._state:
            return
        self._state = state
        self._on_change(state)

    def keys(self, names: Iterable[str]) -> frozenset[str]:
        """The configured source keys among the mixer's ``names``."""
        return frozenset(key for key in names if key in self.config.sources)

    def malformed(self, what: str, detail: object = "") -> None:
        """A message from the switcher made no sense: log it (at most once a minute), go on."""
        now = self.clock.now()
        if self._malformed_logged_at is not None and now - self._malformed_logged_at < MALFORMED_LOG_INTERVAL:
            self.log.debug("[%s] ignored a malformed %s: %r", self.label, what, detail)
            return
        self._malformed_logged_at = now
        self.log.warning("[%s] ignored a malformed %s from %s: %.120r (said at most once a minute)",
                         self.label, what, self.product, detail)

    def require_connected(self) -> None:
        if not self._state.connected:
            raise SwitcherError(f"{self.config.name}: {self.product} is not connected")
