"""``ptzmapd upload-ptz-image`` against the simulated encoder: the four stages of
specs/ptz-image-upload-cgi.txt, refusals before connecting, timeouts, and no password shown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from procs import ROOT
from ptzmapd.simulators.http_cameras import HttpSimulator, start
from ptzmapd.upload import run_upload

PASSWORD = "Up-l0ad&Pa=ss"  # characters that need quoting in a query string
IMAGE = bytes(range(256)) * 300 + b"\r\n--not-a-boundary\r\n"


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_UPLOAD_PW", PASSWORD)


def args(url: str, file: Path, timeout: float = 5.0, password_env: str = "PTZMAPD_UPLOAD_PW", user: str = "admin") -> argparse.Namespace:
    return argparse.Namespace(url=url, user=user, password_env=password_env, timeout=timeout, file=str(file))


def upload_to_simulator(tmp_path: Path, image: bytes | None = IMAGE, setup: object = None, **kwargs: object) -> tuple[int, HttpSimulator]:
    file = tmp_path / "ACTIPT.BIN"
    if image is not None:
        file.write_bytes(image)

    async def main() -> tuple[int, HttpSimulator]:
        sim = await start("upload", host="127.0.0.2", password_env="PTZMAPD_UPLOAD_PW", log=lambda line: None)
        if callable(setup):
            setup(sim)
        try:
            code = await run_upload(args(sim.where, file, **kwargs), logging.getLogger("tests.upload"))  # type: ignore[arg-type]
        finally:
            await sim.close()
        return code, sim

    return asyncio.run(main())


def test_the_four_stages_and_ok_is_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        code, sim = upload_to_simulator(tmp_path)
    assert code == 0
    assert sim.received == ["upload form for user 'admin'", f"upload ACTIPT.BIN {len(IMAGE)} bytes"]
    assert sim.uploads[0].data == IMAGE  # byte for byte, boundary look-alikes and all
    out, err = capsys.readouterr()
    assert out == f"{sim.where}: OK, the device took ACTIPT.BIN ({len(IMAGE)} bytes) and restarts\n"
    assert "stage 1: GET" in caplog.text and "PWD=***&PTZ_IMAGE" in caplog.text
    assert "stage 4: the device answered HTTP 200: OK" in caplog.text
    quoted = "Up-l0ad%26Pa%3Dss"
    for text in (out, err, caplog.text):  # neither plain nor as it travels in the query
        assert PASSWORD not in text and quoted not in text


def test_an_error_answer_is_exit_1_with_the_device_s_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(sim: HttpSimulator) -> None:
        sim.upload_reply = "ERROR: image checksum mismatch"

    code, sim = upload_to_simulator(tmp_path, setup=refuse)
    assert code == 1
    assert capsys.readouterr().err == f"{sim.where}: the device refused the image: ERROR: image checksum mismatch\n"


def test_an_empty_file_is_refused_before_connecting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, sim = upload_to_simulator(tmp_path, image=b"")
    assert code == 2 and sim.requests == 0
    assert "ACTIPT.BIN' is empty; refusing to upload it" in capsys.readouterr().err


def test_an_unreadable_file_is_refused_before_connecting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, sim = upload_to_simulator(tmp_path, image=None)
    assert code == 2 and sim.requests == 0
    assert "cannot read" in capsys.readouterr().err


def test_a_missing_password_variable_is_refused_before_connecting(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_PW", raising=False)
    code, sim = upload_to_simulator(tmp_path, password_env="NO_SUCH_PW")
    assert code == 2 and sim.requests == 0
    assert "environment variable 'NO_SUCH_PW' is not set" in capsys.readouterr().err


def test_a_wrong_password_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRONG_PW", "guess")
    code, sim = upload_to_simulator(tmp_path, password_env="WRONG_PW")
    assert code == 1 and sim.uploads == []
    err = capsys.readouterr().err
    assert "the device refused user 'admin' (wrong user name or password)" in err and "guess" not in err


def test_a_silent_device_times_out_instead_of_hanging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def slow(sim: HttpSimulator) -> None:
        sim.delay = 5.0

    started = time.monotonic()
    code, sim = upload_to_simulator(tmp_path, setup=slow, timeout=0.3)
    assert code == 1 and time.monotonic() - started < 3.0
    assert "the device did not answer within 0.3 s" in capsys.readouterr().err


@pytest.mark.parametrize("url, message", [
    ("192.168.1.20", "--url must be http://HOST"),
    ("http://admin:pw@192.168.1.20", "--url must not hold credentials"),
    ("http://192.168.1.20/cgi-bin/update?USER=a&PWD=b", "PWD=***"),
    ("http://encoder..local", "--url: 'encoder..local' cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("http://192.168.1.20:70000", "--url: expected http://HOST[:PORT][/PATH] or https://… with a port 1..65535"),
    ("http://192.168.1.300", "--url: '192.168.1.300' is not an IPv4 address (four numbers 0..255)"),
])
def test_bad_urls_are_refused(url: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "x.bin"
    file.write_bytes(b"x")
    assert asyncio.run(run_upload(args(url, file), logging.getLogger("t"))) == 2
    err = capsys.readouterr().err
    assert message in err and "PWD=b" not in err and ":pw@" not in err


def test_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """The real command with its stderr on a pty: a bar that ends at 100 %, then the result."""
    async def serve() -> None:
        sim = await start("upload", host="127.0.0.2", password_env="PTZMAPD_UPLOAD_PW", log=lambda line: None)
        file = tmp_path / "ACTIPT.BIN"
        file.write_bytes(IMAGE)
        controller, terminal = os.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", "upload-ptz-image", "--url", sim.where, "--user", "admin",
             "--password-env", "PTZMAPD_UPLOAD_PW", str(file)],
            stdout=subprocess.PIPE, stderr=terminal, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        os.close(terminal)
        try:
            while process.poll() is None:
                await asyncio.sleep(0.05)
            screen = b""
            while select.select([controller], [], [], 0.2)[0]:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
        finally:
            os.close(controller)
            await sim.close()
        assert process.returncode == 0
        assert process.stdout is not None and b": OK, the device took ACTIPT.BIN" in process.stdout.read()
        text = screen.decode()
        assert f"[{'#' * 30}] 100%" in text and PASSWORD not in text

    asyncio.run(serve())


@pytest.mark.parametrize(("file", "reason"), [
    ("/dev/zero", "is a character device, not a file"),
    ("{tmp}", "is a folder, not a file"),
    ("{tmp}/pipe", "is a named pipe (FIFO), not a file"),
])
def test_an_image_that_is_no_regular_file_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, reason: str,
) -> None:
    os.mkfifo(tmp_path / "pipe")
    path = file.format(tmp=tmp_path)
    code = asyncio.run(run_upload(args("http://127.0.0.2:9", Path(path)), logging.getLogger("tests.upload")))
    assert code == 2
    assert capsys.readouterr().err.strip() == f"ptzmapd: cannot read {path!r}: {reason}"
