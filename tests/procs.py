"""Run ptzmapd commands as real processes and read what they print, line by line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Proc:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env, cwd=ROOT,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 10.0, after: int = 0) -> re.Match[str]:
        """The first line (from line ``after`` on) matching ``pattern``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            with self._lock:
                for line in self.lines[after:]:
                    match = regex.search(line)
                    if match:
                        return match
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s; output:\n{self.output}")

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=2)
        return self.process.returncode


class Simulator(Proc):
    """``ptzmapd simulate KIND [OPTION...]`` on 127.0.0.2 with a free port."""

    def __init__(self, kind: str, *options: str) -> None:
        super().__init__("simulate", kind, "--host", "127.0.0.2", "--port", "0", *options)
        self.kind = kind
        self._command = re.compile(rf"\[{re.escape(kind)} [^\]]+\] (.*)")
        self.port = int(self.wait_for(r"on 127\.0\.0\.2:(\d+)").group(1))

    def commands(self, after: int = 0) -> list[str]:
        """The commands the camera printed (from line ``after`` on), each whole: the text after
        its ``[kind host:port]`` prefix (``pan right 0x18, tilt stop``, ``preset recall 3``)."""
        with self._lock:
            lines = self.lines[after:]
        return [match.group(1) for match in map(self._command.fullmatch, lines) if match]

    def wait_for_command(self, command: str, timeout: float = 10.0, after: int = 0) -> None:
        """Wait for exactly ``command`` (never a longer one: ``preset recall 3`` is not 30)."""
        self.wait_for(rf"^\[{re.escape(self.kind)} [^\]]+\] {re.escape(command)}$", timeout=timeout, after=after)
