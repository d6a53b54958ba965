"""Finding and following MIDI ports: the port watcher that inputs and LED outputs share.

Matching a port by glob, opening exactly the port that was listed, and :class:`PortWatcher`,
which keeps one port open as its device is unplugged and plugged back.

Every watcher keeps ONE rtmidi client for its whole life, used both to list ports and to
read or write the open one: on JACK every client registration reorders the graph and stalls
MIDI delivery for every client (DESIGN.md, "Port hot-plug polling").

A watcher does not wait for its next poll to notice a port that goes: it hears the MIDI API's
own news (:func:`port_news_for`): JACK's port registration and shutdown callbacks
(:mod:`.jack_ports`), ALSA's System:Announce port (:mod:`.alsa_ports`). The poll stays, slow,
as a safety net for an API that says nothing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeAlias

import rtmidi

from ptzmapd.inputs.midi.api import Client, api_label, new_client, port_names
from ptzmapd.inputs.midi.jack_ports import PortNews, jack_port_news

# A MIDI API that failed (no JACK server, no ALSA sequencer) is retried this many poll
# intervals apart: it rarely comes back within a second, and every attempt is a client
# registration the JACK server has to process.
API_RETRY_POLLS = 5
#: Seconds after JACK's port news before a virtual port's senders are read again: the news
#: may come before the port queries show the change (the next process cycle; a cycle is
#: 1-43 ms at the usual settings).
SENDERS_SETTLE = 0.1

#: A ``port:`` or ``feedback:`` value: one glob, or globs in order of preference.
PortPattern: TypeAlias = "str | tuple[str, ...]"


def matching_ports(
    pattern: PortPattern, ports: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> list[int]:
    """Indexes of the ports a glob (or the first of several globs) matches, best first.

    A port matches by its name or by one of its ``aliases`` (JACK: jackd's ALSA bridge names
    a device ``system:midi_capture_1`` and keeps its real name as an alias). Case matters
    first, as in a shell; if no port matches that way, case is ignored, since someone who
    writes ``*nanokontrol2*`` means the device, not its capitalisation. Given several globs,
    the first one that matches any port decides, whatever order the API lists the ports in
    (a device with two ports: ``["*APC mini mk2*Contr*", "*APC mini mk2*"]``); within one
    glob, the API's order.
    """
    for glob in (pattern,) if isinstance(pattern, str) else pattern:
        for fold in (False, True):
            wanted = glob.casefold() if fold else glob
            found = [
                index
                for index, name in enumerate(ports)
                if any(
                    fnmatch.fnmatchcase(known.casefold() if fold else known, wanted)
                    for known in (name, *(aliases or {}).get(name, ()))
                )
            ]
            if found:
                return found
    return []


def describe_pattern(pattern: PortPattern) -> str:
    """A ``port:`` value for a log line: ``'*nano*'`` or ``'*Contr*', then '*APC*'``."""
    return repr(pattern) if isinstance(pattern, str) else ", then ".join(map(repr, pattern))


class PortNewsSource(Protocol):
    """Where a watcher hears that ports came or went, or that the MIDI API itself went away."""

    def subscribe(self, subscriber: PortNews) -> bool: ...

    def unsubscribe(self, subscriber: PortNews) -> None: ...

    def aliases(self, port_names: list[str]) -> dict[str, list[str]]: ...

    def connections(self, port_name: str) -> list[str] | None: ...


def port_news_for(api: int) -> PortNewsSource | None:
    """The port news of a MIDI API in use (``client.get_current_api()``), if it has any here."""
    if api == rtmidi.API_UNIX_JACK:
        return jack_port_news()
    if api == rtmidi.API_LINUX_ALSA:
        from ptzmapd.inputs.midi.alsa_ports import alsa_port_news

        return alsa_port_news()
    return None


def describe_ports(ports: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None) -> str:
    """Port names for a message, each with its aliases: ``'system:midi_capture_1' (alias …)``."""
    if not ports:
        return "none"
    known = aliases or {}
    return ", ".join(
        repr(name) + (f" (alias {', '.join(map(repr, known[name]))})" if known.get(name) else "") for name in ports
    )


def open_listed_port(
    client: rtmidi.MidiIn | rtmidi.MidiOut,
    ports: Sequence[str],
    index: int,
    own_port: str,
    news: PortNewsSource | None = None,
) -> bool:
    """Open ``ports[index]``; False, with nothing left open, if it may have been another port.

    rtmidi opens by index into a list it reads again, so a port that came or went since
    ``ports`` was read shifts the index onto another port; rtmidi may even raise half way,
    with our end registered. A list that reads the same after opening says nothing moved,
    short of a change and its undoing meanwhile (a port gone and another taking its place,
    then back). Where the API can say what is connected (JACK, through ``news``), the check
    is exact: the listed port must have gained a connection to our own port.
    """
    target = ports[index]
    before = news.connections(target) if news is not None else None
    try:
        client.open_port(index, own_port)
        if port_names(client) == list(ports) and _connected(news, target, before, own_port):
            return True
    except rtmidi.RtMidiError:
        pass
    client.close_port()
    return False


def _connected(news: PortNewsSource | None, target: str, before: list[str] | None, own_port: str) -> bool:
    """Whether ``target`` gained a connection to a port called ``own_port`` (True where the
    API cannot tell: the list check is all there is)."""
    if news is None or before is None:
        return True
    after = news.connections(target)
    if after is None:
        return False  # the listed port is gone
    return any(name.rpartition(":")[2] == own_port for name in set(after) - set(before))


#: rtmidi clients whose JACK server died under them, kept so that nothing (not even their
#: ``__del__``) calls into libjack for them again.
_DEAD_CLIENTS: list[object] = []


class PortWatcher:
    """One rtmidi client, kept for life, and the port it should have open, kept open.

    Give ``pattern`` (a glob) to follow a device's port: it is polled for every
    ``poll_interval`` seconds, opened when it appears and closed as soon as it is gone. Give
    ``virtual`` to create a port of our own instead: it never vanishes, so once it is open
    nothing polls; on JACK the ports sending to it are followed instead, and one that goes
    counts as the input lost and found again (``on_lost``, ``on_open``). A MIDI API that cannot be used (no JACK server, no ALSA sequencer) is never
    an error: it is logged once and retried. The API's port news (:func:`port_news_for`) makes
    the watcher look at once when ports change, and drop its client when the JACK server shuts
    down (everything it moved stops; it reconnects when the server is back).

    ``on_open(port)`` runs each time the port is (re)opened, ``on_lost(port)`` as soon as a
    followed device is gone; ``setup(client)`` once per new client and ``before_open(client)``
    before every open. All run on the event loop; log lines start with ``what``.
    """

    def __init__(
        self,
        what: str,
        factory: Callable[..., Client],
        api: int,
        client_name: str,
        own_port: str,
        *,
        pattern: PortPattern | None = None,
        virtual: str | None = None,
        on_open: Callable[[str], None],
        on_lost: Callable[[str], None] | None = None,
        setup: Callable[[Client], None] | None = None,
        before_open: Callable[[Client], None] | None = None,
        poll_interval: float = 1.0,
        log: logging.Logger,
    ) -> None:
        if (pattern is None) == (virtual is None):
            raise ValueError("PortWatcher needs exactly one of pattern= or virtual=")
        self.what = what
        self._factory = factory
        self._api = api
        self._client_name = client_name
        self._own_port = own_port
        self._pattern = pattern
        self._virtual = virtual
        self._on_open = on_open
        self._on_lost = on_lost
        self._setup = setup
        self._before_open = before_open
        self._poll_interval = poll_interval
        self._log = log
        self._client: Client | None = None
        self._port_name: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        # Each condition is logged when it starts, not on every poll that finds it unchanged.
        self._api_failing = False
        self._waiting_logged = False
        self._news: PortNewsSource | None = None
        # Set on libjack's/ALSA's thread when news arrives, cleared on the loop when read: a
        # burst of port registrations (a device with many ports) makes one look, not many.
        self._news_pending: set[str] = set()
        self._news_lock = threading.Lock()
        #: The ports sending to our virtual port, as last seen (JACK only).
        self._senders: frozenset[str] = frozenset()
        self._senders_timer: asyncio.TimerHandle | None = None

    @property
    def client(self) -> Client | None:
        """The rtmidi client; None until the API could be opened, and after :meth:`close`."""
        return self._client

    @property
    def port_name(self) -> str | None:
        """The open port: the device's full name, or the ``virtual`` name; None while waiting."""
        return self._port_name

    def start(self) -> None:
        """Open the port now if possible, and keep watching it from the running loop."""
        if self._loop is not None:
            raise RuntimeError(f"{self.what} is already started")
        self._loop = asyncio.get_running_loop()
        self._poll()

    async def close(self, *, drain: float = 0.0, settle: float = 0.0) -> None:
        """Stop watching, close the port and unregister the client.

        ``drain``: seconds to wait before closing an open port, so that messages still in
        rtmidi's ring buffer go out (on JACK they leave at the next process cycle).
        ``settle``: seconds between closing the port and deleting the client, so that a
        message rtmidi's thread is delivering finishes first: ``delete()`` waits for that
        thread while holding the GIL, and the thread may be waiting for the GIL (a hang seen
        on JACK with messages arriving).
        """
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._senders_timer is not None:
            self._senders_timer.cancel()
            self._senders_timer = None
        self._stop_news()
        client = self._client
        if client is None:
            self._port_name = None
            return
        if drain and self._port_name is not None:
            await asyncio.sleep(drain)
        self._client, self._port_name = None, None
        client.close_port()
        if settle:
            await asyncio.sleep(settle)
        client.delete()

    # -- on the loop ------------------------------------------------------------------------------

    def _poll(self) -> None:
        self._timer = None
        if self._closed:
            return
        delay: float | None = None  # None: nothing left to watch
        try:
            if self._client is None:
                self._client = self._create_client()
            if self._client is None:
                delay = self._poll_interval * API_RETRY_POLLS
            elif self._virtual is not None:
                if not self._open_virtual(self._client, self._virtual):
                    delay = self._poll_interval * API_RETRY_POLLS
            else:
                assert self._pattern is not None
                delay = self._poll_interval
                self._follow_port(self._client, self._pattern)
        except rtmidi.RtMidiError as exc:
            # The port list kept changing while being read: other programs' ports coming and
            # going. The next poll reads it again.
            self._log.debug("%s: reading ports failed: %s", self.what, exc)
            delay = self._poll_interval
        except Exception:
            # The watcher must outlive any surprise: an input that stops reconnecting is
            # worse on air than one odd log line.
            self._log.exception("%s: port watch failed; retrying", self.what)
            delay = self._poll_interval
        if delay is not None and not self._closed and self._loop is not None:
            self._timer = self._loop.call_later(delay, self._poll)

    def _start_news(self, client: Client) -> None:
        news = port_news_for(int(client.get_current_api()))
        if news is not None and news.subscribe(self._heard):
            self._news = news
        elif news is not None:
            news.unsubscribe(self._heard)

    def _stop_news(self) -> None:
        news, self._news = self._news, None
        if news is not None:
            news.unsubscribe(self._heard)

    def _heard(self, news: str) -> None:
        # On libjack's notification thread (or the loop, for ALSA): hand over, once per burst.
        with self._news_lock:
            first = not self._news_pending
            self._news_pending.add(news)
        if first and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._read_news)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                pass

    def _read_news(self) -> None:
        with self._news_lock:
            news, self._news_pending = self._news_pending, set()
        if self._closed:
            return
        if "shutdown" in news:
            self._api_gone()
        elif self._pattern is None:
            # A virtual port of our own never vanishes, but the programs sending to it do.
            self._follow_senders()
            if self._loop is not None:
                # JACK may tell of a change before its port queries show it (they read the
                # graph of the next cycle): look again once that cycle has surely run.
                if self._senders_timer is not None:
                    self._senders_timer.cancel()
                self._senders_timer = self._loop.call_later(SENDERS_SETTLE, self._follow_senders_later)
            return
        elif news == {"connections"}:
            return  # a followed device is found by the port list, which did not change
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._poll()

    def _api_gone(self) -> None:
        """The JACK server shut down: our client and port are dead, and rtmidi does not know."""
        self._stop_news()
        client, self._client = self._client, None
        lost, self._port_name = self._port_name, None
        self._log.warning("%s: the %s MIDI API went away%s; reconnecting when it is back",
                          self.what, api_label(self._api), f" with port {lost!r}" if lost else "")
        self._api_failing = True
        self._waiting_logged = False
        if lost is not None and self._on_lost is not None:
            self._on_lost(lost)
        if client is not None:
            # Never touched again: closing a port of a dead JACK server's client segfaults in
            # libjack (seen with rtmidi's MidiOut). A few hundred bytes per server restart.
            _DEAD_CLIENTS.append(client)

    def _create_client(self) -> Client | None:
        try:
            client = new_client(self._factory, self._api, self._client_name)
        except rtmidi.RtMidiError as exc:
            if not self._api_failing:
                self._api_failing = True
                self._log.warning(
                    "%s: cannot open the %s MIDI API: %s; retrying every %g s",
                    self.what,
                    api_label(self._api),
                    exc,
                    self._poll_interval * API_RETRY_POLLS,
                )
            else:
                self._log.debug("%s: MIDI API still unusable: %s", self.what, exc)
            return None
        if self._api_failing:
            self._api_failing = False
            self._log.info("%s: the %s MIDI API is usable again", self.what, api_label(self._api))
        if self._setup is not None:
            self._setup(client)
        self._start_news(client)
        return client

    def _open_virtual(self, client: Client, virtual: str) -> bool:
        if self._before_open is not None:
            self._before_open(client)
        try:
            client.open_virtual_port(virtual)
        except rtmidi.RtMidiError as exc:
            self._log.warning("%s: cannot create virtual port %r: %s; retrying", self.what, virtual, exc)
            # A fresh client next time: this one may hold a half-made port.
            self._client = None
            client.delete()
            return False
        self._port_name = virtual
        self._senders = frozenset()
        self._log.info("%s: virtual port %r is open", self.what, virtual)
        self._on_open(virtual)
        return True

    def _follow_senders_later(self) -> None:
        self._senders_timer = None
        if not self._closed:
            self._follow_senders()

    def _follow_senders(self) -> None:
        """Who sends to our virtual port now (JACK: the ports connected to it). One that
        goes (its program ended or crashed, or it was disconnected) counts as the input
        vanishing and coming back: what it held moves nothing any more (``on_lost``, then
        ``on_open``). Where the API cannot tell (ALSA), nothing is known and nothing is done."""
        news, virtual, client = self._news, self._virtual, self._client
        if news is None or virtual is None or client is None or self._port_name is None:
            return
        try:
            sources = port_names(client)
        except rtmidi.RtMidiError as exc:  # the list kept changing: the settle look reads it again
            self._log.debug("%s: reading ports failed: %s", self.what, exc)
            return
        senders = {source for source in sources if any(map(self._is_ours, news.connections(source) or ()))}
        gone = self._senders - senders
        self._senders = frozenset(senders)
        if gone and self._on_lost is not None:
            self._log.warning("%s: %s stopped sending to virtual port %r", self.what, describe_ports(sorted(gone)), virtual)
            self._on_lost(virtual)
            self._on_open(virtual)

    def _is_ours(self, port: str) -> bool:
        """Whether a full JACK port name is our virtual port (libjack may have numbered our
        client: ``ptzmapd desk-01``)."""
        client, _, name = port.rpartition(":")
        return name == self._virtual and (
            client == self._client_name or re.fullmatch(re.escape(self._client_name) + r"-\d+", client) is not None
        )

    def _follow_port(self, client: Client, pattern: PortPattern) -> None:
        ports = port_names(client)
        if self._port_name is not None:
            if self._port_name in ports:
                return
            # A second look before calling it gone: a list read while other ports come and go
            # can skip one that is still there, and a false alarm stops a moving camera.
            ports = port_names(client)
            if self._port_name in ports:
                return
            # rtmidi does not notice: our end stays open and silent. Close it and say so now,
            # so whatever this device was moving stops.
            client.close_port()
            lost, self._port_name = self._port_name, None
            self._waiting_logged = True
            self._log.warning("%s: port %r disappeared; waiting for it to come back", self.what, lost)
            if self._on_lost is not None:
                self._on_lost(lost)
            # No return: a device plugged back at once may already be listed under a new name
            # (ALSA numbers clients anew).
        aliases = self._news.aliases(ports) if self._news is not None else {}
        matches = matching_ports(pattern, ports, aliases)
        if not matches:
            if not self._waiting_logged:
                self._waiting_logged = True
                self._log.warning(
                    "%s: waiting for a port matching %s (available: %s)",
                    self.what, describe_pattern(pattern), describe_ports(ports, aliases),
                )
            return
        index = matches[0]
        if self._before_open is not None:
            self._before_open(client)
        if not open_listed_port(client, ports, index, self._own_port, self._news):
            # The list changed while we opened; the next poll reads the new one.
            self._log.debug("%s: ports moved while opening %r", self.what, ports[index])
            return
        self._port_name = ports[index]
        self._waiting_logged = False
        also = [ports[other] for other in matches[1:]]
        known_as = aliases.get(self._port_name)
        named = f"{self._port_name!r}" + (f" (alias {', '.join(map(repr, known_as))})" if known_as else "")
        if also:
            self._log.info("%s: connected to %s (also matching: %s)", self.what, named, describe_ports(also))
        else:
            self._log.info("%s: connected to %s", self.what, named)
        self._on_open(self._port_name)


class FollowsPort:
    """What a MIDI input or LED output says about the one port its :class:`PortWatcher`
    follows; the subclass sets ``_watcher`` in its constructor."""

    _watcher: PortWatcher

    @property
    def connected(self) -> bool:
        """True while a port is open (a ``virtual:`` port, or the device the glob found)."""
        return self._watcher.port_name is not None

    @property
    def port_name(self) -> str | None:
        """The open port's full name (or the ``virtual:`` name); None while waiting for it."""
        return self._watcher.port_name

    async def start(self) -> None:
        """Open the port now if it is there, and keep watching it from the loop."""
        self._watcher.start()
