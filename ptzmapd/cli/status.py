"""``ptzmapd status``: what the running daemon knows, read from its status socket."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser("status", help="what the running daemon knows: cameras, inputs, switchers, groups, tours")
    status.add_argument("--socket", metavar="PATH", help="the daemon's --status-socket")
    status.add_argument("--watch", action="store_true", help="keep showing it, twice a second")
    status.add_argument("--json", action="store_true", help="the raw JSON")
    status.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.app.status import default_socket_path, run_status

    return asyncio.run(run_status(Path(args.socket or default_socket_path()), args.watch, args.json))
