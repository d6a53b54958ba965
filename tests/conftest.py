"""Fixtures every test module may use: a fake clock, and a real JACK server for MIDI."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import rtmidi

from jack import ensure_jack, stop_jack
from ptzmapd.clock import FakeClock


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def jack() -> Iterator[int]:
    """A reachable JACK server for the whole session; yields ``rtmidi.API_UNIX_JACK``.

    The server is the session's own: ``JACK_DEFAULT_SERVER`` if set, else a unique name made
    for this session (tests/jack.py), so parallel sessions never share one. Uses it if it is
    running, or starts a dummy one and stops it at the end (and it ends with the session
    even if the session crashes). Without one the test is skipped, unless
    ``PTZMAPD_REQUIRE_JACK=1`` (CI) makes that a failure.
    """
    try:
        process = ensure_jack()
    except RuntimeError as exc:
        if os.environ.get("PTZMAPD_REQUIRE_JACK") == "1":
            pytest.fail(f"JACK required (PTZMAPD_REQUIRE_JACK=1): {exc}")
        pytest.skip(str(exc))
    # Code that picks its MIDI API from the environment (inputs without ``api:``) uses JACK.
    os.environ.setdefault("MIDO_BACKEND", "mido.backends.rtmidi/UNIX_JACK")
    try:
        yield rtmidi.API_UNIX_JACK
    finally:
        stop_jack(process)


@pytest.fixture(autouse=True)
def _fresh_ptzmapd_logger() -> Iterator[None]:
    """``ptzmapd.cli.main`` sets the "ptzmapd" logger up for a terminal (a stderr handler, no
    propagation); tests that call it in-process must not leave that for the next test."""
    import logging

    log = logging.getLogger("ptzmapd")
    saved = (list(log.handlers), log.level, log.propagate)
    yield
    log.handlers[:], log.level, log.propagate = saved
