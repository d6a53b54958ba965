"""How long a switcher source takes to report a change: the mixer's preview moves → the
source's ``on_change`` has the new :class:`~ptzmapd.switchers.base.SwitcherState`, p50/p99,
each beside a floor measured on the same changes in the same run.

- OBS (a real headless OBS, tests/obs.py): a second websocket client sets the preview scene in
  studio mode; the floor is a bare simpleobsws client receiving OBS's own
  ``CurrentPreviewSceneChanged`` for the same change.
- vMix (the simulated vMix on loopback): the floor is a bare TCP client subscribed to its tally.
- ATEM (the simulated ATEM; pyatem's threads to the loop) and TSL UMD (tslumd's sender):
  without a floor; TSL's includes the sender's own queue.

This is the switcher half of the issue's "switcher change → tally bytes / first motion"
figures; what follows ``on_change`` (tally, follow) is measured with those features.
Run: ``.venv/bin/python bench/switcher_latency.py [--changes N] [--no-obs]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from ptzmapd.clock import MonotonicClock  # noqa: E402
from ptzmapd.config.model import Mark, SwitcherConfig  # noqa: E402
from ptzmapd.switchers import SWITCHERS  # noqa: E402
from ptzmapd.switchers.base import SwitcherState  # noqa: E402

HOST = "127.0.0.2"
QUIET = logging.getLogger("bench.switchers")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Watch:
    """Starts a switcher source and times each change until ``on_change`` shows ``want``."""

    def __init__(self, kind: str, host: str, port: int, sources: dict[str, str], url: str | None = None,
                 password: str | None = None) -> None:
        self.config = SwitcherConfig("bench", kind, Mark("bench", 1, 1), host, port, url=url, password=password,
                                     sources=sources)
        self.arrived: dict[frozenset[str], float] = {}
        self.state = SwitcherState()

    def __call__(self, state: SwitcherState) -> None:
        self.state = state
        self.arrived.setdefault(state.preview, time.perf_counter())

    async def start(self) -> object:
        switcher = SWITCHERS[self.config.type](self.config, self, asyncio.get_running_loop(),
                                               clock=MonotonicClock(), log=QUIET)
        await switcher.start()
        for _ in range(2000):
            if self.state.connected:
                return switcher
            await asyncio.sleep(0.01)
        raise RuntimeError(f"{self.config.type} did not connect")


async def measure(changes: int, watch: Watch, keys: tuple[str, str], change: Callable[[str], Awaitable[None]],
                  floor: dict[str, float] | None = None) -> tuple[list[float], list[float]]:
    """Alternate the preview between ``keys``; the source's and the floor's latencies (ms)."""
    ours: list[float] = []
    floors: list[float] = []
    for index in range(changes):
        key = keys[index % 2]
        watch.arrived.pop(frozenset({key}), None)
        if floor is not None:
            floor.pop(key, None)
        sent = time.perf_counter()
        await change(key)
        for _ in range(500):
            if frozenset({key}) in watch.arrived and (floor is None or key in floor):
                break
            await asyncio.sleep(0.001)
        if frozenset({key}) in watch.arrived:
            ours.append((watch.arrived[frozenset({key})] - sent) * 1000)
        if floor is not None and key in floor:
            floors.append((floor[key] - sent) * 1000)
        await asyncio.sleep(0.02)
    return ours, floors


def row(name: str, ours: list[float], floors: list[float], changes: int) -> str:
    floor = f"{pct(floors, 0.5):7.2f} / {pct(floors, 0.99):7.2f}" if floors else "          —      "
    return f"| {name:<34} | {pct(ours, 0.5):7.2f} / {pct(ours, 0.99):7.2f} | {floor} | {len(ours)}/{changes} |"


async def bench_vmix(changes: int) -> str:
    from ptzmapd.simulators.vmix import start

    sim = await start(host=HOST, port=0, log=lambda line: None, drive="still")
    floor: dict[str, float] = {}
    reader, writer = await asyncio.open_connection(HOST, sim.port)
    writer.write(b"SUBSCRIBE TALLY\r\n")

    async def read_floor() -> None:
        while line := await reader.readline():
            if line.startswith(b"TALLY OK "):
                digits = line[9:].strip().decode()
                if "2" in digits:
                    floor.setdefault(str(digits.index("2") + 1), time.perf_counter())

    reading = asyncio.get_running_loop().create_task(read_floor())
    watch = Watch("vmix", HOST, sim.port, {"3": "a", "4": "b"})
    switcher = await watch.start()

    async def change(key: str) -> None:
        sim.mixer.set_preview(int(key))

    ours, floors = await measure(changes, watch, ("3", "4"), change, floor)
    await switcher.close()  # type: ignore[attr-defined]
    reading.cancel()
    writer.close()
    await sim.close()
    return row("vMix (simulated)", ours, floors, changes)


async def bench_atem(changes: int) -> str:
    from ptzmapd.simulators.atem import start

    sim = await start(host=HOST, port=0, log=lambda line: None, drive="still")
    watch = Watch("atem", HOST, sim.port, {"3": "a", "4": "b"})
    switcher = await watch.start()

    async def change(key: str) -> None:
        sim.mixer.set_preview(int(key))

    ours, _ = await measure(changes, watch, ("3", "4"), change)
    await switcher.close()  # type: ignore[attr-defined]
    await sim.close()
    return row("ATEM (simulated, pyatem)", ours, [], changes)


async def bench_tsl(changes: int) -> str:
    import socket

    from ptzmapd.simulators.tsl import start

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    watch = Watch("tsl", HOST, port, {"3": "a", "4": "b"})
    switcher = await watch.start()
    sim = await start(host=HOST, port=port, log=lambda line: None, drive="still")

    async def change(key: str) -> None:
        sim.mixer.set_preview(int(key))

    ours, _ = await measure(changes, watch, ("3", "4"), change)
    await sim.close()
    await switcher.close()  # type: ignore[attr-defined]
    return row("TSL UMD v5 (tslumd sender)", ours, [], changes)


async def bench_obs(changes: int) -> str:
    import simpleobsws

    from obs import Director, Obs

    obs = Obs()
    obs.start()
    try:
        async with Director(obs) as director:
            for scene in ("Bench A", "Bench B", "Bench C"):
                await director.scene(scene)
            await director.reset("Bench C")
            await director.call("SetStudioModeEnabled", studioModeEnabled=True)
            floor: dict[str, float] = {}
            bare = simpleobsws.WebSocketClient(url=obs.url, password=obs.password)
            await bare.connect()
            await bare.wait_until_identified()

            async def on_preview(data: dict[str, str]) -> None:
                floor.setdefault(data["sceneName"], time.perf_counter())

            bare.register_event_callback(on_preview, "CurrentPreviewSceneChanged")
            watch = Watch("obs", "127.0.0.1", obs.port, {"Bench A": "a", "Bench B": "b"}, url=obs.url,
                          password=obs.password)
            switcher = await watch.start()

            async def change(key: str) -> None:
                await director.client.emit(simpleobsws.Request("SetCurrentPreviewScene", {"sceneName": key}))

            ours, floors = await measure(changes, watch, ("Bench A", "Bench B"), change, floor)
            await switcher.close()  # type: ignore[attr-defined]
            await bare.disconnect()
        return row("OBS 29 (real, headless)", ours, floors, changes)
    finally:
        obs.close()


async def main(changes: int, with_obs: bool) -> None:
    print("| switcher: preview change → on_change | source p50 / p99 (ms) | floor p50 / p99 | samples |")
    print("|------------------------------------|-------------------|-------------------|---------|")
    for bench in (bench_vmix, bench_atem, bench_tsl) + ((bench_obs,) if with_obs else ()):
        print(await bench(changes), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--no-obs", action="store_true", help="skip OBS (needs obs-studio and xvfb-run)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.changes, not arguments.no_obs))
