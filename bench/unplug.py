"""Unplug → stop on the wire: a MIDI controller vanishing mid-pan (issue 9, item 3).

Not a test: figures go in the README. ``ptzmapd run`` follows a device port by glob (``port:``)
on a real JACK server and pans a loopback ``visca-udp`` camera from its fader. The device is a
process of its own with a JACK MIDI port; each round it plugs in, pans, and is unplugged (its
port unregistered) while the camera moves. Measured: from just before the port is closed until
the pan's stop reaches the camera (kernel receive timestamps), p50/p99 over the rounds.

Beside it, idle CPU: the daemon following its (idle) device against the floor of
``bench/run.py`` (a bare rtmidi callback client), over the same window.

ALSA cannot be measured here: these machines have no ALSA sequencer (no snd-seq module). On
ALSA the daemon hears System:Announce on its loop (ptzmapd/inputs/midi/alsa_ports.py).

Run: ``.venv/bin/python bench/unplug.py [--rounds N] [--idle SECONDS]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import FLOOR, HOST, MIN_INTERVAL, ROOT, Camera, cpu_seconds, pct  # noqa: E402

from jack import ensure_jack, stop_jack  # noqa: E402

DEVICE = textwrap.dedent(
    """
    # A MIDI controller that can be unplugged: its port comes and goes on command.
    import sys, time, rtmidi
    out = None
    for line in sys.stdin:
        command = line.strip()
        if command == "plug":
            out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "bench unplug desk")
            out.open_virtual_port("fader")
        elif command == "pan":
            out.send_message([0xB0, 0, 127])
        elif command == "unplug":
            before = time.time()
            out.close_port()
            print(repr(before), flush=True)
            time.sleep(0.05)
            out.delete()
            continue
        print("ok", flush=True)
    """
)


def is_pan_stop(packet: bytes) -> bool:
    # VISCA Pan-tiltDrive with direction bytes 03 03 (stop), whatever the speeds.
    return len(packet) == 9 and packet[:4] == b"\x81\x01\x06\x01" and packet[6:8] == b"\x03\x03"


def is_pan_right(packet: bytes) -> bool:
    return len(packet) == 9 and packet[:4] == b"\x81\x01\x06\x01" and packet[6:8] == b"\x02\x03"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()

    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-unplug-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    camera = Camera()
    config = folder / "unplug.yaml"
    config.write_text(
        f"cameras:\n  cam: {{protocol: visca-udp, host: {HOST}, port: {camera.port}, min_interval: {MIN_INTERVAL}}}\n"
        "inputs:\n  desk: {type: midi, port: \"bench unplug desk:fader\", api: jack}\n"
        "bindings:\n  - {input: desk, cc: 0, action: pan, camera: cam}\n"
    )
    processes: list[subprocess.Popen[str]] = []

    def start(argv: list[str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        processes.append(process)
        return process

    def say(device: subprocess.Popen[str], command: str) -> str:
        assert device.stdin is not None and device.stdout is not None
        device.stdin.write(command + "\n")
        device.stdin.flush()
        return device.stdout.readline().strip()

    samples: list[float] = []
    missed = 0
    try:
        floor_camera = Camera()
        floor = start([sys.executable, "-c", FLOOR, HOST, str(floor_camera.port)])
        assert floor.stdout is not None
        floor.stdout.readline()
        device = start([sys.executable, "-c", DEVICE])
        say(device, "plug")
        daemon = start([sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(config), "--no-status-socket"])
        time.sleep(2.0)  # connected, opening stops sent

        pids = (floor.pid, daemon.pid)
        cpu0 = {pid: cpu_seconds(pid) for pid in pids}
        time.sleep(args.idle)
        idle = {pid: (cpu_seconds(pid) - cpu0[pid]) / args.idle * 100 for pid in pids}

        for round_number in range(args.rounds):
            if round_number:
                say(device, "plug")
            # Pan until the camera moves: the daemon has found the port again.
            deadline = time.monotonic() + 5
            moving = False
            while not moving and time.monotonic() < deadline:
                camera.clear()
                say(device, "pan")
                end = time.monotonic() + 0.2
                while not moving and time.monotonic() < end:
                    with camera.lock:
                        moving = any(is_pan_right(data) for _, data in camera.packets)
                    time.sleep(0.002)
            if not moving:
                missed += 1
                say(device, "unplug")
                continue
            time.sleep(0.1 + 0.1 * (round_number % 5) / 5)  # mid-pan, off the poll's beat
            camera.clear()
            unplugged = float(say(device, "unplug"))
            stopped = None
            deadline = time.monotonic() + 3
            while stopped is None and time.monotonic() < deadline:
                with camera.lock:
                    stopped = next((at for at, data in camera.packets if is_pan_stop(data)), None)
                time.sleep(0.0005)
            if stopped is None:
                missed += 1
            else:
                samples.append((stopped - unplugged) * 1000)
        floor_camera.close()
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        camera.close()
        stop_jack(jack)

    floor_idle, daemon_idle = idle[pids[0]], idle[pids[1]]
    print(f"\nptzmapd unplug bench — JACK dummy 48 kHz/64, visca-udp min_interval {MIN_INTERVAL * 1000:.0f} ms, "
          f"{args.rounds} rounds, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| measure | ptzmapd | floor | target |")
    print("|---|---|---|---|")
    print(f"| unplug → stop on the wire p50 (ms) | {pct(samples, 0.5):.1f} | | |")
    p99 = pct(samples, 0.99)
    print(f"| unplug → stop on the wire p99 (ms) | {p99:.1f} | | ≤ 100 {'✓' if p99 <= 100 else '✗'} |")
    print(f"| rounds measured | {len(samples)}/{args.rounds} | | |")
    print(f"| idle CPU, device connected (% of a core) | {daemon_idle:.2f} | {floor_idle:.2f} | "
          f"≤ {floor_idle + 0.5:.2f} {'✓' if daemon_idle <= floor_idle + 0.5 else '✗'} |")
    print(f"\nslowest rounds (ms): {', '.join(f'{v:.1f}' for v in sorted(samples)[-5:])}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
