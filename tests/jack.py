"""A real JACK server for tests and benchmarks: use the one running, or start a dummy one.

Shared by ``tests/conftest.py`` (the ``jack`` fixture) and the scripts in ``bench/``, which
put ``tests/`` on ``sys.path`` and call :func:`ensure_jack` / :func:`stop_jack`.
``JACK_DEFAULT_SERVER`` is honoured by both the probe and the server started here. Unset, it
is set to a name of this process's own (:func:`private_server_name`), so parallel test
sessions never share a server: libjack in python-rtmidi's client segfaults under port churn
when they do.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import signal
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import rtmidi

from ptzmapd.inputs.midi.api import quiet_c_stderr

#: The server DESIGN.md names: no realtime privileges needed, no sound card, 64-frame periods.
JACKD_ARGS = ("--no-realtime", "-d", "dummy", "-r", "48000", "-p", "64")
START_TIMEOUT = 10.0


def private_server_name() -> str:
    """The JACK server this process uses: ``JACK_DEFAULT_SERVER``, set to a fresh unique name
    (``ptzmapd-test-PID-XXXXXX``) when the environment names none. libjack and every child
    process read the variable, so all of this session's clients meet on that server."""
    name = os.environ.get("JACK_DEFAULT_SERVER")
    if not name:
        name = f"ptzmapd-test-{os.getpid()}-{secrets.token_hex(3)}"
        os.environ["JACK_DEFAULT_SERVER"] = name
    return name


def jack_running() -> bool:
    """Whether a JACK server accepts a client (rtmidi never auto-starts one)."""
    try:
        with quiet_c_stderr():
            probe = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="ptzmapd jack probe")
    except rtmidi.RtMidiError:
        return False
    probe.delete()
    return True


def _end_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies, even by a
    segfault. jackd then unregisters its name; a killed jackd leaves its entry in JACK's
    server registry (at most 8, shared by every user of the machine) until a server of the
    same name starts again, and with unique names none ever does."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def ensure_jack() -> subprocess.Popen[bytes] | None:
    """Make sure a JACK server is reachable, under :func:`private_server_name`.

    Returns the ``jackd`` process started here (give it to :func:`stop_jack` when done), or
    None if a server was already running. Raises RuntimeError with the reason otherwise.
    """
    private_server_name()
    if jack_running():
        return None
    jackd = shutil.which("jackd")
    if jackd is None:
        raise RuntimeError(
            "no JACK server is running and jackd is not installed (Debian package jackd2)"
        )
    # A file, not a pipe: nobody reads jackd's chatter while it runs, and a full pipe would
    # block it. The file is only read back to explain a failed start.
    with tempfile.TemporaryFile() as output:
        reclaim_stale_servers()
        process = subprocess.Popen(
            [jackd, "-n", private_server_name(), *JACKD_ARGS],
            # Without this jackd asks D-Bus to reserve an audio device it does not use.
            env={**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_end_with_parent,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if jack_running():
                # If ours died meanwhile, another run's server won the race: use that one.
                return process if process.poll() is None else None
            if process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        exited = process.poll()
        stop_jack(process)
        output.seek(0)
        said = " | ".join(output.read().decode(errors="replace").strip().splitlines()[-5:])
    problem = (
        f"jackd exited with status {exited}"
        if exited is not None
        else f"jackd did not answer within {START_TIMEOUT:g} s"
    )
    raise RuntimeError(f"{problem}: {said or 'no output'}")


def stop_jack(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a server :func:`ensure_jack` started; None (a server found running) is left alone.

    A jackd that does not end within 5 s of SIGTERM (seen when a client of an earlier server
    of the same name is still open in this process) is killed, and then its slot in JACK's
    machine-wide server registry is given back (:func:`_reclaim`): otherwise each such run
    would keep one of its 8 slots for good, and after a few runs no test could start a server.
    """
    if process is None or process.poll() is not None:
        return
    if not _terminate(process):
        _reclaim(_server_name(process))


def _terminate(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, then SIGKILL after 5 s; True if the process ended of itself (a jackd that did
    gives its registry slot back, a killed one does not)."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    return True


def _server_name(process: subprocess.Popen[bytes]) -> str | None:
    args = [str(arg) for arg in process.args] if isinstance(process.args, (list, tuple)) else []
    return args[args.index("-n") + 1] if "-n" in args[:-1] else None


def _reclaim(name: str | None) -> None:
    """Give back the registry slot of a jackd that was killed: start a server of that name
    (it takes the stale entry over) with no client on it, and stop it gracefully."""
    jackd = shutil.which("jackd")
    if name is None or jackd is None:
        return
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [jackd, "-n", name, *JACKD_ARGS], env={**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"},
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_end_with_parent,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline and not os.path.exists(_SHM / f"jack_{name}_0_0"):
            time.sleep(0.05)
        time.sleep(0.2)  # registered: let it finish starting before it is asked to stop
        _terminate(process)


_SHM = Path("/dev/shm")
#: Test servers are named ptzmapd-<what>-<pid of the test process>-<token>.
_TEST_SERVER = re.compile(r"jack_(ptzmapd-[a-z]+-(\d+)-[0-9a-f]+)_0_0")
#: Any other ptzmapd server name (a developer's own JACK_DEFAULT_SERVER=ptzmapd-…).
_NAMED_SERVER = re.compile(r"jack_(ptzmapd-[A-Za-z0-9-]+)_0_0")


def reclaim_stale_servers() -> None:
    """Give back the registry slots of test servers whose test process is gone (a session
    killed by a timeout, a crashed run): on a machine that runs the suite again and again
    (CI runs on the developers' machines), leaked slots would add up to JACK's limit of 8."""
    try:
        entries = os.listdir(_SHM)
    except OSError:
        return
    serving = _served_names()
    for entry in entries:
        match = _TEST_SERVER.fullmatch(entry)
        if match is not None:
            if not _alive(int(match.group(2))):
                _reclaim(match.group(1))
            continue
        # A server some earlier run named itself (JACK_DEFAULT_SERVER=ptzmapd-…) and that no
        # jackd serves any more: stale, whoever started it.
        named = _NAMED_SERVER.fullmatch(entry)
        if named is not None and named.group(1) not in serving:
            _reclaim(named.group(1))


def _served_names() -> set[str]:
    """The server names of the jackd processes running now (``-n NAME``)."""
    names: set[str] = set()
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"jackd") and b"-n" in args[:-1]:
            names.add(args[args.index(b"-n") + 1].decode(errors="replace"))
    return names


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
