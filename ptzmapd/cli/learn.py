"""``ptzmapd learn``: print what each control sends, with a binding line to paste."""

from __future__ import annotations

import argparse
import asyncio
import logging


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    learn = commands.add_parser(
        "learn", help="print what each control sends, with a binding line to paste",
        description="Move a control: its event is printed, and the first time, a binding for it. "
        "Without -c: every MIDI port, gamepad and joystick found. Ctrl-C to stop.",
    )
    learn.add_argument("-c", "--config", metavar="FILE", help="listen to this config's inputs")
    learn.add_argument("--input", metavar="NAME", help="with -c: only this input")
    learn.add_argument("--gamepads", action="store_true",
                       help="without -c: also look for gamepads and joysticks when no joystick device node is seen")
    learn.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.learn import run_learn

    return asyncio.run(run_learn(args.config, args.input, args.gamepads, log))
