"""Time, injected: the one place that reads the monotonic clock, sleeps or sets timers.

Everything that depends on time takes a :class:`Clock` so tests can replace it with
:class:`FakeClock` and advance time by hand: timers fire and sleepers wake only when the
test says so.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Callable, Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``delay`` seconds (on the event loop's thread)."""
        ...


class MonotonicClock:
    """The real clock; timers run on the running asyncio loop."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)


class _FakeTimer:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock that only moves when a test calls :meth:`advance`.

    Timers fire in deadline order during :meth:`advance`, each seeing ``now()`` equal to its
    own deadline, so code runs exactly as it would have at those instants.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _FakeTimer, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _FakeTimer()
        heapq.heappush(self._timers, (self._now + max(0.0, delay), next(self._order), timer, callback))
        return timer

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        self.call_later(seconds, wake)
        await future

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer that falls due on the way."""
        end = self._now + seconds
        while self._timers and self._timers[0][0] <= end + 1e-12:
            deadline, _, timer, callback = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, deadline)
            callback()
        self._now = end

    def pending(self) -> int:
        """Timers still waiting (for tests that check nothing is left scheduled)."""
        return sum(1 for _, _, timer, _ in self._timers if not timer.cancelled)
