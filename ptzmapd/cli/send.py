"""``ptzmapd send``: one command to one camera, and the camera's own answer as exit code.

What an ACTION VALUE means comes from the action's row (:mod:`ptzmapd.mapping.actions`):
``send`` is one press of a button bound to the action, with the values the command line
gives, checked with the ranges a config's binding has; the row makes the command. A move
with a speed is timed (``--for``) and always ends with a stop, interrupted or not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import sys
from typing import Any

from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.clock import MonotonicClock
from ptzmapd.commands import Command
from ptzmapd.config.loader import load_config
from ptzmapd.config.checks import check_raw, raw_example
from ptzmapd.config.rules import binding_value, codec_refusal, inability
from ptzmapd.config.model import BindingConfig, Mark, RawText
from ptzmapd.errors import ProtocolError
from ptzmapd.transports.base import Transport
from ptzmapd.mapping.actions import ACTION_ROWS, AXIS_KEYS, ROWS, ActionRow
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.vocabulary import DIRECT_MODE, LEVELS, Action, ControlKind, modes_of

#: What ``send`` can do: every action whose row makes a camera command (not the surface's).
SEND_ACTIONS: tuple[str, ...] = tuple(row.action for row in ROWS if row.command is not None)
#: Actions that take ``--pan/--tilt/--zoom`` (their rows have those keys).
AXIS_ACTIONS: tuple[str, ...] = tuple(
    row.action for row in ROWS if any(param.key in AXIS_KEYS for param in row.params)
)
#: Actions whose ``--for`` is their own ``duration`` key (jog: the camera times the move).
TIMED_BY_CAMERA: tuple[str, ...] = tuple(
    row.action for row in ROWS if any(param.key == "duration" for param in row.params)
)
#: The longest timed move ``send … pan 0.5 --for SECONDS`` makes, in seconds. Ten minutes
#: covers a slow pan across a whole room; beyond it a typo (1e9) would be a runaway camera.
TIMED_MOVE_LIMIT = 600.0
#: Signals that end ``send`` early. The camera is stopped first; the exit code is 128 + N.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Where a value from the command line comes from, in messages.
COMMAND_LINE = Mark("<command line>", 1, 1)


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jog_seconds = "; ".join(f"{action}: {ACTION_ROWS[action].param('duration').words}" for action in TIMED_BY_CAMERA)
    send = commands.add_parser(
        "send", help="send one command to one camera",
        description="Send one command and wait for the camera to acknowledge it. "
        "Examples: 'send -c studio.yaml stage preset 3', 'send -c studio.yaml stage pan 0.5 --for 1.5', "
        "'send -c studio.yaml stage tally on', 'send -c studio.yaml stage iris direct --level 8', "
        "'send -c studio.yaml stage raw \"81 01 04 38 02 FF\"', "
        "'send -c studio.yaml gate move-to --pan 90 --tilt 10', 'send -c studio.yaml gate jog --pan 0.5 --for 0.4'.",
    )
    send.add_argument("-c", "--config", required=True, metavar="FILE")
    send.add_argument("camera")
    send.add_argument("action", choices=SEND_ACTIONS, metavar="ACTION", help=f"one of: {', '.join(SEND_ACTIONS)}")
    send.add_argument("value", nargs="?", help="speed -1..1 for pan/tilt/zoom/focus, preset number, the mode of "
                      "autofocus or a named action (tally on), or a raw command (hex or 'METHOD /path [body]')")
    send.add_argument("--level", type=int, metavar="N", help="with a named action's direct mode: the level to set")
    send.add_argument("--for", dest="duration", type=float, metavar="SECONDS",
                      help=f"move for this long, then stop (required for pan/tilt/zoom/focus: above 0, "
                      f"at most {TIMED_MOVE_LIMIT:g}; {jog_seconds})")
    send.add_argument("--store", action="store_true", help="with preset: store instead of recall")
    send.add_argument("--clear", action="store_true", help="with preset: clear (forget) it instead of recall")
    send.add_argument("--speed", type=float, metavar="S",
                      help="with preset: travel there at this speed (more than 0, at most 1 of the camera's fastest)")
    for axis, meaning in (("pan", "degrees"), ("tilt", "degrees"), ("zoom", "0..100")):
        send.add_argument(f"--{axis}", type=float, metavar="N",
                          help=f"move-to: the {axis} position ({meaning}); jog: the {axis} speed -1..1")
    send.set_defaults(func=main)


def main(args: argparse.Namespace, log: logging.Logger) -> int:
    return asyncio.run(send(args, log))


def send_command(
    action: str, value: str | None, store: bool, level: int | None = None, raw_kind: str | None = None,
    *, clear: bool = False, axes: dict[str, float | None] | None = None, duration: float | None = None,
    speed: float | None = None,
) -> Command:
    """The command ``ptzmapd send`` sends for ACTION VALUE; ValueError with a clear text.

    ``level`` is ``--level`` (a named action's direct mode); ``raw_kind`` what a raw VALUE is
    written in, the camera's own kind (None: the camera takes no raw commands). ``axes`` are
    ``--pan/--tilt/--zoom`` (move-to positions, jog speeds); ``duration`` is a jog's ``--for``;
    ``speed`` a preset recall's ``--speed``.
    """
    return pressed_binding(action, value, store, level, raw_kind, clear=clear, axes=axes, duration=duration,
                           speed=speed)[1]


def pressed_binding(
    action: str, value: str | None, store: bool, level: int | None = None, raw_kind: str | None = None,
    *, clear: bool = False, axes: dict[str, float | None] | None = None, duration: float | None = None,
    speed: float | None = None,
) -> tuple[BindingConfig, Command]:
    """The button binding ``send``'s arguments stand for, and the command one press of it sends."""
    row = ACTION_ROWS[action]
    keys: dict[str, Any] = {}
    given = {axis: number for axis, number in (axes or {}).items() if number is not None}
    if not all(math.isfinite(number) for number in given.values()):
        raise ValueError("--pan/--tilt/--zoom must be finite numbers")
    if given and action not in AXIS_ACTIONS:
        raise ValueError(f"--pan/--tilt/--zoom go with {' or '.join(AXIS_ACTIONS)}")
    # The binding keys of the same names, with the ranges a config's binding has.
    keys.update({axis: _checked(action, axis, number, f"--{axis}") for axis, number in given.items()})
    if action in TIMED_BY_CAMERA:
        words = row.param("duration").words
        if (problem := row.needs(_binding(action, keys), _flag)) is not None:
            raise ValueError(problem)
        if duration is None:
            raise ValueError(f"{action} needs --for SECONDS ({words}): the camera stops by itself after it")
        keys["duration"] = _checked(action, "duration", duration, "--for")
    elif (problem := row.needs(_binding(action, keys), _flag)) is not None:
        raise ValueError(problem)
    if level is not None and not (action in LEVELS and value == DIRECT_MODE):
        raise ValueError(f"--level goes with a direct mode ({', '.join(f'{name} {DIRECT_MODE}' for name in LEVELS)})")
    keys.update(_value_keys(row, value, store, clear, level, raw_kind))
    if speed is not None:
        # A recall's travel speed (binding key ``speed``), with the config's range.
        if row.argument != "preset" or store or clear:
            raise ValueError("--speed goes with a preset recall (not with --store or --clear)")
        keys["speed"] = _checked(action, "speed", speed, "--speed")
    binding = _binding(action, keys)
    assert row.command is not None  # SEND_ACTIONS have one
    return binding, row.command(binding)


def _binding(action: str, keys: dict[str, Any]) -> BindingConfig:
    """A button bound to ``action`` with these keys: what ``send`` is one press of."""
    return BindingConfig(input="", control=ControlKind.BUTTON, number=None, action=Action(action), mark=COMMAND_LINE, **keys)


def _flag(key: str) -> str:
    """A binding key as the command line spells it."""
    return f"--{key}"


def _value_keys(row: ActionRow, value: str | None, store: bool, clear: bool, level: int | None,
                raw_kind: str | None) -> dict[str, Any]:
    """The binding keys VALUE (and ``--store``/``--clear``/``--level``) stand for, by what
    the row says VALUE is."""
    action = row.action
    if row.argument == "speed":
        if value is None:
            raise ValueError(f"{action} needs a speed from -1 to 1")
        try:
            speed = float(value)
        except ValueError:
            raise ValueError(f"{action} speed must be a number from -1 to 1, not {value!r}") from None
        # A held control's speed (binding key ``value``): -1..1, and never NaN or infinite.
        return {"value": _checked(action, "value", speed, f"{action} speed")}
    if row.argument == "preset":
        # int() alone would take " 3", "+3" and "3_0"; isdigit() alone takes "²", which int() refuses.
        if value is None or not (value.isascii() and value.isdigit()):
            raise ValueError(f"preset needs a number, not {value!r}")
        if store and clear:
            raise ValueError("preset takes --store or --clear, not both")
        return {"preset": _checked(action, "preset", int(value), "preset"), "store": store, "clear": clear}
    if row.argument == "mode":
        if value not in row.modes:
            given = "no mode" if value is None else f"no mode {value!r}"
            raise ValueError(f"{action} has {given} (valid: {', '.join(row.modes)})")
        if value == DIRECT_MODE:
            levels = LEVELS[action]
            if level is None or level not in levels:
                got = "" if level is None else f", not {level}"
                raise ValueError(f"{action} {DIRECT_MODE} needs --level {levels.start}..{levels.stop - 1}{got}")
        return {"mode": value, "level": level}
    if row.argument == "raw":
        if raw_kind is None:
            raise ValueError("this camera's protocol takes no raw commands")
        if not value:
            raise ValueError(f"raw needs the command, written for {raw_kind}, e.g. {raw_example(raw_kind)}")
        try:
            check_raw(raw_kind, value)
        except (ValueError, ProtocolError) as error:
            raise ValueError(f"raw {raw_kind}: {error}") from None
        return {"raw": RawText(raw_kind, value)}
    return {}  # stop, home: nothing to say


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


#: How long ``send`` waits for the camera's wire to come up (a TCP connect, a serial device).
CONNECT_TIMEOUT = 3.0


async def wait_connected(transport: Transport, timeout: float) -> bool:
    """Wait until ``transport`` reports its wire up (its state listener), at most ``timeout``
    seconds; False if it did not come up (the command then waits for its answer in vain and
    ``send`` reports no answer)."""
    if transport.connected:
        return True
    up = asyncio.Event()

    def on_state(connected: bool) -> None:
        if connected:
            up.set()

    def on_data(data: bytes) -> None:
        pass

    transport.add_listener(on_data, on_state)
    try:
        await asyncio.wait_for(up.wait(), timeout)
    except TimeoutError:
        return False
    finally:
        transport.remove_listener(on_data, on_state)
    return True


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
    raw_kinds = modes_of(PROTOCOLS[camera.protocol].capabilities, Action.RAW)
    if args.action == Action.RAW and not raw_kinds:
        print(f"ptzmapd: {inability(camera, Action.RAW)}", file=sys.stderr)
        return 2
    try:
        binding, command = pressed_binding(
            args.action, args.value, args.store, args.level, raw_kinds[0] if raw_kinds else None,
            clear=args.clear, axes={"pan": args.pan, "tilt": args.tilt, "zoom": args.zoom}, duration=args.duration,
            speed=args.speed,
        )
    except ValueError as error:
        print(f"ptzmapd: {error}", file=sys.stderr)
        return 2
    # What the camera's protocol cannot do is said here, not as a silence from the camera:
    # the row's asks, as `ptzmapd check` asks them of a binding.
    problem = next(
        (why for _, action, mode in ACTION_ROWS[args.action].asks(binding)
         if (why := inability(camera, action, mode)) is not None),
        None,
    )
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
    elif args.duration is not None and args.action not in TIMED_BY_CAMERA:
        print(f"ptzmapd: --for goes with a pan, tilt, zoom or focus speed, or {' or '.join(TIMED_BY_CAMERA)}",
              file=sys.stderr)
        return 2

    clock = MonotonicClock()
    pool = TransportPool(log, clock=clock)
    interruption = Interruption()
    controller: CameraController | None = None
    finished = False
    try:
        controller = await make_controller(camera, pool, clock, log)
        await wait_connected(controller.transport, CONNECT_TIMEOUT)
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
    what += f" at speed {args.speed:g}" if args.speed is not None else ""
    assert controller is not None  # made, or the signal or error above returned
    return report_answers(camera.name, what, outcomes, controller.state.last_error, opening)
