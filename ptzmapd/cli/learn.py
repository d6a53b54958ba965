"""``ptzmapd learn``: print what each control sends, with a binding line to paste."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    learn = commands.add_parser(
        "learn", help="print what each control sends, with a binding line to paste",
        description="Move a control: its event is printed, and the first time, a binding for it. "
        "Without -c: every MIDI port, gamepad and joystick found. --osc: OSC senders (TouchOSC, "
        "Open Stage Control) too. Ctrl-C to stop.",
    )
    learn.add_argument("-c", "--config", metavar="FILE", help="listen to this config's inputs")
    learn.add_argument("--input", metavar="NAME", help="with -c: only this input")
    learn.add_argument("--gamepads", action="store_true",
                       help="without -c: also look for gamepads and joysticks when no joystick device node is seen")
    learn.add_argument("--osc", metavar="HOST:PORT",
                       help="also listen for OSC there (e.g. 0.0.0.0:8000) and show the addresses it receives")
    learn.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.config.api import Listen
    from ptzmapd.config.checks import Invalid, Scope
    from ptzmapd.config.loader import load_config
    from ptzmapd.config.model import Mark
    from ptzmapd.config.yamlmarks import ScalarNode
    from ptzmapd.learn import input_problem, run_learn

    if args.input is not None and args.config is None:
        print("ptzmapd: --input names an input of a config: give -c FILE too", file=sys.stderr)
        return 2
    config = load_config(args.config) if args.config is not None else None  # ConfigError: main() reports it
    problem = input_problem(config, args.input) if config is not None else None
    if problem is not None:
        print(f"ptzmapd: {problem}", file=sys.stderr)
        return 2
    osc = None
    if args.osc is not None:
        try:  # read as a config's listen: is, with the same words for a mistake
            osc = Listen()(ScalarNode(args.osc, Mark("--osc", 1, 1), args.osc), Scope({}))
        except Invalid as invalid:
            print(f"ptzmapd: --osc: {invalid}", file=sys.stderr)
            return 2
    return asyncio.run(run_learn(config, args.input, args.gamepads, log, osc=osc))
