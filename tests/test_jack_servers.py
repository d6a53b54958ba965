"""The test JACK servers give their registry slots back: JACK keeps at most 8 servers per
machine, and a jackd that is killed keeps its slot until a server of its name starts again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from jack import JACKD_ARGS, reclaim_stale_servers

SHM = Path("/dev/shm")


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.skipif(shutil.which("jackd") is None, reason="jackd is not installed (Debian package jackd2)")
def test_a_killed_test_server_of_a_gone_session_is_reclaimed() -> None:
    name = f"ptzmapd-leak-{dead_pid()}-{os.urandom(3).hex()}"
    registered = SHM / f"jack_{name}_0_0"
    server = subprocess.Popen(["jackd", "-n", name, *JACKD_ARGS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not registered.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert registered.exists(), "jackd did not register"
    server.send_signal(signal.SIGKILL)
    server.wait()
    assert registered.exists()  # the leak: a killed server's entry stays
    reclaim_stale_servers()
    assert not registered.exists()


@pytest.mark.skipif(shutil.which("jackd") is None, reason="jackd is not installed (Debian package jackd2)")
def test_a_killed_server_a_developer_named_is_reclaimed_once_no_jackd_serves_it() -> None:
    name = f"ptzmapd-dev-{os.urandom(3).hex()}"  # JACK_DEFAULT_SERVER=ptzmapd-… of an earlier run
    registered = SHM / f"jack_{name}_0_0"
    server = subprocess.Popen(["jackd", "-n", name, *JACKD_ARGS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not registered.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert registered.exists(), "jackd did not register"
    reclaim_stale_servers()
    assert registered.exists() and server.poll() is None  # served: left alone
    server.send_signal(signal.SIGKILL)
    server.wait()
    reclaim_stale_servers()
    assert not registered.exists()
