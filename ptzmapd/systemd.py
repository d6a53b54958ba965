"""systemd's notify protocol (Type=notify), spoken directly: READY=1, STOPPING=1, WATCHDOG=1.

No dependency on python-systemd: the protocol is one datagram to $NOTIFY_SOCKET. Outside
systemd (no NOTIFY_SOCKET) every call does nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket


def notify(message: str) -> bool:
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):  # abstract namespace socket
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall(message.encode())
    except OSError:
        return False
    return True


def watchdog_interval() -> float | None:
    """Half of WatchdogSec, if systemd asked for pings (and they are meant for us)."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1_000_000 / 2
    except ValueError:
        return None


class Watchdog:
    """Pings systemd from the event loop: if the loop stalls, the pings stop and systemd
    restarts the daemon — which is the point of pinging from the loop, not from a thread."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        notify("WATCHDOG=1")
        self._handle = asyncio.get_running_loop().call_later(self.interval, self.start)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
