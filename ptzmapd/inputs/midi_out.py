"""The MIDI output that lights a surface's LEDs: found by glob, followed as it comes and goes.

One :class:`MidiFeedbackOutput` per input with ``feedback:``. Like
:class:`~ptzmapd.inputs.midi.MidiInput` it keeps ONE rtmidi client for its whole life, used
both to list ports and to send (on JACK a client registration per poll stalls everyone's MIDI:
DESIGN.md, "Port hot-plug polling"), and it polls gently, once a second by default, from the
event loop. A device that is not there is never an error: the output logs once and waits.

Every time the port is (re)opened, ``on_connect`` is called: a controller that was unplugged
or power-cycled shows none of its LEDs, so the caller sends it its whole state again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import rtmidi

from ptzmapd.inputs.midi import (
    _API_RETRY_POLLS,
    _describe_ports,
    _new_client,
    _open_listed_port,
    _port_names,
    api_label,
    matching_ports,
)

_LOG = logging.getLogger(__name__)

# The port this client registers when it connects: on JACK the graph shows "ptzmapd desk leds:out".
_OWN_PORT_NAME = "out"

# On JACK, rtmidi hands each message to the next process cycle through a ring buffer: a client
# deleted at once loses what is still in it (the lights-out sent at shutdown). A few periods.
_DRAIN_SECONDS = 0.05


class MidiFeedbackOutput:
    """The output port of one input's ``feedback:`` glob, kept connected.

    Runs on the event loop that calls :meth:`start`; :meth:`send` must be called on that loop.
    """

    def __init__(
        self,
        input_name: str,
        pattern: str,
        api: int,
        on_connect: Callable[[], None],
        poll_interval: float = 1.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.input_name = input_name
        self.pattern = pattern
        self._api = api
        self._on_connect = on_connect
        self._poll_interval = poll_interval
        self._log = log if log is not None else _LOG
        self._client: rtmidi.MidiOut | None = None
        self._port_name: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        # Each condition is logged when it starts, not on every poll that finds it unchanged.
        self._api_failing = False
        self._waiting_logged = False

    @property
    def connected(self) -> bool:
        return self._port_name is not None

    @property
    def port_name(self) -> str | None:
        """The device port the LEDs go to; None while waiting for it."""
        return self._port_name

    async def start(self) -> None:
        """Connect now if the port is there, and keep watching it."""
        if self._loop is not None:
            raise RuntimeError(f"feedback output of {self.input_name!r} is already started")
        self._loop = asyncio.get_running_loop()
        self._poll()

    def send(self, message: bytes | Sequence[int]) -> bool:
        """Send one complete MIDI message; False (nothing sent) while not connected."""
        if self._client is None or self._port_name is None:
            return False
        try:
            self._client.send_message(message)
        except rtmidi.RtMidiError as exc:
            # The port went between two polls; the next poll notices and reconnects.
            self._log.debug("feedback output of %r: send failed: %s", self.input_name, exc)
            return False
        return True

    async def close(self) -> None:
        """Stop watching, close the port and unregister the client."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        client, self._client = self._client, None
        was_connected, self._port_name = self._port_name is not None, None
        if client is not None:
            if was_connected:
                await asyncio.sleep(_DRAIN_SECONDS)
            client.close_port()
            client.delete()

    # -- the watcher, on the loop ---------------------------------------------------------------

    def _poll(self) -> None:
        self._timer = None
        if self._closed:
            return
        delay = self._poll_interval
        try:
            if self._client is None:
                self._client = self._create_client()
            if self._client is None:
                delay = self._poll_interval * _API_RETRY_POLLS
            else:
                self._follow_port(self._client)
        except rtmidi.RtMidiError as exc:
            # The port list kept changing while being read; the next poll reads it again.
            self._log.debug("feedback output of %r: reading ports failed: %s", self.input_name, exc)
        except Exception:
            # LEDs are not worth a dead watcher: log it and keep trying.
            self._log.exception("feedback output of %r: port watch failed; retrying", self.input_name)
        if not self._closed and self._loop is not None:
            self._timer = self._loop.call_later(delay, self._poll)

    def _create_client(self) -> rtmidi.MidiOut | None:
        try:
            client = _new_client(rtmidi.MidiOut, self._api, f"ptzmapd {self.input_name} leds")
        except rtmidi.RtMidiError as exc:
            if not self._api_failing:
                self._api_failing = True
                self._log.warning(
                    "feedback output of %r: cannot open the %s MIDI API: %s; retrying",
                    self.input_name, api_label(self._api), exc,
                )
            return None
        self._api_failing = False
        return client

    def _follow_port(self, client: rtmidi.MidiOut) -> None:
        ports = _port_names(client)
        if self._port_name is not None:
            # Looked at twice before calling it gone: a list read while other ports come and
            # go can skip one that is still there.
            if self._port_name in ports or self._port_name in (ports := _port_names(client)):
                return
            client.close_port()
            lost, self._port_name = self._port_name, None
            self._waiting_logged = True
            self._log.warning(
                "feedback output of %r: port %r disappeared; waiting for it to come back", self.input_name, lost
            )
        matches = matching_ports(self.pattern, ports)
        if not matches:
            if not self._waiting_logged:
                self._waiting_logged = True
                self._log.warning(
                    "feedback output of %r: waiting for a port matching %r (available: %s)",
                    self.input_name, self.pattern, _describe_ports(ports),
                )
            return
        if not _open_listed_port(client, ports, matches[0], _OWN_PORT_NAME):
            return  # the list changed while opening; the next poll reads the new one
        self._port_name = ports[matches[0]]
        self._waiting_logged = False
        self._log.info("feedback output of %r: connected to %r", self.input_name, self._port_name)
        self._on_connect()
