"""A real Mosquitto broker for tests: Debian's ``mosquitto`` on a free loopback port, with a
config file of its own (no persistence: a restarted broker holds nothing retained), stopped
and started again on the same port to test reconnection.

Without the program the test is skipped, unless ``CI`` is set: there it fails (.ci/run
installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

# Debian puts it in /usr/sbin, which a user's PATH may lack.
_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def mosquitto_program() -> str:
    """The broker's path; skips (fails in CI) without one."""
    program = shutil.which("mosquitto", path=_SEARCH)
    if program is None:
        message = "mosquitto is not installed (Debian package mosquitto)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must have it (.ci/run installs it)")
        pytest.skip(message)
    return program


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """One broker on 127.0.0.1:``port``; :meth:`start` waits until it accepts connections."""

    def __init__(self, directory: Path) -> None:
        self.program = mosquitto_program()
        self.port = free_tcp_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest none\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.program, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    error = self.process.stderr.read().decode() if self.process.stderr else ""
                    self.stop()
                    raise RuntimeError(f"mosquitto did not start on port {self.port}: {error}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if process.stderr is not None:
                process.stderr.close()
