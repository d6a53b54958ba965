"""RSS of ``ptzmapd run`` with a gamepad input configured (SDL loaded), beside a floor: a bare
Python process that loads the same SDL and opens its joystick subsystem. Both wait idle; RSS
is read from /proc after a few seconds. Target: ptzmapd ≤ the floor's + 60 MB.

    .venv/bin/python bench/rss_sdl.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = textwrap.dedent(
    """
    import ctypes, glob, importlib.util, os, time
    # pygame's bundled SDL2, found without importing pygame (as ptzmapd finds it)
    package = importlib.util.find_spec("pygame").submodule_search_locations[0]
    sdl = ctypes.CDLL(sorted(glob.glob(os.path.join(package, "..", "pygame.libs", "libSDL2-*.so*")))[0])
    sdl.SDL_Init(0x200 | 0x2000)  # joystick + game controller
    print("ready", flush=True)
    time.sleep(3600)
    """
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    camera = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    camera.bind(("127.0.0.2", 0))
    folder = Path(tempfile.mkdtemp(prefix="ptzmapd-rss-"))
    config = folder / "pad.yaml"
    config.write_text(
        f"cameras:\n  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {camera.getsockname()[1]}}}\n"
        "inputs:\n  pad: {type: gamepad}\n"
        "bindings:\n  - {input: pad, axis: leftx, action: pan}\n"
    )
    floor = subprocess.Popen([sys.executable, "-c", FLOOR], stdout=subprocess.PIPE, env=env)
    daemon = subprocess.Popen([sys.executable, "-m", "ptzmapd.cli", "-q", "run", "-c", str(config),
                               "--no-status-socket"], env=env, cwd=ROOT)
    try:
        assert floor.stdout is not None
        floor.stdout.readline()
        time.sleep(4.0)
        ours, base = rss_mb(daemon.pid), rss_mb(floor.pid)
    finally:
        # SDL_Init turns SIGTERM into a quit event for an event loop the floor never runs,
        # so the floor is killed outright; the daemon must still stop on SIGTERM.
        floor.kill()
        floor.wait()
        daemon.terminate()
        try:
            daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
            print("ptzmapd did not stop on SIGTERM within 5 s", file=sys.stderr)
        camera.close()
    verdict = "✓" if ours <= base + 60 else "✗"
    print(f"RSS with SDL loaded: ptzmapd {ours:.1f} MB, floor {base:.1f} MB, target ≤ {base + 60:.0f} MB {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
