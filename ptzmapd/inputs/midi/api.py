"""The rtmidi side every MIDI part shares: choosing the API, creating clients, reading port lists.

Choosing the rtmidi API (ALSA, JACK) from a config's ``api:`` or ``MIDO_BACKEND``, creating a
client with the C libraries' complaints silenced, reading a port list that may change while it
is read, and the small tools the CLI, ``learn`` and the demo use: :func:`list_ports`,
:func:`list_port_aliases`, :func:`midi_api_works`, :func:`quiet_c_stderr`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TypeAlias, TypeVar

import rtmidi

from ptzmapd.errors import PtzmapdError

#: The rtmidi APIs a config may name with ``api:``.
MIDI_APIS: dict[str, int] = {"alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK}

# mido names the rtmidi API after a slash in MIDO_BACKEND: "mido.backends.rtmidi/UNIX_JACK".
_MIDO_API_SUFFIXES: dict[str, int] = {
    "UNIX_JACK": rtmidi.API_UNIX_JACK,
    "LINUX_ALSA": rtmidi.API_LINUX_ALSA,
}




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

#: Either kind of rtmidi client: the watcher lists, opens and closes both the same way.
Client: TypeAlias = "rtmidi.MidiIn | rtmidi.MidiOut"


def new_client(factory: Callable[..., _Client], api: int, client_name: str) -> _Client:
    """An rtmidi client, created with the C libraries' own complaints silenced.

    Raises ``rtmidi.RtMidiError`` when the API is not usable.
    """
    with quiet_c_stderr():
        return factory(api, name=client_name)


# How often to read a port list again when it changes while being read.
_LIST_ATTEMPTS = 3


def port_names(client: rtmidi.MidiIn | rtmidi.MidiOut) -> list[str]:
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


def list_ports(api: int) -> tuple[list[str], list[str]]:
    """The MIDI ports ptzmapd could read from and write to: ``(inputs, outputs)``.

    Raises PtzmapdError when the API is not usable.
    """
    try:
        reader = new_client(rtmidi.MidiIn, api, "ptzmapd devices")
        writer = new_client(rtmidi.MidiOut, api, "ptzmapd devices")
    except rtmidi.RtMidiError as exc:
        raise PtzmapdError(f"cannot open the {api_label(api)} MIDI API: {exc}") from exc
    try:
        return port_names(reader), port_names(writer)
    finally:
        reader.delete()
        writer.delete()


def list_port_aliases(api: int, names: list[str]) -> dict[str, list[str]]:
    """The aliases of the named ports (JACK only: ALSA ports have none); {} if unknown."""
    if api != rtmidi.API_UNIX_JACK:
        return {}
    from ptzmapd.inputs.midi.jack_ports import JackPortNews, libjack

    library = libjack()
    if library is None:
        return {}
    news = JackPortNews(library, "ptzmapd devices")

    def ignore(_news: str) -> None:
        pass

    try:
        return news.aliases(names) if news.subscribe(ignore) else {}
    finally:
        news.unsubscribe(ignore)


def midi_api_works(api: int) -> bool:
    """Whether a client of this API can be created and can open a virtual port; silent."""
    try:
        probe = new_client(rtmidi.MidiIn, api, "ptzmapd probe")
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


