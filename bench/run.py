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
- idle CPU (% of one core) and RSS of both processes over the same idle window (the daemon
  with its network API on; then once more with a WebSocket client connected);
- HTTP request → packet and WebSocket move → packet p50/p99 against the same daemon
  (``bench/api_senders.py``), beside its MIDI figures.

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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import rtmidi  # noqa: E402

from api_senders import HttpSender, WebSocketSender, api_section  # noqa: E402
from jack import ensure_jack, stop_jack  # noqa: E402
from ptzmapd.inputs.midi.api import quiet_c_stderr  # noqa: E402

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

def daemon_config(ports: list[int], virtual: str, api_port: int | None = None) -> str:
    """A config with one visca-udp camera per port, all panned by CC 0 (and the network API
    on ``api_port``, if given)."""
    cameras = "".join(
        f"  cam{index}: {{protocol: visca-udp, host: {HOST}, port: {port}, min_interval: {MIN_INTERVAL}}}\n"
        for index, port in enumerate(ports)
    )
    return (
        f"cameras:\n{cameras}"
        f"inputs:\n  desk: {{type: midi, virtual: \"{virtual}\", api: jack}}\n"
        "bindings:\n  - {input: desk, cc: 0, action: pan, camera: all}\n"
        + (api_section(api_port) if api_port is not None else "")
    )


def wall() -> float:
    """Send times on the clock the kernel stamps received datagrams with (CLOCK_REALTIME)."""
    return time.time()


class Camera:
    """A UDP camera that records arrival times and answers like raw VISCA (ACK, completion).

    Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), not the time this
    thread got round to reading: the flood loop in this process holds the GIL, and a thread's
    own clock reading would add up to 5 ms of its own jitter to every figure.
    """

    def __init__(self, silent: bool = False) -> None:
        self.silent = silent
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
            if data[:1] == b"\x81" and not self.silent:
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


def cc0(out: rtmidi.MidiOut) -> Callable[[int], None]:
    """A sender of CC 0 with a value, on a MIDI output."""
    return lambda value: out.send_message([0xB0, 0, value])


def latency(send: Callable[[int], None], cameras: list[Camera], events: int) -> list[float]:
    """Send a value (CC 0's, or the API's speed for it) far enough apart that each one goes
    out at once; time each until the packet is at every listed camera (the slowest of them
    counts)."""
    samples: list[float] = []
    time.sleep(0.3)
    for camera in cameras:
        camera.clear()
    rng = random.Random(1)
    value = 64
    for _ in range(events):
        value = 127 if value != 127 else 10  # a new speed each time, so every event is a packet
        before = [len(camera.packets) for camera in cameras]
        sent = wall()
        send(value)
        arrivals = [camera.wait_count(count + 1) for camera, count in zip(cameras, before)]
        if all(arrival is not None for arrival in arrivals):
            samples.append((max(arrivals) - sent) * 1000)  # type: ignore[type-var]
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


