"""What the JACK server itself says about its ports: comings and goings, aliases, shutdown.

rtmidi keeps its ``jack_client_t`` to itself, so a MIDI port that vanishes is only noticed
by listing ports again, and a JACK server that shuts down not at all. This module opens one
more client of its own through libjack (with ctypes: no extra dependency, and nothing is
loaded where libjack is absent, e.g. an ALSA-only Raspberry Pi) and asks the server for:

- **port (un)registration and renames** (``jack_set_port_registration_callback``,
  ``jack_set_port_rename_callback``): a port watcher reads the list again at once instead of
  at its next poll, so an unplugged device stops what it moved within milliseconds;
- **(dis)connections** (``jack_set_port_connect_callback``): who sends to a ``virtual:`` port
  of ours, so a program that held a fader there and ended (or crashed) stops what it moved;
- **server shutdown** (``jack_on_shutdown``): every rtmidi client of the process is dead
  then, and watchers drop theirs and reconnect when the server is back;
- **port aliases** (``jack_port_get_aliases``): jackd's own ALSA bridge names every device
  ``system:midi_capture_N`` and keeps the device's name as an alias, which rtmidi does not list.

One :class:`JackPortNews` serves the whole process (:func:`jack_port_news`), whatever the
number of inputs: on JACK every client registration reorders the graph and stalls MIDI for
everyone (DESIGN.md, "Port hot-plug polling"). The client is activated without a process
callback, so the server never schedules it in the audio graph: it costs no wake-ups per
period; its callbacks run on libjack's notification thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

_log = logging.getLogger(__name__)

#: jack_options_t: JackNoStartServer (never start a server behind the user's back) and
#: JackUseExactName is not set (libjack may add "-01" to our name).
_NO_START_SERVER = 0x01
#: JackPortFlags.
PORT_IS_INPUT, PORT_IS_OUTPUT = 0x1, 0x2
MIDI_TYPE = b"8 bit raw midi"

_RegistrationCallback = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_int, ctypes.c_void_p)
_RenameCallback = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
_ShutdownCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_ConnectCallback = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_int, ctypes.c_void_p)

_vp, _cp, _int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
#: name -> (restype, argtypes): the part of libjack's API used here and by the tests.
_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "jack_client_open": (_vp, [_cp, _int, ctypes.POINTER(_int)]),
    "jack_client_close": (_int, [_vp]),
    "jack_activate": (_int, [_vp]),
    "jack_get_client_name": (_cp, [_vp]),
    "jack_set_port_registration_callback": (_int, [_vp, _RegistrationCallback, _vp]),
    "jack_set_port_rename_callback": (_int, [_vp, _RenameCallback, _vp]),
    "jack_on_shutdown": (None, [_vp, _ShutdownCallback, _vp]),
    "jack_set_port_connect_callback": (_int, [_vp, _ConnectCallback, _vp]),
    "jack_get_ports": (ctypes.POINTER(_cp), [_vp, _cp, _cp, ctypes.c_ulong]),
    "jack_free": (None, [_vp]),
    "jack_port_by_name": (_vp, [_vp, _cp]),
    "jack_port_name_size": (_int, []),
    "jack_port_get_aliases": (_int, [_vp, ctypes.POINTER(ctypes.c_char_p)]),
    "jack_port_get_all_connections": (ctypes.POINTER(_cp), [_vp, _vp]),
    "jack_port_register": (_vp, [_vp, _cp, _cp, ctypes.c_ulong, ctypes.c_ulong]),
    "jack_port_unregister": (_int, [_vp, _vp]),
    "jack_port_set_alias": (_int, [_vp, _cp]),
}

_library: Any = None
_library_tried = False


def _loaded_libjack() -> str | None:
    """The libjack this process has loaded already, if any: python-rtmidi's wheel bundles its
    own copy. The port-news client must use that same copy: a second libjack in one process
    maps JACK's shared memory (about 100 MB of it) a second time, and the daemon's RSS doubles
    (measured: 131 MB → 239 MB with bench/run.py)."""
    import rtmidi  # noqa: F401  (loads the bundled libjack, if the wheel has one)

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rstrip("\n").partition("/")[1:]
                where = "".join(path)
                if where and "/libjack" in where and ".so" in where:
                    return where
    except OSError:  # no /proc (not Linux): the system's libjack is all there is
        pass
    return None


def libjack() -> Any:
    """libjack with the prototypes above declared, or None where it is not installed."""
    global _library, _library_tried
    if _library_tried:
        return _library
    _library_tried = True
    for name in (_loaded_libjack(), ctypes.util.find_library("jack"), "libjack.so.0"):
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            for function, (restype, argtypes) in _PROTOTYPES.items():
                declared = getattr(library, function)
                declared.restype, declared.argtypes = restype, argtypes
        except AttributeError as missing:
            _log.debug("libjack %s lacks %s", name, missing)
            continue
        _library = library
        break
    return _library


#: What a subscriber hears: "ports" (a port came, went or was renamed) or "shutdown".
PortNews = Callable[[str], None]


class JackPortNews:
    """One libjack client that hears the server's port news and tells every subscriber.

    Subscribers are called on libjack's notification thread: they must only hand over
    (``loop.call_soon_threadsafe``). After a server shutdown the client is gone; the next
    :meth:`subscribe` (a watcher reconnecting) opens a new one.
    """

    def __init__(self, library: Any, client_name: str = "ptzmapd ports") -> None:
        self._jack = library
        self._client_name = client_name
        self._lock = threading.Lock()
        self._client: int | None = None
        self._subscribers: list[PortNews] = []
        # ctypes callbacks must outlive the client: libjack calls them until it is closed.
        self._callbacks = (
            _RegistrationCallback(self._on_registration),
            _RenameCallback(self._on_rename),
            _ShutdownCallback(self._on_shutdown),
            _ConnectCallback(self._on_connect),
        )
        # Clients dead by a shutdown, closed later from a normal thread (never from
        # libjack's own thread: closing waits for it).
        self._dead: list[int] = []

    @property
    def open(self) -> bool:
        return self._client is not None

    def subscribe(self, subscriber: PortNews) -> bool:
        """Hear port news; True if the server is reachable and news will come."""
        with self._lock:
            self._close_dead()
            if subscriber not in self._subscribers:
                self._subscribers.append(subscriber)
            if self._client is None:
                self._client = self._open()
            return self._client is not None

    def unsubscribe(self, subscriber: PortNews) -> None:
        """Stop hearing; the last one to leave closes the client."""
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
            if not self._subscribers and self._client is not None:
                client, self._client = self._client, None
                self._jack.jack_client_close(client)
            self._close_dead()

    def aliases(self, port_names: list[str]) -> dict[str, list[str]]:
        """The aliases of each named port that has any (ports gone meanwhile are skipped)."""
        with self._lock:
            client = self._client
            if client is None:
                return {}
            size = int(self._jack.jack_port_name_size())
            buffers = [ctypes.create_string_buffer(size) for _ in range(2)]
            pointers = (ctypes.c_char_p * 2)(*(ctypes.cast(b, ctypes.c_char_p) for b in buffers))
            found: dict[str, list[str]] = {}
            for name in port_names:
                port = self._jack.jack_port_by_name(client, name.encode())
                if not port:
                    continue
                count = int(self._jack.jack_port_get_aliases(port, pointers))
                names = [buffers[i].value.decode(errors="replace") for i in range(max(0, min(count, 2)))]
                if names:
                    found[name] = names
            return found

    def connections(self, port_name: str) -> list[str] | None:
        """The full names of the ports connected to a port now; None if it cannot be asked
        (no client, or the port is gone)."""
        with self._lock:
            client = self._client
            if client is None:
                return None
            port = self._jack.jack_port_by_name(client, port_name.encode())
            if not port:
                return None
            names = self._jack.jack_port_get_all_connections(client, port)
            if not names:
                return []
            try:
                found: list[str] = []
                for index in itertools.count():
                    name = names[index]
                    if name is None:
                        return found
                    found.append(name.decode(errors="replace"))
            finally:
                self._jack.jack_free(ctypes.cast(names, ctypes.c_void_p))
        return []

    # -- libjack ---------------------------------------------------------------------------------

    def _open(self) -> int | None:
        from ptzmapd.inputs.midi.api import quiet_c_stderr

        status = ctypes.c_int(0)
        with quiet_c_stderr():
            client = self._jack.jack_client_open(self._client_name.encode(), _NO_START_SERVER, ctypes.byref(status))
        if not client:
            return None
        registration, rename, shutdown, connect = self._callbacks
        self._jack.jack_set_port_registration_callback(client, registration, None)
        self._jack.jack_set_port_rename_callback(client, rename, None)
        self._jack.jack_set_port_connect_callback(client, connect, None)
        self._jack.jack_on_shutdown(client, shutdown, None)
        if self._jack.jack_activate(client) != 0:
            self._jack.jack_client_close(client)
            return None
        return int(client)

    def _close_dead(self) -> None:
        dead, self._dead = self._dead, []
        for client in dead:
            self._jack.jack_client_close(client)

    def _tell(self, news: str) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(news)
            except Exception:  # nothing may escape into libjack's thread
                _log.debug("port news subscriber failed", exc_info=True)

    def _on_registration(self, port: int, register: int, arg: object) -> None:
        self._tell("ports")

    def _on_rename(self, port: int, old: bytes | None, new: bytes | None, arg: object) -> None:
        self._tell("ports")

    def _on_connect(self, a: int, b: int, connect: int, arg: object) -> None:
        self._tell("connections")

    def _on_shutdown(self, arg: object) -> None:
        # No lock here: a subscribe() holding it may be inside libjack waiting for this thread.
        client, self._client = self._client, None
        if client is not None:
            self._dead.append(client)
        self._tell("shutdown")


_news: JackPortNews | None = None
_news_lock = threading.Lock()


def jack_port_news() -> JackPortNews | None:
    """The process's :class:`JackPortNews`; None where libjack is not installed."""
    global _news
    with _news_lock:
        if _news is None:
            library = libjack()
            if library is None:
                return None
            _news = JackPortNews(library)
        return _news
