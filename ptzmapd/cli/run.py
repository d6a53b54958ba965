"""``ptzmapd run``: the daemon in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("-c", "--config", required=True, metavar="FILE")
    run.add_argument("--status-socket", metavar="PATH",
                     help="where `ptzmapd status` reads from (default: $RUNTIME_DIRECTORY, "
                     "$XDG_RUNTIME_DIR or /tmp/ptzmapd-UID, file ptzmapd.sock)")
    run.add_argument("--no-status-socket", action="store_true", help="do not offer a status socket")
    run.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.app.service import run
    from ptzmapd.app.status import default_socket_path

    socket_path = None if args.no_status_socket else Path(args.status_socket or default_socket_path())
    return asyncio.run(run(args.config, log, socket_path))
