"""Recording a move and playing it back: :class:`Recording` and :class:`Playback`.

A recording captures the normalised motion commands the motion layer sends to one camera
(after ramps, curves and the fine factor: what the camera was really asked), each with its
time from the start of the recording; it starts with whatever the camera was already doing
and ends with every axis stopped, so a trace always ends still.

Playback goes to the trace's start (its preset, or the position the camera reported, where
one is known, waiting for the camera to answer) and sends each move at its recorded time through the camera's own
controller, so pacing and newest-wins apply exactly as for a hand on a stick, with one
exception: a stop waits until the move before it has reached the camera (else newest-wins
would drop a short move, paced or awaiting an answer, and the camera would not move at all).
Such a wait, or a timer firing late, delays the rest of the pass, so each move keeps its
recorded length; at the end it
sends a stop and waits for the camera to confirm it. ``loop`` goes back to the start and plays
again; ``ping-pong`` plays the trace backwards (:func:`reversed_moves`), then forwards, and so
on. Pausing (the camera stopped answering) stops the camera and keeps the place in the trace;
resuming sends what was moving at that place and goes on from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import STOPS, Command, Focus, MoveTo, PanTilt, PresetRecall, Zoom
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.tours.store import Move, Trace


@dataclass(frozen=True, slots=True)
class TraceState:
    """A trace as ``ptzmapd status`` shows it: being ``recording`` or ``playing`` on
    ``camera``; ``seconds``: into the recording or the pass; ``backwards``: a ping-pong's
    return pass."""

    camera: str
    doing: str
    paused: bool = False
    seconds: float = 0.0
    backwards: bool = False
    #: Why it is paused: the camera "does not answer", "is on air" (both: joined by "and").
    waiting: str = ""


class Recording:
    """The motion commands sent to ``camera`` from ``started`` on."""

    def __init__(self, name: str, camera: str, started: float, start_preset: int | None,
                 motion: Mapping[str, Command]) -> None:
        self.name = name
        self.camera = camera
        self.started = started
        self.start_preset = start_preset
        #: Without a preset: the way back to the position the camera reported at the start.
        self.start_position: MoveTo | None = None
        # What the camera was already doing is where the trace starts.
        self.moves: list[Move] = [(0.0, command) for command in motion.values() if not command.is_stop()]

    def add(self, now: float, command: Command) -> None:
        self.moves.append((max(0.0, now - self.started), command))

    def finish(self, now: float, recorded: float) -> Trace:
        """The trace: ``recorded`` is the wall-clock time for the file."""
        duration = max(0.0, now - self.started)
        moves = list(self.moves)
        last: dict[str, Command] = {}
        for _, command in moves:
            last[command.slot or ""] = command
        moves += [(duration, STOPS[slot]) for slot, command in last.items() if not command.is_stop()]
        return Trace(self.name, self.camera, duration, tuple(moves), self.start_preset, recorded, self.start_position)


def negated(command: Command) -> Command:
    """The same move in the opposite direction."""
    if isinstance(command, PanTilt):
        return PanTilt(-command.pan, -command.tilt)
    if isinstance(command, Zoom):
        return Zoom(-command.speed)
    if isinstance(command, Focus):
        return Focus(-command.speed)
    raise TypeError(f"not a motion command: {command!r}")


def reversed_moves(moves: tuple[Move, ...], duration: float) -> tuple[Move, ...]:
    """The trace played backwards: each axis's speeds negated and their intervals mirrored
    in time (a speed held over ``[t1, t2)`` is held negated over ``[d - t2, d - t1)``), each
    axis stopped where its first recorded move began."""
    by_slot: dict[str, list[Move]] = {}
    for move in moves:
        by_slot.setdefault(move[1].slot or "", []).append(move)
    backwards: list[Move] = []
    for slot, own in by_slot.items():
        ends = [at for at, _ in own[1:]] + [duration]
        # Latest first, so within one axis the list runs forward in mirrored time.
        backwards += [(duration - end, negated(command)) for (_, command), end in reversed(list(zip(own, ends)))]
        backwards.append((duration - own[0][0], STOPS[slot]))
    backwards.sort(key=lambda move: move[0])  # stable: one axis's order is kept
    return tuple(backwards)


class Playback:
    """One playing of a trace on its camera's controller; ``ended(playback, why)`` is called
    once when it ends by itself (the last pass is over) — :meth:`stop` says nothing."""

    def __init__(self, trace: Trace, repeat: str, controller: CameraController, clock: Clock,
                 log: logging.Logger, ended: Callable[["Playback", str], None]) -> None:
        self.trace = trace
        self.repeat = repeat
        self.controller = controller
        self.clock = clock
        self.log = log
        self._ended = ended
        self._backward_moves: tuple[Move, ...] | None = None
        self.backwards = False
        self.paused = False
        self.running = False
        #: The pass being played, when it began (clock time) and the next move's index.
        self._moves: tuple[Move, ...] = trace.moves
        self._began: float | None = None
        self._next = 0
        #: What it is doing: going to the start, playing a pass, or stopping at a pass's end
        #: (waiting for the camera to confirm the stop). A pause keeps it, and the place in
        #: the pass (seconds), so that resuming does that again.
        self._phase = "to-start"
        self._paused_at = 0.0
        self._timer: Timer | None = None
        self._generation = 0
        #: Each slot's last move of this pass that is not a stop: whether it reached the camera.
        self._moving: dict[str, Outcome] = {}

    def start(self) -> None:
        self.running = True
        self._to_start()

    def stop(self) -> None:
        self.running = False
        self._abandon()

    def pause(self) -> None:
        """The camera stopped answering: keep the place, and stop what the trace set moving
        (the controller would otherwise send it as soon as the camera answers again)."""
        if not self.running or self.paused:
            return
        self.paused = True
        if self._phase == "playing" and self._began is not None:
            self._paused_at = self.clock.now() - self._began
        self._abandon()
        self.controller.stop()

    def resume(self) -> None:
        if not self.running or not self.paused:
            return
        self.paused = False
        if self._phase == "to-start":
            self._to_start()
            return
        if self._phase == "stopping":
            self._pass_done(self._generation)
            return
        elapsed = self._paused_at
        self._began = self.clock.now() - elapsed
        # What was moving at that place in the trace moves again.
        moving: dict[str, Command] = {}
        for at, command in self._moves[: self._next]:
            moving[command.slot or ""] = command
        self._moving = {slot: self.controller.set_motion(command) for slot, command in moving.items()
                        if not command.is_stop()}
        self._schedule(self._generation)

    def state(self) -> TraceState:
        seconds = 0.0
        if self.paused and self._phase == "playing":
            seconds = self._paused_at
        elif self._began is not None:
            seconds = self.clock.now() - self._began
        return TraceState(self.trace.camera, "playing", self.paused, round(seconds, 1), self.backwards)

    # ------------------------------------------------------------------ passes

    def _abandon(self) -> None:
        self._generation += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _to_start(self) -> None:
        """Go to the trace's start (its preset, when known), then play it forwards."""
        self._abandon()
        self._phase = "to-start"
        self._began = None
        self.backwards = False
        self._moves = self.trace.moves
        generation = self._generation
        trace = self.trace
        start = PresetRecall(trace.start_preset) if trace.start_preset is not None else trace.start_position
        if start is None:
            self._begin(generation)
            return
        outcome = self.controller.submit(start)
        outcome.on_done(lambda _: self._begin(generation))

    def _begin(self, generation: int) -> None:
        if generation != self._generation or not self.running:
            return
        self._phase = "playing"
        self._began = self.clock.now()
        self._next = 0
        self._moving = {}
        self._schedule(generation)

    def _schedule(self, generation: int) -> None:
        """Send every move that is due, then wait for the next one (or the end)."""
        if generation != self._generation or self._began is None:
            return
        self._timer = None
        elapsed = self.clock.now() - self._began
        moves = self._moves
        if self._next < len(moves) and moves[self._next][0] < elapsed:
            # Late (a loaded machine's timer, or a wait below): the rest of the pass moves
            # later with it, so each move keeps its recorded length.
            self._began += elapsed - moves[self._next][0]
            elapsed = moves[self._next][0]
        while self._next < len(moves) and moves[self._next][0] <= elapsed + 1e-9:
            command = moves[self._next][1]
            slot = command.slot or ""
            moving = self._moving.get(slot)
            if command.is_stop() and moving is not None and not moving.done:
                # The move before it has not reached the camera (pacing, an answer awaited):
                # a stop now would take its place in the slot (newest wins) and the camera
                # would not move at all. The stop waits until the move is out.
                moving.on_done(lambda _: self._wait_over(generation))
                return
            outcome = self.controller.set_motion(command)
            if command.is_stop():
                self._moving.pop(slot, None)
            else:
                self._moving[slot] = outcome
            self._next += 1
        due = moves[self._next][0] if self._next < len(moves) else self.trace.duration
        if self._next >= len(moves) and elapsed + 1e-9 >= due:
            self._pass_done(generation)
            return
        self._timer = self.clock.call_later(due - elapsed, lambda: self._schedule(generation))

    def _wait_over(self, generation: int) -> None:
        # Called from inside the controller (an answer, a send): go on from the clock instead.
        if generation == self._generation and self._timer is None:
            self._timer = self.clock.call_later(0.0, lambda: self._schedule(generation))

    def _pass_done(self, generation: int) -> None:
        """The pass is over: a stop, confirmed by the camera, then the next pass or the end."""
        self._phase = "stopping"
        self._began = None
        outcome = self.controller.stop()
        outcome.on_done(lambda answer: self._after_stop(generation, answer))

    def _after_stop(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation or not self.running:
            return
        if outcome.answer not in (Answer.ACKNOWLEDGED, Answer.SENT):
            self.log.warning("trace '%s': camera '%s' did not confirm the stop at its end (%s: %s)",
                             self.trace.name, self.trace.camera, outcome.answer.value, outcome.message)
        if self.repeat == "loop":
            self._to_start()
        elif self.repeat == "ping-pong":
            self.backwards = not self.backwards
            if self._backward_moves is None:
                self._backward_moves = reversed_moves(self.trace.moves, self.trace.duration)
            self._moves = self._backward_moves if self.backwards else self.trace.moves
            self._begin(generation)
        else:
            self.running = False
            self._ended(self, "it played to its end")
