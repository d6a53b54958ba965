"""How long ``ptzmapd check`` takes to load a large config, with libyaml and without it.

Each measurement runs in a fresh process (so peak RSS is that load's own): it writes a valid
config of the given size — cameras with a few keys each and 2048 MIDI bindings — and times
``load_config`` on it, once with libyaml's C parser (what ptzmapd uses when PyYAML has it)
and once with PyYAML's pure-Python parser (what every load used before). A config larger
than the 1 MiB bound (ptzmapd/files.py) is refused before it is parsed; ``--raw`` sizes
measure the parse alone (``parse_yaml`` on the text), which is what the bound protects.

Run: ``.venv/bin/python bench/config_load.py [--sizes-kib 64,1024] [--raw-mib 10]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_config(size: int) -> str:
    """A valid config of about ``size`` bytes: 2048 bindings, then cameras up to the size."""
    head = "inputs:\n  desk: {type: midi, port: \"*desk*\"}\nbindings:\n"
    bindings = "".join(
        f"  - {{input: desk, channel: {channel}, cc: {cc}, action: pan, camera: cam0}}\n"
        for channel in range(1, 17) for cc in range(128)
    )
    cameras = ["cameras:\n"]
    length = len(head) + len(bindings) + len(cameras[0])
    index = 0
    while length < size or index == 0:
        line = (f"  cam{index}: {{protocol: visca-ip, host: 10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}, "
                f"port: 52381, max_pan_speed: 20, ack_timeout: 0.2}}\n")
        if length + len(line) > size and index > 0:
            break
        cameras.append(line)
        length += len(line)
        index += 1
    return head + bindings + "".join(cameras)


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from ptzmapd.config import yamlmarks
from ptzmapd.config.loader import load_config
if {pure}:
    yamlmarks.FAST_LOADER = None
started = time.perf_counter()
if {raw}:
    text = open({path!r}, encoding="utf-8").read()
    node, problems = yamlmarks.parse_yaml(text, {path!r})
    assert node is not None and not problems, problems
else:
    config = load_config({path!r})
    assert config.cameras
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(path: Path, pure: bool, raw: bool) -> dict[str, float]:
    code = CHILD.format(root=str(ROOT), path=str(path), pure=pure, raw=raw)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-kib", default="64,1024", help="config sizes to load, KiB (at most 1024)")
    parser.add_argument("--raw-mib", default="10", help="text sizes to parse only, MiB (empty: none)")
    args = parser.parse_args()
    rows: list[tuple[str, str, dict[str, float], dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        jobs = [(int(k) << 10, False) for k in args.sizes_kib.split(",") if k]
        jobs += [(int(m) << 20, True) for m in args.raw_mib.split(",") if m]
        for size, raw in jobs:
            path = Path(folder) / f"big-{size}.yaml"
            path.write_text(make_config(size), encoding="utf-8")
            actual = path.stat().st_size
            what = "parse_yaml" if raw else "load_config"
            label = f"{actual / (1 << 20):.2f} MiB" if actual >= 1 << 20 else f"{actual >> 10} KiB"
            fast = measure(path, pure=False, raw=raw)
            pure = measure(path, pure=True, raw=raw)
            rows.append((what, label, fast, pure))
            print(f"{what} {label}: libyaml {fast['seconds']:.2f} s {fast['rss_mb']:.0f} MB; "
                  f"pure Python {pure['seconds']:.2f} s {pure['rss_mb']:.0f} MB", flush=True)
    print()
    print("| what | size | libyaml s | libyaml peak RSS MB | pure-Python s | pure-Python peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for what, label, fast, pure in rows:
        print(f"| {what} | {label} | {fast['seconds']:.2f} | {fast['rss_mb']:.0f} | {pure['seconds']:.2f} | {pure['rss_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
