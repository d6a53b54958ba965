"""``ptzmapd devices``: the MIDI ports, gamepads, joysticks and serial ports found, and with
``--<protocol>`` the network cameras of a protocol that can be discovered (WS-Discovery)."""

from __future__ import annotations

import argparse
import logging
import sys


def _address(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, ""
    try:
        number = int(port) if port else 0
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT with a port 1..65535, got {text!r}")
    return host, number


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from ptzmapd.devices import DISCOVERY_WAIT, discoverable

    devices = commands.add_parser("devices", help="list MIDI ports, gamepads, joysticks and serial ports (--onvif: ONVIF cameras)")
    for protocol in discoverable():
        devices.add_argument(f"--{protocol}", action="append_const", const=protocol, dest="discover", default=[],
                             help=f"look for {protocol} cameras on the network instead (a multicast probe)")
    devices.add_argument("--probe-address", type=_address, metavar="HOST:PORT",
                         help="with a protocol flag: probe this one address instead of the multicast group")
    devices.add_argument("--wait", type=float, default=DISCOVERY_WAIT, metavar="SECONDS",
                         help=f"with a protocol flag: seconds to wait for answers (default {DISCOVERY_WAIT:g})")
    devices.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.devices import network_section, report

    if args.discover:
        if not 0 < args.wait <= 60:
            print(f"ptzmapd: --wait must be above 0 and at most 60 s, got {args.wait:g}", file=sys.stderr)
            return 2
        for protocol in args.discover:
            print("\n".join(network_section(protocol, args.probe_address, args.wait)))
        return 0
    print(report(), end="")
    return 0
