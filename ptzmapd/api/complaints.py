"""Rate-limited log lines for what network peers get wrong (a wrong token, malformed JSON or
OSC): one line per kind of complaint per interval, with how many were skipped since, so a
flood of garbage cannot flood the log."""

from __future__ import annotations

import logging

from ptzmapd.clock import Clock

#: Seconds between two log lines of one kind of complaint.
COMPLAINT_INTERVAL = 10.0


class Complaints:
    """Logs a complaint of each ``kind`` at most once per ``interval`` seconds (on ``clock``)."""

    def __init__(self, clock: Clock, log: logging.Logger, interval: float = COMPLAINT_INTERVAL) -> None:
        self._clock = clock
        self._log = log
        self._interval = interval
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warn(self, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` as a warning unless ``kind`` was logged within the
        interval (then count it); True when it was logged."""
        now = self._clock.now()
        last = self._last.get(kind)
        if last is not None and now - last < self._interval:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return False
        self._last[kind] = now
        skipped = self._skipped.pop(kind, 0)
        suffix = f" (and {skipped} more like it in the last {now - last:.0f} s)" if skipped and last is not None else ""
        self._log.warning(message + suffix, *args)
        return True
