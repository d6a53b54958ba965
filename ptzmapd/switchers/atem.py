"""A Blackmagic ATEM as a switcher source, through pyatem (the optional extra ``[atem]``):
program and preview of M/E 1, set preview, cut, auto.

pyatem's client blocks and runs threads of its own: a UDP thread (socket I/O, acks) and a
caller who must sit in ``AtemProtocol.loop()``. Each session here gives it a worker thread
for that and hands every field it decodes to the event loop with ``call_soon_threadsafe``;
the loop never waits on pyatem. pyatem retries a silent ATEM by itself every 5 s; here its
reconnect is taken as the end of the session instead, so the source says it lost the ATEM
and reconnects on the shared backoff. Three things pyatem does not cope with are caught
here: a datagram its header parser refuses (it would end the UDP thread), a field its
decoders refuse (it would end ``loop()``), and stopping (it has no close).

A config source key is an ATEM input number (``"1"``), or an input's long or short name
as the ATEM reports it (``InPr``). While a transition runs, the preview input mixed into
program (``PrvI`` byte 4) counts as on program too.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.switchers.base import StateChanged, SwitcherError, SwitcherState
from ptzmapd.switchers.link import CONNECT_TIMEOUT, Refused, SwitcherLink

#: M/E 1 (pyatem numbers M/Es from 0).
ME = 0
#: How pyatem's decoders fail on a field that is not what its code says.
DECODE_ERRORS = (struct.error, ValueError, KeyError, IndexError, TypeError, AttributeError, UnicodeError)
#: Seconds without a datagram after which the ATEM counts as lost (it sends keepalives more
#: often; pyatem's UDP thread waits in select() without a timeout, so it never notices).
SILENCE = 5.0
#: Seconds between two looks of the silence watchdog.
SILENCE_CHECK = 1.0
#: Seconds the stopping threads get to end (they are daemons: a stuck one cannot hold the exit).
STOP_TIMEOUT = 2.0
INSTALL = "pip install 'ptzmapd[atem]'"


def load_pyatem() -> tuple[Any, Any]:
    """pyatem's protocol and command modules; Refused with what to install when absent."""
    try:
        return importlib.import_module("pyatem.protocol"), importlib.import_module("pyatem.command")
    except ImportError as error:  # pyatem itself, or pyusb, which it imports without declaring
        raise Refused(f"ATEM switchers need pyatem and pyusb ({error.name or error} is missing): {INSTALL}") from None


class _Stopped(Exception):
    """Put in pyatem's receive queue to end the worker's ``loop()``."""


class _Closing:
    """A packet pyatem's UDP thread cannot send: its OSError path ends that thread cleanly."""

    flags = 0x01
    sequence_number = 0
    session = 0
    label = None
    debug = False

    def to_bytes(self) -> bytes:
        raise OSError("closing")


@dataclass
class Mixer:
    """What M/E 1 shows, as the ATEM last said; ``names``: input number → (long, short) name."""

    program: int | None = None
    preview: int | None = None
    preview_in_program: bool = False
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    product: str = "ATEM"
    firmware: str = "?"


