"""Panasonic AW pacing, measured against the simulated camera over loopback HTTP.

Not a test (timing on shared machines is noisy): figures for the README and the report.

A controller (the daemon's, with the protocol's defaults: 130 ms between commands, counted
from the camera's answer) drives ``ptzmapd simulate panasonic-aw`` run in this process. Each
round is a 1 kHz flood of pan speeds for ``--flood`` seconds, then a release to centre:

- commands per second the camera received during the flood, and the smallest gap between
  the camera's answer and the next command (the AW-HE40 asks for ≥ 130 ms between pan-tilt
  commands); the camera's own count of pacing violations;
- release → stop at the camera: from the release (``set_motion`` of a stop) until the
  camera has taken the ``#PTS5050``, p50/p99 over the rounds; one pacing interval plus a
  round trip is what the rule allows.

Run: ``.venv/bin/python bench/panasonic_pacing.py [--rounds N] [--flood SECONDS]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptzmapd.app.assemble import make_controller  # noqa: E402
from ptzmapd.clock import MonotonicClock  # noqa: E402
from ptzmapd.commands import PanTilt  # noqa: E402
from ptzmapd.config.model import CameraConfig, HttpEndpoint, Mark, MotionFeel  # noqa: E402
from ptzmapd.protocols import PROTOCOLS  # noqa: E402
from ptzmapd.simulators.panasonic_aw import PanasonicAwSimulator, start  # noqa: E402
from ptzmapd.transports import TransportPool  # noqa: E402

LOG = logging.getLogger("bench.panasonic")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Watch:
    """When the camera answered each pan-tilt command, and when each next one arrived."""

    def __init__(self, sim: PanasonicAwSimulator) -> None:
        self.sim = sim
        self.gaps: list[float] = []
        self.arrivals: list[tuple[float, str]] = []
        answered: list[float] = []
        original = sim.handle

        async def handle(request):  # type: ignore[no-untyped-def]
            now = time.monotonic()
            answer = await original(request)
            if answered:
                self.gaps.append(now - answered[-1])
            answered.append(time.monotonic())
            self.arrivals.append((now, request.target))
            return answer

        sim.handle = handle  # type: ignore[method-assign]


async def bench(rounds: int, flood: float) -> None:
    sim = await start(host="127.0.0.2", log=lambda line: None)
    spec = PROTOCOLS["panasonic-aw"]
    camera = CameraConfig("stage", "panasonic-aw", Mark("bench", 1, 1), link=HttpEndpoint(sim.where, None),
                          pacing=dataclasses.replace(spec.pacing), options=spec.options(), feel=MotionFeel())
    pool = TransportPool(LOG, clock=MonotonicClock())
    stage = await make_controller(camera, pool, MonotonicClock(), LOG)
    watch = Watch(sim)
    rates: list[float] = []
    stops: list[float] = []
    try:
        await asyncio.sleep(1.0)  # the opening stops
        for index in range(rounds):
            begun = len(watch.arrivals)
            started = time.monotonic()
            step = 0
            while time.monotonic() - started < flood:
                stage.set_motion(PanTilt(0.2 + 0.8 * ((step + index) % 50) / 50, 0.0))
                step += 1
                await asyncio.sleep(0.001)
            rates.append((len(watch.arrivals) - begun) / flood)
            released = time.monotonic()
            outcome = stage.set_motion(PanTilt(0.0, 0.0))
            while not outcome.done:
                await asyncio.sleep(0.0005)
            stopped = [at for at, target in watch.arrivals if at >= released and "PTS5050" in target]
            stops.append((stopped[0] if stopped else time.monotonic()) - released)
            await asyncio.sleep(0.3)
    finally:
        stage.close()
        await pool.close()
        await sim.close()
    print(f"panasonic-aw, {rounds} rounds of a 1 kHz pan flood for {flood:g} s, then release:")
    print(f"  commands/s at the camera during a flood: {statistics.mean(rates):.1f} "
          f"(each new speed ≥ 130 ms after the camera's previous answer)")
    print(f"  camera's answer → next command: min {min(watch.gaps) * 1000:.1f} ms, "
          f"p50 {pct(watch.gaps, 0.5) * 1000:.1f} ms (needs ≥ 130 ms); pacing violations: {sim.pacing_violations}")
    print(f"  release → stop at the camera: p50 {pct(stops, 0.5) * 1000:.1f} ms, p99 {pct(stops, 0.99) * 1000:.1f} ms, "
          f"max {max(stops) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--flood", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(bench(args.rounds, args.flood))
    return 0


if __name__ == "__main__":
    sys.exit(main())
