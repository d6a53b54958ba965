"""``ptzmapd simulate``: a simulated camera that prints every command it decodes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import sys
from collections.abc import Callable

from ptzmapd.protocols import PROTOCOLS
from ptzmapd.simulators import QUIRKS, SIMULATORS, SWITCHER_PORTS


def _bounded(kind: type[int] | type[float], low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse type: a finite number ``low..high``; argparse prints the refusal (exit 2)."""

    def parse(text: str) -> float:
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (math.isfinite(number) and low <= number <= high):
            raise argparse.ArgumentTypeError(f"{text} is out of range (valid: {low:g}..{high:g})")
        return number

    return parse


#: The simulators' fault modes: a completion delay in seconds, a packet number (1 = the first).
COMPLETION_DELAY = _bounded(float, 0, 60, "seconds")
PACKET_NUMBER = _bounded(int, 1, 2**31, "a packet number (1 = the first)")


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = commands.add_parser(
        "simulate", help="run a simulated camera or switcher",
        description="A simulated camera that prints every command it decodes and tracks its position, "
                    "or a simulated switcher (vmix, atem; tsl sends tally to --host:--port).",
    )
    simulate.add_argument("protocol", choices=tuple(SIMULATORS))
    simulate.add_argument("--host", default="127.0.0.1", help="network simulators: the address to listen on")
    simulate.add_argument("--port", type=int, help="network simulators: default the protocol's port; 0 = any free port")
    simulate.add_argument("--serial", choices=("pty", "tcp"), default="pty",
                          help="serial simulators: on a pty (prints /dev/pts/N) or a TCP port (socket://)")
    simulate.add_argument("--cameras", type=int, default=1, metavar="N",
                          help="serial simulators: cameras on the chain/bus, addresses 1..N")
    simulate.add_argument("--user", help="HTTP simulators: the user name they accept (default admin; "
                          "ptzoptics-cgi asks for Basic auth only when given one)")
    simulate.add_argument("--password-env", metavar="VAR",
                          help="HTTP simulators: read the password they accept from this variable (default 'secret')")
    simulate.add_argument("--auth", choices=("digest", "basic", "none", "bearer"),
                          help="HTTP simulators: how the camera checks who asks (default: the kind's own; "
                          "bearer: a scheme ptzmapd cannot answer)")
    simulate.add_argument("--digest-qop", default="auth", metavar="QOP",
                          help="HTTP simulators: what a Digest challenge offers: auth, auth-int or auth,auth-int")
    simulate.add_argument("--digest-algorithm", default="MD5", metavar="NAME",
                          help="HTTP simulators: the Digest algorithm: MD5, SHA-256, SHA-512-256 (each also -sess)")
    simulate.add_argument("--quirk", action="append", default=[], metavar="NAME",
                          help="behave like a camera with this quirk (repeatable): " + "; ".join(
                              f"{kind}: {', '.join(quirks)}" for kind, quirks in QUIRKS.items()))
    simulate.add_argument("--completion-delay", type=COMPLETION_DELAY, default=0.0, metavar="SECONDS",
                          help="network VISCA simulators: ACK at once, send each completion this much later")
    simulate.add_argument("--drop-packet", type=PACKET_NUMBER, action="append", default=[], metavar="N",
                          help="network VISCA simulators: drop the Nth packet received (1 = the first); repeatable")
    simulate.add_argument("--inputs", type=_bounded(int, 1, 20, "a number of inputs"), default=4, metavar="N",
                          help="switcher simulators: inputs 1..N (default 4)")
    simulate.add_argument("--stdin", action="store_true",
                          help="switcher simulators: take 'preview N', 'program N', 'cut', 'auto' from stdin "
                          "instead of the scripted sequence")
    simulate.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    return asyncio.run(simulate(args))


#: Port numbers ``simulate --port`` takes; 0 asks the system for any free port.
PORTS = range(0, 65536)


async def simulate(args: argparse.Namespace) -> int:
    protocol = args.protocol
    known = QUIRKS.get(protocol, {})
    for quirk in args.quirk:
        if quirk not in known:
            print(f"ptzmapd: simulate {protocol} has no quirk {quirk!r} (valid: {', '.join(known) or 'none'})",
                  file=sys.stderr)
            return 2
    spec = PROTOCOLS.get(protocol)
    if args.port is not None and args.port not in PORTS:
        print(f"ptzmapd: --port {args.port} is out of range (valid: {PORTS.start}..{PORTS.stop - 1}; "
              "0 = any free port)", file=sys.stderr)
        return 2
    port = args.port if args.port is not None else (
        spec.default_port if spec and spec.default_port else SWITCHER_PORTS.get(protocol, 0))
    try:
        handle = await SIMULATORS[protocol](
            protocol, host=args.host, port=port, log=lambda line: print(line, flush=True),
            serial=args.serial, cameras=args.cameras, user=args.user, password_env=args.password_env,
            auth=args.auth, digest_qop=args.digest_qop, digest_algorithm=args.digest_algorithm,
            quirks=args.quirk, completion_delay=args.completion_delay, drop_packets=args.drop_packet,
            inputs=int(args.inputs), drive="stdin" if args.stdin else "script",
        )
    except OSError as error:  # the port is taken, the host unknown, no pty to be had
        where = "a pty" if spec is not None and spec.transport == "serial" and args.serial == "pty" \
            else f"{args.host}:{port}"
        # asyncio words a bind failure at length; the system's own words are enough.
        reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
        print(f"ptzmapd: cannot start the {protocol} simulator on {where}: {reason}", file=sys.stderr)
        return 1
    what = "switcher" if protocol in SWITCHER_PORTS else "camera"
    print(f"simulated {protocol} {what} on {handle.where} (Ctrl-C to stop)", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await handle.close()
    return 0
