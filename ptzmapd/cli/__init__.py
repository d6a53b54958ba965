"""The ``ptzmapd`` command: run, check, status, send, devices, learn, simulate, snapshot,
upload-ptz-image, demo, traces — one module each, registered in :data:`COMMANDS`.

Each module's ``add(commands)`` adds its subcommand with ``set_defaults(func=…)``; ``func``
takes the parsed arguments and the logger and returns the exit code. Every user mistake ends
in a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from ptzmapd import __version__, logs
from ptzmapd.cli import check, demo, devices, learn, run, send, simulate, snapshot, status, traces, upload
from ptzmapd.errors import ConfigError, PtzmapdError

#: The subcommands, in the order ``--help`` lists them.
COMMANDS = (run, status, check, send, simulate, snapshot, upload, devices, learn, demo, traces)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ptzmapd",
        description="Drive PTZ cameras from MIDI surfaces, gamepads and joysticks.",
    )
    parser.add_argument("--version", action="version", version=f"ptzmapd {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log protocol traces (DEBUG)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for command in COMMANDS:
        command.add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = logs.setup(args.verbose, args.quiet)
    try:
        code: int = args.func(args, log)
        return code
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    except PtzmapdError as error:
        print(f"ptzmapd: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ptzmapd check … | head`): nothing more to say to it. Point
        # stdout at /dev/null so Python's own flush at exit does not complain a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
