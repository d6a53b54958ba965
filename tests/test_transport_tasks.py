"""No exception from a library escapes a transport's background task.

Each transport runs a task of its own (a reconnect loop, a request exchange, a certificate
fetch). Whatever the socket layer or httpx raises there is logged as one line a person can
act on, and the task carries on (or ends quietly); the loop never sees an unretrieved
exception (which the daemon treats as a bug and answers by stopping every camera).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import httpx
import pytest

from ptzmapd.clock import MonotonicClock
from helpers import run_catching
from ptzmapd.errors import TransportError
from ptzmapd.protocols.http import HttpRequest
from ptzmapd.transports.base import Transport
from ptzmapd.transports.http import HttpTransport
from ptzmapd.transports.tcp import TcpTransport
from ptzmapd.transports.udp import UdpTransport

LOG = logging.getLogger("tests.transport_tasks")
#: A label over 63 characters: the IDNA codec refuses it (UnicodeError, a ValueError) before any lookup.
UNENCODABLE_HOST = "a" * 64 + ".local"


@pytest.mark.parametrize(
    "make",
    [
        lambda: TcpTransport(UNENCODABLE_HOST, 5678, LOG, clock=MonotonicClock()),
        lambda: UdpTransport(UNENCODABLE_HOST, 1259, LOG, clock=MonotonicClock()),
        lambda: HttpTransport(f"https://{UNENCODABLE_HOST}", timeout=2.5, log=LOG, name="porch", tls_fingerprint="AB" * 32, clock=MonotonicClock()),
    ],
    ids=["tcp", "udp", "https-pinned"],
)
def test_a_host_name_the_socket_layer_refuses_is_logged_and_retried(
    make: Callable[[], Transport], caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        transport = make()
        await transport.open()
        await asyncio.sleep(0.2)
        task = getattr(transport, "_task", None) or getattr(transport, "_pinning", None)
        assert task is not None and not task.done(), "the task gave up (or died) instead of retrying"
        assert not transport.connected
        await transport.close()

    with caplog.at_level(logging.WARNING):
        escaped = run_catching(main)
    assert escaped == []
    assert "label empty or too long" in caplog.text, caplog.text
    assert "Traceback" not in caplog.text


def test_whatever_the_http_client_raises_becomes_a_transport_error(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        transport = HttpTransport("http://127.0.0.2:9", timeout=2.5, log=LOG, name="stage", clock=MonotonicClock())
        await transport.open()
        client = transport._client
        assert client is not None

        async def broken(*args: object, **kwargs: object) -> httpx.Response:
            raise NotImplementedError("Digest auth-int support is not yet implemented")

        client.send = broken  # type: ignore[method-assign]
        with pytest.raises(TransportError, match="NotImplementedError"):
            await transport.fetch(HttpRequest("GET", "/"))
        transport.send(HttpRequest("GET", "/ISAPI/System/status").to_bytes())
        await asyncio.sleep(0.05)
        await transport.close()

    with caplog.at_level(logging.WARNING):
        escaped = run_catching(main)
    assert escaped == []
    assert "[stage] GET /ISAPI/System/status failed: the HTTP client failed: NotImplementedError" in caplog.text