class Daemon:
    """``ptzmapd run`` in its own process, fed by a virtual JACK MIDI port."""

    def __init__(self, folder: Path, name: str, cameras: list[Camera], env: dict[str, str], api_port: int | None = None) -> None:
        self.cameras = cameras
        config = folder / f"{name}.yaml"
        virtual = f"bench {name} in"
        config.write_text(daemon_config([camera.port for camera in cameras], virtual, api_port))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(config), "--no-status-socket"],
            env=env, cwd=ROOT,
        )
        self.out = connect(virtual)
        time.sleep(1.0)  # the opening stops

    def stop(self) -> None:
        self.out.close_port()
        self.process.terminate()
        self.process.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()

    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    opened: list[Camera] = []
    running: list[Daemon] = []

    def cameras(count: int, silent: int = 0) -> list[Camera]:
        made = [Camera(silent=index < silent) for index in range(count)]
        opened.extend(made)
        return made

    try:
        floor_camera = cameras(1)[0]
        floor = subprocess.Popen([sys.executable, "-c", FLOOR, HOST, str(floor_camera.port)],
                                 stdout=subprocess.PIPE, env=env)
        assert floor.stdout is not None
        floor.stdout.readline()
        floor_out = connect("bench floor in")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            api_port = probe.getsockname()[1]
        single = Daemon(folder, "single", cameras(1), env, api_port)
        running.append(single)

        # Idle first, both processes side by side over the same window.
        pids = (floor.pid, single.process.pid)
        cpu0 = {pid: cpu_seconds(pid) for pid in pids}
        time.sleep(args.idle)
        idle = {pid: (cpu_seconds(pid) - cpu0[pid]) / args.idle * 100 for pid in pids}
        rss = {pid: rss_mb(pid) for pid in pids}

        floor_lat = latency(cc0(floor_out), [floor_camera], args.events)
        single_lat = latency(cc0(single.out), single.cameras, args.events)
        single.out.send_message([0xB0, 0, 64])  # the fader back to centre: the API drives alone
        http = HttpSender(api_port, "cam0")
        http_lat = latency(http, single.cameras, args.events)
        http(64)
        http.close()
        ws = WebSocketSender(api_port, "cam0")
        ws_lat = latency(ws, single.cameras, args.events)
        ws(64)
        ws_idle_window = max(5.0, args.idle / 3)
        cpu0_ws = cpu_seconds(single.process.pid)
        time.sleep(ws_idle_window)
        idle_ws = (cpu_seconds(single.process.pid) - cpu0_ws) / ws_idle_window * 100
        ws.close()
        flood_stats = flood(single.out, single.cameras[0])
        single.stop()
        running.remove(single)

        sixteen = Daemon(folder, "sixteen", cameras(16), env)
        running.append(sixteen)
        sixteen_lat = latency(cc0(sixteen.out), sixteen.cameras, args.events // 2)
        sixteen_flood = [flood(sixteen.out, sixteen.cameras[0], seconds=1.0)]
        sixteen.stop()
        running.remove(sixteen)

        beside = Daemon(folder, "silent", cameras(2, silent=1), env)
        running.append(beside)
        time.sleep(1.0)  # let the silent one go offline
        beside_lat = latency(cc0(beside.out), beside.cameras[1:], args.events)
        beside.stop()
        running.remove(beside)
        floor.terminate()
        floor.wait(timeout=5)
    finally:
        for daemon in running:
            daemon.stop()
        for camera in opened:
            camera.close()
        stop_jack(jack)

    fp99, dp99 = pct(floor_lat, 0.99), pct(single_lat, 0.99)
    target = 2 * fp99 + 1
    sp99, bp99 = pct(sixteen_lat, 0.99), pct(beside_lat, 0.99)
    rows = [
        ("MIDI → packet p50 (ms)", f"{pct(single_lat, 0.5):.2f}", f"{pct(floor_lat, 0.5):.2f}", ""),
        ("MIDI → packet p99 (ms)", f"{dp99:.2f}", f"{fp99:.2f}", f"≤ {target:.2f} {'✓' if dp99 <= target else '✗'}"),
        ("samples", f"{len(single_lat)}/{args.events}", f"{len(floor_lat)}/{args.events}", ""),
        ("HTTP request → packet p50 (ms)", f"{pct(http_lat, 0.5):.2f}", f"{pct(single_lat, 0.5):.2f}", ""),
        ("HTTP request → packet p99 (ms)", f"{pct(http_lat, 0.99):.2f}", f"{dp99:.2f}", f"{len(http_lat)}/{args.events} samples"),
        ("WebSocket move → packet p50 (ms)", f"{pct(ws_lat, 0.5):.2f}", f"{pct(single_lat, 0.5):.2f}", ""),
        ("WebSocket move → packet p99 (ms)", f"{pct(ws_lat, 0.99):.2f}", f"{dp99:.2f}", f"{len(ws_lat)}/{args.events} samples"),
        ("1 kHz flood: packets/s", f"{flood_stats['packets_per_s']:.1f}", "", f"≤ {1 / MIN_INTERVAL:.0f} "
         f"{'✓' if flood_stats['packets_per_s'] <= 1 / MIN_INTERVAL + 0.5 else '✗'}"),
        ("flood: smallest gap (ms)", f"{flood_stats['min_gap_ms']:.1f}", "", f"≥ {MIN_INTERVAL * 1000:.0f} "
         f"{'✓' if flood_stats['min_gap_ms'] >= MIN_INTERVAL * 1000 - 0.5 else '✗'}"),
        ("release → stop (ms)", f"{flood_stats['release_to_stop_ms']:.1f}", "", f"≤ {MIN_INTERVAL * 1000:.0f} "
         f"{'✓' if flood_stats['release_to_stop_ms'] <= MIN_INTERVAL * 1000 else '✗'}"),
        ("16 cameras: event → all p50 (ms)", f"{pct(sixteen_lat, 0.5):.2f}", "", ""),
        ("16 cameras: event → all p99 (ms)", f"{sp99:.2f}", "", ""),
        ("16 cameras: flood packets/s", f"{sixteen_flood[0]['packets_per_s']:.1f}", "",
         f"≤ {1 / MIN_INTERVAL:.0f} {'✓' if sixteen_flood[0]['packets_per_s'] <= 1 / MIN_INTERVAL + 0.5 else '✗'}"),
        ("beside a silent camera p99 (ms)", f"{bp99:.2f}", f"{dp99:.2f}",
         f"≤ {dp99 + 2:.2f} {'✓' if bp99 <= dp99 + 2 else '✗'}"),
        ("idle CPU, API on (% of a core)", f"{idle[pids[1]]:.2f}", f"{idle[pids[0]]:.2f}",
         f"≤ {idle[pids[0]] + 0.5:.2f} {'✓' if idle[pids[1]] <= idle[pids[0]] + 0.5 else '✗'}"),
        ("idle CPU, a WebSocket open (%)", f"{idle_ws:.2f}", f"{idle[pids[0]]:.2f}", ""),
        ("RSS (MB)", f"{rss[pids[1]]:.1f}", f"{rss[pids[0]]:.1f}",
         f"≤ {rss[pids[0]] + 60:.0f} {'✓' if rss[pids[1]] <= rss[pids[0]] + 60 else '✗'}"),
    ]
    print(f"\nptzmapd bench — JACK dummy 48 kHz/64, loopback UDP, min_interval {MIN_INTERVAL * 1000:.0f} ms, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(f"| {'measure':<34} | {'ptzmapd':>10} | {'floor':>8} | {'target':<14} |")
    print(f"|{'-' * 36}|{'-' * 12}|{'-' * 10}|{'-' * 16}|")
    for name, ours, base, goal in rows:
        print(f"| {name:<34} | {ours:>10} | {base:>8} | {goal:<14} |")
    print(f"\nflood: {flood_stats['messages']:.0f} CC messages in 2 s; 16-camera flood 1 s; "
          f"the silent-camera row's floor column is the single-camera p99 of this run; the HTTP and "
          f"WebSocket rows' floor column is the MIDI path of the same daemon")
    return 0


if __name__ == "__main__":
    sys.exit(main())
