"""``ptzmapd demo``: the whole pipeline against two simulated cameras and a simulated vMix,
with no hardware.

Two simulated cameras start on loopback (VISCA over IP and VISCA over TCP) with a simulated
vMix beside them, a config is written and loaded through the real loader, the daemon starts
from it, and a scripted controller plays ~18 s of fader moves, a camera switch, a preset
store and recall and a home; then the vMix operator takes stage to air: the selection follows
vMix's preview and the tally lamps follow its program and preview. The events go through a real virtual MIDI port when a MIDI API works here (JACK or
ALSA), and straight into the mapping layer when none does. Each camera's position is shown
live, computed by the simulators from the commands they actually received.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ptzmapd.app.assemble import Runtime, assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.events import ControlEvent

DEMO_HOST = "127.0.0.2"  # not 127.0.0.1: see DESIGN.md on port 52381 collisions
PORT_NAME = "ptzmapd demo"

CONFIG = """\
# Written by `ptzmapd demo`: the example from the README, pointed at two simulators.
cameras:
  stage:
    protocol: {stage_protocol}
    host: {host}
    port: {stage_port}
    tally: sony
    tally_preview: true
  pulpit:
    protocol: {pulpit_protocol}
    host: {host}
    port: {pulpit_port}
    tally: ptzoptics
    tally_preview: true
switchers:
  vision:
    type: vmix
    host: {host}
    port: {vmix_port}
    sources: {{"1": stage, "2": pulpit}}
    follow: preview
inputs:
  desk:
    type: midi
    {input_line}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, cc: 1, action: tilt}}
  - {{input: desk, cc: 2, action: zoom}}
  - {{input: desk, note: 41, action: select, camera: stage}}
  - {{input: desk, note: 42, action: select, camera: pulpit}}
  - {{input: desk, note: 43, action: preset, preset: 1}}
  - {{input: desk, note: 44, action: home, camera: all}}
  - {{input: desk, note: 45, action: preset, preset: 1, store: true}}
  - {{input: desk, cc: 3, action: pan, camera: preview}}
