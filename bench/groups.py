"""Two operators at once: two selection groups driving two cameras (issue 14).

Not a test: figures go in the README. ``ptzmapd run`` (a process of its own) reads two virtual
JACK MIDI inputs, each in its own selection group (``group: a`` / ``group: b``), each panning
the camera its group selected on a loopback ``visca-udp`` camera of its own. Two players (one
thread each) send CCs at the same time, each at random gaps; every event is timed until its
packet reaches its camera (kernel receive timestamps). The baseline is one group alone: a
daemon with one input and no ``group:``, one player, one camera, in the same run.

Measured: event → packet p50/p99 per camera with both groups playing, against the single
group's p99. The MIDI → packet path of each event is the same (one dict lookup for the group
on the way); what two groups add is the other operator's traffic in the same loop.

Run: ``.venv/bin/python bench/groups.py [--events N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HOST, MIN_INTERVAL, ROOT, Camera, connect, latency, pct  # noqa: E402

from jack import ensure_jack, stop_jack  # noqa: E402


def config(ports: list[int], groups: bool) -> str:
    """One camera per port; with ``groups``, input ``opN`` in group ``gN`` has selected camera N."""
    cameras = "".join(
        f"  cam{index}: {{protocol: visca-udp, host: {HOST}, port: {port}, min_interval: {MIN_INTERVAL}}}\n"
        for index, port in enumerate(ports)
    )
    inputs, bindings = "", ""
    for index in range(len(ports) if groups else 1):
        group = f", group: g{index}" if groups else ""
        inputs += f"  op{index}: {{type: midi, virtual: \"bench groups op{index}\", api: jack{group}}}\n"
        bindings += (f"  - {{input: op{index}, cc: 0, action: pan}}\n"
                     f"  - {{input: op{index}, note: 1, action: select, camera: cam{index}}}\n")
    return f"cameras:\n{cameras}inputs:\n{inputs}bindings:\n{bindings}"


class Daemon:
    def __init__(self, folder: Path, name: str, cameras: list[Camera], groups: bool, env: dict[str, str]) -> None:
        path = folder / f"{name}.yaml"
        path.write_text(config([camera.port for camera in cameras], groups))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(path), "--no-status-socket"], env=env, cwd=ROOT,
        )
        self.outs = [connect(f"bench groups op{index}") for index in range(len(cameras) if groups else 1)]
        time.sleep(1.0)  # the opening stops
        for out in self.outs:
            out.send_message([0x90, 1, 127])  # each operator selects its own camera
            out.send_message([0x80, 1, 0])
        time.sleep(0.3)

    def stop(self) -> None:
        for out in self.outs:
            out.close_port()
        self.process.terminate()
        self.process.wait(timeout=5)


def together(outs: list, cameras: list[Camera], events: int) -> list[list[float]]:  # type: ignore[type-arg]
    """Every player sends at once, each to its own camera: the samples of each."""
    results: list[list[float]] = [[] for _ in outs]

    def play(index: int) -> None:
        results[index] = latency(outs[index], [cameras[index]], events)

    threads = [threading.Thread(target=play, args=(index,)) for index in range(len(outs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()

    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-groups-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    opened: list[Camera] = []
    running: list[Daemon] = []
    try:
        single_cameras = [Camera()]
        opened += single_cameras
        single = Daemon(folder, "single", single_cameras, False, env)
        running.append(single)
        single_lat = latency(single.outs[0], single_cameras, args.events)
        single.stop()
        running.remove(single)

        pair_cameras = [Camera(), Camera()]
        opened += pair_cameras
        pair = Daemon(folder, "pair", pair_cameras, True, env)
        running.append(pair)
        pair_lat = together(pair.outs, pair_cameras, args.events)
        pair.stop()
        running.remove(pair)
    finally:
        for daemon in running:
            daemon.stop()
        for camera in opened:
            camera.close()
        stop_jack(jack)

    base = pct(single_lat, 0.99)
    target = base + 1
    print(f"\nptzmapd bench — two selection groups at once; JACK dummy, loopback UDP, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}\n")
    print(f"| {'measure':<36} | {'p50 (ms)':>8} | {'p99 (ms)':>8} | {'samples':>9} | {'target':<14} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 16}|")
    print(f"| {'one group, one camera':<36} | {pct(single_lat, 0.5):>8.2f} | {base:>8.2f} | "
          f"{len(single_lat):>4}/{args.events:<4} | {'baseline':<14} |")
    for index, samples in enumerate(pair_lat):
        p99 = pct(samples, 0.99)
        verdict = f"≤ {target:.2f} {'✓' if p99 <= target else '✗'}"
        print(f"| {f'two groups at once: camera {index}':<36} | {pct(samples, 0.5):>8.2f} | {p99:>8.2f} | "
              f"{len(samples):>4}/{args.events:<4} | {verdict:<14} |")
    print("\ntarget: each camera's p99 with both groups playing within 1 ms of the single group's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
