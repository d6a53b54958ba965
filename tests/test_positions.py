"""Absolute moves, camera-timed jogs and cleared presets, end to end: a binding in a config,
the daemon's mapping and controller, the codec, real HTTP with the camera's own auth, and the
simulated camera's head."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from helpers import until
from ptzmapd.app.assemble import Runtime, assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.events import ControlEvent
from ptzmapd.simulators.http_cameras import HttpSimulator, start

PASSWORD_VARIABLE = "PTZMAPD_POSITIONS_PW"


def press(runtime: Runtime, note: int) -> None:
    assert runtime.pipeline is not None
    for velocity in (127, 0):
        runtime.pipeline.on_event(ControlEvent("desk", "note", note, velocity, 1, time.monotonic()))


async def running(kind: str, bindings: str, tmp_path: Path) -> tuple[HttpSimulator, Runtime]:
    sim = await start(kind, host="127.0.0.2", password_env=PASSWORD_VARIABLE, log=lambda line: None)
    path = tmp_path / "studio.yaml"
    path.write_text(
        f"cameras:\n  cam: {{protocol: {kind}, url: \"{sim.where}\", username: admin, password_env: {PASSWORD_VARIABLE}}}\n"
        # The input is never opened here: events go straight into the mapping.
        "inputs:\n  desk: {type: midi, port: \"*no such surface*\"}\n"
        f"bindings:\n{bindings}"
    )
    runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
    return sim, runtime


def test_isapi_absolute_move_jog_and_preset_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "positions-secret")
    bindings = (
        "  - {input: desk, note: 1, action: move-to, pan: 90, tilt: -12.5, zoom: 30}\n"
        "  - {input: desk, note: 2, action: move-to, pan: 180}\n"
        "  - {input: desk, note: 3, action: jog, pan: 1, duration: 0.3}\n"
        "  - {input: desk, note: 4, action: preset, preset: 5, store: true}\n"
        "  - {input: desk, note: 5, action: preset, preset: 5, clear: true}\n"
    )

    async def body() -> None:
        sim, runtime = await running("isapi", bindings, tmp_path)
        try:
            press(runtime, 1)
            await until(lambda: sim.state.position == {"pan": 900.0, "tilt": -125.0, "zoom": 300.0}, "the absolute move")
            press(runtime, 2)  # only pan given: tilt and zoom stay
            await until(lambda: sim.state.position["pan"] == 1800.0, "the pan-only move")
            assert (sim.state.position["tilt"], sim.state.position["zoom"]) == (-125.0, 300.0)

            press(runtime, 3)
            await until(lambda: sim.state.moving, "the jog to start")
            # Nothing is sent to stop it: the camera ends the move itself after 0.3 s.
            await until(lambda: not sim.state.moving, "the camera to stop the jog by itself", timeout=2.0)
            assert sim.state.position["pan"] > 1800.0
            assert [line for line in sim.received if line.startswith("momentary")] == ["momentary pan 100 tilt 0 zoom 0 for 300 ms"]

            press(runtime, 4)
            await until(lambda: 5 in sim.state.presets, "the preset to be stored")
            press(runtime, 5)
            await until(lambda: 5 not in sim.state.presets, "the preset to be cleared")
            assert runtime.controllers["cam"].state.online
        finally:
            await runtime.shutdown(grace=0.5)
            await sim.close()

    asyncio.run(body())


def test_ipcam_move_to_position_and_preset_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "positions-secret")
    bindings = (
        "  - {input: desk, note: 1, action: move-to, pan: 170, tilt: 45}\n"
        "  - {input: desk, note: 4, action: preset, preset: 7, store: true}\n"
        "  - {input: desk, note: 5, action: preset, preset: 7, clear: true}\n"
    )

    async def body() -> None:
        sim, runtime = await running("ipcam-cgi", bindings, tmp_path)
        try:
            press(runtime, 1)
            await until(lambda: (sim.state.position["pan"], sim.state.position["tilt"]) == (170.0, 45.0), "the move")
            press(runtime, 4)
            await until(lambda: sim.state.presets.get(7) == {"pan": 170.0, "tilt": 45.0}, "the preset to be stored")
            press(runtime, 5)
            await until(lambda: 7 not in sim.state.presets, "the preset to be cleared")
            assert "preset clear 7" in sim.received
        finally:
            await runtime.shutdown(grace=0.5)
            await sim.close()

    asyncio.run(body())
