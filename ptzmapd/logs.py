"""Logging to stderr: one line per event a person cares about; colour only on a terminal; and
libraries kept from reconfiguring it when they are imported."""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType

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
