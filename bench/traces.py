"""Tours and traces: what they cost the hot path, and how faithfully a trace is replayed.

Not a test: timing on shared machines is noisy, so figures are measured here, never asserted.

- **Hot path**: the pipeline's cost per fader event (mapping → motion → controller, in
  process, on an in-memory wire) without tours and traces, with them configured and idle,
  and while a recording captures every command: the best of several rounds, in µs.
- **Replay fidelity**: ``ptzmapd run`` (a real JACK server, a UDP VISCA camera here) records a
  fader played by this script at random intervals, then plays it back; each replayed packet's
  time from the first move is compared with the recorded one's (kernel receive timestamps).
  The target: within one pacing interval (``min_interval``, 50 ms).

Run: ``.venv/bin/python bench/traces.py [--moves N]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import HOST, MIN_INTERVAL, ROOT, Camera, connect, pct  # noqa: E402  (sets sys.path)

from jack import ensure_jack, stop_jack  # noqa: E402
from ptzmapd.clock import FakeClock  # noqa: E402
from ptzmapd.config.model import BindingConfig, Mark, TourConfig, TourStop  # noqa: E402
from ptzmapd.control.controller import CameraController  # noqa: E402
from ptzmapd.control.settings import ControllerSettings  # noqa: E402
from ptzmapd.events import ControlEvent  # noqa: E402
from ptzmapd.pipeline import Pipeline  # noqa: E402
from ptzmapd.protocols.visca.codec import ViscaCodec  # noqa: E402
from ptzmapd.protocols.visca.specs import VISCA_LIMITS  # noqa: E402
from ptzmapd.tours.programs import Programs  # noqa: E402
from ptzmapd.vocabulary import Action, ControlKind  # noqa: E402
from wire import MemoryWire  # noqa: E402

MARK = Mark("bench", 1, 1)


def pipeline_for(mode: str) -> tuple[Pipeline, MemoryWire]:
    """One camera on an in-memory wire, a fader on pan; ``mode``: none (no tours and traces),
    idle (configured, nothing running) or recording (a recording captures every command)."""
    clock = FakeClock()
    wire = MemoryWire(clock)
    bindings = [
        BindingConfig("desk", ControlKind.CC, 0, Action.PAN, MARK),
        BindingConfig("desk", ControlKind.NOTE, 10, Action.TRACE, MARK, trace="t", mode="record"),
    ]
    controller = CameraController("cam", ViscaCodec(VISCA_LIMITS), wire, clock,
                                  ControllerSettings(min_interval=0.0, ack_timeout=10.0))
    controller.start()
    controllers = {"cam": controller}
    programs = None
    if mode != "none":
        tour = TourConfig("t", "cam", (TourStop(1, 5.0, MARK),), MARK)
        programs = Programs({"t": tour}, bindings, controllers, clock, logging.getLogger("bench"), "")
    pipeline = Pipeline(bindings, controllers, clock=clock, programs=programs)
    if mode == "recording":
        pipeline.on_event(ControlEvent("desk", "note", 10, 127, 1, clock.now()))
    return pipeline, wire


def hot_path(modes: tuple[str, ...], events: int = 20000, rounds: int = 9) -> dict[str, float]:
    """µs per fader event through the pipeline for each mode: the best of ``rounds``, the modes
    taking turns so that a noisy moment on a shared machine falls on all of them alike."""
    rigs = {mode: pipeline_for(mode) for mode in modes}
    best = {mode: float("inf") for mode in modes}
    values = [20 + (index % 100) for index in range(events)]  # a new speed (almost) every event
    for _ in range(rounds):
        for mode, (pipeline, wire) in rigs.items():
            started = time.perf_counter()
            for value in values:
                pipeline.on_event(ControlEvent("desk", "cc", 0, value, 1, 0.0))
                wire.sent.clear()
            best[mode] = min(best[mode], (time.perf_counter() - started) / events * 1e6)
        if "recording" in rigs:
            rigs["recording"][0].programs.recording["cam"].moves.clear()  # type: ignore[union-attr]
    return best


CONFIG = """\
cameras:
  cam: {{protocol: visca-udp, host: {host}, port: {port}, min_interval: {interval}}}
