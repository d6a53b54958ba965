"""Logging to stderr: one line per event a person cares about; colour only on a terminal;
:class:`LogLimit` for what a peer may repeat a thousand times a second; and libraries kept
from reconfiguring it when they are imported."""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType

from ptzmapd.clock import Clock

#: The same kind of complaint about a peer (a refused sender, a malformed packet) is logged
#: at most once per this many seconds by one :class:`LogLimit`.
LOG_INTERVAL = 60.0

_COLOURS = {
    logging.DEBUG: "\033[2m",
    logging.INFO: "",
    logging.WARNING: "\033[33m",
    logging.ERROR: "\033[31m",
    logging.CRITICAL: "\033[1;31m",
}


class _Formatter(logging.Formatter):
    def __init__(self, colour: bool) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.colour and _COLOURS.get(record.levelno):
            return f"{_COLOURS[record.levelno]}{text}\033[0m"
        return text


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged, not when set up: a stream
    replaced since (a test harness's capture, a redirected console) must not be written to
    after it is closed."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def setup(verbose: int = 0, quiet: bool = False) -> logging.Logger:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = _StderrHandler()
    handler.setFormatter(_Formatter(colour=sys.stderr.isatty()))
    log = logging.getLogger("ptzmapd")
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    return log


def import_keeping_logging(name: str) -> ModuleType:
    """Import the module ``name`` without letting it set up the root logger.

    Some libraries call ``logging.basicConfig`` on import (tslumd does when loguru is absent:
    a DEBUG stderr handler on the root logger, so every library's debug chatter would print).
    ``basicConfig`` does nothing while the root logger has a handler, so one stands there for
    the import; the root logger's handlers and level are as they were afterwards.
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        return importlib.import_module(name)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


class LogLimit:
    """Warnings of one kind at most once per ``interval`` seconds (on ``clock``); the next
    line says how many were left out meanwhile."""

    def __init__(self, log: logging.Logger, clock: Clock, interval: float = LOG_INTERVAL) -> None:
        self._log = log
        self._clock = clock
        self._interval = interval
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warn(self, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless a line of ``kind`` was logged within the interval;
        whether it was logged."""
        now = self._clock.now()
        last = self._last.get(kind)
        if last is not None and now - last < self._interval:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return False
        self._last[kind] = now
        skipped = self._skipped.pop(kind, 0)
        if skipped:
            message += " (%d more like it since the last such line)"
            args = (*args, skipped)
        self._log.warning(message, *args)
        return True
