"""Scaffolding for the switcher source tests: a config, a recorder of the states a switcher
reports, and a way to let a fake clock run a reconnect loop forward."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from ptzmapd.clock import Clock, FakeClock, MonotonicClock
from ptzmapd.config.model import Mark, SwitcherConfig
from ptzmapd.switchers import SWITCHERS
from ptzmapd.switchers.base import Switcher, SwitcherState


def config(kind: str, host: str, port: int, sources: Mapping[str, str], *, url: str | None = None,
           password: str | None = None) -> SwitcherConfig:
    return SwitcherConfig(name="vision", type=kind, mark=Mark("studio.yaml", 1, 1), host=host, port=port,
                          url=url, password=password, sources=dict(sources))


class Recorder:
    """Every state a switcher reported, in order."""

    def __init__(self) -> None:
        self.states: list[SwitcherState] = []

    def __call__(self, state: SwitcherState) -> None:
        self.states.append(state)

    @property
    def latest(self) -> SwitcherState:
        return self.states[-1] if self.states else SwitcherState()


def build(cfg: SwitcherConfig, recorder: Recorder, clock: Clock | None = None,
          log: logging.Logger | None = None) -> Switcher:
    factory = SWITCHERS[cfg.type]
    return factory(cfg, recorder, asyncio.get_running_loop(), clock=clock or MonotonicClock(),
                   log=log or logging.getLogger("ptzmapd.test.switcher"))


async def wait_state(recorder: Recorder, condition: Callable[[SwitcherState], bool], what: str = "",
                     *, timeout: float = 10.0, clock: FakeClock | None = None) -> SwitcherState:
    """Wait until the latest state satisfies ``condition``; with a fake ``clock``, advance it by
    a second at a time meanwhile (so backoff waits pass) while real sockets do their part."""
    deadline = time.monotonic() + timeout
    while not condition(recorder.latest):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}; states: {recorder.states[-5:]}")
        await asyncio.sleep(0.01)
        if clock is not None:
            clock.advance(1.0)
    return recorder.latest


def on_program(*keys: str) -> Callable[[SwitcherState], bool]:
    return lambda state: state.connected and state.program == frozenset(keys)


def showing(program: set[str], preview: set[str]) -> Callable[[SwitcherState], bool]:
    return lambda state: state.connected and state.program == program and state.preview == preview
