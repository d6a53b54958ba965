"""``ptzmapd snapshot -c FILE CAMERA [-o FILE.jpg]``: save a still image from an HTTP camera.

The image comes over the camera's own transport (:class:`~ptzmapd.transports.http.HttpTransport`),
so the url, credentials, auth scheme and timeout are those the daemon uses. Exit codes: 0 saved,
1 the camera did not give a JPEG, 2 a usage problem (no such camera, not an HTTP camera).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.http import HttpRequest, quote_body

JPEG_START = b"\xff\xd8"


def default_output(camera: str, now: float | None = None) -> Path:
    return Path(f"{camera}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.jpg")


def _fail(message: str, code: int) -> int:
    print(f"ptzmapd: {message}", file=sys.stderr)
    return code


async def run_snapshot(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.transports.http import HttpTransport

    config = load_config(args.config)  # ConfigError is reported by the CLI (exit 2)
    camera = config.cameras.get(args.camera)
    if camera is None:
        return _fail(f"no camera {args.camera!r} in {args.config} (valid: {', '.join(config.cameras)})", 2)
    path_of = PROTOCOLS[camera.protocol].snapshot_path
    if path_of is None:
        http = ", ".join(name for name in PROTOCOLS if PROTOCOLS[name].snapshot_path is not None)
        return _fail(f"camera {camera.name!r} speaks {camera.protocol}; snapshots come from HTTP cameras ({http})", 2)
    output = Path(args.output) if args.output else default_output(camera.name)
    transport = HttpTransport.for_camera(camera, log, MonotonicClock())
    await transport.open()
    try:
        answer = await transport.fetch(HttpRequest("GET", path_of(camera.options)))
    except PtzmapdError as exc:
        return _fail(f"camera {camera.name!r}: no snapshot: {exc}", 1)
    finally:
        await transport.close()
    if not answer.ok:
        said = f": {quote_body(answer.body)}" if answer.body else ""
        return _fail(f"camera {camera.name!r}: no snapshot: HTTP {answer.status} {answer.reason}{said}", 1)
    if not answer.body.startswith(JPEG_START):
        kind = answer.header("Content-Type") or "no content type"
        return _fail(f"camera {camera.name!r}: the answer is not a JPEG ({kind}, {len(answer.body)} bytes)", 1)
    try:
        output.write_bytes(answer.body)
    except OSError as exc:
        return _fail(f"cannot write {str(output)!r}: {exc.strerror or exc}", 1)
    print(f"{output}: {len(answer.body)} bytes")
    return 0
