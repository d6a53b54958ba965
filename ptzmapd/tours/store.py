"""Where traces live and how they are written: one readable JSON file per trace under
``<state_dir>/traces/``, written atomically (a temporary file, fsync, rename), so a power cut
leaves the old trace or the new one, never half of one.

A trace (:class:`Trace`) is the camera it was recorded on, where it started (the preset the
camera was known to stand at, else the position it reported, where its protocol can go back
to one: ``{"pan": 12.5, "tilt": 3.0, "zoom": 10.0}``, as ``move-to`` takes it), its duration and
its moves: each the normalised motion
command (:class:`~ptzmapd.commands.PanTilt`, :class:`~ptzmapd.commands.Zoom`,
:class:`~ptzmapd.commands.Focus`, speeds -1..1) sent to the camera, with its time in seconds
from the start of the recording. On disk a move is ``{"at": 1.25, "pan": 0.5, "tilt": 0.0}``
(or ``"zoom"``, or ``"focus"``): a person can read and even edit it.

Files are read with :func:`ptzmapd.files.read_user_file` (bounded, regular files only); a
file that is not a trace is reported as :class:`TraceUnreadable` in words, never a traceback.
"""

from __future__ import annotations

import calendar
import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ptzmapd.commands import Command, Focus, MoveTo, PanTilt, Zoom
from ptzmapd.files import FileRefused, read_user_file

#: The largest trace file read (a trace of an hour at 20 commands a second fits).
MAX_TRACE_BYTES = 8 << 20
#: The file format's version, written in every file.
FORMAT = 1
SUFFIX = ".json"

Move = tuple[float, Command]


class TraceUnreadable(Exception):
    """A trace file that cannot be read or is not a trace; the message says why."""


@dataclass(frozen=True, slots=True)
class Trace:
    """A recorded move: ``moves`` in time order, times in seconds from the start."""

    name: str
    camera: str
    duration: float
    moves: tuple[Move, ...]
    #: The preset the camera stood at when the recording started; None: not known.
    start_preset: int | None = None
    #: When it was recorded (seconds since the epoch), for ``ptzmapd traces``.
    recorded: float = 0.0
    #: Without a start preset: the position it started at, where the camera reported one
    #: its protocol can go back to (:attr:`ptzmapd.protocols.spec.ProtocolSpec.return_to`).
    start_position: MoveTo | None = None


def default_state_dir() -> str:
    """The state directory when the config names none: systemd's ``StateDirectory=``
    (``$STATE_DIRECTORY``) for a service, else ``$XDG_STATE_HOME/ptzmapd``, else
    ``~/.local/state/ptzmapd`` (the XDG base directory specification's default)."""
    service = os.environ.get("STATE_DIRECTORY")
    if service:
        return service.split(":")[0]
    xdg = os.environ.get("XDG_STATE_HOME")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "ptzmapd")


def traces_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "traces")


def trace_path(state_dir: str, name: str) -> str:
    """The file of trace ``name`` (a plain name: letters, digits, ``_`` and ``-``)."""
    return os.path.join(traces_dir(state_dir), name + SUFFIX)


def to_json(trace: Trace) -> dict[str, object]:
    return {
        "format": FORMAT,
        "name": trace.name,
        "camera": trace.camera,
        "start_preset": trace.start_preset,
        "start_position": None if trace.start_position is None else {
            axis: value for axis in ("pan", "tilt", "zoom") if (value := getattr(trace.start_position, axis)) is not None
        },
        "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(trace.recorded)),
        "duration": round(trace.duration, 4),
        "moves": [{"at": round(at, 4), **_speeds(command)} for at, command in trace.moves],
    }


def _speeds(command: Command) -> dict[str, float]:
    if isinstance(command, PanTilt):
        return {"pan": command.pan, "tilt": command.tilt}
    if isinstance(command, Zoom):
        return {"zoom": command.speed}
    if isinstance(command, Focus):
        return {"focus": command.speed}
    raise TypeError(f"not a motion command: {command!r}")


