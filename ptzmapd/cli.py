"""The ``ptzmapd`` command: run, check, status, send, devices, learn, simulate, snapshot,
upload-ptz-image, demo.

Every user mistake ends in a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import sys
from pathlib import Path

from ptzmapd import __version__, logs
from ptzmapd.camera import CameraController
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
from ptzmapd.config.load import check_raw, inability
from ptzmapd.errors import ConfigError, ProtocolError, PtzmapdError
from ptzmapd.mapping.actions import DIRECT_MODE, LEVELS, NAMED_ACTIONS, PRESET_CLEAR, RAW_ACTION, modes_of
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.simulators import QUIRKS, SIMULATORS

SEND_ACTIONS = (
    "pan", "tilt", "zoom", "focus", "stop", "home", "preset", "autofocus", "move-to", "jog", *NAMED_ACTIONS, RAW_ACTION,
)


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
                      help="move for this long, then stop (required for pan/tilt/zoom/focus)")
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
    demo.add_argument("--duration", type=float, default=15.0, metavar="SECONDS")
    demo.add_argument("--no-midi", action="store_true", help="feed the mapping layer directly, not a MIDI port")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = logs.setup(args.verbose, args.quiet)
    try:
        if args.command == "check":
            return check(args.config)
        if args.command == "run":
            from ptzmapd.daemon import run
            from ptzmapd.status import default_socket_path

            socket_path = None if args.no_status_socket else Path(args.status_socket or default_socket_path())
            return asyncio.run(run(args.config, log, socket_path))
        if args.command == "status":
            from ptzmapd.status import default_socket_path, run_status

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
    if action == "move-to":
        if not given:
            raise ValueError("move-to needs at least one of --pan, --tilt, --zoom")
        return MoveTo(given.get("pan"), given.get("tilt"), given.get("zoom"))
    if action == "jog":
        if not any(given.values()) or any(not -1.0 <= speed <= 1.0 for speed in given.values()):
            raise ValueError("jog needs --pan, --tilt or --zoom speeds from -1 to 1, not all zero")
        if duration is None or not 0.0 < duration <= 10.0:
            raise ValueError("jog needs --for SECONDS (above 0, at most 10): the camera stops by itself after it")
        return Jog(given.get("pan", 0.0), given.get("tilt", 0.0), given.get("zoom", 0.0), duration)
    if level is not None and not (action in LEVELS and value == DIRECT_MODE):
        raise ValueError(f"--level goes with a direct mode ({', '.join(f'{name} {DIRECT_MODE}' for name in LEVELS)})")
    if action in NAMED_ACTIONS:
        return _named_command(action, value, level)
    if action == RAW_ACTION:
        if raw_kind is None:
            raise ValueError("this camera's protocol takes no raw commands")
        if not value:
            raise ValueError(f"raw needs the command, written for {raw_kind}, e.g. {_RAW_EXAMPLES[raw_kind]}")
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
        if not -1.0 <= speed <= 1.0:
            raise ValueError(f"{action} speed must be from -1 to 1, not {speed}")
        return {
            "pan": PanTilt(speed, 0.0), "tilt": PanTilt(0.0, speed), "zoom": Zoom(speed), "focus": Focus(speed),
        }[action]
    if action == "stop":
        return PanTilt(0.0, 0.0)
    if action == "home":
        return Home()
    if action == "preset":
        if value is None or not value.isdigit():
            raise ValueError(f"preset needs a number, not {value!r}")
        if store and clear:
            raise ValueError("preset takes --store or --clear, not both")
        if clear:
            return PresetClear(int(value))
        return PresetStore(int(value)) if store else PresetRecall(int(value))
    if value not in AUTOFOCUS_MODES:
        raise ValueError(f"autofocus mode must be one of {', '.join(AUTOFOCUS_MODES)}, not {value!r}")
    return Autofocus(value)  # type: ignore[arg-type]


#: What a raw command looks like, per kind, for the message when it is missing.
_RAW_EXAMPLES: dict[str, str] = {
    "visca": "'81 01 04 38 02 FF'",
    "pelco": "'00 07 00 05'",
    "http": "'PUT /ISAPI/PTZCtrl/channels/1/presets/2/goto'",
}


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


async def settle(controller: CameraController, timeout: float) -> bool:
    """Wait until everything sent was acknowledged; False if the camera did not answer."""
    clock = controller.clock
    deadline = clock.now() + timeout
    while clock.now() < deadline:
        if controller.idle:
            return controller.state.online
        if not controller.state.online:
            return False
        await asyncio.sleep(0.01)
    return False


async def send(args: argparse.Namespace, log: logging.Logger) -> int:
    from ptzmapd.daemon import make_controller
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
    if problem is not None:
        print(f"ptzmapd: {problem}", file=sys.stderr)
        return 2
    moving = command.slot is not None and not command.is_stop()
    if moving and args.duration is None:
        print(f"ptzmapd: {args.action} needs --for SECONDS (a one-shot move must end)", file=sys.stderr)
        return 2

    pool = TransportPool(log)
    controller = await make_controller(camera, pool, MonotonicClock(), log)
    try:
        deadline = asyncio.get_running_loop().time() + 3.0
        while not controller.transport.connected and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        # The opening words (RESET, stops) go first; a timed move is timed from when it can
        # really start, not eaten by them (on a 2400-baud Pelco bus they take ~0.5 s).
        await settle(controller, timeout=3.0)
        if moving:
            controller.set_motion(command)
            await asyncio.sleep(args.duration)
            controller.stop()
        else:
            controller.submit(command) if command.slot is None else controller.set_motion(command)
        answered = await settle(controller, timeout=3.0)
    finally:
        controller.close()
        await pool.close()
    what = f"{args.action}{' ' + args.value if args.value else ''}{' (store)' if args.store else ''}"
    what += " (clear)" if args.clear else ""
    what += "".join(f" {axis} {number:g}" for axis, number in (("pan", args.pan), ("tilt", args.tilt), ("zoom", args.zoom))
                    if number is not None)
    what += f" {args.level}" if args.level is not None else ""
    if answered:
        replies = PROTOCOLS[camera.protocol].ack_timeout > 0
        print(f"{camera.name}: {what}: {'acknowledged' if replies else 'sent (the protocol has no replies)'}")
        return 0
    print(f"{camera.name}: {what}: the camera did not answer ({controller.state.last_error or 'not connected'})", file=sys.stderr)
    return 1


async def simulate(args: argparse.Namespace) -> int:
    protocol = args.protocol
    known = QUIRKS.get(protocol, {})
    for quirk in args.quirk:
        if quirk not in known:
            print(f"ptzmapd: simulate {protocol} has no quirk {quirk!r} (valid: {', '.join(known) or 'none'})",
                  file=sys.stderr)
            return 2
    spec = PROTOCOLS.get(protocol)
    port = args.port if args.port is not None else (spec.default_port if spec and spec.default_port else 0)
    handle = await SIMULATORS[protocol](
        protocol, host=args.host, port=port, log=lambda line: print(line, flush=True),
        serial=args.serial, cameras=args.cameras, user=args.user, password_env=args.password_env,
        auth=args.auth, digest_qop=args.digest_qop, digest_algorithm=args.digest_algorithm,
        quirks=args.quirk,
    )
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
