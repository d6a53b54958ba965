"""A simulated TSL UMD v5 tally sender: what ``ptzmapd simulate tsl`` runs.

A tally feed talks first: this sender (tslumd's own ``UmdSender``) pushes the simulated
mixer's tally to ``host:port`` over UDP: tally index N = input N, its right-hand lamp red on
program, green on preview, off otherwise, with the input's title as the display text.
tslumd sends each change at once and everything again every 0.3 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ptzmapd.clock import Clock
from ptzmapd.logs import import_keeping_logging
from ptzmapd.simulators.mixer import Mixer, drive as start_driving
from ptzmapd.tasks import cancel_and_wait

tslumd: Any = import_keeping_logging("tslumd")

#: The screen every tally is sent on.
SCREEN = 0


class TslSender:
    """A running simulated TSL sender: its :class:`Mixer` and where it sends."""

    def __init__(self, mixer: Mixer, host: str, port: int) -> None:
        self.mixer = mixer
        self.host = host
        self.port = port
        self.sender = tslumd.UmdSender(clients=[(host, port)])
        self._driver: asyncio.Task[None] | None = None
        mixer.watchers.append(self._show)

    @property
    def where(self) -> str:
        """Where the tally goes (a ``tsl`` switcher listening there receives it)."""
        return f"{self.host}:{self.port}"

    def _show(self, mixer: Mixer) -> None:
        for number in range(1, mixer.inputs + 1):
            program, preview = mixer.tally(number)
            colour = "red" if program else "green" if preview else "off"
            self.sender.set_tally_color((SCREEN, number), "rh_tally", colour)

    async def open(self, how: str, clock: Clock | None) -> None:
        for number in range(1, self.mixer.inputs + 1):
            self.sender.set_tally_text((SCREEN, number), self.mixer.title(number))
        self._show(self.mixer)
        await self.sender.open()
        self._driver = start_driving(self.mixer, how, clock)

    async def close(self) -> None:
        await cancel_and_wait(self._driver)
        await self.sender.close()


async def start(
    kind: str = "tsl",
    *,
    host: str = "127.0.0.1",
    port: int = 65000,
    log: Callable[[str], None] | None = None,
    inputs: int = 4,
    drive: str = "script",
    clock: Clock | None = None,
    **_: object,
) -> TslSender:
    """Send the tally of a simulated mixer with ``inputs`` inputs to ``host:port``, the mixer
    moved by ``drive`` (:data:`~ptzmapd.simulators.mixer.DRIVES`)."""
    say = log or print
    sender = TslSender(Mixer(inputs=inputs, log=lambda text: say(f"[tsl] {text}")), host, port)
    await sender.open(drive, clock)
    return sender
