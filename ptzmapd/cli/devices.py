"""``ptzmapd devices``: the MIDI ports, gamepads, joysticks and serial ports found."""

from __future__ import annotations

import argparse
import logging


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    devices = commands.add_parser("devices", help="list MIDI ports, gamepads, joysticks and serial ports")
    devices.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.devices import report

    print(report(), end="")
    return 0
