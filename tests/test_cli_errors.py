"""Bad arguments and unreachable peers on the command line: one line on stderr, exit 2 for a
bad argument, 1 for a runtime failure, never a traceback; a folder ptzmapd did not create is
never changed. Real processes, real sockets."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procs import ROOT
from ptzmapd import learn as learn_module
from ptzmapd.errors import PtzmapdError
from ptzmapd.app.status import StatusServer


def ptzmapd(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ptzmapd.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert run.stdout == ""
    return lines[0]


# ------------------------------------------------------------------------------ the status socket


def serve_status(path: Path) -> list[int]:
    """Start a StatusServer at ``path`` and close it; the modes seen: (folder, socket)."""

    async def main() -> list[int]:
        server = StatusServer(None, path)  # type: ignore[arg-type]  # no client asks: no daemon needed
        await server.start()
        try:
            return [stat.S_IMODE(path.parent.stat().st_mode), stat.S_IMODE(path.stat().st_mode)]
        finally:
            await server.close()

    return asyncio.run(main())


@pytest.mark.parametrize("mode", [0o755, 0o1777, 0o700, 0o1775])
def test_the_status_socket_leaves_an_existing_folder_as_it_was(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "run"
    shared.mkdir()
    shared.chmod(mode)
    folder_mode, socket_mode = serve_status(shared / "ptzmapd.sock")
    assert folder_mode == mode
    assert stat.S_IMODE(shared.stat().st_mode) == mode
    assert socket_mode == 0o600


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_the_status_socket_refuses_a_folder_others_may_write_to(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(PtzmapdError, match="not safe for a status socket"):
        serve_status(shared / "ptzmapd.sock")
    assert stat.S_IMODE(shared.stat().st_mode) == mode
    assert not (shared / "ptzmapd.sock").exists()


def test_the_status_socket_folders_it_creates_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        folder_mode, socket_mode = serve_status(tmp_path / "a" / "b" / "ptzmapd.sock")
    finally:
        os.umask(old_umask)
    assert folder_mode == 0o700 and socket_mode == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700


@pytest.fixture
def fake_status_socket(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A Unix socket whose server answers ``request.param`` (None: accepts, never answers)."""
    path = tmp_path / "fake.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    answer: bytes | None = request.param
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)
            if answer is not None:
                connection.sendall(answer)
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    listener.close()
    for connection in held:
        connection.close()


@pytest.mark.parametrize(
    ("fake_status_socket", "message"),
    [
        (None, "no answer within 2 s"),
        (b"\x00\xff garbage \x81", "answered something that is not a ptzmapd status"),
        (b'["a list"]', "answered something that is not a ptzmapd status"),
        (b'{"config": 1, "cameras": {"x": 3}, "inputs": {}}', "answered something that is not a ptzmapd status"),
    ],
    indirect=["fake_status_socket"],
)
def test_status_against_a_socket_that_is_not_a_daemon(fake_status_socket: Path, message: str) -> None:
    run = ptzmapd("status", "--socket", str(fake_status_socket))
    assert run.returncode == 1
    assert message in one_error_line(run)


def test_status_against_a_file_that_is_not_a_socket(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("hello")
    run = ptzmapd("status", "--socket", str(plain))
    assert run.returncode == 1
    assert str(plain) in one_error_line(run)


# ------------------------------------------------------------------------------------- simulate


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_simulate_refuses_a_port_out_of_range(port: str) -> None:
    run = ptzmapd("simulate", "visca-ip", "--host", "127.0.0.2", "--port", port)
    assert run.returncode == 2
    assert one_error_line(run) == f"ptzmapd: --port {port} is out of range (valid: 0..65535; 0 = any free port)"


@pytest.mark.parametrize(("kind", "kind_of_socket"), [("visca-ip", socket.SOCK_DGRAM), ("visca-tcp", socket.SOCK_STREAM),
                                                       ("isapi", socket.SOCK_STREAM)])
def test_simulate_on_a_port_in_use(kind: str, kind_of_socket: int) -> None:
    taken = socket.socket(socket.AF_INET, kind_of_socket)
    taken.bind(("127.0.0.2", 0))
    if kind_of_socket == socket.SOCK_STREAM:
        taken.listen(1)
    port = taken.getsockname()[1]
    try:
        run = ptzmapd("simulate", kind, "--host", "127.0.0.2", "--port", str(port))
    finally:
        taken.close()
    assert run.returncode == 1
    assert one_error_line(run) == f"ptzmapd: cannot start the {kind} simulator on 127.0.0.2:{port}: Address already in use"


def test_simulate_on_a_host_that_does_not_resolve() -> None:
    run = ptzmapd("simulate", "isapi", "--host", "no-such-host.invalid", "--port", "0")
    assert run.returncode == 1
    assert one_error_line(run).startswith("ptzmapd: cannot start the isapi simulator on no-such-host.invalid:0: ")


# ---------------------------------------------------------------------------------------- learn


def test_learn_with_nothing_to_listen_to_says_so_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(learn_module, "discover_midi", lambda taken: [])
    monkeypatch.setattr(learn_module, "joysticks_present", lambda: False)
    out = io.StringIO()

    async def main() -> Any:
        return await learn_module.learn(None, asyncio.Event(), out)

    assert asyncio.run(main()) == 1
    assert out.getvalue() == ""
    assert "nothing to listen to" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- demo


@pytest.mark.parametrize("seconds", ["nan", "inf", "-1", "0", "1e9"])
def test_demo_refuses_a_duration_out_of_range(seconds: str) -> None:
    run = ptzmapd("demo", "--no-midi", "--duration", seconds)
    assert run.returncode == 2
    assert one_error_line(run) == (f"ptzmapd: --duration: {float(seconds)!r} is out of range "
                                   "(valid: more than 0, at most 3600 seconds)")


def test_a_reader_that_goes_away_ends_the_output_without_a_traceback() -> None:
    # `ptzmapd check -c studio.yaml | head -1`: the pipe closes before everything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with EPIPE
    try:
        run = subprocess.run([sys.executable, "-m", "ptzmapd.cli", "check", "-c", str(ROOT / "studio.example.yaml")],
                             stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=30, cwd=ROOT)
    finally:
        os.close(write_end)
    assert run.returncode == 1
    assert run.stderr == ""
