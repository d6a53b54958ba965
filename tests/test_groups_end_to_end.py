"""Two operators, two surfaces, two cameras, one daemon: over real JACK MIDI ports into the
whole runtime, out to simulated cameras on loopback sockets.

Each surface is in its own selection group: each steers the camera its group selected, both
at once, and one operator switching camera never stops the other's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mido

from helpers import run, until
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.protocols.visca.read import read_command
from ptzmapd.simulators.visca import SimulatorHandle, start_simulator
from test_end_to_end import resend_until

CONFIG = """\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {stage}}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {pulpit}}}
inputs:
  desk: {{type: midi, port: "*{desk}*", api: jack, group: a}}
  keys: {{type: midi, port: "*{keys}*", api: jack, group: b}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, note: 1, action: select, camera: pulpit}}
  - {{input: desk, note: 2, action: select, camera: stage}}
  - {{input: desk, note: 8, action: preset, preset: 3, speed: 0.2}}
  - {{input: keys, cc: 0, action: tilt}}
  - {{input: keys, note: 1, action: select, camera: next}}
"""


def moves(sim: SimulatorHandle) -> list[tuple[int, ...]]:
    """The pan/tilt drives a camera got: (pan direction, VV, tilt direction, WW) each."""
    return [command.args for command in map(read_command, sim.frames) if command is not None and command.action == "pantilt"]


def test_two_groups_steer_two_cameras_at_once_without_touching_each_others_selection(jack: int, tmp_path: Path) -> None:
    async def body() -> None:
        stage = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "operators.yaml"
        path.write_text(CONFIG.format(stage=stage.port, pulpit=pulpit.port, desk="GROUPS desk", keys="GROUPS keys"))
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        desk = backend.open_output("GROUPS desk", virtual=True)
        keys = backend.open_output("GROUPS keys", virtual=True)
        try:
            await until(lambda: runtime.inputs["desk"].connected and runtime.inputs["keys"].connected, "both surfaces")
            pipeline = runtime.pipeline
            await resend_until(lambda: desk.send(mido.Message("note_on", note=1, velocity=127)),
                               lambda: pipeline.selections["a"] == "pulpit")
            desk.send(mido.Message("note_off", note=1))
            assert pipeline.selections["b"] == "stage"  # the other operator's selection stays

            # Both hands move at once: desk pans pulpit right, keys tilts stage up.
            desk.send(mido.Message("control_change", control=0, value=127))
            # A fresh JACK connection takes a cycle or two to carry: sent until it shows.
            await resend_until(lambda: keys.send(mido.Message("control_change", control=0, value=127)),
                               lambda: (0, 1, 1, 0x14) in moves(stage))
            await resend_until(lambda: desk.send(mido.Message("control_change", control=0, value=127)),
                               lambda: (1, 0x18, 0, 1) in moves(pulpit))
            assert all(move[2] == 0 for move in moves(pulpit))  # the tilt never reached pulpit
            assert all(move[0] == 0 for move in moves(stage))  # nor the pan stage

            # Operator a switches back to stage: pulpit stops; stage's tilt (operator b's)
            # goes on, never stopped by a's switch.
            seen = len(moves(stage))
            desk.send(mido.Message("note_on", note=2, velocity=127))
            await until(lambda: pipeline.selections["a"] == "stage" and moves(pulpit)[-1] == (0, 1, 0, 1), "pulpit stopped")
            assert (0, 1, 0, 1) not in moves(stage)[seen:]
            assert runtime.status().groups["b"].selected == "stage"
            assert runtime.status().groups["a"].inputs == ("desk",)

            # A preset at 20 % of full speed: the setting goes ahead of the recall.
            desk.send(mido.Message("note_on", note=8, velocity=127))
            await until(lambda: "preset recall 3" in stage.received, "the recall")
            assert stage.camera.registers()["preset-speed"] == 0x05
            keys.send(mido.Message("control_change", control=0, value=64))
            await until(lambda: moves(stage)[-1] == (0, 1, 0, 1), "stage stopped")
        finally:
            desk.close()
            keys.close()
            await runtime.shutdown()
            await stage.close()
            await pulpit.close()

    run(body)
