"""What the ALSA sequencer says about its ports: the System:Announce port (client 0, port 1).

The sequencer announces every client and port that starts, exits or changes as an event on
System:Announce. This module opens one sequencer client of its own through libasound (with
ctypes: no extra dependency), subscribes one port of it to the announcements, and waits for
them on the asyncio loop (``loop.add_reader`` on the sequencer's descriptor): no thread, no
timer, so an idle daemon costs nothing more. A port watcher hearing the news reads its port
list at once instead of at its next poll.

Event type numbers and capability bits are those of ``alsa/seq_event.h`` and
``alsa/seq.h`` (alsa-lib 1.x): SND_SEQ_EVENT_CLIENT_START 60 .. SND_SEQ_EVENT_PORT_CHANGE 65;
``snd_seq_event_t`` starts with its type as an unsigned char.

Where the sequencer cannot be opened (no ``snd-seq`` kernel module, as on the machines the
tests run on, or no libasound) :meth:`AlsaPortNews.subscribe` answers False and the watcher
keeps polling.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import errno
import logging
import threading
from typing import Any

from ptzmapd.inputs.midi.jack_ports import PortNews

_log = logging.getLogger(__name__)

SND_SEQ_OPEN_INPUT = 2
SND_SEQ_NONBLOCK = 1
SND_SEQ_PORT_CAP_WRITE = 1 << 1
SND_SEQ_PORT_CAP_SUBS_WRITE = 1 << 6
SND_SEQ_PORT_TYPE_APPLICATION = 1 << 20
SND_SEQ_CLIENT_SYSTEM = 0
SND_SEQ_PORT_SYSTEM_ANNOUNCE = 1
#: SND_SEQ_EVENT_CLIENT_START, _EXIT, _CHANGE, PORT_START, _EXIT, _CHANGE.
PORT_NEWS_EVENTS = frozenset(range(60, 66))
_POLLIN = 0x001
#: Events read per wake-up at most: a storm of announcements must not hold the loop.
_DRAIN_LIMIT = 256


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


_vp, _cp, _int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "snd_seq_open": (_int, [ctypes.POINTER(_vp), _cp, _int, _int]),
    "snd_seq_close": (_int, [_vp]),
    "snd_seq_set_client_name": (_int, [_vp, _cp]),
    "snd_seq_create_simple_port": (_int, [_vp, _cp, ctypes.c_uint, ctypes.c_uint]),
    "snd_seq_connect_from": (_int, [_vp, _int, _int, _int]),
    "snd_seq_poll_descriptors_count": (_int, [_vp, ctypes.c_short]),
    "snd_seq_poll_descriptors": (_int, [_vp, ctypes.POINTER(_PollFd), ctypes.c_uint, ctypes.c_short]),
    "snd_seq_event_input": (_int, [_vp, ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]),
}

_library: Any = None
_library_tried = False


def libasound() -> Any:
    """libasound with the prototypes above declared, or None where it is not installed."""
    global _library, _library_tried
    if _library_tried:
        return _library
    _library_tried = True
    for name in (ctypes.util.find_library("asound"), "libasound.so.2"):
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
            for function, (restype, argtypes) in _PROTOTYPES.items():
                declared = getattr(library, function)
                declared.restype, declared.argtypes = restype, argtypes
        except (OSError, AttributeError):
            continue
        _library = library
        break
    return _library


class AlsaPortNews:
    """One sequencer client listening to System:Announce, telling every subscriber "ports".

    Subscribers are called on the loop that subscribed first (the daemon has one loop).
    """

    def __init__(self, library: Any, client_name: str = "ptzmapd ports") -> None:
        self._alsa = library
        self._client_name = client_name
        self._lock = threading.Lock()
        self._handle: int | None = None
        self._fds: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: list[PortNews] = []

    @property
    def open(self) -> bool:
        return self._handle is not None

    def subscribe(self, subscriber: PortNews) -> bool:
        """Hear port news on the running loop; True if the sequencer could be opened."""
        with self._lock:
            if subscriber not in self._subscribers:
                self._subscribers.append(subscriber)
            if self._handle is None:
                self._open(asyncio.get_running_loop())
            return self._handle is not None

    def unsubscribe(self, subscriber: PortNews) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
            if not self._subscribers:
                self._close()

    def aliases(self, port_names: list[str]) -> dict[str, list[str]]:
        """ALSA ports have no aliases: rtmidi's names are all there is."""
        return {}

    def connections(self, port_name: str) -> list[str] | None:
        """Not asked of ALSA: the port list check is what opening relies on there."""
        return None

    # -- libasound -------------------------------------------------------------------------------

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        from ptzmapd.inputs.midi.api import quiet_c_stderr

        alsa = self._alsa
        handle = ctypes.c_void_p()
        with quiet_c_stderr():
            opened = alsa.snd_seq_open(ctypes.byref(handle), b"default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK)
        if opened < 0 or not handle.value:
            _log.debug("alsa port news: cannot open the sequencer (%s)", opened)
            return
        seq = int(handle.value)
        alsa.snd_seq_set_client_name(seq, self._client_name.encode())
        port = alsa.snd_seq_create_simple_port(
            seq, b"announce", SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE, SND_SEQ_PORT_TYPE_APPLICATION
        )
        if port < 0 or alsa.snd_seq_connect_from(seq, port, SND_SEQ_CLIENT_SYSTEM, SND_SEQ_PORT_SYSTEM_ANNOUNCE) < 0:
            alsa.snd_seq_close(seq)
            _log.debug("alsa port news: cannot subscribe to System:Announce")
            return
        count = alsa.snd_seq_poll_descriptors_count(seq, _POLLIN)
        pollfds = (_PollFd * max(count, 1))()
        filled = alsa.snd_seq_poll_descriptors(seq, pollfds, count, _POLLIN)
        self._handle, self._loop = seq, loop
        self._fds = [pollfds[i].fd for i in range(max(0, filled))]
        for fd in self._fds:
            loop.add_reader(fd, self._drain)

    def _close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            for fd in self._fds:
                self._loop.remove_reader(fd)
        self._fds = []
        self._alsa.snd_seq_close(handle)

    def _drain(self) -> None:
        """Read what is queued (non-blocking); tell subscribers once if any was port news."""
        if self._handle is None:
            return
        event = ctypes.POINTER(ctypes.c_ubyte)()
        news = False
        for _ in range(_DRAIN_LIMIT):
            got = self._alsa.snd_seq_event_input(self._handle, ctypes.byref(event))
            if got == -errno.ENOSPC:
                news = True  # the input queue overflowed: something happened, look
                continue
            if got < 0:
                break  # -EAGAIN: drained
            if event and event[0] in PORT_NEWS_EVENTS:
                news = True
        if news:
            for subscriber in list(self._subscribers):
                try:
                    subscriber("ports")
                except Exception:
                    _log.debug("port news subscriber failed", exc_info=True)


_news: AlsaPortNews | None = None
_news_lock = threading.Lock()


def alsa_port_news() -> AlsaPortNews | None:
    """The process's :class:`AlsaPortNews`; None where libasound is not installed."""
    global _news
    with _news_lock:
        if _news is None:
            library = libasound()
            if library is None:
                return None
            _news = AlsaPortNews(library)
        return _news