class _Client:
    """One pyatem connection with its two threads; everything it learns goes to ``source``
    through the loop."""

    def __init__(self, source: AtemSwitcher, protocol_module: Any) -> None:
        self.source = source
        self.loop = source.loop
        self.ready: asyncio.Future[None] = self.loop.create_future()
        self.lost: asyncio.Future[str] = self.loop.create_future()
        self.protocol = protocol_module.AtemProtocol(source.config.host, source.config.port)
        #: Whether a datagram arrived since the watchdog last looked.
        self.traffic = False
        transport = self.protocol.transport
        self.transport = transport
        # pyatem's own loggers would print its chatter (and our stopping) on the root logger.
        transport.log = self.protocol.log = source.log.getChild("pyatem")
        transport.log.setLevel(logging.CRITICAL)
        receive_low, receive, connect = transport._receive_packet_low, transport._receive_packet, transport.connect

        def receive_low_guarded() -> Any:
            self.traffic = True  # a plain flag, set on pyatem's thread, read and reset on the loop's
            try:
                return receive_low()
            except DECODE_ERRORS as error:  # a datagram that is no ATEM packet
                self._tell(source.malformed, "ATEM packet", error)
                return True  # pyatem's "nothing to pass on"

        def receive_or_stop() -> Any:
            packet = receive()
            if packet is _Stopped:
                raise _Stopped()
            return packet

        connects = 0

        def connect_once() -> None:
            nonlocal connects
            connects += 1
            if connects == 1:
                connect()
            else:  # pyatem's own retry (its socket timed out): this session is over
                self._lose(f"no answer for {SILENCE:g} s" if self.ready.done() else "no answer")

        transport._receive_packet_low = receive_low_guarded
        transport._receive_packet = receive_or_stop
        transport.connect = connect_once
        protocol = self.protocol
        protocol.on("connected", lambda: self._tell(self._set_ready))
        protocol.on("disconnected", lambda: self._lose("the ATEM closed the connection"))
        protocol.on("change:program-bus-input:0", lambda f: self._tell(source.on_program, f.source))
        protocol.on("change:preview-bus-input:0", lambda f: self._tell(source.on_preview, f.source, f.in_program))
        protocol.on("change:input-properties:*", lambda f: self._tell(source.on_input, f.index, f.name, f.short_name))
        protocol.on("change:product-name", lambda f: self._tell(source.on_product, f.name))
        protocol.on("change:firmware-version", lambda f: self._tell(source.on_firmware, f.version))
        self.worker = threading.Thread(target=self._work, name=f"atem-{source.config.name}", daemon=True)

    def start(self) -> None:
        self.worker.start()

    def _work(self) -> None:
        try:
            self.protocol.connect()
            while True:
                try:
                    self.protocol.loop()
                except DECODE_ERRORS as error:
                    self._tell(self.source.malformed, "ATEM field", error)
        except _Stopped:
            return
        except Exception as error:  # noqa: BLE001 - whatever pyatem raises ends this session, not the thread silently
            self._lose(str(error) or type(error).__name__)

    def _tell(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` on the event loop's thread (from pyatem's threads)."""
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def _set_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def _lose(self, reason: str) -> None:
        def settle() -> None:
            if not self.lost.done():
                self.lost.set_result(reason)

        self._tell(settle)

    def send(self, command: Any) -> None:
        """Queue one command for the UDP thread (a queue put: it never blocks)."""
        self.protocol.send_commands([command])

    async def stop(self) -> None:
        """End both threads, then close the sockets: pyatem has no way of its own. The worker
        first (it may still start the UDP thread), then the UDP thread through a packet it
        cannot send (closing its socket under its select() would end it with a traceback)."""
        transport = self.transport
        transport.thread_recv_queue.put(_Stopped)
        await asyncio.to_thread(self.worker.join, STOP_TIMEOUT)
        if transport.thread.is_alive():
            transport.thread_queue.put(_Closing())
            await asyncio.to_thread(transport.thread.join, STOP_TIMEOUT)
        if not transport.thread.is_alive():
            transport.sock.close()
            transport.thread_queue._putsocket.close()
            transport.thread_queue._getsocket.close()


class AtemSwitcher(SwitcherLink):
    product = "ATEM"

    def __init__(
        self, config: SwitcherConfig, on_change: StateChanged, loop: asyncio.AbstractEventLoop, *,
        clock: Clock, log: logging.Logger,
    ) -> None:
        super().__init__(config, on_change, loop, clock=clock, log=log)
        self.mixer = Mixer()
        self._client: _Client | None = None
        self._command_module: Any = None
        self._live = False

    async def session(self) -> None:
        # Its first import reads a large module and pyusb: off the loop.
        protocol_module, self._command_module = await asyncio.to_thread(load_pyatem)
        self.mixer = Mixer()
        client = _Client(self, protocol_module)
        client.start()
        try:
            await asyncio.wait((client.ready, client.lost), timeout=2 * CONNECT_TIMEOUT,
                               return_when=asyncio.FIRST_COMPLETED)
            if not client.ready.done():
                raise ConnectionError(client.lost.result() if client.lost.done() else "no answer")
            self._client = client
            self._live = True
            self.connected(f"{self.mixer.product}, firmware {self.mixer.firmware}")
            self._publish()
            watchdog = self.loop.create_task(self._watch(client))
            try:
                await asyncio.wait((client.lost, watchdog), return_when=asyncio.FIRST_COMPLETED)
            finally:
                watchdog.cancel()
            raise ConnectionError(client.lost.result() if client.lost.done() else watchdog.result())
        finally:
            self._live = False
            self._client = None
            await client.stop()

    async def _watch(self, client: _Client) -> str:
        """Return once the ATEM has been silent for :data:`SILENCE` seconds (on our clock)."""
        silent = 0.0
        while silent < SILENCE:
            await self.clock.sleep(SILENCE_CHECK)
            silent = 0.0 if client.traffic else silent + SILENCE_CHECK
            client.traffic = False
        return f"no answer for {SILENCE:g} s"

    # -- what the ATEM says (on the loop's thread) ------------------------------------------

    def on_program(self, source: int) -> None:
        self.mixer.program = source
        self._publish()

    def on_preview(self, source: int, in_program: bool) -> None:
        self.mixer.preview, self.mixer.preview_in_program = source, in_program
        self._publish()

    def on_input(self, number: int, name: str, short: str) -> None:
        self.mixer.names[number] = (name, short)
        self._publish()

    def on_product(self, name: str) -> None:
        self.mixer.product = name

    def on_firmware(self, version: str) -> None:
        self.mixer.firmware = version

    def _number(self, key: str) -> int | None:
        if key.isdigit():
            return int(key)
        return next((number for number, names in self.mixer.names.items() if key in names), None)

    def _name(self, number: int | None) -> str | None:
        if number is None:
            return None
        return self.mixer.names.get(number, (f"input {number}", ""))[0] or f"input {number}"

    def _publish(self) -> None:
        if not self._live:
            return
        mixer = self.mixer
        on_air = {mixer.program} | ({mixer.preview} if mixer.preview_in_program else set())
        numbers = {key: self._number(key) for key in self.config.sources}
        self.publish(SwitcherState(
            connected=True,
            program=frozenset(key for key, number in numbers.items() if number is not None and number in on_air),
            preview=frozenset(key for key, number in numbers.items() if number is not None and number == mixer.preview),
            program_name=self._name(mixer.program),
            preview_name=self._name(mixer.preview),
        ))

    # -- driving the ATEM ------------------------------------------------------------------

    def _send(self, name: str, *args: int) -> None:
        self.require_connected()
        client = self._client
        if client is None:
            raise SwitcherError(f"{self.config.name}: ATEM is not connected")
        client.send(getattr(self._command_module, name)(ME, *args))

    async def preview(self, source: str) -> None:
        number = self._number(source)
        if number is None:
            raise SwitcherError(f"{self.config.name}: the ATEM has no input named {source!r}")
        self._send("PreviewInputCommand", number)

    async def cut(self) -> None:
        self._send("CutCommand")

    async def auto(self) -> None:
        self._send("AutoCommand")