"""


@dataclass(frozen=True)
class Step:
    at: float
    label: str
    #: (kind, number, value) MIDI-like events played at ``at``; a fader move is a ramp.
    events: tuple[tuple[str, int, int], ...]
    #: What the vMix operator does then (a line of ``ptzmapd simulate vmix --stdin``).
    mixer: str = ""


def fader(cc: int, start: int, end: int, steps: int = 24) -> tuple[tuple[str, int, int], ...]:
    """A hand moving a fader: many CC messages in a row (the controller collapses them)."""
    return tuple(("cc", cc, round(start + (end - start) * i / steps)) for i in range(1, steps + 1))


def press(note: int) -> tuple[tuple[str, int, int], ...]:
    return (("note", note, 127), ("note", note, 0))


SCRIPT: tuple[Step, ...] = (
    Step(0.5, "pan stage right", fader(0, 64, 120)),
    Step(2.5, "release: stage stops", fader(0, 120, 64, 8)),
    Step(3.0, "tilt stage up and zoom in", fader(1, 64, 110) + fader(2, 64, 127)),
    Step(5.0, "release tilt and zoom", fader(1, 110, 64, 6) + fader(2, 127, 64, 6)),
    Step(5.5, "store preset 1 on stage", press(45)),
    Step(6.0, "switch to pulpit", press(42)),
    Step(6.5, "pan pulpit left, zoom in", fader(0, 64, 10) + fader(2, 64, 110)),
    Step(9.0, "release pulpit", fader(0, 10, 64, 6) + fader(2, 110, 64, 6)),
    Step(9.5, "back to stage, pan it away", press(41) + fader(0, 64, 0)),
    Step(11.0, "release stage", fader(0, 0, 64, 6)),
    Step(11.5, "recall preset 1 on stage", press(43)),
    Step(12.5, "home every camera", press(44)),
    Step(13.5, "vMix: cut, stage on air (red), pulpit on preview: selected follows", (), mixer="cut"),
    Step(14.5, "pan the camera on preview (pulpit)", fader(3, 64, 100)),
    Step(16.0, "release", fader(3, 100, 64, 6)),
)


def _midi_api() -> str | None:
    """A MIDI API on which a virtual port can really be opened here, or None."""
    try:
        from ptzmapd.inputs.midi.api import midi_api_works, resolve_api
    except ImportError:
        return None
    candidates = [os.environ.get("MIDO_BACKEND"), "alsa", "jack"]
    for name in candidates:
        if not name:
            continue
        api_name = "jack" if "JACK" in name.upper() else "alsa" if "ALSA" in name.upper() else name
        if api_name not in ("alsa", "jack"):
            continue
        try:
            if midi_api_works(resolve_api(api_name)):
                return api_name
        except Exception:
            continue
    return None


class View:
    """A compact live view of every camera; redrawn in place on a terminal."""

    def __init__(self, runtime: Runtime, sims: Mapping[str, Any], out: Callable[[str], object], tty: bool) -> None:
        self.runtime = runtime
        self.sims = sims
        self.out = out
        self.tty = tty
        self.lines_drawn = 0
        self.step = "starting"

    def render(self, elapsed: float) -> list[str]:
        pipeline = self.runtime.pipeline
        lines = [f"t={elapsed:5.1f}s  {self.step}"]
        for name, switcher in self.runtime.status().switchers.items():
            lines.append(f"   vMix '{name}': program {', '.join(switcher.program_cameras) or '-'}, "
                         f"preview {', '.join(switcher.preview_cameras) or '-'}")
        for name, sim in self.sims.items():
            state = sim.camera.state(time.monotonic())
            controller = self.runtime.controllers[name]
            marker = ">" if pipeline.selected == name else " "
            pan_deg = state.pan * 170 / 2448
            tilt_deg = state.tilt * 90 / 1296
            zoom_pct = state.zoom * 100 / 0x4000
            lines.append(
                f" {marker} {name:<7} {sim.kind:<9} pan {pan_deg:+7.1f}°  tilt {tilt_deg:+6.1f}°  "
                f"zoom {zoom_pct:5.1f}%  {'moving' if state.moving else 'still ':<6}  "
                f"sent {controller.state.commands_sent:3d}  {'online' if controller.state.online else 'OFFLINE'}  "
                f"tally {_lamps(state.settings)}"
            )
        return lines

    def draw(self, elapsed: float) -> None:
        lines = self.render(elapsed)
        if self.tty and self.lines_drawn:
            self.out(f"\x1b[{self.lines_drawn}F")
        self.out("".join(f"\x1b[2K{line}\n" if self.tty else f"{line}\n" for line in lines))
        self.lines_drawn = len(lines)


def _lamps(settings: Mapping[str, str]) -> str:
    """A simulated camera's tally lamps as the demo shows them: ``RED``, ``green``, ``dark``."""
    lit = [word for word, on in (("RED", settings.get("tally") == "on" or settings.get("tally-red") == "on"),
                                 ("green", settings.get("tally-green") == "on"),
                                 ("flashing", settings.get("tally") == "flash")) if on]
    return " ".join(lit) or "dark"


