"""MIDI input: a configured MIDI port, kept connected, its messages turned into ControlEvents.

This module owns what happens between rtmidi and :class:`~ptzmapd.events.ControlEvent`:
handing messages from rtmidi's thread to the event loop (parsing the bytes is
:mod:`.parse`'s). Finding the port and following it as it is unplugged and plugged back is
:class:`~ptzmapd.inputs.midi.ports.PortWatcher`'s job, shared with the LED outputs.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import rtmidi

from ptzmapd.clock import Clock
from ptzmapd.config.model import InputConfig
from ptzmapd.events import ControlEvent, EmitEvent, InputStateChanged
from ptzmapd.inputs.midi.api import resolve_api
from ptzmapd.inputs.midi.parse import parse_midi
from ptzmapd.inputs.midi.ports import FollowsPort, PortWatcher

_LOG = logging.getLogger(__name__)

# The name of the port an input registers on its own client when it connects to a device:
# on JACK the graph shows "ptzmapd desk:in".
_OWN_PORT_NAME = "in"

# How long close() lets rtmidi's thread finish a message it is delivering before the client
# is deleted: a few JACK periods, with room for a busy machine.
_SETTLE_SECONDS = 0.05


class MidiInput(FollowsPort):
    """One configured MIDI input: a ``virtual:`` port of our own, or a device found by glob.

    Events reach ``emit`` on the loop's thread, stamped with ``clock.now()`` at receipt. ``on_state(name, True)`` is called when the
    port is open (first time and every reconnection), ``on_state(name, False)`` as soon as
    a watched device disappears, so the mapping can stop what it was moving. A missing
    device or MIDI API is never an error: the input logs once and keeps trying.
    """

    def __init__(
        self,
        config: InputConfig,
        emit: EmitEvent,
        on_state: InputStateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        poll_interval: float = 1.0,
        log: logging.Logger | None = None,
    ) -> None:
        if (config.port is None) == (config.virtual is None):
            both = ", not both" if config.port is not None else ""
            where = f"{config.mark}: inputs.{config.name}"
            # The config refuses this (one of port, virtual): a caller building its own is wrong.
            raise ValueError(f"{where}: a midi input needs 'port' or 'virtual'{both}")
        self._config = config
        self._emit = emit
        self._loop = loop
        self._clock = clock
        self._log = log if log is not None else _LOG
        # See _listen(): what python-rtmidi would free under rtmidi's thread's feet.
        self._pinned_callbacks: list[object] = []
        self._closed = False
        self._watcher = PortWatcher(
            f"midi input {config.name!r}",
            rtmidi.MidiIn,
            resolve_api(config.api),
            f"ptzmapd {config.name}",
            _OWN_PORT_NAME,
            pattern=config.port,
            virtual=config.virtual,
            on_open=lambda _port: on_state(config.name, True),
            on_lost=lambda _port: on_state(config.name, False),
            setup=lambda client: client.ignore_types(sysex=True, timing=True, active_sense=True),
            before_open=self._listen,
            poll_interval=poll_interval,
            log=self._log,
        )

    @property
    def name(self) -> str:
        return self._config.name

    async def close(self) -> None:
        """Stop watching, close the port and unregister the client. ``on_state`` is not called."""
        self._closed = True
        # python-rtmidi's close_port() cancels the callback too; the settle time lets a
        # message rtmidi's thread is delivering finish before the client is deleted.
        await self._watcher.close(settle=_SETTLE_SECONDS)
        self._pinned_callbacks.clear()

    def _listen(self, client: rtmidi.MidiIn) -> None:
        # Before every open: python-rtmidi's close_port() drops the callback, and setting it
        # before the port opens leaves nothing queued where nobody reads it.
        client.set_callback(self._on_message)
        # python-rtmidi gives rtmidi a bare pointer to a (callback, data) tuple and frees the
        # tuple when the callback is cancelled (close_port() does). rtmidi's thread may then be
        # waiting for the GIL to call it, and reads freed memory once it gets it: segfaults
        # when closing with messages arriving. Holding our own reference to the tuple until
        # the client is deleted makes that late call harmless (_deliver drops it).
        self._pinned_callbacks += [
            held
            for held in gc.get_referents(client)
            if isinstance(held, tuple) and held[:1] == (self._on_message,)
        ]

    # -- rtmidi's thread -> the loop ---------------------------------------------------------------

    def _on_message(self, message: tuple[list[int], float], data: object = None) -> None:
        # Runs on rtmidi's thread (under JACK, the JACK process thread itself): parse and hand
        # over, nothing slow, and nothing may escape into rtmidi.
        received = self._clock.now()
        try:
            event = parse_midi(self.name, message[0], received)
            if event is None:
                return
            if self._config.channel is not None and event.channel != self._config.channel:
                return
            self._loop.call_soon_threadsafe(self._deliver, event)
        except Exception as exc:  # e.g. RuntimeError once the loop is closed
            self._log.debug("midi input %r: dropped %r: %r", self.name, message, exc)

    def _deliver(self, event: ControlEvent) -> None:
        # Messages already queued when close() ran are not the mapping's business any more.
        if not self._closed:
            self._emit(event)
