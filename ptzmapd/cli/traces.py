"""``ptzmapd traces``: the recorded traces kept in the state directory (name, camera,
duration, moves, where each starts, when it was recorded)."""

from __future__ import annotations

import argparse
import logging
import time


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    traces = commands.add_parser(
        "traces", help="list the recorded traces",
        description="List the traces kept in the state directory: the config's state_dir (-c), "
        "--state-dir, or the user's state directory ($STATE_DIRECTORY, $XDG_STATE_HOME/ptzmapd, "
        "~/.local/state/ptzmapd).",
    )
    where = traces.add_mutually_exclusive_group()
    where.add_argument("-c", "--config", metavar="FILE", help="the config whose state_dir to read")
    where.add_argument("--state-dir", metavar="DIR", help="the state directory to read")
    traces.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.config.loader import load_config
    from ptzmapd.tours.store import TraceUnreadable, default_state_dir, stored_traces, traces_dir

    if args.config is not None:
        state_dir = load_config(args.config).state_dir  # ConfigError is reported by cli.main()
    else:
        state_dir = args.state_dir or default_state_dir()
    rows = []
    problems = []
    try:
        for path, found in stored_traces(state_dir):
            if isinstance(found, TraceUnreadable):
                problems.append(f"{path}: {found}")
                continue
            start = f"preset {found.start_preset}" if found.start_preset is not None else "where it stood"
            if found.start_preset is None and found.start_position is not None:
                where = found.start_position
                start = " ".join(f"{axis} {value:g}" for axis in ("pan", "tilt", "zoom")
                                 if (value := getattr(where, axis)) is not None)
            recorded = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.recorded)) if found.recorded else "?"
            rows.append((found.name, found.camera, f"{found.duration:.1f} s", str(len(found.moves)), start, recorded))
    except TraceUnreadable as unlisted:
        print(f"ptzmapd: {unlisted}")
        return 1
    if not rows and not problems:
        print(f"no traces in {traces_dir(state_dir)}")
        return 0
    header = ("name", "camera", "duration", "moves", "starts at", "recorded")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print(f"traces in {traces_dir(state_dir)}:")
    for row in (header, *rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for unreadable in problems:
        print(f"  cannot read {unreadable}")
    return 1 if problems else 0
