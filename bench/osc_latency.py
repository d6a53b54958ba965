"""OSC → packet latency p50/p99 beside the MIDI path of the same run, and idle CPU with the
OSC input, the OSC API and MQTT on.

One ``ptzmapd run`` process (real JACK, loopback UDP camera as in ``bench/run.py``) with a
virtual MIDI input, an OSC input (``type: osc``) and the OSC API (``api.osc``), and MQTT to a
real Mosquitto when the machine has one. Each path is timed from the moment the sender hands
its message to the kernel until the VISCA packet reaches the camera (kernel receive stamps):

- MIDI CC 0 → pan (the existing path, for comparison in this run);
- OSC input: ``/1/fader1 f`` from python-osc's client → pan;
- OSC API: ``/ptzmapd/cam0/pan f`` from python-osc's client → pan;

then both OSC paths again on a second daemon with OSC alone (no JACK client, whose thread
wakes the process 750 times a second), beside two floors: a bare rtmidi callback that sends a
fixed packet (``bench/run.py``'s), and a bare UDP loop that sends a fixed packet for every
datagram (the least a Python program does to turn an OSC message into a packet). Idle CPU and
RSS: both floors and both daemons over the same window, the first with MQTT connected (its
keepalive and state look included).

    .venv/bin/python bench/osc_latency.py [--events 300] [--idle 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from api_senders import speed  # noqa: E402
from run import FLOOR, HOST, MIN_INTERVAL, ROOT, Camera, cc0, connect, cpu_seconds, latency, pct, rss_mb  # noqa: E402
from jack import ensure_jack, stop_jack  # noqa: E402

OSC_FLOOR = textwrap.dedent(
    """
    # The OSC floor: a datagram in, a fixed packet out, nothing else.
    import socket, sys
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = (sys.argv[1], int(sys.argv[2]))
    packet = bytes.fromhex("81 01 06 01 18 14 02 03 FF")
    print(sock.getsockname()[1], flush=True)
    while True:
        sock.recv(2048)
        out.sendto(packet, target)
    """
)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def osc_config(camera: Camera, osc_in: int, osc_api: int, extra: str = "", midi: bool = False) -> str:
    """A daemon with an OSC input and the OSC API on one camera (and a MIDI input on CC 0)."""
    inputs = f"  touch: {{type: osc, listen: 127.0.0.1:{osc_in}}}\n"
    bindings = "  - {input: touch, address: /1/fader1, action: pan}\n"
    if midi:
        inputs += '  desk: {type: midi, virtual: "bench osc desk", api: jack}\n'
        bindings += "  - {input: desk, cc: 0, action: pan}\n"
    return (
        f"api: {{osc: 127.0.0.1:{osc_api}}}\n{extra}"
        f"cameras:\n  cam0: {{protocol: visca-udp, host: {HOST}, port: {camera.port}, min_interval: {MIN_INTERVAL}}}\n"
        f"inputs:\n{inputs}bindings:\n{bindings}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()

    jack = ensure_jack()
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-bench-osc-"))
    env = dict(os.environ, MIDO_BACKEND="mido.backends.rtmidi/UNIX_JACK")
    cameras = {name: Camera() for name in ("midi floor", "osc floor", "daemon", "osc only")}
    processes: list[subprocess.Popen[bytes]] = []
    mosquitto = shutil.which("mosquitto", path=os.environ.get("PATH", "") + ":/usr/sbin")

    def run_daemon(name: str, config: str) -> subprocess.Popen[bytes]:
        path = folder / f"{name}.yaml"
        path.write_text(config)
        process = subprocess.Popen(
            [sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(path), "--no-status-socket"], env=env, cwd=ROOT,
        )
        processes.append(process)
        return process

    try:
        mqtt = ""
        if mosquitto is not None:
            broker_port = free_port(socket.SOCK_STREAM)
            (folder / "mosquitto.conf").write_text(
                f"listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n")
            processes.append(subprocess.Popen([mosquitto, "-c", str(folder / "mosquitto.conf")]))
            mqtt = f"mqtt: {{broker: 127.0.0.1:{broker_port}, topic: bench/ptzmapd}}\n"
        midi_floor = subprocess.Popen([sys.executable, "-c", FLOOR, HOST, str(cameras["midi floor"].port)],
                                      stdout=subprocess.PIPE, env=env)
        osc_floor = subprocess.Popen([sys.executable, "-c", OSC_FLOOR, HOST, str(cameras["osc floor"].port)],
                                     stdout=subprocess.PIPE, env=env)
        processes += [midi_floor, osc_floor]
        assert midi_floor.stdout is not None and osc_floor.stdout is not None
        midi_floor.stdout.readline()
        osc_floor_port = int(osc_floor.stdout.readline())
        ports = [free_port(socket.SOCK_DGRAM) for _ in range(4)]
        daemon = run_daemon("full", osc_config(cameras["daemon"], ports[0], ports[1], mqtt, midi=True))
        osc_only = run_daemon("osc-only", osc_config(cameras["osc only"], ports[2], ports[3]))
        desk = connect("bench osc desk")
        midi_floor_out = connect("bench floor in")
        time.sleep(1.5)  # the opening stops, the broker connection

        pids = {"MIDI floor": midi_floor.pid, "OSC floor": osc_floor.pid, "ptzmapd": daemon.pid,
                "ptzmapd OSC only": osc_only.pid}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        time.sleep(args.idle)
        idle = {name: (cpu_seconds(pid) - cpu0[name]) / args.idle * 100 for name, pid in pids.items()}
        rss = {name: rss_mb(pid) for name, pid in pids.items()}

        touch, api, floor_sender, touch_only, api_only = (
            SimpleUDPClient("127.0.0.1", port) for port in (ports[0], ports[1], osc_floor_port, ports[2], ports[3])
        )

        # Each sender turns the bench's CC value (0..127, 64 = centre) into its own message:
        # a TouchOSC fader's 0..1, the API's speed -1..1.
        def fader(client: SimpleUDPClient) -> Callable[[int], None]:
            return lambda value: client.send_message("/1/fader1", value / 127)

        def api_pan(client: SimpleUDPClient) -> Callable[[int], None]:
            return lambda value: client.send_message("/ptzmapd/cam0/pan", speed(value))

        floor_midi = latency(cc0(midi_floor_out), [cameras["midi floor"]], args.events)
        floor_osc = latency(fader(floor_sender), [cameras["osc floor"]], args.events)
        midi = latency(cc0(desk), [cameras["daemon"]], args.events)
        desk.send_message([0xB0, 0, 64])  # centre: the next path starts from a stop
        osc = latency(fader(touch), [cameras["daemon"]], args.events)
        touch.send_message("/1/fader1", 0.5)
        api_samples = latency(api_pan(api), [cameras["daemon"]], args.events)
        osc_alone = latency(fader(touch_only), [cameras["osc only"]], args.events)
        touch_only.send_message("/1/fader1", 0.5)
        api_alone = latency(api_pan(api_only), [cameras["osc only"]], args.events)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        for camera in cameras.values():
            camera.close()
        stop_jack(jack)

    target_midi = 2 * pct(floor_midi, 0.99) + 1
    target_osc = 2 * pct(floor_osc, 0.99) + 1
    rows = [
        ("MIDI → packet p50 / p99 (ms)", midi, floor_midi, target_midi),
        ("OSC input → packet p50 / p99 (ms)", osc, floor_osc, target_osc),
        ("OSC API move → packet p50 / p99 (ms)", api_samples, floor_osc, target_osc),
        ("OSC-only daemon: OSC input (ms)", osc_alone, floor_osc, target_osc),
        ("OSC-only daemon: OSC API move (ms)", api_alone, floor_osc, target_osc),
    ]
    print(f"\nptzmapd OSC bench — JACK dummy 48 kHz/64, loopback UDP, min_interval {MIN_INTERVAL * 1000:.0f} ms, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, MQTT {'on' if mosquitto else 'off (no mosquitto)'}\n")
    print(f"| {'measure':<38} | {'ptzmapd':>13} | {'floor':>13} | {'p99 target':<12} | samples |")
    print(f"|{'-' * 40}|{'-' * 15}|{'-' * 15}|{'-' * 14}|---------|")
    for name, ours, floor, target in rows:
        p99 = pct(ours, 0.99)
        print(f"| {name:<38} | {pct(ours, 0.5):>5.2f} / {p99:>5.2f} | {pct(floor, 0.5):>5.2f} / {pct(floor, 0.99):>5.2f} "
              f"| ≤ {target:5.2f} {'✓' if p99 <= target else '✗'}    | {len(ours):>3}/{args.events} |")
    print(f"\nidle CPU (% of a core) over {args.idle:g} s, RSS (MB):")
    for name in pids:
        print(f"  {name:<18} {idle[name]:5.2f} %  {rss[name]:6.1f} MB")
    print(f"ptzmapd = MIDI + OSC input + OSC API{' + MQTT' if mosquitto else ''}; target ≤ MIDI floor + 0.5 = "
          f"{idle['MIDI floor'] + 0.5:.2f} {'✓' if idle['ptzmapd'] <= idle['MIDI floor'] + 0.5 else '✗'}; "
          f"OSC only: target ≤ OSC floor + 0.5 = {idle['OSC floor'] + 0.5:.2f} "
          f"{'✓' if idle['ptzmapd OSC only'] <= idle['OSC floor'] + 0.5 else '✗'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
