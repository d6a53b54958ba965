"""``ptzmapd snapshot``: save a still image from an HTTP camera."""

from __future__ import annotations

import argparse
import asyncio
import logging


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    snapshot = commands.add_parser("snapshot", help="save a still image from an HTTP camera")
    snapshot.add_argument("-c", "--config", required=True, metavar="FILE")
    snapshot.add_argument("camera")
    snapshot.add_argument("-o", "--output", metavar="FILE", help="default: CAMERA-YYYYmmdd-HHMMSS.jpg")
    snapshot.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.snapshot import run_snapshot

    return asyncio.run(run_snapshot(args, log))
