"""ptzmapd benchmarks, each beside a floor measured in the same run.

Not a test: timing on shared machines is noisy, so figures are measured here and written into
the README, never asserted in pytest.

What it measures (MIDI path, real JACK server, loopback UDP):

- event → packet latency p50/p99: a MIDI CC sent into ``ptzmapd run`` (a separate process with
  a virtual JACK MIDI input) until the VISCA packet reaches a UDP "camera" here; the floor is
  a bare rtmidi callback process that sends a fixed UDP packet for every message;
- a 1 kHz CC flood for 2 s: packets per second at the camera against the configured limit,
  the smallest gap between two packets, and how long after the flood's last message (a
  release to centre) the stop is on the wire;
- idle CPU (% of one core) and RSS of both processes over the same idle window.

Run: ``make bench`` (or ``.venv/bin/python bench/run.py [--events N] [--idle SECONDS]``).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import rtmidi  # noqa: E402

from jack import ensure_jack, stop_jack  # noqa: E402
from ptzmapd.inputs.midi import quiet_c_stderr  # noqa: E402

HOST = "127.0.0.2"
#: Linux's SO_TIMESTAMPNS (Python's socket module does not name it).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
MIN_INTERVAL = 0.05
PAN_STOP = bytes.fromhex("81 01 06 01 01 01 03 03 FF")

FLOOR = textwrap.dedent(
    """
    # The floor: the least a Python program does to turn a MIDI message into a packet.
    import socket, sys, time, rtmidi
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = (sys.argv[1], int(sys.argv[2]))
    packet = bytes.fromhex("81 01 06 01 18 14 02 03 FF")
    midi = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "bench floor")
    midi.set_callback(lambda message, data=None: sock.sendto(packet, target))
    midi.open_virtual_port("bench floor in")
    print("ready", flush=True)
    while True:
        time.sleep(3600)
    """
)

CONFIG = """\
cameras:
  bench:
    protocol: visca-udp
    host: {host}
    port: {port}
    min_interval: {interval}
inputs:
  desk:
    type: midi
    virtual: "bench ptzmapd in"
    api: jack
bindings:
  - {{input: desk, cc: 0, action: pan}}
"""


def wall() -> float:
    """Send times on the clock the kernel stamps received datagrams with (CLOCK_REALTIME)."""
    return time.time()


class Camera:
    """A UDP camera that records arrival times and answers like raw VISCA (ACK, completion).

    Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), not the time this
    thread got round to reading: the flood loop in this process holds the GIL, and a thread's
    own clock reading would add up to 5 ms of its own jitter to every figure.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.packets: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, ancillary, _, peer = self.sock.recvmsg(256, 1024)
            except socket.timeout:
                continue
            now = wall()
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", payload[:16])
                    now = seconds + nanoseconds / 1e9
            with self.lock:
                self.packets.append((now, data))
            if data[:1] == b"\x81":
                self.sock.sendto(b"\x90\x41\xff", peer)
                self.sock.sendto(b"\x90\x51\xff", peer)

    def clear(self) -> None:
        with self.lock:
            self.packets.clear()

    def wait_count(self, count: int, timeout: float = 1.0) -> float | None:
        deadline = wall() + timeout
        while wall() < deadline:
            with self.lock:
                if len(self.packets) >= count:
                    return self.packets[count - 1][0]
            time.sleep(0.0002)
        return None

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def connect(name_part: str) -> rtmidi.MidiOut:
    with quiet_c_stderr():
        out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "bench player")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ports = out.get_ports()
        for index, name in enumerate(ports):
            if name_part in name:
                out.open_port(index)
                return out
        time.sleep(0.1)
    raise RuntimeError(f"no MIDI port with {name_part!r} (have {out.get_ports()})")


def latency(out: rtmidi.MidiOut, camera: Camera, events: int) -> list[float]:
    """Send CCs far enough apart that each one goes out at once; time each to its packet."""
    samples: list[float] = []
    camera.clear()
    time.sleep(0.3)
    camera.clear()
    rng = random.Random(1)
    value = 64
    for _ in range(events):
        value = 127 if value != 127 else 10  # a new speed each time, so every event is a packet
        before = len(camera.packets)
        sent = wall()
        out.send_message([0xB0, 0, value])
        arrived = camera.wait_count(before + 1)
        if arrived is not None:
            samples.append((arrived - sent) * 1000)
        time.sleep(MIN_INTERVAL + 0.01 + rng.random() * 0.03)
    return samples


