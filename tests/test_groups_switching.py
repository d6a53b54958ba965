"""A switcher's follow and selection groups through the whole runtime: a simulated vMix (a real
TCP server on loopback), simulated VISCA cameras, two surfaces on real JACK MIDI ports in two
groups; only the groups ``follow_groups`` names follow the preview."""

from __future__ import annotations

import logging
from pathlib import Path

from helpers import run, until
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.simulators.visca import start_simulator
from ptzmapd.simulators.vmix import start

HOST = "127.0.0.2"

STUDIO = """\
cameras:
  stage:  {{protocol: visca-udp, host: 127.0.0.2, port: {stage}}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit}}}
inputs:
  desk: {{type: midi, virtual: "FOLLOW desk", api: jack, group: a}}
  keys: {{type: midi, virtual: "FOLLOW keys", api: jack, group: b}}
switchers:
  vision: {{type: vmix, host: 127.0.0.2, port: {port}, sources: {{"1": stage, "2": pulpit}}, follow: preview,
           follow_groups: [a]}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: keys, cc: 0, action: pan}}
"""


def test_only_the_groups_follow_groups_names_follow_the_preview(jack: int, tmp_path: Path) -> None:
    async def body() -> None:
        sim = await start("vmix", host=HOST, port=0, log=lambda line: None, inputs=4, drive="still")
        stage = await start_simulator("visca-udp", HOST, 0, log=lambda line: None)
        pulpit = await start_simulator("visca-udp", HOST, 0, log=lambda line: None)
        path = tmp_path / "studio.yaml"
        path.write_text(STUDIO.format(stage=stage.port, pulpit=pulpit.port, port=sim.port))
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            pipeline = runtime.pipeline
            # vMix starts with input 1 (stage) on program and 2 (pulpit) on preview.
            await until(lambda: pipeline.selections["a"] == "pulpit", "group a follows the preview")
            assert pipeline.selections["b"] == "stage" and pipeline.selections["default"] == "stage"
            sim.mixer.cut()  # stage to preview, pulpit to air
            await until(lambda: pipeline.selections["a"] == "stage", "group a follows again")
            assert pipeline.selections["b"] == "stage"
            groups = runtime.status().to_json()["groups"]
            assert groups["a"] == {"selected": "stage", "inputs": ("desk",)}
        finally:
            await runtime.shutdown()
            for handle in (stage, pulpit):
                await handle.close()
            await sim.close()

    run(body)
