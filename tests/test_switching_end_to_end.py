"""A MIDI surface, a simulated vMix and simulated cameras through the whole runtime: real JACK
MIDI, real loopback sockets. The fader follows the camera on preview, the camera on program is
locked out (and released by a held live-override), a cut stops the move that went to air,
and the tally lamps' bytes reach the cameras, lit lamp first."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import mido

from helpers import run, until
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.simulators.visca import start_simulator
from ptzmapd.simulators.vmix import start
from test_end_to_end import resend_until

CONFIG = """\
cameras:
  stage:  {{protocol: visca-ip, host: 127.0.0.2, port: {stage}, tally: sony, tally_preview: true}}
  pulpit: {{protocol: visca-tcp, host: 127.0.0.2, port: {pulpit}, tally: ptzoptics}}
inputs:
  desk: {{type: midi, port: "*{port}*", api: jack}}
switchers:
  vision:
    type: vmix
    host: 127.0.0.2
    port: {vmix}
    sources: {{"1": stage, "2": pulpit}}
    follow: preview
    live: block
bindings:
  - {{input: desk, cc: 0, action: pan, camera: preview}}
  - {{input: desk, cc: 1, action: tilt, camera: program}}
  - {{input: desk, note: 20, action: live-override}}
  - {{input: desk, note: 21, action: switcher-preview, camera: pulpit}}
  - {{input: desk, note: 22, action: switcher-cut}}
"""


def test_preview_follow_lockout_and_tally_over_jack_and_a_simulated_vmix(jack: int, tmp_path: Path) -> None:
    async def body() -> None:
        sim = await start("vmix", host="127.0.0.2", port=0, log=lambda line: None, inputs=4, drive="still")
        stage = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        pulpit = await start_simulator("visca-tcp", "127.0.0.2", 0, log=lambda line: None)
        path = tmp_path / "church.yaml"
        path.write_text(CONFIG.format(stage=stage.port, pulpit=pulpit.port, vmix=sim.port, port="E2E switcher desk"))
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        surface = backend.open_output("E2E switcher desk", virtual=True)

        def cc(number: int, value: int) -> None:
            surface.send(mido.Message("control_change", control=number, value=value))

        def note(number: int, velocity: int = 127) -> None:
            surface.send(mido.Message("note_on", note=number, velocity=velocity))

        try:
            await until(lambda: runtime.inputs["desk"].connected)
            # vMix: input 1 (stage) on program, 2 (pulpit) on preview.
            await until(lambda: stage.received[-2:] == ["tally-red on", "tally-green off"], "stage red")
            await until(lambda: pulpit.received[-1:] == ["tally off"], "pulpit dark (no tally_preview)")
            await resend_until(lambda: cc(0, 127), lambda: "pan right 0x18, tilt stop" in pulpit.received)
            # A CC is the same however often it is sent: resent until it shows, since a loaded
            # machine's JACK may not carry the test's own message in its first cycle.
            await resend_until(lambda: cc(0, 64), lambda: pulpit.received[-1] == "pan stop, tilt stop")

            # The camera on program is locked out...
            cc(1, 127)
            await asyncio.sleep(0.3)
            assert not any(line.startswith("pan stop, tilt up") for line in stage.received)
            cc(1, 64)
            # ...until a live-override is held; letting go stops what it moved, at once.
            note(20)
            await asyncio.sleep(0.1)
            await resend_until(lambda: cc(1, 127), lambda: stage.received[-1] == "pan stop, tilt up 0x14")
            note(20, 0)
            await until(lambda: stage.received[-1] == "pan stop, tilt stop", "stage stopped when the override ends")
            cc(1, 64)

            # A pan on preview (pulpit) is running when a cut takes pulpit to air: it stops at
            # once, the lamps change (lit first), and the fader now means stage.
            await resend_until(lambda: cc(0, 127), lambda: pulpit.received[-1] == "pan right 0x18, tilt stop")
            note(22)
            await until(lambda: sim.mixer.program == 2, "the cut reached vMix")
            await until(lambda: pulpit.received[-3:] == ["pan right 0x18, tilt stop", "pan stop, tilt stop", "tally on"],
                        "pulpit stopped and lit red")
            await until(lambda: stage.received[-2:] == ["tally-green on", "tally-red off"], "stage now green")
            assert runtime.pipeline.selected == "stage"
            # The fader moves the new preview camera.
            await resend_until(lambda: cc(0, 126), lambda: stage.received[-1].startswith("pan right"))
            cc(0, 64)
            note(21)  # pulpit to preview: it is on program already, vMix swaps nothing
            await until(lambda: any("PreviewInput" in line for line in sim.functions))
        finally:
            surface.close()
            await runtime.shutdown()
            await stage.close()
            await pulpit.close()
            await sim.close()

    run(body)
