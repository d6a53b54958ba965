"""HTTP auth a camera asks for and ptzmapd's client cannot (or can) answer, end to end.

Each case is a quirk mode of the simulator (``ptzmapd simulate isapi --digest-qop auth-int``,
``--auth bearer``, ``--digest-algorithm SHA-512-256``). The rule under test: no exception from
a library escapes a transport task; a scheme the client cannot answer is one clear refusal
naming the camera and the scheme, and the camera is treated like one with a wrong password.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from procs import Proc
from helpers import run_catching, until
from ptzmapd.app.assemble import make_controller
from ptzmapd.control.controller import CameraController
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import Home, PresetRecall
from ptzmapd.protocols.http import Challenge, auth_problem, parse_challenges
from ptzmapd.simulators.http_cameras import HttpSimulator, start
from ptzmapd.transports import TransportPool
from test_http_transport import LOG, PASSWORD, config, saw

ENV = {"PTZMAPD_TEST_PW": PASSWORD}


@pytest.fixture(autouse=True)
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", PASSWORD)
    monkeypatch.setenv("PTZMAPD_SIM_PW", PASSWORD)


async def camera(**quirks: Any) -> tuple[HttpSimulator, CameraController, TransportPool]:
    sim = await start("isapi", host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW", **quirks)
    pool = TransportPool(LOG, clock=MonotonicClock())
    controller = await make_controller(config(sim), pool, MonotonicClock(), LOG)
    return sim, controller, pool


@pytest.mark.parametrize(
    ("quirks", "named"),
    [
        ({"digest_qop": "auth-int"}, 'Digest qop="auth-int"'),
        ({"digest_algorithm": "SHA-512-256"}, "Digest algorithm=SHA-512-256"),
        ({"auth": "bearer"}, "Bearer"),
    ],
    ids=["digest-auth-int", "digest-unknown-algorithm", "unknown-scheme"],
)
def test_a_scheme_the_client_cannot_answer_is_a_clear_refusal_never_a_traceback(
    quirks: dict[str, str], named: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        sim, stage, pool = await camera(**quirks)
        try:
            stage.submit(PresetRecall(2))
            await until(lambda: stage.state.last_error is not None, what="the refusal")
            error = stage.state.last_error
            assert error is not None and "http-401" in error, error
            assert named in error and "ptzmapd cannot answer" in error, error
            assert sim.received == []  # nothing was done unauthenticated
            assert sim.requests <= 3  # treated like a wrong password: no storm of retries
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    with caplog.at_level(logging.INFO):
        escaped = run_catching(main)
    assert escaped == []
    refusals = [record.getMessage() for record in caplog.records if "http-401" in record.getMessage()]
    assert refusals and refusals[0].startswith("[stage/isapi] camera refused"), refusals
    assert named in refusals[0]
    assert "Traceback" not in caplog.text and PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "quirks",
    [{"digest_qop": "auth,auth-int"}, {"digest_algorithm": "SHA-256"}, {"digest_algorithm": "MD5-sess"}],
    ids=["auth-and-auth-int", "sha-256", "md5-sess"],
)
def test_digest_variants_the_client_can_answer_work(quirks: dict[str, str]) -> None:
    async def main() -> None:
        sim, stage, pool = await camera(**quirks)
        try:
            stage.submit(PresetRecall(2))
            stage.submit(Home())
            await until(saw(sim, "home goto"), what="the commands")
            assert "preset goto 2" in sim.received and stage.state.last_error is None
        finally:
            stage.close()
            await pool.close()
            await sim.close()

    assert run_catching(main) == []


def test_send_to_a_camera_asking_for_auth_int_prints_one_clear_line(tmp_path: Path) -> None:
    simulator = Proc("simulate", "isapi", "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_TEST_PW",
                     "--digest-qop", "auth-int", env=ENV)
    try:
        url = simulator.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)
        path = tmp_path / "studio.yaml"
        path.write_text(f"cameras:\n  stage:\n    protocol: isapi\n    url: {url}\n    username: admin\n"
                        f"    password_env: PTZMAPD_TEST_PW\n")
        send = Proc("send", "-c", str(path), "stage", "preset", "3", env=ENV)
        code = send.process.wait(timeout=20)
        send.stop()
        assert code != 0, send.output
        assert 'Digest qop="auth-int"' in send.output and "ptzmapd cannot answer" in send.output, send.output
        assert "Traceback" not in send.output and "Task exception" not in send.output, send.output
        assert "preset goto 3" not in simulator.output
    finally:
        simulator.stop()


# ---------------------------------------------------------------------------- the challenge reader


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        (['Digest realm="r", qop="auth", nonce="n"'], None),
        (['Digest realm="r", qop="auth,auth-int", nonce="n", algorithm=SHA-256'], None),
        (['Basic realm="r"'], None),
        (['Digest realm="r", qop="auth-int", nonce="n"', 'Basic realm="r"'], None),  # Basic is the way in
        (['Digest realm="r", qop="auth-int", nonce="n"'], 'Digest qop="auth-int"'),
        (['Digest realm="r", nonce="n", algorithm=SHA-512-256'], "Digest algorithm=SHA-512-256"),
        (['Digest realm="r", qop="auth"'], "Digest without a nonce"),
        (['Negotiate', 'NTLM'], "Negotiate, NTLM"),
        (['Bearer realm="r", error="invalid_token"'], "Bearer"),
        ([], "no WWW-Authenticate challenge"),
        (['"garbage'], "no WWW-Authenticate challenge"),
    ],
)
def test_which_challenges_ptzmapd_can_answer(headers: list[str], problem: str | None) -> None:
    assert auth_problem(parse_challenges(headers)) == problem


def test_challenges_are_read_with_several_in_one_header() -> None:
    assert parse_challenges(['Basic realm="a, b", Digest realm="r", nonce="n\\"x"']) == [
        Challenge("Basic", {"realm": "a, b"}),
        Challenge("Digest", {"realm": "r", "nonce": 'n"x'}),
    ]


# ---------------------------------------------------------------------------- the simulated camera's side


@pytest.mark.parametrize(
    ("kind", "auth", "request_bytes"),
    [
        ("upload", None, b"GET /cgi-bin/update?PTZ_IMAGE&USER=\xff&PWD=x HTTP/1.1\r\n\r\n"),
        ("upload", None, b"GET /cgi-bin/update?PTZ_IMAGE&USER=%FF%FE&PWD=x HTTP/1.1\r\nHost: cam\r\n\r\n"),
        ("ipcam-cgi", None, b"GET /image.jpg HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic w7xzZXI6cMOkc3M=\r\n\r\n"),
        ("isapi", None, b'GET /ISAPI/System/status HTTP/1.1\r\nHost: cam\r\nAuthorization: Digest username="admin", '
                        b'realm="ptzmapd simulated camera", nonce="n", uri="/ISAPI/System/status", '
                        b'response="\xe4\xf6", qop=auth, nc=00000001, cnonce="c"\r\n\r\n'),
        ("isapi", "none", b"GET /x HTTP/1.1\r\nHost: cam\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70000 + b"\r\n"),
    ],
    ids=["upload-non-ascii-user", "upload-non-utf8-user", "basic-non-ascii", "digest-non-ascii-response", "huge-chunk-line"],
)
def test_what_a_client_sends_never_kills_a_simulated_camera(kind: str, auth: str | None, request_bytes: bytes) -> None:
    async def main() -> None:
        sim = await start(kind, host="127.0.0.2", log=lambda line: None, auth=auth)
        try:
            reader, writer = await asyncio.open_connection(sim.host, sim.port)
            writer.write(request_bytes)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(200), 5)
            writer.close()
            assert answer == b"" or answer.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5")), answer
            async with httpx.AsyncClient(auth=httpx.DigestAuth("admin", "secret")) as client:  # still serving
                assert (await client.get(f"{sim.where}/ISAPI/System/status")).status_code in (200, 401, 404)
        finally:
            await sim.close()

    assert run_catching(main) == []


def test_a_refusal_reads_the_status_document_instead_of_quoting_its_xml() -> None:
    from ptzmapd.protocols.http import HttpResponse, ResponseStatus, http_error

    body = ResponseStatus(4, "Invalid Operation", "unAuthorized", "/ISAPI/x").to_xml()
    headers = (("WWW-Authenticate", 'Digest realm="r", qop="auth-int", nonce="n"'),)
    reply = http_error(HttpResponse(401, "Unauthorized", body, headers))
    assert reply.data.decode() == (
        'HTTP 401 Unauthorized: the camera asks for Digest qop="auth-int", which ptzmapd cannot answer '
        "(it answers Basic, and Digest with qop=auth (or none) and MD5, SHA, SHA-256 or SHA-512): "
        "Invalid Operation (unAuthorized)"
    )
