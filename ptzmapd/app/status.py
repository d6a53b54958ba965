"""``ptzmapd status``: what the running daemon knows, over a local Unix socket.

The daemon listens on a Unix socket (never on the network), born 0600: the status names
cameras and their addresses, which is nobody else's business on a shared machine. A folder
the socket needs is created owner-only (0700); a folder that exists already (``/tmp``,
``/run``, a systemd ``RuntimeDirectory``) is never changed: its mode is its owner's choice. A client connects, reads one JSON document,
and the connection closes. ``--watch`` simply asks again twice a second.

Where the socket lives: ``--status-socket`` if given; else ``$RUNTIME_DIRECTORY`` (systemd's
``RuntimeDirectory=``), else ``$XDG_RUNTIME_DIR``, else ``/tmp/ptzmapd-UID``.

What is served is a :class:`StatusSnapshot`, a frozen value the runtime builds; this module
knows nothing of the runtime itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ptzmapd.errors import PtzmapdError
from ptzmapd.tours.tour import TourState
from ptzmapd.tours.trace import TraceState

SOCKET_NAME = "ptzmapd.sock"


def default_socket_path() -> Path:
    for variable in ("RUNTIME_DIRECTORY", "XDG_RUNTIME_DIR"):
        folder = os.environ.get(variable)
        if folder:
            return Path(folder.split(":")[0]) / SOCKET_NAME
    return Path(f"/tmp/ptzmapd-{os.getuid()}") / SOCKET_NAME


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """One camera as ``ptzmapd status`` shows it: positions in the protocol's units, and normalised."""

    protocol: str
    online: bool
    moving: bool
    selected: bool
    #: The shaped speed of each axis, -1..1, as last handed to the controller.
    speeds: Mapping[str, float]
    pan_tilt_position: tuple[int, int] | None
    zoom_position: int | None
    commands_sent: int
    commands_per_second: float
    retransmissions: int
    garbage_replies: int
    last_error: str | None
    stop_refused: str | None
    #: The lens position normalised, 0 (wide) .. 1 (tele); None when unknown.
    zoom: float | None = None
    #: The pan/tilt position normalised, -1..1 over the protocol's range, 0 at home; None
    #: when unknown (the camera reports it while ``position_poll`` is set, or after an inquiry).
    pan: float | None = None
    tilt: float | None = None
    #: "program" or "preview" while a switcher has it on that bus (program wins), else "".
    tally: str = ""


@dataclass(frozen=True, slots=True)
class LastEvent:
    """An input's newest event: ``control`` like ``cc 7``, and how long ago (seconds)."""

    control: str
    value: float
    seconds_ago: float | None


@dataclass(frozen=True, slots=True)
class InputStatus:
    type: str
    connected: bool
    last_event: LastEvent | None


