"""Fixtures every test module may use: a fake clock, a real JACK server for MIDI, a real OBS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import rtmidi

from jack import ensure_jack, stop_jack
from ptzmapd.clock import FakeClock

if TYPE_CHECKING:
    from obs import Obs


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


@pytest.fixture(scope="session")
def obs() -> Iterator[Obs]:
    """A real OBS Studio, headless, for the whole session (tests/obs.py), started only when a
    test asks for it. Without obs/xvfb-run the test is skipped, except in CI (``CI`` set),
    where that is a failure: the OBS tests must run there."""
    from obs import Obs, missing

    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"OBS required in CI: {reason}")
        pytest.skip(reason)
    server = Obs()
    try:
        server.start()
    except RuntimeError as exc:
        server.close()
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.close()
