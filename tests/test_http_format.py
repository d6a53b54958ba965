"""The HTTP byte format shared by codecs, transport and simulators; ResponseStatus; raw
requests; passwords kept out of sight."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ptzmapd.clock import MonotonicClock
from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.commands import RawCommand
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import CameraConfig, HttpEndpoint
from ptzmapd.errors import ConfigError, ProtocolError
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage
from ptzmapd.protocols.http import (
    HttpRequest,
    HttpResponse,
    ResponseStatus,
    parse_http_raw,
    parse_response_status,
    plain_reply,
    raw_command_request,
    read_response,
)
from ptzmapd.secrets import Credentials, RedactingFilter, Secret, redact

# ---------------------------------------------------------------------------- the byte format


def test_a_request_is_http_1_1_wire_form_relative_to_the_camera_url() -> None:
    request = HttpRequest("PUT", "/ISAPI/PTZCtrl/channels/1/continuous", b"<PTZData/>", (("Content-Type", "application/xml"),))
    assert request.to_bytes() == (
        b"PUT /ISAPI/PTZCtrl/channels/1/continuous HTTP/1.1\r\nContent-Type: application/xml\r\n\r\n<PTZData/>"
    )
    assert HttpRequest.from_bytes(request.to_bytes()) == request
    assert request.to_bytes(content_length=True).endswith(b"Content-Length: 10\r\n\r\n<PTZData/>")


def test_a_request_with_a_query_keeps_it_as_written() -> None:
    request = HttpRequest("GET", "/cgi-bin/ptzctrl.cgi?ptzcmd&left&12&1")
    assert request.path == "/cgi-bin/ptzctrl.cgi" and request.query == "ptzcmd&left&12&1"
    assert request.to_bytes() == b"GET /cgi-bin/ptzctrl.cgi?ptzcmd&left&12&1 HTTP/1.1\r\n\r\n"


def test_a_response_round_trips_and_its_headers_are_found_in_any_case() -> None:
    data = b"HTTP/1.1 204 No Content\r\nX-Thing: a: b\r\n\r\n"
    response = HttpResponse.from_bytes(data)
    assert response == HttpResponse(204, "No Content", b"", (("X-Thing", "a: b"),))
    assert response.header("x-thing") == "a: b" and response.ok
    assert HttpResponse.from_bytes(response.to_bytes()) == response
    assert HttpResponse.from_bytes(b"HTTP/1.0 200\r\n\r\nOK").reason == ""


@pytest.mark.parametrize("data", [b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 2000 OK\r\n\r\n", b"ICY 200 OK\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", b"\x90\x41\xff"])
def test_nonsense_is_garbage(data: bytes) -> None:
    assert isinstance(read_response(data), Garbage)


@given(st.binary(max_size=300))
def test_reading_a_response_never_raises(data: bytes) -> None:
    read_response(data)


@given(
    st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    st.from_regex(r"/[A-Za-z0-9/._?&=-]{0,40}", fullmatch=True),
    st.binary(max_size=100),
)
def test_requests_round_trip(method: str, target: str, body: bytes) -> None:
    request = HttpRequest(method, target, body, (("Content-Type", "application/xml"),) if body else ())
    assert HttpRequest.from_bytes(request.to_bytes()) == request


def test_cgi_replies_ack_any_2xx_and_refuse_the_rest_readably() -> None:
    assert plain_reply(HttpResponse(204, "No Content")) == Ack(None)
    assert plain_reply(HttpResponse(200, "OK", b"anything")) == Ack(None)
    refused = plain_reply(HttpResponse(401, "Unauthorized"))
    assert isinstance(refused, ErrorReply) and refused.kind == "http-401"
    assert b"user name or password" in refused.data
    busy = plain_reply(HttpResponse(503, "Service Unavailable", b"too\n many   requests"))
    assert isinstance(busy, ErrorReply) and busy.kind == "http-503"
    assert busy.data == b"HTTP 503 Service Unavailable: the camera failed or is overloaded: too many requests"


# ---------------------------------------------------------------------------- ResponseStatus

OK_STATUS = (
    '<ResponseStatus version="2.0" {xmlns}><requestURL>/ISAPI/PTZCtrl/channels/1/continuous</requestURL>'
    "<statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode></ResponseStatus>"
)


@pytest.mark.parametrize("xmlns", [
    'xmlns="http://www.hikvision.com/ver20/XMLSchema"',
    'xmlns="http://www.isapi.org/ver20/XMLSchema"',
    'xmlns:h="urn:other"',
    "",
])
def test_response_status_is_read_whatever_its_namespace(xmlns: str) -> None:
    status = parse_response_status(OK_STATUS.format(xmlns=xmlns).encode())
    assert status == ResponseStatus(1, "OK", "ok", "/ISAPI/PTZCtrl/channels/1/continuous")
    assert status.ok


def test_response_status_written_and_read_back() -> None:
    for namespace in ("http://www.isapi.org/ver20/XMLSchema", None):
        status = ResponseStatus(4, "Invalid Operation", "notSupport", "/ISAPI/x")
        assert parse_response_status(status.to_xml(namespace)) == status
        assert not status.ok and status.message == "Invalid Operation (notSupport)"


def test_not_a_response_status() -> None:
    assert parse_response_status(b"<PTZStatus/>") is None
    assert parse_response_status(b"not xml") is None
    # A DTD is refused outright: no entity expansion in a daemon that runs for months.
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><ResponseStatus>&a;</ResponseStatus>'
    assert parse_response_status(bomb) is None


# ---------------------------------------------------------------------------- raw requests


@pytest.mark.parametrize("text, expected", [
    ("PUT /ISAPI/PTZCtrl/channels/1/presets/3/goto", ("PUT", "/ISAPI/PTZCtrl/channels/1/presets/3/goto", "")),
    ("put /ISAPI/x <PTZData><pan>1</pan></PTZData>", ("PUT", "/ISAPI/x", "<PTZData><pan>1</pan></PTZData>")),
    ("  POST /pantiltcontrol.cgi PanTiltSingleMove=4\n", ("POST", "/pantiltcontrol.cgi", "PanTiltSingleMove=4")),
    ("PUT /a <x> y  z</x>", ("PUT", "/a", "<x> y  z</x>")),
    ("GET /cgi-bin/ptzctrl.cgi?ptzcmd&home", ("GET", "/cgi-bin/ptzctrl.cgi?ptzcmd&home", "")),
])
def test_raw_http_requests_are_parsed(text: str, expected: tuple[str, str, str]) -> None:
    assert parse_http_raw(text) == expected


@pytest.mark.parametrize("text, message", [
    ("", "got nothing"),
    ("FETCH /x", "starts with a method (GET, PUT, POST, DELETE), got 'FETCH'"),
    ("PUT", "needs a path"),
    ("PUT ISAPI/x", "must start with '/'"),
    ("PUT http://cam/ISAPI/x", "not a full URL"),
    ("GET /x body", "a GET request has no body"),
])
def test_bad_raw_http_requests_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse_http_raw(text)


def test_raw_commands_become_requests_and_other_kinds_are_refused() -> None:
    request = raw_command_request(RawCommand("PUT /ISAPI/x <a/>", kind="http"))
    assert request == HttpRequest("PUT", "/ISAPI/x", b"<a/>", (("Content-Type", "application/xml"),))
    form = raw_command_request(RawCommand("POST /pantiltcontrol.cgi PanTiltSingleMove=4"))
    assert form.header("Content-Type") == "application/x-www-form-urlencoded"
    with pytest.raises(ProtocolError, match="raw visca command is not for an HTTP camera"):
        raw_command_request(RawCommand("81 01 06 04 FF", kind="visca"))
    with pytest.raises(ProtocolError, match="must start with '/'"):
        raw_command_request(RawCommand("PUT nowhere"))


# ---------------------------------------------------------------------------- passwords


def camera(tmp_path: Path, **keys: str) -> CameraConfig:
    """Camera ``stage`` as a config with these keys gives it (line 5 on: one key a line)."""
    path = tmp_path / "studio.yaml"
    path.write_text("cameras:\n  stage:\n    protocol: isapi\n    url: http://cam\n"
                    + "".join(f"    {key}: {value}\n" for key, value in keys.items()))
    return load_config(path).cameras["stage"]


def credentials_of(camera: CameraConfig) -> Credentials | None:
    assert isinstance(camera.link, HttpEndpoint)
    return camera.link.credentials


def test_a_secret_never_shows() -> None:
    secret = Secret("hunter2-xyz")
    assert "hunter2" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    assert secret.reveal() == "hunter2-xyz"


def test_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE_PW", "from-env-123")
    credentials = credentials_of(camera(tmp_path, password_env="STAGE_PW"))
    assert credentials is not None and credentials.username == "admin"
    assert credentials.password.reveal() == "from-env-123"
    assert "from-env-123" not in repr(credentials)


def test_password_from_a_file_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "stage.pw").write_text("first-line-pw\nsecond\n")
    credentials = credentials_of(camera(tmp_path, username="op", password_file="stage.pw"))
    assert credentials is not None and credentials.username == "op"
    assert credentials.password.reveal() == "first-line-pw"


def test_a_missing_source_is_a_config_error_at_its_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_PW", raising=False)
    with pytest.raises(ConfigError) as error:
        camera(tmp_path, password_env="NOPE_PW")
    assert error.value.problems == [
        f"{tmp_path / 'studio.yaml'}:5:19: cameras.stage.password_env: environment variable 'NOPE_PW' is not set"
    ]
    with pytest.raises(ConfigError, match=r"cameras\.stage\.password_file: cannot read '.*missing\.pw'"):
        camera(tmp_path, password_file="missing.pw")


def test_a_password_in_the_config_is_accepted_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from ptzmapd.transports.http import HttpTransport

    with caplog.at_level(logging.DEBUG):
        config = camera(tmp_path, password="plain-pw-789")
        transport = HttpTransport.for_camera(config, logging.getLogger("t"), MonotonicClock())
    credentials = credentials_of(config)
    assert credentials is not None and credentials.password.reveal() == "plain-pw-789"
    assert transport.auth is not None
    assert "camera 'stage': password in the config file; use password_env or password_file" in caplog.text
    assert "plain-pw-789" not in caplog.text


def test_no_credentials_when_the_config_gives_none(tmp_path: Path) -> None:
    assert credentials_of(camera(tmp_path)) is None


def test_redaction_of_query_passwords_and_known_secrets() -> None:
    Secret("known-secret-42")
    assert redact("GET http://h/cgi-bin/update?USER=a&PWD=p%40ss&PTZ_IMAGE") == "GET http://h/cgi-bin/update?USER=a&PWD=***&PTZ_IMAGE"
    assert redact("oops known-secret-42 leaked") == "oops *** leaked"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("GET", "http://h/?PWD=x"), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "HTTP Request: GET http://h/?PWD=***"
