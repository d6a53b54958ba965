"""Gamepad stick -> packet latency and idle CPU of ptzmapd's SDL pump, beside floors from the same run.

Each configuration runs in its own child process, which attaches an SDL virtual gamepad
(tests/sdl_virtual.py), starts a consumer that sends one fixed UDP packet (a VISCA pan) per
stick event to this process, then:

1. leaves the gamepad open and untouched for ``--idle`` seconds and reports its own CPU time
   over that span (% of one core);
2. moves the stick ``--moves`` times at random (log-uniform) intervals, noting the time just
   before each ``SDL_JoystickSetVirtualAxis``; this process notes when each packet arrives.

Configurations:

* ``ptzmapd/descriptor``: GamepadInput as on a real evdev gamepad: the pump sleeps in poll() on
  the device's descriptor (a quiet stand-in here, as virtual devices have none) and the
  hot-plug timer; the kernel's "descriptor readable" is played by ``JoystickService.wake()``
  right after each SetVirtualAxis, through the same poll() wake-up.
* ``ptzmapd/polled``: GamepadInput with nothing to wait on and nobody waking it: its fallback
  polling (1 ms while in use, 50 ms after a quiet second).
* ``floor/sdl-wait``: the bare minimum: ``pygame.event.wait()`` and send, nothing else.
* ``floor/poll-30ms``: what existing Python gamepad-to-VISCA controllers do: read the stick
  every 30 ms and send on change.

Virtual joysticks live in the process that drives them, so these latencies measure how soon
the pump reads a change (pump responsiveness and the hand-off to the packet), not USB or
kernel time, which is the same for every configuration.

    .venv/bin/python bench/gamepad_latency.py [--moves 150] [--idle 15] [--only ptzmapd/descriptor]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

PACKET = bytes.fromhex("81 01 06 01 18 14 02 03 FF")  # VISCA pan right, tilt stop
MODES = ("ptzmapd/descriptor", "ptzmapd/polled", "floor/sdl-wait", "floor/poll-30ms")
SHORTEST_GAP, LONGEST_GAP = 0.04, 1.5  # gaps past 1 s show the polled fallback's slow phase
SETTLE = 2.0  # seconds before the idle span: polling falls back to its idle rate after 1 s


# -- child side ------------------------------------------------------------------------------


@dataclass
class Consumer:
    """What a child measures besides its own CPU: pump wake-ups, where the config has a pump."""

    pumps: Callable[[], int] | None = None


def start_ptzmapd(port: int, descriptor: bool) -> Consumer:
    from ptzmapd.clock import MonotonicClock
    from ptzmapd.config.model import InputConfig, Mark
    from ptzmapd.events import ControlEvent
    from ptzmapd.inputs.sdl import pump
    from ptzmapd.inputs.sdl.input import GamepadInput

    if descriptor:
        # A descriptor that never becomes readable: the pump waits on it as on /dev/input/eventN.
        quiet_read, _quiet_write = os.pipe()
        pump.device_fds = lambda path: [quiet_read]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))

    def emit(event: ControlEvent) -> None:
        if event.number == "leftx":
            sock.send(PACKET)

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="loop", daemon=True).start()
    config = InputConfig(name="bench", type="gamepad", mark=Mark("bench", 1, 1))
    pad_input = GamepadInput(config, emit, lambda name, up: None, loop, clock=MonotonicClock())
    asyncio.run_coroutine_threadsafe(pad_input.start(), loop).result(timeout=10)
    assert pad_input.connected, "the virtual gamepad was not found"
    service = pump.joystick_service()
    return Consumer(pumps=lambda: service.pumps)


def start_pygame(port: int, poll_interval: float | None) -> Consumer:
    """A floor: pygame's event loop sending on every stick event (or polling every 30 ms)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    import pygame

    pygame.display.init()  # pygame's event functions refuse to run without it
    pygame.joystick.init()
    stick = pygame.joystick.Joystick(0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))

    def wait_and_send() -> None:
        while True:
            if pygame.event.wait().type == pygame.JOYAXISMOTION:
                sock.send(PACKET)

    def poll_and_send() -> None:
        assert poll_interval is not None
        last = stick.get_axis(0)
        while True:
            pygame.event.pump()
            value = stick.get_axis(0)
            if value != last:
                last = value
                sock.send(PACKET)
            time.sleep(poll_interval)

    target = wait_and_send if poll_interval is None else poll_and_send
    threading.Thread(target=target, name="floor", daemon=True).start()
    return Consumer()