inputs:
  desk: {{type: midi, virtual: "{virtual}", api: jack}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, note: 10, action: trace, trace: sweep, mode: record}}
  - {{input: desk, note: 11, action: trace, trace: sweep, mode: play}}
state_dir: {state}
"""


def replay(moves: int) -> tuple[list[float], int, int]:
    """Record ``moves`` fader values, play them back; per-packet |replayed − recorded| (ms)."""
    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-traces-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    camera = Camera()
    virtual = "bench traces in"
    config = folder / "traces.yaml"
    config.write_text(CONFIG.format(host=HOST, port=camera.port, interval=MIN_INTERVAL, virtual=virtual,
                                    state=folder / "state"))
    daemon = subprocess.Popen([sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(config),
                               "--no-status-socket"], env=env, cwd=ROOT)
    try:
        out = connect(virtual)
        time.sleep(1.0)  # the opening stops
        rng = random.Random(7)
        camera.clear()
        out.send_message([0x90, 10, 127])
        out.send_message([0x80, 10, 0])
        time.sleep(0.2)
        for index in range(moves):
            out.send_message([0xB0, 0, 64 + (1 if index % 2 else -1) * rng.randint(10, 63)])
            time.sleep(rng.uniform(0.02, 0.3))  # some moves closer than one pacing interval
        out.send_message([0xB0, 0, 64])
        time.sleep(0.3)
        out.send_message([0x90, 10, 127])
        out.send_message([0x80, 10, 0])
        time.sleep(0.5)
        with camera.lock:
            recorded = [at for at, data in camera.packets if data[:3] == b"\x81\x01\x06"]
        camera.clear()
        out.send_message([0x90, 11, 127])
        out.send_message([0x80, 11, 0])
        time.sleep(recorded[-1] - recorded[0] + 1.5)
        with camera.lock:
            replayed = [at for at, data in camera.packets if data[:3] == b"\x81\x01\x06"]
        out.close_port()
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)
        camera.close()
        stop_jack(jack)
    errors = [abs((b - replayed[0]) - (a - recorded[0])) * 1000 for a, b in zip(recorded, replayed)]
    return errors, len(recorded), len(replayed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    costs = hot_path(("none", "idle", "recording"))
    errors, recorded, replayed = replay(args.moves)
    limit = MIN_INTERVAL * 1000
    print(f"\nptzmapd tours/traces bench — {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(f"| {'measure':<48} | {'value':>10} | {'target':<16} |")
    print(f"|{'-' * 50}|{'-' * 12}|{'-' * 18}|")
    rows = [
        ("fader event through the pipeline, no tours (µs)", f"{costs['none']:.1f}", ""),
        ("… tours and traces configured, idle (µs)", f"{costs['idle']:.1f}",
         f"≈ {costs['none']:.1f} {'✓' if costs['idle'] <= costs['none'] * 1.05 + 0.5 else '✗'}"),
        ("… while a recording captures it (µs)", f"{costs['recording']:.1f}", ""),
        ("replay: packets recorded / replayed", f"{recorded} / {replayed}", f"equal {'✓' if recorded == replayed else '✗'}"),
        ("replay: |replayed − recorded| p50 (ms)", f"{pct(errors, 0.5):.1f}", ""),
        ("replay: |replayed − recorded| p99 (ms)", f"{pct(errors, 0.99):.1f}",
         f"≤ {limit:.0f} {'✓' if pct(errors, 0.99) <= limit else '✗'}"),
        ("replay: |replayed − recorded| max (ms)", f"{max(errors):.1f}", ""),
    ]
    for name, value, goal in rows:
        print(f"| {name:<48} | {value:>10} | {goal:<16} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
