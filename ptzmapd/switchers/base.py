"""What every switcher source is and reports (the contract between ``switchers/`` and the rest).

A switcher source connects to a vision mixer or tally feed, keeps reconnecting with backoff
(:class:`~ptzmapd.transports.backoff.Backoff`) and never blocks the event loop. Whenever what
it knows changes — connected or not, what is on program, what on preview — it calls its
``on_change`` with a whole new :class:`SwitcherState`. The state speaks in the *config's*
source names (the keys of ``switchers.NAME.sources``): the source translates the mixer's own
world (an OBS scene and the sources visible in it, a vMix input number or title, an ATEM input
number, a TSL tally index) into those keys, so the layers above map keys to cameras and
never learn a mixer's vocabulary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig


@dataclass(frozen=True, slots=True)
class SwitcherState:
    """What a switcher shows now.

    ``program`` / ``preview``: the configured source keys on that bus (several where an OBS
    scene shows several mapped sources, or a TSL feed lights several indexes); empty when
    none is. ``program_name`` / ``preview_name``: the mixer's own name of what is on the bus
    (OBS scene, vMix input title, ``"input 3"``), for status; None when unknown. Without
    studio mode (OBS) or a preview bus, preview equals program.
    """

    connected: bool = False
    program: frozenset[str] = frozenset()
    preview: frozenset[str] = frozenset()
    program_name: str | None = None
    preview_name: str | None = None


#: Called on the event loop's thread with each new state.
StateChanged = Callable[[SwitcherState], None]


class SwitcherError(Exception):
    """A request the switcher cannot carry out now (not connected, refused, unknown source).
    The message says why in the user's words; callers log it, nothing more."""


class Switcher(Protocol):
    """One configured switcher.

    ``can_drive``: whether :meth:`preview`, :meth:`cut` and :meth:`auto` exist for this type
    (False for TSL, a tally-only feed; ``ptzmapd check`` refuses ``switcher-*`` actions on it).
    """

    can_drive: ClassVar[bool]

    @property
    def state(self) -> SwitcherState: ...

    async def start(self) -> None:
        """Begin connecting in the background and return at once: an unreachable switcher is
        a log line and retries, never an exception."""

    async def close(self) -> None:
        """Disconnect and stop retrying."""

    async def preview(self, source: str) -> None:
        """Put the configured source key ``source`` on preview; SwitcherError if it cannot."""

    async def cut(self) -> None:
        """Take preview to program at once; SwitcherError if it cannot."""

    async def auto(self) -> None:
        """Take preview to program with the mixer's transition; SwitcherError if it cannot."""


class SwitcherFactory(Protocol):
    """A switcher class's constructor: ``on_change`` is called on ``loop``'s thread."""

    def __call__(
        self,
        config: SwitcherConfig,
        on_change: StateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        log: logging.Logger,
    ) -> Switcher: ...
