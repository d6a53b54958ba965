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


#: Camera quirks a simulator can show (``ptzmapd simulate KIND --quirk NAME``), by kind: what
#: each does, and the config switch that copes with it. ERRATA lists the VISCA-over-IP ones.
QUIRKS: dict[str, dict[str, str]] = {
    "visca-ip": {
        "header-refused": "ignores datagrams with the VISCA-over-IP header, takes bare frames (config: sequence: none)",
        "seq-1-3": "acts only on sequence numbers 1-3, never checks their order (config: sequence: fixed)",
        "reply-seq-1": "numbers every reply 1 (config: reply_sequence: ignored; with seq-1-3: sequence: fixed)",
        "length-ignored": "ignores the length field and sends a wrong one (0) in its replies (no switch needed)",
    },
    "visca-serial": {
        "if-clear-silent": "does not echo the IF_Clear broadcast round the chain (no switch needed)",
        "network-change": "announces a network change (z0 38 FF) after its first command, as a re-plugged camera does",
    },
}


def starter(kind: str) -> Callable[..., Awaitable[Any]]:
    module_name, function = SIMULATORS[kind].split(":")
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]
