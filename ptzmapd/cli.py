"""The ``ptzmapd`` command: run, check, status, send, devices, learn, simulate, snapshot,
upload-ptz-image, demo.

Every user mistake ends in a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptzmapd import __version__, logs
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import (
    AUTOFOCUS_MODES,
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
)
from ptzmapd.config import load_config, summarize
from ptzmapd.config.checks import check_raw, raw_example
from ptzmapd.config.rules import binding_value, codec_refusal, inability
from ptzmapd.errors import ConfigError, ProtocolError, PtzmapdError
from ptzmapd.mapping.actions import DIRECT_MODE, LEVELS, NAMED_ACTIONS, PRESET_CLEAR, RAW_ACTION, modes_of
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.simulators import QUIRKS, SIMULATORS

SEND_ACTIONS = (
    "pan", "tilt", "zoom", "focus", "stop", "home", "preset", "autofocus", "move-to", "jog", *NAMED_ACTIONS, RAW_ACTION,
)
#: The longest timed move ``send … pan 0.5 --for SECONDS`` makes, in seconds. Ten minutes
#: covers a slow pan across a whole room; beyond it a typo (1e9) would be a runaway camera.
TIMED_MOVE_LIMIT = 600.0
#: A jog's ``--for`` is the binding key ``duration`` (config/tables.py says its range).
JOG_SECONDS = "0.05..10"
#: The longest ``ptzmapd demo`` plays, in seconds (its script lasts 13 s).
DEMO_LIMIT = 3600.0
#: Signals that end ``send`` early. The camera is stopped first; the exit code is 128 + N.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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

    run = commands.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("-c", "--config", required=True, metavar="FILE")
    run.add_argument("--status-socket", metavar="PATH",
                     help="where `ptzmapd status` reads from (default: $RUNTIME_DIRECTORY, "
                     "$XDG_RUNTIME_DIR or /tmp/ptzmapd-UID, file ptzmapd.sock)")
    run.add_argument("--no-status-socket", action="store_true", help="do not offer a status socket")

    status = commands.add_parser("status", help="what the running daemon knows: cameras and inputs")
    status.add_argument("--socket", metavar="PATH", help="the daemon's --status-socket")
    status.add_argument("--watch", action="store_true", help="keep showing it, twice a second")
    status.add_argument("--json", action="store_true", help="the raw JSON")

    check = commands.add_parser("check", help="validate a config and summarise it")
    check.add_argument("-c", "--config", required=True, metavar="FILE")

    send = commands.add_parser(
        "send", help="send one command to one camera",
        description="Send one command and wait for the camera to acknowledge it. "
        "Examples: 'send -c studio.yaml stage preset 3', 'send -c studio.yaml stage pan 0.5 --for 1.5', "
        "'send -c studio.yaml stage tally on', 'send -c studio.yaml stage iris direct --level 8', "
        "'send -c studio.yaml stage raw \"81 01 04 38 02 FF\"', "
        "'send -c studio.yaml hik move-to --pan 90 --tilt 10', 'send -c studio.yaml hik jog --pan 0.5 --for 0.4'.",
    )
    send.add_argument("-c", "--config", required=True, metavar="FILE")
    send.add_argument("camera")
    send.add_argument("action", choices=SEND_ACTIONS, metavar="ACTION", help=f"one of: {', '.join(SEND_ACTIONS)}")
    send.add_argument("value", nargs="?", help="speed -1..1 for pan/tilt/zoom/focus, preset number, the mode of "
                      "autofocus or a named action (tally on), or a raw command (hex or 'METHOD /path [body]')")
    send.add_argument("--level", type=int, metavar="N", help="with a named action's direct mode: the level to set")
    send.add_argument("--for", dest="duration", type=float, metavar="SECONDS",
                      help=f"move for this long, then stop (required for pan/tilt/zoom/focus: above 0, "
                      f"at most {TIMED_MOVE_LIMIT:g}; jog: {JOG_SECONDS})")
    send.add_argument("--store", action="store_true", help="with preset: store instead of recall")
    send.add_argument("--clear", action="store_true", help="with preset: clear (forget) it instead of recall")
    for axis, meaning in (("pan", "degrees"), ("tilt", "degrees"), ("zoom", "0..100")):
        send.add_argument(f"--{axis}", type=float, metavar="N",
                          help=f"move-to: the {axis} position ({meaning}); jog: the {axis} speed -1..1")

    simulate = commands.add_parser(
        "simulate", help="run a simulated camera",
        description="A simulated camera that prints every command it decodes and tracks its position.",
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

    snapshot = commands.add_parser("snapshot", help="save a still image from an HTTP camera")
    snapshot.add_argument("-c", "--config", required=True, metavar="FILE")
    snapshot.add_argument("camera")
    snapshot.add_argument("-o", "--output", metavar="FILE", help="default: CAMERA-YYYYmmdd-HHMMSS.jpg")

    upload = commands.add_parser(
        "upload-ptz-image", help="upload a PTZ driver image to a video encoder",
        description="The four-stage upload of specs/ptz-image-upload-cgi.txt. Exit 0 only when the device says OK.",
    )
    upload.add_argument("--url", required=True, help="the device, e.g. http://192.168.1.20")
    upload.add_argument("--user", required=True)
    upload.add_argument("--password-env", required=True, metavar="VAR", help="the variable holding the password")
    upload.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    upload.add_argument("file")

    commands.add_parser("devices", help="list MIDI ports, gamepads, joysticks and serial ports")

    learn = commands.add_parser(
        "learn", help="print what each control sends, with a binding line to paste",
        description="Move a control: its event is printed, and the first time, a binding for it. "
        "Without -c: every MIDI port, gamepad and joystick found. Ctrl-C to stop.",
    )
    learn.add_argument("-c", "--config", metavar="FILE", help="listen to this config's inputs")
    learn.add_argument("--input", metavar="NAME", help="with -c: only this input")
    learn.add_argument("--gamepads", action="store_true",
                       help="without -c: also look for gamepads and joysticks when no joystick device node is seen")

    demo = commands.add_parser("demo", help="the whole pipeline against two simulated cameras, no hardware")
    demo.add_argument("--duration", type=float, default=15.0, metavar="SECONDS",
                      help=f"how long the script plays (above 0, at most {DEMO_LIMIT:g}; default 15)")
    demo.add_argument("--no-midi", action="store_true", help="feed the mapping layer directly, not a MIDI port")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = logs.setup(args.verbose, args.quiet)
    try:
        if args.command == "check":
            return check(args.config)
        if args.command == "run":
            from ptzmapd.app.service import run
            from ptzmapd.app.status import default_socket_path

            socket_path = None if args.no_status_socket else Path(args.status_socket or default_socket_path())
            return asyncio.run(run(args.config, log, socket_path))
        if args.command == "status":
            from ptzmapd.app.status import default_socket_path, run_status

            return asyncio.run(run_status(Path(args.socket or default_socket_path()), args.watch, args.json))
        if args.command == "send":
            return asyncio.run(send(args, log))
        if args.command == "simulate":
            return asyncio.run(simulate(args))
        if args.command == "snapshot":
            from ptzmapd.snapshot import run_snapshot

            return asyncio.run(run_snapshot(args, log))
        if args.command == "upload-ptz-image":
            from ptzmapd.upload import run_upload

            return asyncio.run(run_upload(args, log))
        if args.command == "devices":
            from ptzmapd.devices import report

            print(report(), end="")
            return 0
        if args.command == "learn":
            from ptzmapd.learn import run_learn

            return asyncio.run(run_learn(args.config, args.input, args.gamepads, log))
        if args.command == "demo":
            from ptzmapd.demo import run_demo

            if not 0.0 < args.duration <= DEMO_LIMIT:  # written so NaN fails too
                print(f"ptzmapd: --duration: {args.duration!r} is out of range "
                      f"(valid: more than 0, at most {DEMO_LIMIT:g} seconds)", file=sys.stderr)
                return 2

            return asyncio.run(run_demo(args.duration, use_midi=not args.no_midi, log=log))
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    except PtzmapdError as error:
        print(f"ptzmapd: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


def check(path: str) -> int:
    config = load_config(path)  # ConfigError is reported by main()
    print(summarize(config))
    return 0


def send_command(
    action: str, value: str | None, store: bool, level: int | None = None, raw_kind: str | None = None,
    *, clear: bool = False, axes: dict[str, float | None] | None = None, duration: float | None = None,
) -> Command:
    """The command ``ptzmapd send`` sends for ACTION VALUE; ValueError with a clear text.

    ``level`` is ``--level`` (a named action's direct mode); ``raw_kind`` what a raw VALUE is
    written in, the camera's own kind (None: the camera takes no raw commands). ``axes`` are
    ``--pan/--tilt/--zoom`` (move-to positions, jog speeds); ``duration`` is a jog's ``--for``.
    """
    given = {axis: number for axis, number in (axes or {}).items() if number is not None}
    if not all(math.isfinite(number) for number in given.values()):
        raise ValueError("--pan/--tilt/--zoom must be finite numbers")
    if given and action not in ("move-to", "jog"):
        raise ValueError("--pan/--tilt/--zoom go with move-to or jog")
    if action in ("move-to", "jog"):
        # The binding keys of the same names, with the ranges a config's binding has.
        given = {axis: _checked(action, axis, number, f"--{axis}") for axis, number in given.items()}
    if action == "move-to":
        if not given:
            raise ValueError("move-to needs at least one of --pan, --tilt, --zoom")
        return MoveTo(given.get("pan"), given.get("tilt"), given.get("zoom"))
    if action == "jog":
        if not any(given.values()):
            raise ValueError("jog needs --pan, --tilt or --zoom speeds from -1 to 1, not all zero")
        if duration is None:
            raise ValueError(f"jog needs --for SECONDS ({JOG_SECONDS}): the camera stops by itself after it")
        seconds = _checked(action, "duration", duration, "--for")
        return Jog(given.get("pan", 0.0), given.get("tilt", 0.0), given.get("zoom", 0.0), seconds)
    if level is not None and not (action in LEVELS and value == DIRECT_MODE):
        raise ValueError(f"--level goes with a direct mode ({', '.join(f'{name} {DIRECT_MODE}' for name in LEVELS)})")
    if action in NAMED_ACTIONS:
        return _named_command(action, value, level)
    if action == RAW_ACTION:
        if raw_kind is None:
            raise ValueError("this camera's protocol takes no raw commands")
        if not value:
            raise ValueError(f"raw needs the command, written for {raw_kind}, e.g. {raw_example(raw_kind)}")
        try:
            check_raw(raw_kind, value)
        except (ValueError, ProtocolError) as error:
            raise ValueError(f"raw {raw_kind}: {error}") from None
        return RawCommand(value, raw_kind)
    if action in ("pan", "tilt", "zoom", "focus"):
        if value is None:
            raise ValueError(f"{action} needs a speed from -1 to 1")
        try:
            speed = float(value)
        except ValueError:
            raise ValueError(f"{action} speed must be a number from -1 to 1, not {value!r}") from None
        # A held control's speed (binding key ``value``): -1..1, and never NaN or infinite.
        speed = _checked(action, "value", speed, f"{action} speed")
        return {
            "pan": PanTilt(speed, 0.0), "tilt": PanTilt(0.0, speed), "zoom": Zoom(speed), "focus": Focus(speed),
        }[action]
    if action == "stop":
        return PanTilt(0.0, 0.0)
    if action == "home":
        return Home()
    if action == "preset":
        # int() alone would take " 3", "+3" and "3_0"; isdigit() alone takes "²", which int() refuses.
        if value is None or not (value.isascii() and value.isdigit()):
            raise ValueError(f"preset needs a number, not {value!r}")
        if store and clear:
            raise ValueError("preset takes --store or --clear, not both")
        number = _checked(action, "preset", int(value), "preset")
        if clear:
            return PresetClear(number)
        return PresetStore(number) if store else PresetRecall(number)
    if value not in AUTOFOCUS_MODES:
        raise ValueError(f"autofocus mode must be one of {', '.join(AUTOFOCUS_MODES)}, not {value!r}")
    return Autofocus(value)  # type: ignore[arg-type]


def _checked(action: str, key: str, value: float, what: str) -> Any:
    """``value`` as a config binding's ``key`` takes it (the same range); ValueError naming ``what``."""
    try:
        return binding_value(action, key, value)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None


def timed_move_seconds(seconds: float) -> float:
    """``--for`` of a timed pan/tilt/zoom/focus: above 0, at most :data:`TIMED_MOVE_LIMIT`."""
    if not 0.0 < seconds <= TIMED_MOVE_LIMIT:  # written so NaN fails too
        raise ValueError(f"--for: {seconds!r} is out of range (valid: more than 0, at most {TIMED_MOVE_LIMIT:g} seconds)")
    return seconds


def _named_command(action: str, mode: str | None, level: int | None) -> CameraAction:
    modes = NAMED_ACTIONS[action]
    if mode not in modes:
        given = "no mode" if mode is None else f"no mode {mode!r}"
        raise ValueError(f"{action} has {given} (valid: {', '.join(modes)})")
    if mode == DIRECT_MODE:
        levels = LEVELS[action]
        if level is None or level not in levels:
            got = "" if level is None else f", not {level}"
            raise ValueError(f"{action} {DIRECT_MODE} needs --level {levels.start}..{levels.stop - 1}{got}")
    return CameraAction(action, mode, level)


#: ``ptzmapd send``'s exit codes (README, "Commands"): the camera's own answer.
EXIT_ACKNOWLEDGED = 0
EXIT_NO_ANSWER = 1
EXIT_REFUSED = 3


async def wait_for_answers(outcomes: list[Outcome], timeout: float) -> bool:
    """Wait until every outcome has its command's own answer; False after ``timeout`` seconds
    with some still pending (the camera did not answer them)."""
    loop = asyncio.get_running_loop()
    pending = [outcome for outcome in outcomes if not outcome.done]
    if not pending:
        return True
    every: asyncio.Future[None] = loop.create_future()

    def one_done(_: Outcome) -> None:
        if all(outcome.done for outcome in pending) and not every.done():
            every.set_result(None)

    for outcome in pending:
        outcome.on_done(one_done)
    try:
        await asyncio.wait_for(every, timeout)
    except TimeoutError:
        return False
    return True


def report_answers(
    camera: str, what: str, outcomes: list[Outcome], last_error: str | None, opening: Outcome | None = None
) -> int:
    """Print what the camera answered to ``send``'s command(s); the exit code.

    0 acknowledged (or sent, for a protocol without replies), 1 no answer, 3 refused (the
    camera's refusal printed). A refusal wins over silence: a stop refused with 503 and then
    never taken is reported as refused, and so is a command that never got its turn because
    the camera refused the opening stop (a 401 holds HTTP requests back).
    """
    refused = [outcome for outcome in outcomes if outcome.answer is Answer.REFUSED]
    if not refused and opening is not None and opening.answer is Answer.REFUSED \
            and any(not outcome.done for outcome in outcomes):
        refused = [opening]
    if refused:
        print(f"{camera}: {what}: refused by the camera: {refused[0].message}", file=sys.stderr)
        return EXIT_REFUSED
    unanswered = [outcome for outcome in outcomes if outcome.answer in (Answer.PENDING, Answer.DROPPED)]
    if unanswered:
        refusal = next((outcome.refusal for outcome in unanswered if outcome.refusal), None)
        if refusal is not None:
            print(f"{camera}: {what}: refused by the camera: {refusal}", file=sys.stderr)
            return EXIT_REFUSED
        print(f"{camera}: {what}: the camera did not answer ({last_error or 'not connected'})", file=sys.stderr)
        return EXIT_NO_ANSWER
    if any(outcome.answer is Answer.UNSENDABLE for outcome in outcomes):
        message = next(outcome.message for outcome in outcomes if outcome.answer is Answer.UNSENDABLE)
        print(f"ptzmapd: {camera}: {what}: {message}", file=sys.stderr)
        return 2
    if any(outcome.answer is Answer.SUPERSEDED and not outcome.command.is_stop() for outcome in outcomes):
        # A timed move replaced by its stop before the camera answered any copy of it: the
        # stop's answer says nothing about whether the camera ever took the move.
        print(f"{camera}: {what}: the camera did not answer the move, which its stop replaced", file=sys.stderr)
        return EXIT_NO_ANSWER
    answered = [outcome.answer for outcome in outcomes if outcome.answer is not Answer.SUPERSEDED]
    if answered and all(answer is Answer.SENT for answer in answered):
        print(f"{camera}: {what}: sent (the protocol has no replies)")
    else:
        print(f"{camera}: {what}: acknowledged")
    return EXIT_ACKNOWLEDGED


#: How long an interrupted ``send`` waits for its stop to be answered before it exits.
SEND_STOP_GRACE = 2.0


class Interruption:
    """While ``send`` talks to a camera, a signal of :data:`INTERRUPTS` cancels the task that
    talks (so that its ``finally`` stops the camera) instead of ending the process on the spot.

    A signal that was ignored when ptzmapd started (``nohup``, a background job's SIGINT) stays
    ignored. Create it inside the task to interrupt; :meth:`close` gives the signals back.
    """

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._armed = True
        self._installed = [sig for sig in INTERRUPTS if signal.getsignal(sig) is not signal.SIG_IGN]
        for sig in self._installed:
            self._loop.add_signal_handler(sig, self._caught, sig)

    def _caught(self, sig: signal.Signals) -> None:
        # A second Ctrl-C must not cut short the wait for the stop; once the command is done,
        # the process is on its way out anyway.
        if self.signal is not None or not self._armed:
            return
        self.signal = sig
        if self._task is not None:
            self._task.cancel()

    def consumed(self) -> None:
        """The cancellation this signal caused has been caught: the task may await again."""
        if self._task is not None:
            self._task.uncancel()

    def disarm(self) -> bool:
        """The command is done: signals from now on are left alone. Returns True."""
        self._armed = False
        return True

    def close(self) -> None:
        for sig in self._installed:
            self._loop.remove_signal_handler(sig)
        self._installed = []


async def stop_first(controller: CameraController, grace: float) -> bool:
    """Stop every axis and wait up to ``grace`` seconds for the stop's own answer (on
    reply-less protocols: for the stop and its repeats to be written). True if it came."""
    stop = controller.stop()
    await wait_for_answers([stop], timeout=grace)
    return stop.answer in (Answer.ACKNOWLEDGED, Answer.SENT)


async def send(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.app.assemble import make_controller
    from ptzmapd.transports import TransportPool

    config = load_config(args.config)
    camera = config.cameras.get(args.camera)
    if camera is None:
        print(f"ptzmapd: no camera {args.camera!r} in {args.config} (valid: {', '.join(config.cameras)})", file=sys.stderr)
        return 2
    raw_kinds = modes_of(PROTOCOLS[camera.protocol].capabilities, RAW_ACTION)
    if args.action == RAW_ACTION and not raw_kinds:
        print(f"ptzmapd: {inability(camera, RAW_ACTION)}", file=sys.stderr)
        return 2
    try:
        command = send_command(
            args.action, args.value, args.store, args.level, raw_kinds[0] if raw_kinds else None,
            clear=args.clear, axes={"pan": args.pan, "tilt": args.tilt, "zoom": args.zoom}, duration=args.duration,
        )
    except ValueError as error:
        print(f"ptzmapd: {error}", file=sys.stderr)
        return 2
    # What the camera's protocol cannot do is said here, not as a silence from the camera.
    if isinstance(command, (CameraAction, RawCommand)):
        mode = command.kind if isinstance(command, RawCommand) else command.mode
        problem = inability(camera, args.action, mode)
    elif isinstance(command, PresetClear):
        problem = inability(camera, PRESET_CLEAR)
    else:
        problem = inability(camera, args.action) if args.action in ("move-to", "jog") else None
    # Values the protocol cannot carry (preset 0 on Pelco, pan 350 on IPCam CGI) are refused
    # here, in the codec's words, as `ptzmapd check` refuses them in a config.
    problem = problem or codec_refusal(camera, command)
    if problem is not None:
        print(f"ptzmapd: {problem}", file=sys.stderr)
        return 2
    moving = command.slot is not None and not command.is_stop()
    if moving and args.duration is None:
        print(f"ptzmapd: {args.action} needs --for SECONDS (a one-shot move must end)", file=sys.stderr)
        return 2
    if moving:
        try:
            timed_move_seconds(args.duration)
        except ValueError as error:
            print(f"ptzmapd: {error}", file=sys.stderr)
            return 2
    elif args.duration is not None and not isinstance(command, Jog):
        print("ptzmapd: --for goes with a pan, tilt, zoom or focus speed, or jog", file=sys.stderr)
        return 2

    clock = MonotonicClock()
    pool = TransportPool(log, clock=clock)
    interruption = Interruption()
    controller: CameraController | None = None
    finished = False
    try:
        controller = await make_controller(camera, pool, clock, log)
        deadline = asyncio.get_running_loop().time() + 3.0
        while not controller.transport.connected and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        # The opening words (RESET, stops) go first; a timed move is timed from when it can
        # really start, not eaten by them (on a 2400-baud Pelco bus they take ~0.1 s).
        opening = controller.stop()
        await wait_for_answers([opening], timeout=3.0)
        # send waits for its own command's answer (and its stop's), not for a quiet controller.
        if moving:
            outcomes = [controller.set_motion(command)]
            await asyncio.sleep(args.duration)
            outcomes.append(controller.stop())
        else:
            outcomes = [controller.submit(command)]
        await wait_for_answers(outcomes, timeout=3.0)
        finished = interruption.disarm()
    except asyncio.CancelledError:
        if interruption.signal is None:
            raise
        interruption.consumed()
    finally:
        stopped = None
        interruption.disarm()  # nothing may cut short what follows: the stop, the closing
        if controller is not None and not finished:
            # Every early way out (a signal, an error) stops the camera first, as the daemon does.
            stopped = await stop_first(controller, SEND_STOP_GRACE)
        interruption.close()
        if controller is not None:
            controller.close()
        await pool.close()
    if interruption.signal is not None:
        outcome = {True: "stopped", False: "sent a stop; the camera did not acknowledge it", None: "nothing sent"}
        print(f"ptzmapd: interrupted by {interruption.signal.name}: {camera.name}: {outcome[stopped]}", file=sys.stderr)
        return 128 + interruption.signal
    what = f"{args.action}{' ' + args.value if args.value else ''}{' (store)' if args.store else ''}"
    what += " (clear)" if args.clear else ""
    what += "".join(f" {axis} {number:g}" for axis, number in (("pan", args.pan), ("tilt", args.tilt), ("zoom", args.zoom))
                    if number is not None)
    what += f" {args.level}" if args.level is not None else ""
    assert controller is not None  # made, or the signal or error above returned
    return report_answers(camera.name, what, outcomes, controller.state.last_error, opening)


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
    port = args.port if args.port is not None else (spec.default_port if spec and spec.default_port else 0)
    try:
        handle = await SIMULATORS[protocol](
            protocol, host=args.host, port=port, log=lambda line: print(line, flush=True),
            serial=args.serial, cameras=args.cameras, user=args.user, password_env=args.password_env,
            auth=args.auth, digest_qop=args.digest_qop, digest_algorithm=args.digest_algorithm,
            quirks=args.quirk, completion_delay=args.completion_delay, drop_packets=args.drop_packet,
        )
    except OSError as error:  # the port is taken, the host unknown, no pty to be had
        where = "a pty" if spec is not None and spec.transport == "serial" and args.serial == "pty" \
            else f"{args.host}:{port}"
        # asyncio words a bind failure at length; the system's own words are enough.
        reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
        print(f"ptzmapd: cannot start the {protocol} simulator on {where}: {reason}", file=sys.stderr)
        return 1
    print(f"simulated {protocol} camera on {handle.where} (Ctrl-C to stop)", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await handle.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
