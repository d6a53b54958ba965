"""``ptzmapd check``: validate a config and summarise it (its problems: exit 2)."""

from __future__ import annotations

import argparse
import logging

from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser("check", help="validate a config and summarise it")
    check.add_argument("-c", "--config", required=True, metavar="FILE")
    check.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    config = load_config(args.config)  # ConfigError is reported by cli.main()
    print(summarize(config))
    return 0