async def run_demo(duration: float = 18.0, use_midi: bool = True, log: logging.Logger | None = None) -> int:
    from ptzmapd.simulators.mixer import apply_line
    from ptzmapd.simulators.studio import DEMO_CAMERAS
    from ptzmapd.simulators.visca import start_simulator
    from ptzmapd.simulators.vmix import start as start_vmix

    log = log or logging.getLogger("ptzmapd")
    out = sys.stdout.write
    tty = sys.stdout.isatty()
    # The live view is the show: keep routine INFO lines (connections, selection) out of it.
    previous_level = log.level
    if not log.isEnabledFor(logging.DEBUG):
        log.setLevel(logging.WARNING)

    sims = {name: await start_simulator(protocol, DEMO_HOST, 0) for name, protocol in DEMO_CAMERAS.items()}
    # The vMix operator starts with pulpit on air and stage on preview: the selection follows.
    vmix = await start_vmix("vmix", host=DEMO_HOST, port=0, log=lambda line: None, inputs=4, drive="still")
    vmix.mixer.set_program(2)
    vmix.mixer.set_preview(1)
    api = _midi_api() if use_midi else None
    input_line = f'virtual: "{PORT_NAME}"\n    api: {api}' if api else f'virtual: "{PORT_NAME}"'
    sender = None
    with tempfile.TemporaryDirectory(prefix="ptzmapd-demo-") as folder:
        path = Path(folder) / "demo.yaml"
        path.write_text(CONFIG.format(host=DEMO_HOST, stage_port=sims["stage"].port, stage_protocol=DEMO_CAMERAS["stage"],
                                      pulpit_protocol=DEMO_CAMERAS["pulpit"],
                                      pulpit_port=sims["pulpit"].port, vmix_port=vmix.port, input_line=input_line))
        config = load_config(path)
        if not api:
            # No MIDI API here: keep the config as written but start no MIDI input; the
            # script feeds the mapping layer directly instead.
            config = type(config)(config.path, config.cameras, {}, config.bindings, config.switchers)
        runtime: Runtime | None = None
        try:
            runtime = await assemble(config, MonotonicClock(), log)
            if api:
                from ptzmapd.inputs.midi.api import resolve_api
                from ptzmapd.inputs.midi.sender import MidiSender

                sender = MidiSender(resolve_api(api), virtual=None, port=f"*{PORT_NAME}*")
                route = f"through the virtual MIDI port '{PORT_NAME}' ({api})"
            else:
                route = "straight into the mapping layer (no MIDI API works here)"
            out(f"ptzmapd demo: 2 simulated cameras and a simulated vMix on {DEMO_HOST}, a scripted controller {route}\n")
            # The selection follows vMix's preview from the start.
            await _until(lambda: runtime is not None and runtime.pipeline.selected == "stage", 5.0)

            view = View(runtime, sims, out, tty)
            start = time.monotonic()
            pending = list(SCRIPT)
            while (elapsed := time.monotonic() - start) < duration:
                while pending and pending[0].at <= elapsed:
                    step = pending.pop(0)
                    view.step = step.label
                    if step.mixer:
                        apply_line(vmix.mixer, step.mixer)
                    await _play(step, runtime, sender)
                view.draw(elapsed)
                # Until the next redraw or the next step, whichever comes first: a step is
                # played on time, not at the next redraw.
                due = min(0.1 if tty else 1.0, duration - elapsed, *([pending[0].at - elapsed] if pending else []))
                await asyncio.sleep(max(0.0, due))
            # A preset or home move may still be under way: let it arrive before judging.
            view.step = "waiting for the cameras to come to rest"
            settle_until = time.monotonic() + 5.0
            while time.monotonic() < settle_until and any(
                sim.camera.state(time.monotonic()).moving for sim in sims.values()
            ):
                await asyncio.sleep(0.1)
            view.step = "done"
            view.draw(time.monotonic() - start)
        finally:
            if sender is not None:
                sender.close()
            if runtime is not None:
                await runtime.shutdown()
            counts = {name: len(sim.received) for name, sim in sims.items()}
            still_moving = [name for name, sim in sims.items() if sim.camera.state(time.monotonic()).moving]
            for sim in sims.values():
                await sim.close()
            await vmix.close()
            log.setLevel(previous_level)
    out("received: " + ", ".join(f"{name} {count} commands" for name, count in counts.items()) + "\n")
    if still_moving:
        print(f"ptzmapd demo: FAILED: still moving after the demo: {', '.join(still_moving)}", file=sys.stderr)
        return 1
    out("every camera stopped; demo finished\n")
    return 0


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _play(step: Step, runtime: Runtime, sender: object | None) -> None:
    """Play one step's events like a hand would: a few milliseconds apart."""
    for kind, number, value in step.events:
        if sender is not None:
            status = 0xB0 if kind == "cc" else 0x90
            sender.send(bytes((status, number, value)))  # type: ignore[attr-defined]
        else:
            runtime.pipeline.on_event(ControlEvent("desk", kind, number, value, 1, time.monotonic()))
        await asyncio.sleep(0.004)