def child(mode: str, port: int, moves: int, idle: float, seed: int) -> None:
    import sdl_virtual

    # Only ptzmapd/descriptor is woken: elsewhere nothing would be listening, or (polled) the
    # point is that nobody wakes the pump.
    pad = sdl_virtual.attach_gamepad("bench pad", wake=mode == "ptzmapd/descriptor")
    consumer = {
        "ptzmapd/descriptor": lambda: start_ptzmapd(port, descriptor=True),
        "ptzmapd/polled": lambda: start_ptzmapd(port, descriptor=False),
        "floor/sdl-wait": lambda: start_pygame(port, poll_interval=None),
        "floor/poll-30ms": lambda: start_pygame(port, poll_interval=0.030),
    }[mode]()
    time.sleep(SETTLE)

    cpu0, wall0 = time.process_time(), time.monotonic()
    pumps0 = consumer.pumps() if consumer.pumps else 0
    time.sleep(idle)
    wall = time.monotonic() - wall0
    idle_cpu = (time.process_time() - cpu0) / wall * 100
    wakes = (consumer.pumps() - pumps0) / wall if consumer.pumps else None

    rng = random.Random(seed)
    sets: list[float] = []
    cpu0, wall0 = time.process_time(), time.monotonic()
    for i in range(moves):
        time.sleep(math.exp(rng.uniform(math.log(SHORTEST_GAP), math.log(LONGEST_GAP))))
        value = 12000 if i % 2 else 24000  # every move changes the axis: one event, one packet
        sets.append(time.monotonic())
        pad.move("leftx", value)
    time.sleep(0.3)
    moving_cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100
    print(json.dumps({"idle_cpu": idle_cpu, "moving_cpu": moving_cpu, "wakes": wakes, "sets": sets}))
    sys.stdout.flush()
    os._exit(0)  # consumer threads block in SDL or the loop; nothing needs tidying


# -- parent side -----------------------------------------------------------------------------


@dataclass
class Result:
    mode: str
    latencies: list[float]
    lost: int
    idle_cpu: float
    moving_cpu: float
    wakes: float | None

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def measure(mode: str, moves: int, idle: float, seed: int) -> Result:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    arrivals: list[float] = []

    def receive() -> None:
        while True:
            try:
                receiver.recv(64)
            except OSError:
                return
            arrivals.append(time.monotonic())

    threading.Thread(target=receive, daemon=True).start()
    port = receiver.getsockname()[1]
    command = [sys.executable, os.path.abspath(__file__), "--child", mode, "--port", str(port)]
    command += ["--moves", str(moves), "--idle", str(idle), "--seed", str(seed)]
    output = subprocess.run(command, capture_output=True, text=True, timeout=idle + moves * 2 + 60)
    if output.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{output.stderr}")
    report = json.loads(output.stdout.strip().splitlines()[-1])
    receiver.close()

    # CLOCK_MONOTONIC is system-wide, so the child's set times and our arrival times compare.
    # Each move's packet is the first to arrive after it and before the next move.
    sets: list[float] = report["sets"]
    latencies, lost = [], 0
    for i, sent in enumerate(sets):
        following = sets[i + 1] if i + 1 < len(sets) else math.inf
        arrived = next((a for a in arrivals if sent <= a < following), None)
        if arrived is None:
            lost += 1
        else:
            latencies.append(arrived - sent)
    return Result(mode, latencies, lost, report["idle_cpu"], report["moving_cpu"], report["wakes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=150)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of untouched gamepad")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=MODES, action="append")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.port, args.moves, args.idle, args.seed)
        return

    print(f"{args.moves} stick moves at random gaps of {SHORTEST_GAP * 1000:.0f}-{LONGEST_GAP * 1000:.0f} ms; "
          f"idle CPU over {args.idle:.0f} s with the gamepad open and untouched; {os.cpu_count()} cores")
    print("SDL virtual gamepad (in-process): latency = SetVirtualAxis -> UDP packet received, i.e. how soon")
    print("the pump reads a change and hands it on; USB/kernel time, equal for all rows, is not in it.\n")
    results = [measure(mode, args.moves, args.idle, args.seed) for mode in (args.only or MODES)]
    header = f"{'configuration':20} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'lost':>5} {'idle CPU %':>10} {'moving CPU %':>12} {'idle wakes/s':>12}"
    print(header)
    print("-" * len(header))
    for r in results:
        wakes = "-" if r.wakes is None else f"{r.wakes:.1f}"
        print(
            f"{r.mode:20} {r.percentile(50):7.2f} {r.percentile(99):7.2f} {max(r.latencies) * 1000:7.2f} "
            f"{r.lost:5d} {r.idle_cpu:10.2f} {r.moving_cpu:12.2f} {wakes:>12}"
        )
    floor = next((r for r in results if r.mode == "floor/sdl-wait"), None)
    print("\ntargets: p99 <= 5 ms and idle <= 1 % of a core", end="")
    if floor is not None:
        print(f"; p99 <= 2 x floor p99 + 1 ms = {2 * floor.percentile(99) + 1:.2f} ms", end="")
    print()


if __name__ == "__main__":
    main()
