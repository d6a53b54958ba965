"""The MIDI output that lights a surface's LEDs: found by glob, followed as it comes and goes.

One :class:`MidiFeedbackOutput` per input with ``feedback:``. Like
:class:`~ptzmapd.inputs.midi.input.MidiInput` it is a :class:`~ptzmapd.inputs.midi.ports.PortWatcher`
underneath: ONE rtmidi client for its whole life, polled gently (once a second by default)
from the event loop. A device that is not there is never an error: the output logs once and
waits.

Every time the port is (re)opened, ``on_connect`` is called: a controller that was unplugged
or power-cycled shows none of its LEDs, so the caller sends it its whole state again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import rtmidi

from ptzmapd.inputs.midi.ports import FollowsPort, PortPattern, PortWatcher

_LOG = logging.getLogger(__name__)

# The port this client registers when it connects: on JACK the graph shows "ptzmapd desk leds:out".
_OWN_PORT_NAME = "out"

# On JACK, rtmidi hands each message to the next process cycle through a ring buffer: a client
# deleted at once loses what is still in it (the lights-out sent at shutdown). A few periods.
_DRAIN_SECONDS = 0.05


class MidiFeedbackOutput(FollowsPort):
    """The output port of one input's ``feedback:`` glob, kept connected.

    Runs on the event loop that calls :meth:`start`; :meth:`send` must be called on that loop.
    """

    def __init__(
        self,
        input_name: str,
        pattern: PortPattern,
        api: int,
        on_connect: Callable[[], None],
        poll_interval: float = 1.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.input_name = input_name
        self.pattern = pattern
        self._log = log if log is not None else _LOG
        self._watcher = PortWatcher(
            f"feedback output of {input_name!r}",
            rtmidi.MidiOut,
            api,
            f"ptzmapd {input_name} leds",
            _OWN_PORT_NAME,
            pattern=pattern,
            on_open=lambda _port: on_connect(),
            poll_interval=poll_interval,
            log=self._log,
        )

    def send(self, message: bytes | Sequence[int]) -> bool:
        """Send one complete MIDI message; False (nothing sent) while not connected."""
        client = self._watcher.client
        if client is None or self._watcher.port_name is None:
            return False
        try:
            client.send_message(message)
        except rtmidi.RtMidiError as exc:
            # The port went between two polls; the next poll notices and reconnects.
            self._log.debug("feedback output of %r: send failed: %s", self.input_name, exc)
            return False
        return True

    async def close(self) -> None:
        """Stop watching, let what was sent go out, close the port and unregister the client."""
        await self._watcher.close(drain=_DRAIN_SECONDS)
