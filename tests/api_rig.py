"""A running daemon with the network API on and two simulated VISCA cameras, for the HTTP,
WebSocket and browser tests: the real assembly (:func:`ptzmapd.app.assemble.assemble`), real
loopback sockets, the project's own camera simulators."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from helpers import until
from ptzmapd.app.assemble import Runtime, assemble
from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.simulators.visca import SimulatorHandle, start_simulator


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the listener takes it right after)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class ApiRig:
    runtime: Runtime
    url: str
    stage: SimulatorHandle
    pulpit: SimulatorHandle
    #: The cameras asked for beyond stage and pulpit, by name (VISCA over IP each).
    more: dict[str, SimulatorHandle] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def api_rig(
    folder: Path, api: str = "", clock: Clock | None = None, port: int | None = None, more: tuple[str, ...] = (),
    stage_keys: str = "",
) -> AsyncIterator[ApiRig]:
    """Cameras ``stage`` (VISCA over IP) and ``pulpit`` (VISCA over UDP), and those named in
    ``more`` (VISCA over IP), and ``api:`` with an http listener on loopback plus the ``api``
    lines given (``  hold: 5``, ``  token_env: X``); ``stage_keys`` go on stage's line
    (``, position_poll: 0.1``)."""
    stage = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
    pulpit = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
    others = {name: await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None) for name in more}
    port = port or free_port()
    path = folder / "studio.yaml"
    path.write_text(
        "cameras:\n"
        f"  stage: {{protocol: visca-ip, host: 127.0.0.2, port: {stage.port}{stage_keys}}}\n"
        f"  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit.port}}}\n"
        + "".join(f"  {name}: {{protocol: visca-ip, host: 127.0.0.2, port: {one.port}}}\n" for name, one in others.items())
        + f"api:\n  http: 127.0.0.1:{port}\n{api}"
    )
    runtime = await assemble(load_config(path), clock or MonotonicClock(), logging.getLogger("ptzmapd"))
    try:
        if clock is None:
            await until(lambda: all(c.state.online and c.idle for c in runtime.controllers.values()), "the cameras answer")
        yield ApiRig(runtime, f"http://127.0.0.1:{port}", stage, pulpit, others)
    finally:
        await runtime.shutdown()
        for simulator in (stage, pulpit, *others.values()):
            await simulator.close()
