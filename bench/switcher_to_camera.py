"""Switcher → camera latency: how long after a change on the switcher its effect is on the wire.

Not a test (timing on shared machines is noisy): figures for the README. ``ptzmapd run`` runs
in its own process with two UDP "cameras" of this process (``bench/run.py``'s, which stamp
arrivals with the kernel's receive time and answer like raw VISCA) and a virtual JACK MIDI
input; the switcher is a real OBS Studio (headless, ``tests/obs.py``) and the simulated vMix.
A second client (the bench itself, as an operator's remote would) changes the switcher:

- **change → tally bytes**: the program scene/input goes to one camera's source, until that
  camera's red-lamp command (``81 0A 02 02 02 FF``) arrives;
- **change → first motion to the new preview camera**: a fader is held (CC 0 at full) on
  ``selected`` with ``follow: preview`` and ``carry: true``; the preview goes to the other
  camera's source, until that camera's first pan command arrives.

Each figure is p50/p99 over ``--changes`` changes. Run: ``.venv/bin/python bench/switcher_to_camera.py``
(``--no-obs`` for the vMix simulator alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from run import HOST, ROOT, Camera, connect, pct, wall  # bench/run.py: the same cameras and clock

from jack import ensure_jack, stop_jack  # noqa: E402  (tests/, put on the path by run)

TALLY_ON = bytes.fromhex("81 0A 02 02 02 FF")
PAN_RIGHT = (bytes.fromhex("81 01 06 01"), bytes.fromhex("02 03 FF"))


def config(cameras: list[Camera], virtual: str, switcher: str) -> str:
    return (
        "cameras:\n"
        + "".join(f"  cam{n}: {{protocol: visca-udp, host: {HOST}, port: {c.port}, tally: ptzoptics}}\n"
                  for n, c in enumerate(cameras, 1))
        + f"inputs:\n  desk: {{type: midi, virtual: \"{virtual}\", api: jack}}\n"
        + f"switchers:\n  vision:\n{switcher}    follow: preview\n    carry: true\n"
        + "bindings:\n  - {input: desk, cc: 0, action: pan}\n"
    )


class Loop:
    """An asyncio loop in a thread: the simulated vMix and the OBS remote live there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def do(self, work: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(work(), self.loop).result(timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def first(camera: Camera, after: int, match: Callable[[bytes], bool], timeout: float = 3.0) -> float | None:
    """Arrival time of the first packet from index ``after`` on that ``match``es."""
    deadline = wall() + timeout
    while wall() < deadline:
        with camera.lock:
            for arrival, data in camera.packets[after:]:
                if match(data):
                    return arrival
        time.sleep(0.0002)
    return None


def measure(cameras: list[Camera], change: Callable[[int], None], what: Callable[[bytes], bool],
            changes: int) -> list[float]:
    """Alternate a change between camera 1 and 2; ms from the change to the matching packet."""
    samples: list[float] = []
    for index in range(changes):
        target = (index + 1) % 2  # camera 2 first: camera 1 is where each phase starts
        before = len(cameras[target].packets)
        sent = wall()
        change(target + 1)
        arrival = first(cameras[target], before, what)
        if arrival is not None:
            samples.append((arrival - sent) * 1000)
        time.sleep(0.15)
    return samples


def is_pan_right(data: bytes) -> bool:
    return data.startswith(PAN_RIGHT[0]) and data.endswith(PAN_RIGHT[1])


def run_daemon(folder: Path, name: str, text: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Any]:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    process = subprocess.Popen([sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(path),
                                "--no-status-socket"], env=env, cwd=ROOT)
    out = connect(f"bench {name} in")
    time.sleep(1.5)  # the opening stops, the switcher connected
    return process, out


def bench(label: str, loop: Loop, folder: Path, env: dict[str, str], switcher: str,
          program: Callable[[int], None], preview: Callable[[int], None], changes: int) -> dict[str, list[float]]:
    """``program(n)``/``preview(n)`` put camera n's source on that bus; ``program(0)`` a source
    of no camera (a camera on both buses is on program only, as vMix's tally says)."""
    cameras = [Camera(), Camera()]
    process, out = run_daemon(folder, label, config(cameras, f"bench {label} in", switcher), env)
    try:
        tally = measure(cameras, program, lambda data: data == TALLY_ON, changes)
        program(0)
        preview(1)  # cam1 on preview, selected; the fader held at full moves it
        time.sleep(0.5)
        out.send_message([0xB0, 0, 127])
        time.sleep(0.5)
        motion = measure(cameras, preview, is_pan_right, changes)
        out.send_message([0xB0, 0, 64])
        return {"change → tally bytes": tally, "change → first motion on new preview": motion}
    finally:
        out.close_port()
        process.terminate()
        process.wait(timeout=10)
        for camera in cameras:
            camera.close()


def report(label: str, figures: dict[str, list[float]], changes: int) -> None:
    for what, samples in figures.items():
        print(f"{label:<14} {what:<40} p50 {pct(samples, 0.5):6.1f} ms  p99 {pct(samples, 0.99):6.1f} ms"
              f"  ({len(samples)}/{changes})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--no-obs", action="store_true")
    args = parser.parse_args()
    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-switch-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    loop = Loop()
    try:
        from ptzmapd.simulators.vmix import start

        sim = loop.do(lambda: start("vmix", host=HOST, port=0, log=lambda line: None, inputs=3, drive="still"))
        vmix = f"    type: vmix\n    host: {HOST}\n    port: {sim.port}\n    sources: {{\"1\": cam1, \"2\": cam2}}\n"
        figures = bench("vmix-sim", loop, folder, env, vmix,
                        lambda n: loop.loop.call_soon_threadsafe(sim.mixer.set_program, n or 3),  # 3: no camera
                        lambda n: loop.loop.call_soon_threadsafe(sim.mixer.set_preview, n), args.changes)
        report("vMix (sim)", figures, args.changes)
        loop.do(sim.close)
        if not args.no_obs:
            report("OBS", bench_obs(loop, folder, env, args.changes), args.changes)
    finally:
        loop.close()
        stop_jack(jack)
    return 0


def bench_obs(loop: Loop, folder: Path, env: dict[str, str], changes: int) -> dict[str, list[float]]:
    from obs import Director, Obs

    server = Obs()
    server.start()
    director = Director(server)
    try:
        loop.do(director.__aenter__)

        async def scenes() -> None:
            for scene in ("Cam 1", "Cam 2", "Wide"):
                await director.scene(scene)
            await director.reset("Wide")
            await director.call("SetStudioModeEnabled", studioModeEnabled=True)
            await director.call("SetCurrentSceneTransition", transitionName="Cut")

        loop.do(scenes)
        obs = (f"    type: obs\n    url: {server.url}\n    password_env: BENCH_OBS_PASSWORD\n"
               "    sources: {Cam 1: cam1, Cam 2: cam2}\n")

        def program(n: int) -> None:
            scene = f"Cam {n}" if n else "Wide"
            asyncio.run_coroutine_threadsafe(director.call("SetCurrentProgramScene", sceneName=scene), loop.loop)

        def preview(n: int) -> None:
            asyncio.run_coroutine_threadsafe(director.call("SetCurrentPreviewScene", sceneName=f"Cam {n}"), loop.loop)

        figures = bench("obs", loop, folder, dict(env, BENCH_OBS_PASSWORD=server.password), obs,
                        program, preview, changes)
        loop.do(lambda: director.__aexit__(None, None, None))
        return figures
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
