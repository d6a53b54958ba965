"""MIDI input: a configured MIDI port, kept connected, its messages turned into ControlEvents.

This module owns everything between rtmidi and :class:`~ptzmapd.events.ControlEvent`:
choosing the rtmidi API (ALSA, JACK), finding a port by glob, following it as it is unplugged
and plugged back, handing messages from rtmidi's thread to the event loop, and parsing raw
MIDI bytes. It also holds the small port utilities the CLI and the demo share:
:func:`list_ports`, :func:`midi_api_works`, :class:`MidiSender` and :func:`quiet_c_stderr`.

Each input keeps ONE rtmidi client for its whole life, used both to enumerate ports and to
read the open one: on JACK every client registration reorders the graph and stalls MIDI
delivery for every client (DESIGN.md, "Port hot-plug polling").
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TypeVar

import rtmidi

from ptzmapd.config.model import InputConfig
from ptzmapd.errors import ConfigError, PtzmapdError
from ptzmapd.events import ControlEvent, EmitEvent, InputStateChanged

_LOG = logging.getLogger(__name__)

#: The rtmidi APIs a config may name with ``api:``.
MIDI_APIS: dict[str, int] = {"alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK}

# mido names the rtmidi API after a slash in MIDO_BACKEND: "mido.backends.rtmidi/UNIX_JACK".
_MIDO_API_SUFFIXES: dict[str, int] = {
    "UNIX_JACK": rtmidi.API_UNIX_JACK,
    "LINUX_ALSA": rtmidi.API_LINUX_ALSA,
}

# A MIDI API that failed (no JACK server, no ALSA sequencer) is retried this many poll
# intervals apart: it rarely comes back within a second, and every attempt is a client
# registration the JACK server has to process.
_API_RETRY_POLLS = 5

# The name of the port an input registers on its own client when it connects to a device:
# on JACK the graph shows "ptzmapd desk:in".
_OWN_PORT_NAME = "in"

# How long close() lets rtmidi's thread finish a message it is delivering before the client
# is deleted: a few JACK periods, with room for a busy machine.
_SETTLE_SECONDS = 0.05


def resolve_api(name: str | None) -> int:
    """The rtmidi API constant for a config's ``api:`` value.

    None means: the API named in ``MIDO_BACKEND`` (so one variable steers both mido tools and
    ptzmapd), else ``rtmidi.API_UNSPECIFIED`` (rtmidi's platform default: ALSA on Linux).
    """
    if name is not None:
        try:
            return MIDI_APIS[name]
        except KeyError:
            valid = ", ".join(MIDI_APIS)
            raise ValueError(f"unknown midi api {name!r} (valid: {valid})") from None
    _, _, suffix = os.environ.get("MIDO_BACKEND", "").partition("/")
    api: int = _MIDO_API_SUFFIXES.get(suffix.upper(), rtmidi.API_UNSPECIFIED)
    return api


def api_label(api: int) -> str:
    """A short name for an rtmidi API, for log lines: "jack", "alsa", "default"."""
    if api == rtmidi.API_UNSPECIFIED:
        return "default"
    return str(rtmidi.get_api_name(api))


@contextlib.contextmanager
def quiet_c_stderr() -> Iterator[None]:
    """Send what C libraries write to file descriptor 2 to /dev/null while the block runs.

    libjack and alsa-lib print several lines of their own ("Cannot connect to server
    socket", "ALSA lib seq_hw.c:...") when a client cannot be created, and rtmidi's exception
    already says the same in one line. The redirection is process-wide: whatever another
    thread writes to stderr meanwhile is lost too, so keep the block short.
    """
    if sys.stderr is not None:
        sys.stderr.flush()
    saved = os.dup(2)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_Client = TypeVar("_Client")


def _new_client(factory: Callable[..., _Client], api: int, client_name: str) -> _Client:
    """An rtmidi client, created with the C libraries' own complaints silenced.

    Raises ``rtmidi.RtMidiError`` when the API is not usable.
    """
    with quiet_c_stderr():
        return factory(api, name=client_name)


def matching_ports(pattern: str, ports: Sequence[str]) -> list[int]:
    """Indexes of the ports whose name matches a glob, in the order the API lists them.

    Case matters first, as in a shell; if no port matches that way, case is ignored, since
    someone who writes ``*nanokontrol2*`` means the device, not its capitalisation.
    """
    exact = [index for index, name in enumerate(ports) if fnmatch.fnmatchcase(name, pattern)]
    if exact:
        return exact
    folded = pattern.casefold()
    return [
        index for index, name in enumerate(ports) if fnmatch.fnmatchcase(name.casefold(), folded)
    ]


def _describe_ports(ports: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in ports) if ports else "none"


# How often to read a port list again when it changes while being read.
_LIST_ATTEMPTS = 3
# How often MidiSender tries to open its port while the list keeps changing (about 0.5 s).
_OPEN_ATTEMPTS = 10


def _port_names(client: rtmidi.MidiIn | rtmidi.MidiOut) -> list[str]:
    """``client.get_ports()``, read again if another program's port comes or goes meanwhile.

    rtmidi asks for the count, then for each name by index; a port that disappears in
    between makes it raise InvalidPortError (seen on a shared JACK server).
    """
    for _attempt in range(_LIST_ATTEMPTS - 1):
        try:
            return [str(name) for name in client.get_ports()]
        except rtmidi.InvalidPortError:
            pass
    return [str(name) for name in client.get_ports()]


def _open_listed_port(
    client: rtmidi.MidiIn | rtmidi.MidiOut, ports: Sequence[str], index: int, own_port: str
) -> bool:
    """Open ``ports[index]``; False, with nothing left open, if it may have been another port.

    rtmidi opens by index into a list it reads again, so a port that came or went since
    ``ports`` was read shifts the index onto another port; rtmidi may even raise half way,
    with our end registered. A list that reads the same after opening says nothing moved
    (short of a change and its undoing within those few milliseconds).
    """
    try:
        client.open_port(index, own_port)
        if _port_names(client) == list(ports):
            return True
    except rtmidi.RtMidiError:
        pass
    client.close_port()
    return False


_Decode = Callable[[Sequence[int]], tuple[int | None, int]]

# Channel voice messages ptzmapd maps, by the status byte's high nibble:
# (ControlEvent.kind, data bytes needed, whole message -> (number, value)).
# Everything else (aftertouch, channel pressure, system messages) is ignored.
_CHANNEL_MESSAGES: dict[int, tuple[str, int, _Decode]] = {
    # Note off carries a release velocity, not a level: the control is simply at 0 now.
    0x80: ("note", 2, lambda msg: (msg[1], 0)),
    # Note on with velocity 0 is the common way to send note off; value 0 already says so.
    0x90: ("note", 2, lambda msg: (msg[1], msg[2])),
    0xB0: ("cc", 2, lambda msg: (msg[1], msg[2])),
    0xC0: ("program", 1, lambda msg: (None, msg[1])),
    # 14 bits, least significant 7 first, centre 0x2000.
    0xE0: ("pitchbend", 2, lambda msg: (None, (msg[2] << 7 | msg[1]) - 8192)),
}


def parse_midi(input_name: str, message: Sequence[int], received: float) -> ControlEvent | None:
    """The ControlEvent one raw MIDI message means, or None for a message ptzmapd ignores."""
    if not message:
        return None
    status = message[0]
    spec = _CHANNEL_MESSAGES.get(status & 0xF0)
    if spec is None:
        return None
    kind, data_bytes, decode = spec
    if len(message) < 1 + data_bytes:
        return None
    number, value = decode(message)
    return ControlEvent(
        input=input_name,
        kind=kind,
        number=number,
        value=value,
        channel=(status & 0x0F) + 1,
        time=received,
    )


class MidiInput:
    """One configured MIDI input: a ``virtual:`` port of our own, or a device found by glob.

    Events reach ``emit`` on the loop's thread. ``on_state(name, True)`` is called when the
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
        poll_interval: float = 1.0,
        log: logging.Logger | None = None,
    ) -> None:
        if (config.port is None) == (config.virtual is None):
            both = ", not both" if config.port is not None else ""
            where = f"{config.mark}: inputs.{config.name}"
            raise ConfigError([f"{where}: a midi input needs 'port' or 'virtual'{both}"])
        self._config = config
        self._emit = emit
        self._on_state = on_state
        self._loop = loop
        self._poll_interval = poll_interval
        self._log = log if log is not None else _LOG
        self._api = resolve_api(config.api)
        self._client: rtmidi.MidiIn | None = None
        # See _listen(): what python-rtmidi would free under rtmidi's thread's feet.
        self._pinned_callbacks: list[object] = []
        self._port_name: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._started = False
        self._closed = False
        # Each condition is logged when it starts, not on every poll that finds it unchanged.
        self._api_failing = False
        self._waiting_logged = False

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def connected(self) -> bool:
        """True while a port is open: the virtual port, or the device the glob found."""
        return self._port_name is not None

    @property
    def port_name(self) -> str | None:
        """The open port: the device's full name, or the ``virtual:`` name; None when waiting."""
        return self._port_name

    async def start(self) -> None:
        """Open the port now if possible, and keep watching it from the loop."""
        if self._started:
            raise RuntimeError(f"midi input {self.name!r} is already started")
        self._started = True
        self._poll()

    async def close(self) -> None:
        """Stop watching, close the port and unregister the client. ``on_state`` is not called."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        client, self._client = self._client, None
        self._port_name = None
        if client is not None:
            client.close_port()  # python-rtmidi cancels the callback too
            # rtmidi's thread may be waiting for the GIL to deliver one last message, and
            # delete() waits for that thread (jack_client_close) while holding the GIL: give it
            # the GIL first, or both wait forever (seen on JACK with messages arriving).
            await asyncio.sleep(_SETTLE_SECONDS)
            client.delete()
        self._pinned_callbacks.clear()

    # -- the watcher, on the loop -------------------------------------------------------------

    def _poll(self) -> None:
        self._timer = None
        if self._closed:
            return
        delay: float | None = None  # None: nothing left to watch
        try:
            if self._client is None:
                self._client = self._create_client()
            if self._client is None:
                delay = self._poll_interval * _API_RETRY_POLLS
            elif self._config.virtual is not None:
                # A virtual port never vanishes: once it is open, an idle daemon has no reason
                # to wake up for it.
                if not self._open_virtual(self._client, self._config.virtual):
                    delay = self._poll_interval * _API_RETRY_POLLS
            else:
                assert self._config.port is not None
                delay = self._poll_interval
                self._follow_port(self._client, self._config.port)
        except rtmidi.RtMidiError as exc:
            # The port list kept changing while being read: other programs' ports coming and
            # going. The next poll reads it again.
            self._log.debug("midi input %r: reading ports failed: %s", self.name, exc)
            delay = self._poll_interval
        except Exception:
            # The watcher must outlive any surprise: an input that stops reconnecting is
            # worse on air than one odd log line.
            self._log.exception("midi input %r: port watch failed; retrying", self.name)
            delay = self._poll_interval
        if delay is not None and not self._closed:
            self._timer = self._loop.call_later(delay, self._poll)

    def _create_client(self) -> rtmidi.MidiIn | None:
        try:
            client = _new_client(rtmidi.MidiIn, self._api, f"ptzmapd {self.name}")
        except rtmidi.RtMidiError as exc:
            if not self._api_failing:
                self._api_failing = True
                self._log.warning(
                    "midi input %r: cannot open the %s MIDI API: %s; retrying every %g s",
                    self.name,
                    api_label(self._api),
                    exc,
                    self._poll_interval * _API_RETRY_POLLS,
                )
            else:
                self._log.debug("midi input %r: MIDI API still unusable: %s", self.name, exc)
            return None
        if self._api_failing:
            self._api_failing = False
            self._log.info(
                "midi input %r: the %s MIDI API is usable again", self.name, api_label(self._api)
            )
        client.ignore_types(sysex=True, timing=True, active_sense=True)
        return client

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

    def _open_virtual(self, client: rtmidi.MidiIn, virtual: str) -> bool:
        self._listen(client)
        try:
            client.open_virtual_port(virtual)
        except rtmidi.RtMidiError as exc:
            self._log.warning(
                "midi input %r: cannot create virtual port %r: %s; retrying",
                self.name,
                virtual,
                exc,
            )
            # A fresh client next time: this one may hold a half-made port.
            self._client = None
            client.delete()
            return False
        self._port_name = virtual
        self._log.info("midi input %r: virtual port %r is open", self.name, virtual)
        self._on_state(self.name, True)
        return True

    def _follow_port(self, client: rtmidi.MidiIn, pattern: str) -> None:
        ports = _port_names(client)
        if self._port_name is not None:
            if self._port_name in ports:
                return
            # A second look before calling it gone: a list read while other ports come and go
            # can skip one that is still there, and a false alarm stops a moving camera.
            ports = _port_names(client)
            if self._port_name in ports:
                return
            # rtmidi does not notice: our end stays open and silent. Close it and say so now,
            # so whatever this device was moving stops.
            client.close_port()
            lost, self._port_name = self._port_name, None
            self._waiting_logged = True
            self._log.warning(
                "midi input %r: port %r disappeared; waiting for it to come back", self.name, lost
            )
            self._on_state(self.name, False)
            # No return: a device plugged back at once may already be listed under a new name
            # (ALSA numbers clients anew).
        matches = matching_ports(pattern, ports)
        if not matches:
            if not self._waiting_logged:
                self._waiting_logged = True
                self._log.warning(
                    "midi input %r: waiting for a port matching %r (available: %s)",
                    self.name,
                    pattern,
                    _describe_ports(ports),
                )
            return
        index = matches[0]
        self._listen(client)
        if not _open_listed_port(client, ports, index, _OWN_PORT_NAME):
            # The list changed while we opened; the next poll reads the new one.
            self._log.debug("midi input %r: ports moved while opening %r", self.name, ports[index])
            return
        self._port_name = ports[index]
        self._waiting_logged = False
        also = [ports[other] for other in matches[1:]]
        if also:
            self._log.info(
                "midi input %r: connected to %r (also matching: %s)",
                self.name,
                self._port_name,
                _describe_ports(also),
            )
        else:
            self._log.info("midi input %r: connected to %r", self.name, self._port_name)
        self._on_state(self.name, True)

    # -- rtmidi's thread -> the loop ---------------------------------------------------------------

    def _on_message(self, message: tuple[list[int], float], data: object = None) -> None:
        # Runs on rtmidi's thread (under JACK, the JACK process thread itself): parse and hand
        # over, nothing slow, and nothing may escape into rtmidi.
        received = time.monotonic()
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


def list_ports(api: int) -> tuple[list[str], list[str]]:
    """The MIDI ports ptzmapd could read from and write to: ``(inputs, outputs)``.

    Raises PtzmapdError when the API is not usable.
    """
    try:
        reader = _new_client(rtmidi.MidiIn, api, "ptzmapd devices")
        writer = _new_client(rtmidi.MidiOut, api, "ptzmapd devices")
    except rtmidi.RtMidiError as exc:
        raise PtzmapdError(f"cannot open the {api_label(api)} MIDI API: {exc}") from exc
    try:
        return _port_names(reader), _port_names(writer)
    finally:
        reader.delete()
        writer.delete()


def midi_api_works(api: int) -> bool:
    """Whether a client of this API can be created and can open a virtual port; silent."""
    try:
        probe = _new_client(rtmidi.MidiIn, api, "ptzmapd probe")
    except rtmidi.RtMidiError:
        return False
    try:
        with quiet_c_stderr():
            probe.open_virtual_port("probe")
            probe.close_port()
    except rtmidi.RtMidiError:
        return False
    finally:
        probe.delete()
    return True


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
            self._out: rtmidi.MidiOut | None = _new_client(rtmidi.MidiOut, api, client_name)
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
            ports = _port_names(out)
            matches = matching_ports(port, ports)
            if not matches:
                available = _describe_ports(ports)
                raise PtzmapdError(f"no MIDI port matches {port!r} (available: {available})")
            if _open_listed_port(out, ports, matches[0], "out"):
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
