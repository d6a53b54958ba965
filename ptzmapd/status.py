"""``ptzmapd status``: what the running daemon knows, over a local Unix socket.

The daemon listens on a Unix socket (never on the network) whose folder is owner-only
(0700) and the socket itself 0600: the status names cameras and their addresses, which is
nobody else's business on a shared machine. A client connects, reads one JSON document,
and the connection closes. ``--watch`` simply asks again twice a second.

Where the socket lives: ``--status-socket`` if given; else ``$RUNTIME_DIRECTORY`` (systemd's
``RuntimeDirectory=``), else ``$XDG_RUNTIME_DIR``, else ``/tmp/ptzmapd-UID``.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptzmapd.errors import PtzmapdError

if TYPE_CHECKING:
    from ptzmapd.daemon import Daemon

SOCKET_NAME = "ptzmapd.sock"


def default_socket_path() -> Path:
    for variable in ("RUNTIME_DIRECTORY", "XDG_RUNTIME_DIR"):
        folder = os.environ.get(variable)
        if folder:
            return Path(folder.split(":")[0]) / SOCKET_NAME
    return Path(f"/tmp/ptzmapd-{os.getuid()}") / SOCKET_NAME


def snapshot(daemon: "Daemon") -> dict[str, Any]:
    """The daemon's state as plain JSON-able values."""
    now = daemon.clock.now()
    pipeline = daemon.pipeline
    cameras = {}
    for name, controller in daemon.controllers.items():
        state = controller.state
        speeds = pipeline.mixer.speeds(name) if pipeline is not None else {}
        cameras[name] = {
            "protocol": daemon.config.cameras[name].protocol,
            "online": state.online,
            "moving": state.moving,
            "selected": pipeline is not None and pipeline.selected == name,
            "speeds": speeds,
            "pan_tilt_position": state.pan_tilt_position,
            "zoom_position": state.zoom_position,
            "commands_sent": state.commands_sent,
            "commands_per_second": state.commands_per_second(now),
            "retransmissions": state.retransmissions,
            "garbage_replies": state.garbage_replies,
            "last_error": state.last_error,
            "stop_refused": state.stop_refused,
        }
    inputs = {}
    for name, device in daemon.inputs.items():
        last = pipeline.last_events.get(name) if pipeline is not None else None
        inputs[name] = {
            "type": daemon.config.inputs[name].type,
            "connected": device.connected,
            "last_event": None if last is None else {
                "control": f"{last.kind} {last.number}" if last.number is not None else last.kind,
                "value": last.value,
                "seconds_ago": round(max(0.0, time.monotonic() - last.time), 1) if last.time else None,
            },
        }
    return {"config": daemon.config.path, "cameras": cameras, "inputs": inputs}


class StatusServer:
    """Serves :func:`snapshot` to whoever connects to the socket (the owner only)."""

    def __init__(self, daemon: "Daemon", path: Path) -> None:
        self.daemon = daemon
        self.path = path
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid == os.getuid() and not str(folder).startswith("/run/user"):
            folder.chmod(0o700)
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
            writer.write(json.dumps(snapshot(self.daemon)).encode() + b"\n")
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


async def fetch(path: Path) -> dict[str, Any]:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), timeout=2.0)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise PtzmapdError(f"no ptzmapd is running with its status socket at {path} ({exc.strerror})") from exc
    except PermissionError as exc:
        raise PtzmapdError(f"not allowed to read {path}: run as the daemon's user") from exc
    try:
        data = await asyncio.wait_for(reader.read(), timeout=2.0)
    finally:
        writer.close()
    result: dict[str, Any] = json.loads(data)
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
        )
    lines.append("inputs:")
    if not status["inputs"]:
        lines.append("    (none)")
    for name, device in status["inputs"].items():
        last = device["last_event"]
        seen = f"last {last['control']} = {last['value']:g}, {last['seconds_ago']}s ago" if last else "no event yet"
        lines.append(f"    {name:<10} {device['type']:<9} {'connected   ' if device['connected'] else 'DISCONNECTED'}  {seen}")
    return "\n".join(lines)


async def run_status(path: Path, watch: bool, as_json: bool) -> int:
    tty = sys.stdout.isatty()
    drawn = 0
    while True:
        status = await fetch(path)
        text = json.dumps(status, indent=2) if as_json else render(status)
        if watch and tty and drawn:
            sys.stdout.write(f"\x1b[{drawn}F\x1b[J")
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        drawn = text.count("\n") + 1
        if not watch:
            return 0
        await asyncio.sleep(0.5)
