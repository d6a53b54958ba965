"""Simulated cameras for ``ptzmapd simulate``, the demo and the tests.

:data:`SIMULATORS` is the simulator registry (:mod:`ptzmapd.registry`): a protocol name →
``async start(kind, *, host, port, log, **options) -> Simulator``, its module imported only
when that simulator is started; each protocol's spec names its entry. The parts: :mod:`.head`
(the kinematics every simulated camera shares), :mod:`.visca_camera` (the VISCA camera model)
with :mod:`.visca_spec` (every row of the VISCA spec files), :mod:`.visca` (VISCA over IP,
UDP, TCP), :mod:`.serial` (VISCA chains and Pelco buses on a pty or a TCP port),
:mod:`.http_server` (h11, Digest/Basic), :mod:`.http_cameras` (ISAPI, the IP camera CGI,
PTZOptics, the image upload device) with :mod:`.isapi_device` and :mod:`.ipcam_device` (the
rest of their documents), and :mod:`.studio` (the demo's cameras).
"""

from __future__ import annotations

from typing import Awaitable, Callable, Protocol

from ptzmapd.registry import Registry


class Simulator(Protocol):
    """A running simulator."""

    @property
    def where(self) -> str:
        """What to put in a config: ``127.0.0.1:52381``, ``/dev/pts/5``,
        ``socket://127.0.0.1:4001``, ``http://127.0.0.1:8080``."""
        ...

    async def close(self) -> None: ...


#: ``start(kind, *, host, port, log, **options)``; each module documents its options.
SimulatorStart = Callable[..., Awaitable[Simulator]]

#: Simulated devices that are not a camera protocol (the PTZ image upload of video encoders,
#: the switchers of :mod:`.mixer`: vMix, ATEM, a TSL UMD tally sender).
DEVICES: dict[str, str] = {
    "upload": "ptzmapd.simulators.http_cameras:start",
    "vmix": "ptzmapd.simulators.vmix:start",
    "atem": "ptzmapd.simulators.atem:start",
    "tsl": "ptzmapd.simulators.tsl:start",
}

#: The simulated switchers (``ptzmapd simulate vmix|atem|tsl``) and their usual ports: vMix's
#: TCP API, the ATEM's UDP control port, and where a TSL UMD sender sends (tslumd's default).
SWITCHER_PORTS: dict[str, int] = {"vmix": 8099, "atem": 9910, "tsl": 65000}


def _table() -> dict[str, str]:
    """Each protocol's own simulator entry (its spec says it: one place), then the devices."""
    from ptzmapd.protocols import PROTOCOLS

    table = {name: PROTOCOLS[name].simulator for name in PROTOCOLS.names()}
    return {name: entry for name, entry in table.items() if entry is not None} | DEVICES


SIMULATORS: Registry[SimulatorStart] = Registry("simulator", _table())


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

