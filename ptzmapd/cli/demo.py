"""``ptzmapd demo``: the whole pipeline against two simulated cameras and a simulated vMix, no hardware."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

#: The longest ``ptzmapd demo`` plays, in seconds (its script lasts 13 s).
DEMO_LIMIT = 3600.0


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser("demo", help="the whole pipeline against two simulated cameras and a simulated vMix, no hardware")
    demo.add_argument("--duration", type=float, default=18.0, metavar="SECONDS",
                      help=f"how long the script plays (above 0, at most {DEMO_LIMIT:g}; default 18)")
    demo.add_argument("--no-midi", action="store_true", help="feed the mapping layer directly, not a MIDI port")
    demo.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.demo import run_demo

    if not 0.0 < args.duration <= DEMO_LIMIT:  # written so NaN fails too
        print(f"ptzmapd: --duration: {args.duration!r} is out of range "
              f"(valid: more than 0, at most {DEMO_LIMIT:g} seconds)", file=sys.stderr)
        return 2
    return asyncio.run(run_demo(args.duration, use_midi=not args.no_midi, log=log))
