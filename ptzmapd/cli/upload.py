"""``ptzmapd upload-ptz-image``: the four-stage PTZ driver upload to a video encoder."""

from __future__ import annotations

import argparse
import asyncio
import logging


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    upload = commands.add_parser(
        "upload-ptz-image", help="upload a PTZ driver image to a video encoder",
        description="The four-stage upload of specs/ptz-image-upload-cgi.txt. Exit 0 only when the device says OK.",
    )
    upload.add_argument("--url", required=True, help="the device, e.g. http://192.168.1.20")
    upload.add_argument("--user", required=True)
    upload.add_argument("--password-env", required=True, metavar="VAR", help="the variable holding the password")
    upload.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    upload.add_argument("file")
    upload.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.upload import run_upload

    return asyncio.run(run_upload(args, log))
