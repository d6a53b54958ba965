"""Simulated cameras for ``ptzmapd simulate``, the demo and the tests.

``SIMULATORS`` maps a protocol name onto ``"module:function"``; the function is
``async start(kind, *, host, port, log, **options) -> handle`` where the handle has
``.where`` (what to put in a config: ``127.0.0.1:52381``, ``/dev/pts/5``,
``socket://127.0.0.1:4001``, ``http://127.0.0.1:8080``) and ``async close()``.
Modules are imported only when their simulator is started.
"""

from __future__ import annotations

import importlib
from typing import Any, Awaitable, Callable

SIMULATORS: dict[str, str] = {
    "visca-ip": "ptzmapd.simulators.visca:start",
    "visca-udp": "ptzmapd.simulators.visca:start",
    "visca-tcp": "ptzmapd.simulators.visca:start",
    "visca-serial": "ptzmapd.simulators.serial:start",
    "pelco-d": "ptzmapd.simulators.serial:start",
    "pelco-p": "ptzmapd.simulators.serial:start",
    "isapi": "ptzmapd.simulators.http:start",
    "ipcam-cgi": "ptzmapd.simulators.http:start",
    "ptzoptics-cgi": "ptzmapd.simulators.http:start",
    "upload": "ptzmapd.simulators.http:start",
}


def starter(kind: str) -> Callable[..., Awaitable[Any]]:
    module_name, function = SIMULATORS[kind].split(":")
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]