def flood(out: rtmidi.MidiOut, camera: Camera, seconds: float = 2.0) -> dict[str, float]:
    time.sleep(0.2)
    camera.clear()
    start = time.monotonic()
    count = 0
    while time.monotonic() - start < seconds:
        out.send_message([0xB0, 0, 65 + (count % 62)])  # always moving, new value every ms
        count += 1
        next_at = start + count * 0.001
        while time.monotonic() < next_at:
            pass
    released = wall()
    out.send_message([0xB0, 0, 64])  # the hand lets go
    time.sleep(0.5)
    with camera.lock:
        packets = list(camera.packets)
    during = [t for t, _ in packets if t <= released]
    stops = [t for t, data in packets if data == PAN_STOP and t > released]
    gaps = [b - a for (a, _), (b, _) in zip(packets, packets[1:])]
    return {
        "messages": count,
        "packets_per_s": len(during) / seconds,
        "min_gap_ms": min(gaps) * 1000 if gaps else float("nan"),
        "release_to_stop_ms": (stops[0] - released) * 1000 if stops else float("nan"),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()

    jack = ensure_jack()
    camera = Camera()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-"))
    config = folder / "bench.yaml"
    config.write_text(CONFIG.format(host=HOST, port=camera.port, interval=MIN_INTERVAL))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    floor = subprocess.Popen([sys.executable, "-c", FLOOR, HOST, str(camera.port)], stdout=subprocess.PIPE, env=env)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(config)], env=env, cwd=ROOT
    )
    try:
        assert floor.stdout is not None
        floor.stdout.readline()
        floor_out = connect("bench floor in")
        daemon_out = connect("bench ptzmapd in")
        time.sleep(1.0)  # the daemon's opening stops

        # Idle first, both processes side by side over the same window.
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in (floor, daemon)}
        time.sleep(args.idle)
        idle = {p.pid: (cpu_seconds(p.pid) - cpu0[p.pid]) / args.idle * 100 for p in (floor, daemon)}

        floor_lat = latency(floor_out, camera, args.events)
        daemon_lat = latency(daemon_out, camera, args.events)
        flood_stats = flood(daemon_out, camera)
        rss = {p.pid: rss_mb(p.pid) for p in (floor, daemon)}
    finally:
        for process in (floor, daemon):
            process.terminate()
            process.wait(timeout=5)
        camera.close()
        stop_jack(jack)

    fp99, dp99 = pct(floor_lat, 0.99), pct(daemon_lat, 0.99)
    target = 2 * fp99 + 1
    rows = [
        ("MIDI → packet p50 (ms)", f"{pct(daemon_lat, 0.5):.2f}", f"{pct(floor_lat, 0.5):.2f}", ""),
        ("MIDI → packet p99 (ms)", f"{dp99:.2f}", f"{fp99:.2f}", f"≤ {target:.2f} {'✓' if dp99 <= target else '✗'}"),
        ("samples", f"{len(daemon_lat)}/{args.events}", f"{len(floor_lat)}/{args.events}", ""),
        ("1 kHz flood: packets/s", f"{flood_stats['packets_per_s']:.1f}", "", f"≤ {1 / MIN_INTERVAL:.0f} "
         f"{'✓' if flood_stats['packets_per_s'] <= 1 / MIN_INTERVAL + 0.5 else '✗'}"),
        ("flood: smallest gap (ms)", f"{flood_stats['min_gap_ms']:.1f}", "", f"≥ {MIN_INTERVAL * 1000:.0f} "
         f"{'✓' if flood_stats['min_gap_ms'] >= MIN_INTERVAL * 1000 - 0.5 else '✗'}"),
        ("release → stop (ms)", f"{flood_stats['release_to_stop_ms']:.1f}", "", f"≤ {MIN_INTERVAL * 1000:.0f} "
         f"{'✓' if flood_stats['release_to_stop_ms'] <= MIN_INTERVAL * 1000 else '✗'}"),
        ("idle CPU (% of a core)", f"{idle[daemon.pid]:.2f}", f"{idle[floor.pid]:.2f}",
         f"≤ {idle[floor.pid] + 0.5:.2f} {'✓' if idle[daemon.pid] <= idle[floor.pid] + 0.5 else '✗'}"),
        ("RSS (MB)", f"{rss[daemon.pid]:.1f}", f"{rss[floor.pid]:.1f}", ""),
    ]
    print(f"\nptzmapd bench — JACK dummy 48 kHz/64, loopback UDP, min_interval {MIN_INTERVAL * 1000:.0f} ms, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(f"| {'measure':<26} | {'ptzmapd':>10} | {'floor':>8} | {'target':<14} |")
    print(f"|{'-' * 28}|{'-' * 12}|{'-' * 10}|{'-' * 16}|")
    for name, ours, base, goal in rows:
        print(f"| {name:<26} | {ours:>10} | {base:>8} | {goal:<14} |")
    print(f"\nflood: {flood_stats['messages']:.0f} CC messages in 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