@dataclass(frozen=True, slots=True)
class GroupStatus:
    """One selection group: its selected camera (``all``: every camera) and its inputs."""

    selected: str | None
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SwitcherStatus:
    """One switcher: connected, what is on each bus (the mixer's own name: an OBS scene, a
    vMix title, ``input 3``) and which cameras that is; ``holding``: lost, but its buses still
    apply for its ``tally_hold``."""

    type: str
    connected: bool
    holding: bool
    program: str | None
    preview: str | None
    program_cameras: Sequence[str]
    preview_cameras: Sequence[str]


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What the running daemon knows at one moment: its config file, cameras, inputs and
    switchers, and each selection group's selection (a camera's ``selected`` is the default
    group's)."""

    config: str
    cameras: Mapping[str, CameraStatus]
    inputs: Mapping[str, InputStatus]
    groups: Mapping[str, GroupStatus] = field(default_factory=dict)
    switchers: Mapping[str, SwitcherStatus] = field(default_factory=dict)
    #: Every configured tour; the traces being recorded or played.
    tours: Mapping[str, TourState] = field(default_factory=dict)
    traces: Mapping[str, TraceState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The snapshot as plain JSON-able values (the socket's document)."""
        return {
            "config": self.config,
            "cameras": {name: asdict(camera) for name, camera in self.cameras.items()},
            "inputs": {name: asdict(device) for name, device in self.inputs.items()},
            "groups": {name: asdict(group) for name, group in self.groups.items()},
            "switchers": {name: asdict(switcher) for name, switcher in self.switchers.items()},
            "tours": {name: asdict(tour) for name, tour in self.tours.items()},
            "traces": {name: asdict(trace) for name, trace in self.traces.items()},
        }


class StatusServer:
    """Serves ``snapshot()`` to whoever connects to the socket (the owner only)."""

    def __init__(self, snapshot: Callable[[], StatusSnapshot], path: Path) -> None:
        self._snapshot = snapshot
        self.path = path
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Listen; PtzmapdError (or OSError) when the path cannot be a socket of ours."""
        make_own_folder(self.path.parent)
        if self.path.exists() or self.path.is_symlink():
            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise PtzmapdError(f"status socket {self.path} exists and is not a socket")
            try:
                _, writer = await asyncio.open_unix_connection(str(self.path))
            except OSError:
                self.path.unlink()  # left over by a daemon that did not exit cleanly
            else:
                writer.close()
                raise PtzmapdError("another ptzmapd is running and answers there (use --status-socket)")
        old_umask = os.umask(0o177)  # the socket is born 0600, never world-readable for an instant
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        finally:
            os.umask(old_umask)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(json.dumps(self._snapshot().to_json()).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def make_own_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) owner-only, 0700. A folder that exists is left
    as it is: ptzmapd did not create it, so its mode is not ptzmapd's to change."""
    if folder.is_dir():
        # Not ours to change, but not to trust blindly either: a folder others may write to
        # (without the sticky bit that keeps them from our socket, as /tmp has) lets them swap it.
        info = folder.stat()
        shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX
        if shared or info.st_uid not in (os.getuid(), 0):
            raise PtzmapdError(f"{folder} is not safe for a status socket (owner uid {info.st_uid}, mode "
                               f"{stat.S_IMODE(info.st_mode):o}): others could replace it; choose another --status-socket")
        return
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs
        parent.chmod(0o700)  # ours: mkdir's mode passes through the umask; chmod's does not


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the daemon sends until it closes the connection, up to one byte past the limit."""
    data = b""
    while len(data) <= FETCH_LIMIT:
        more = await reader.read(FETCH_LIMIT + 1 - len(data))
        if not more:
            break
        data += more
    return data


#: Seconds ``ptzmapd status`` waits to connect, and then for the whole answer.
FETCH_TIMEOUT = 2.0
#: The largest answer ``ptzmapd status`` reads (a status of hundreds of cameras fits).
FETCH_LIMIT = 4 << 20


async def fetch(path: Path) -> dict[str, Any]:
    """The daemon's status document. PtzmapdError, in words, for a socket nobody answers
    on, that never answers, or that answers something other than a status."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), timeout=FETCH_TIMEOUT)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise PtzmapdError(f"no ptzmapd is running with its status socket at {path} ({exc.strerror})") from exc
    except PermissionError as exc:
        raise PtzmapdError(f"not allowed to read {path}: run as the daemon's user") from exc
    except asyncio.TimeoutError:
        raise PtzmapdError(f"{path} did not accept a connection within {FETCH_TIMEOUT:g} s") from None
    except OSError as exc:  # not a socket at all, a path too long...
        raise PtzmapdError(f"cannot connect to {path}: {exc.strerror or exc}") from exc
    try:
        data = await asyncio.wait_for(_read_answer(reader), timeout=FETCH_TIMEOUT)
    except asyncio.TimeoutError:
        raise PtzmapdError(f"{path}: no answer within {FETCH_TIMEOUT:g} s (is a ptzmapd listening there?)") from None
    except OSError as exc:
        raise PtzmapdError(f"{path}: the connection failed ({exc.strerror or exc})") from exc
    finally:
        writer.close()
    if len(data) > FETCH_LIMIT:
        raise PtzmapdError(f"{path}: the answer is larger than {FETCH_LIMIT >> 20} MiB; not a ptzmapd status")
    try:
        result = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        result = None
    if not isinstance(result, dict) or not {"config", "cameras", "inputs"} <= result.keys():
        raise PtzmapdError(f"{path} answered something that is not a ptzmapd status ({len(data)} bytes)")
    return result


def render(status: dict[str, Any]) -> str:
    lines = [f"ptzmapd — {status['config']}", "cameras:"]
    for name, camera in status["cameras"].items():
        speeds = camera["speeds"]
        moving = ", ".join(f"{axis} {value:+.2f}" for axis, value in speeds.items() if value) or "still"
        position = camera["pan_tilt_position"]
        where = f"pan/tilt {position[0]}/{position[1]}" if position else "pan/tilt ?"
        zoom = camera["zoom_position"]
        lines.append(
            f"  {'>' if camera['selected'] else ' '} {name:<10} {camera['protocol']:<13} "
            f"{'online ' if camera['online'] else 'OFFLINE'}  {moving:<28} {where}, zoom {zoom if zoom is not None else '?'}  "
            f"{camera['commands_per_second']:.1f} cmd/s"
            # A camera that refuses stops may be moving on its own: said before anything else.
            + (f"  STOP REFUSED: {camera['stop_refused']}" if camera.get("stop_refused") else "")
            + (f"  last error: {camera['last_error']}" if camera["last_error"] else "")
            + (f"  TALLY {camera['tally'].upper()}" if camera.get("tally") else "")
        )
    if status.get("switchers"):
        lines.append("switchers:")
    for name, switcher in status.get("switchers", {}).items():
        state = "connected   " if switcher["connected"] else "HOLDING     " if switcher["holding"] else "DISCONNECTED"
        lines.append(
            f"    {name:<10} {switcher['type']:<9} {state}  "
            f"program {_bus(switcher['program'], switcher['program_cameras'])}, "
            f"preview {_bus(switcher['preview'], switcher['preview_cameras'])}"
        )
    lines.append("inputs:")
    if not status["inputs"]:
        lines.append("    (none)")
    for name, device in status["inputs"].items():
        last = device["last_event"]
        seen = f"last {last['control']} = {last['value']:g}, {last['seconds_ago']}s ago" if last else "no event yet"
        lines.append(f"    {name:<10} {device['type']:<9} {'connected   ' if device['connected'] else 'DISCONNECTED'}  {seen}")
    groups = status.get("groups") or {}
    if len(groups) > 1:
        # Several operators: whose selection is which (with one group, '>' says it all).
        lines.append("groups:")
        for name, group in groups.items():
            members = ", ".join(group["inputs"]) or "no input"
            lines.append(f"    {name:<10} > {group['selected'] or '(none)':<10} ({members})")
    lines += render_programs(status)
    return "\n".join(lines)


def _bus(shown: str | None, cameras: Sequence[str]) -> str:
    """``'Stage' (camera stage)``: what a bus shows and which camera that is."""
    what = repr(shown) if shown is not None else "?"
    return f"{what} (camera {', '.join(cameras)})" if cameras else f"{what} (no camera)"


def render_programs(status: dict[str, Any]) -> list[str]:
    """The tours (running: which stop, the next one) and traces being recorded or played."""
    lines = []
    tours = status.get("tours") or {}
    if tours:
        lines.append("tours:")
    for name, tour in tours.items():
        if not tour["running"]:
            lines.append(f"    {name:<10} {tour['camera']:<10} stopped")
            continue
        following = f"next preset {tour['next_preset']}" if tour["next_preset"] is not None else "last stop"
        left = tour["seconds_left"]
        where = (f"PAUSED: the camera {tour.get('waiting') or 'is held'}" if tour["paused"]
                 else f"at preset {tour['preset']}, {left:g} s left" if left is not None
                 else f"going to preset {tour['preset']}")
        lines.append(f"    {name:<10} {tour['camera']:<10} stop {tour['stop']}: {where}; {following}")
    traces = status.get("traces") or {}
    if traces:
        lines.append("traces:")
    for name, trace in traces.items():
        how = " backwards" if trace["backwards"] else ""
        lines.append(f"    {name:<10} {trace['camera']:<10} {trace['doing']}{how} {trace['seconds']:g} s"
                     + (f"  PAUSED: the camera {trace.get('waiting') or 'is held'}" if trace["paused"] else ""))
    return lines


async def run_status(path: Path, watch: bool, as_json: bool) -> int:
    tty = sys.stdout.isatty()
    drawn = 0
    while True:
        status = await fetch(path)
        try:
            text = json.dumps(status, indent=2) if as_json else render(status)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # The document came from a socket: a stranger's process may be listening there.
            raise PtzmapdError(f"{path} answered something that is not a ptzmapd status ({exc!r})") from None
        if watch and tty and drawn:
            sys.stdout.write(f"\x1b[{drawn}F\x1b[J")
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        drawn = text.count("\n") + 1
        if not watch:
            return 0
        await asyncio.sleep(0.5)
