"""A MIDI output that plays into ptzmapd's input: the demo's scripted controller, and tests'."""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType

import rtmidi

from ptzmapd.errors import PtzmapdError
from ptzmapd.inputs.midi.api import api_label, new_client, port_names
from ptzmapd.inputs.midi.ports import describe_ports, matching_ports, open_listed_port

# How often MidiSender tries to open its port while the list keeps changing (about 0.5 s).
_OPEN_ATTEMPTS = 10


class MidiSender:
    """A MIDI output: the demo's scripted controller, playing into ptzmapd's input.

    Give ``port`` (a glob, matched as an input's ``port:`` is) to connect to an existing
    port, or ``virtual`` to create one that others connect to.
    """

    def __init__(
        self,
        api: int,
        *,
        port: str | None = None,
        virtual: str | None = None,
        client_name: str = "ptzmapd sender",
    ) -> None:
        if (port is None) == (virtual is None):
            raise ValueError("MidiSender needs exactly one of port= or virtual=")
        try:
            self._out: rtmidi.MidiOut | None = new_client(rtmidi.MidiOut, api, client_name)
        except rtmidi.RtMidiError as exc:
            raise PtzmapdError(f"cannot open the {api_label(api)} MIDI API: {exc}") from exc
        try:
            self.port_name = self._open(self._out, port, virtual)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _open(out: rtmidi.MidiOut, port: str | None, virtual: str | None) -> str:
        if virtual is not None:
            out.open_virtual_port(virtual)
            return virtual
        assert port is not None
        for attempt in range(_OPEN_ATTEMPTS):
            ports = port_names(out)
            matches = matching_ports(port, ports)
            if not matches:
                available = describe_ports(ports)
                raise PtzmapdError(f"no MIDI port matches {port!r} (available: {available})")
            if open_listed_port(out, ports, matches[0], "out"):
                return ports[matches[0]]
            # Other programs' ports are coming and going: give them a moment.
            time.sleep(0.01 * (attempt + 1))
        raise PtzmapdError(f"the MIDI port list kept changing while opening {port!r}")

    def send(self, message: bytes | Sequence[int]) -> None:
        """Send one complete MIDI message, e.g. ``bytes([0xB0, 7, 100])``."""
        if self._out is None:
            raise PtzmapdError(f"midi sender on {self.port_name!r} is closed")
        self._out.send_message(message)

    def close(self) -> None:
        out, self._out = self._out, None
        if out is not None:
            out.close_port()
            out.delete()

    def __enter__(self) -> MidiSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