def write_trace(state_dir: str, trace: Trace) -> str:
    """Write ``trace`` atomically; returns its path. Folders it makes are owner-only (0700).

    :raises OSError: the folder or file cannot be written (the caller logs it).
    """
    folder = traces_dir(state_dir)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = trace_path(state_dir, trace.name)
    text = json.dumps(to_json(trace), indent=1) + "\n"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{trace.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    # The rename itself is durable only once the folder is.
    folder_descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(folder_descriptor)
    finally:
        os.close(folder_descriptor)
    return path


def read_trace(path: str) -> Trace:
    """The trace in the file at ``path``.

    :raises TraceUnreadable: the file cannot be read, is not JSON, or is not a trace (the
        message names what is wrong).
    """
    try:
        document = json.loads(read_user_file(path, MAX_TRACE_BYTES))
    except FileRefused as refused:
        raise TraceUnreadable(str(refused)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise TraceUnreadable(f"not JSON ({error})") from None
    try:
        return _from_json(document, os.path.basename(path)[: -len(SUFFIX)])
    except (KeyError, TypeError, ValueError) as error:
        raise TraceUnreadable(f"not a ptzmapd trace ({error})") from None


def _from_json(document: object, name: str) -> Trace:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"expected a mapping with format {FORMAT}")
    camera = document["camera"]
    start = document.get("start_preset")
    if not isinstance(camera, str) or not (start is None or (isinstance(start, int) and not isinstance(start, bool))):
        raise ValueError("camera must be a name and start_preset a number or null")
    duration = _number(document["duration"], 0.0, math.inf)
    moves: list[Move] = []
    for entry in document["moves"]:
        at = _number(entry["at"], 0.0, duration)
        if moves and at < moves[-1][0]:
            raise ValueError(f"moves out of time order at {at}")
        moves.append((at, _command(entry)))
    recorded = document.get("recorded")
    when = float(calendar.timegm(time.strptime(recorded, "%Y-%m-%dT%H:%M:%SZ"))) if isinstance(recorded, str) else 0.0
    position = document.get("start_position")
    where = None
    if position is not None:
        if not isinstance(position, dict) or not position or set(position) - {"pan", "tilt", "zoom"}:
            raise ValueError("start_position must be a mapping of pan, tilt and zoom")
        where = MoveTo(**{axis: _number(value, -360.0, 360.0) for axis, value in position.items()})
    return Trace(name, camera, duration, tuple(moves), start, when, where)


def _command(entry: dict[str, object]) -> Command:
    if "pan" in entry or "tilt" in entry:
        return PanTilt(_speed(entry.get("pan", 0.0)), _speed(entry.get("tilt", 0.0)))
    if "zoom" in entry:
        return Zoom(_speed(entry["zoom"]))
    if "focus" in entry:
        return Focus(_speed(entry["focus"]))
    raise ValueError(f"a move needs pan/tilt, zoom or focus: {entry!r}")


def _speed(value: object) -> float:
    return _number(value, -1.0, 1.0)


def _number(value: object, low: float, high: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{value!r} is not a number in {low:g}..{high:g}")
    return float(value)


def stored_traces(state_dir: str) -> Iterator[tuple[str, Trace | TraceUnreadable]]:
    """Every trace file under ``state_dir``, sorted by name: (its path, the trace or why it
    cannot be read). Nothing when the folder does not exist yet."""
    folder = traces_dir(state_dir)
    try:
        names = sorted(entry for entry in os.listdir(folder) if entry.endswith(SUFFIX) and not entry.startswith("."))
    except FileNotFoundError:
        return
    except OSError as error:
        raise TraceUnreadable(f"cannot list {folder}: {error.strerror or error}") from None
    for entry in names:
        path = os.path.join(folder, entry)
        try:
            yield path, read_trace(path)
        except TraceUnreadable as problem:
            yield path, problem
