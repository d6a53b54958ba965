"""Retrying with backoff, on the injected clock: the one way a transport keeps trying to
open its line (a camera that is off, a name that does not resolve yet, a serial device
that is unplugged) and says so once.

The wait doubles from ``first`` up to ``most`` seconds; the first failure of a run is a
WARNING, the ones after it DEBUG (a camera that is off is not news every second);
:meth:`Backoff.reset` after a real recovery starts both afresh.
"""

from __future__ import annotations

import logging

from ptzmapd.clock import Clock


class Backoff:
    def __init__(self, clock: Clock, first: float, most: float) -> None:
        self.clock = clock
        self.first = first
        self.most = most
        #: The seconds the next :meth:`retry` waits.
        self.delay = first
        #: Failures since the last :meth:`reset`.
        self.failures = 0

    def reset(self) -> None:
        """A real recovery: the next failure is news again, and waits ``first``."""
        self.delay = self.first
        self.failures = 0

    async def retry(self, log: logging.Logger | None = None, message: str = "", *args: object) -> None:
        """Count one more failure, say ``message % args`` (WARNING the first time in a run,
        DEBUG after; nothing without ``log``), wait, and double the next wait up to ``most``."""
        self.failures += 1
        if log is not None:
            log.log(logging.WARNING if self.failures == 1 else logging.DEBUG, message, *args)
        await self.clock.sleep(self.delay)
        self.delay = min(self.most, self.delay * 2)
