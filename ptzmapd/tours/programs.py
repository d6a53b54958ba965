"""Tours and traces of every camera: what the pipeline hands them, and the rules around them.

:class:`Programs` is what the pipeline holds. It

- starts, stops and toggles tours (:class:`~ptzmapd.mapping.intents.TourControl`), records,
  plays and stops traces (:class:`~ptzmapd.mapping.intents.TraceControl`); one program per
  camera at a time (a new one on a camera ends the one running there);
- hears every motion command the motion layer sends (:meth:`Programs.sent`): a recording
  keeps those of its camera; it remembers which preset each camera stands at (a recall not
  followed by any motion), where a recording starts;
- hears every manual action (:meth:`Programs.manual`): a hand moving a camera, recalling a
  preset, sending it home or pressing stop ends the tour or playback on that camera, with a
  log line saying so;
- is told by the controllers when a camera stops answering (a
  :class:`~ptzmapd.control.state.CameraWatcher`): its program pauses, and resumes when the
  camera answers again;
- stops everything at shutdown (:meth:`Programs.stop_all`): no program outlives its daemon;
- keeps traces: loaded from ``state_dir`` at start, written there (atomically, by one
  background thread so that a slow disk never holds up a camera) when a recording ends;
- lights the LEDs of the bindings naming a program while it runs or records.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from dataclasses import replace
from collections.abc import Callable, Mapping, Sequence

from ptzmapd.clock import Clock
from ptzmapd.commands import (
    Command,
    Home,
    Jog,
    MoveTo,
    PanTiltPositionInquiry,
    PresetRecall,
    PresetStore,
    ZoomPositionInquiry,
)
from ptzmapd.config.model import BindingConfig, TourConfig
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer, Outcome
from ptzmapd.mapping.intents import TourControl, TraceControl
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.tours.store import Trace, TraceUnreadable, stored_traces, write_trace
from ptzmapd.tours.tour import TourRun, TourState
from ptzmapd.tours.trace import Playback, Recording, TraceState
from ptzmapd.vocabulary import Action

#: Discrete commands that move a camera: given by hand, they end its program.
MOVING_COMMANDS = (PresetRecall, Home, MoveTo, Jog)
Program = TourRun | Playback
#: How a camera goes back to a position it reported (its protocol's ``return_to``).
ReturnTo = Callable[[tuple[int, int] | None, int | None], MoveTo | None]


class Programs:
    """The tours and traces of one runtime (see the module's docstring).

    ``controllers`` may still be filling when this is built (the controllers are told of it as
    a watcher); it is read only when a program starts. ``writer`` saves a trace (tests
    replace it); by default :func:`~ptzmapd.tours.store.write_trace` on a background thread.
    """

    def __init__(
        self, tours: Mapping[str, TourConfig], bindings: Sequence[BindingConfig],
        controllers: Mapping[str, CameraController], clock: Clock, log: logging.Logger, state_dir: str,
        observers: Sequence[PipelineObserver] = (), returns: Mapping[str, ReturnTo] | None = None,
    ) -> None:
        self.tours = tours
        #: Cameras that can go back to a position they report: where a recording starts
        #: without a preset.
        self.returns = dict(returns or {})
        self.controllers = controllers
        self.clock = clock
        self.log = log
        self.state_dir = state_dir
        self._observers = tuple(observers)
        #: The program running on each camera.
        self.running: dict[str, Program] = {}
        #: The recording on each camera.
        self.recording: dict[str, Recording] = {}
        #: The preset each camera stands at: recalled or stored, and no motion since.
        self._at_preset: dict[str, int] = {}
        #: Why each camera's program may not move it now: "it does not answer", "it is on air".
        self._holds: dict[str, set[str]] = {}
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: list[concurrent.futures.Future[str]] = []
        self._stopped = False
        #: The LEDs of each program: ("tour", name) / ("record" | "play", trace name).
        self._lights: dict[tuple[str, str], list[int]] = {}
        for index, binding in enumerate(bindings):
            if binding.action == Action.TOUR and binding.tour:
                self._lights.setdefault(("tour", binding.tour), []).append(index)
            elif binding.action == Action.TRACE and binding.trace:
                kinds = ("record", "play") if binding.mode == "stop" else (binding.mode or "",)
                for kind in kinds:
                    self._lights.setdefault((kind, binding.trace), []).append(index)
        self.traces: dict[str, Trace] = {}
        if state_dir:
            self._load()

    def _load(self) -> None:
        try:
            for path, found in stored_traces(self.state_dir):
                if isinstance(found, TraceUnreadable):
                    self.log.warning("trace file %s cannot be used: %s", path, found)
                else:
                    self.traces[found.name] = found
        except TraceUnreadable as problem:
            self.log.warning("no stored traces: %s", problem)

    # ------------------------------------------------------------------ what the pipeline hands on

    def control_tour(self, intent: TourControl) -> None:
        config = self.tours.get(intent.tour)
        if config is None or self._stopped:
            return  # the config's check names every tour a binding asks for
        camera = config.camera
        current = self.running.get(camera)
        mine = isinstance(current, TourRun) and current.config.name == intent.tour
        if intent.mode == "stop" or (intent.mode == "toggle" and mine):
            if mine:
                self._end(camera, "stopped by its button", halt=True)  # a stopped tour does not travel on
            return
        if mine:
            return
        if current is not None:
            self._end(camera, f"tour '{intent.tour}' starts there")
        run = TourRun(config, self.controllers[camera], self.clock, self.log, self._ended)
        self._begin(camera, run, "tour", intent.tour)
        self.log.info("tour '%s' on camera '%s': started (%d stops%s)", intent.tour, camera, len(config.stops),
                      ", looping" if config.loop else "")
        if self._holds.get(camera):
            run.running = run.paused = True
            self.log.info("tour '%s': camera '%s' %s; waiting", intent.tour, camera, " and ".join(self._holds[camera]))
        else:
            run.start()

    def control_trace(self, intent: TraceControl, cameras: Sequence[str]) -> None:
        """``cameras``: the binding's target resolved (where a recording captures)."""
        if self._stopped:
            return
        name = intent.trace
        recording = next((r for r in self.recording.values() if r.name == name), None)
        playing = next((p for p in self.running.values() if isinstance(p, Playback) and p.trace.name == name), None)
        if intent.mode == "stop":
            if recording is not None:
                self._save(recording)
            if playing is not None:
                self._end(playing.trace.camera, "stopped by its button", halt=True)
            return
        if intent.mode == "record":
            if recording is not None:
                self._save(recording)
            elif cameras:
                self._record(name, cameras[0])
            return
        if playing is not None:  # play, pressed again
            self._end(playing.trace.camera, "stopped by its button", halt=True)
            return
        self._play(name, intent.repeat)

    def _record(self, name: str, camera: str) -> None:
        if camera in self.recording:
            self._save(self.recording[camera])
        if camera in self.running:  # the hand that is about to be recorded takes over
            self._end(camera, f"trace '{name}' records there", halt=True)
        controller = self.controllers[camera]
        start = self._at_preset.get(camera)
        recording = Recording(name, camera, self.clock.now(), start, controller.state.motion)
        self.recording[camera] = recording
        self._light("record", name, True)
        return_to = self.returns.get(camera)
        where = f"preset {start}" if start is not None else (
            "the position it reports" if return_to is not None else "where it stands (no preset recalled since it last moved)")
        self.log.info("trace '%s': recording camera '%s' from %s", name, camera, where)
        if start is None and return_to is not None:
            self._locate(recording, controller, return_to)

    def _locate(self, recording: Recording, controller: CameraController, return_to: ReturnTo) -> None:
        """Ask where the camera is: the inquiries go ahead of any motion (discrete commands
        first), so their answers are the recording's start."""
        asked = [controller.submit(PanTiltPositionInquiry()), controller.submit(ZoomPositionInquiry())]

        def answered(_: Outcome) -> None:
            if not all(outcome.done for outcome in asked) or self.recording.get(recording.camera) is not recording:
                return
            pan_tilt, zoom = (outcome.answer is Answer.ACKNOWLEDGED for outcome in asked)
            state = controller.state
            recording.start_position = return_to(state.pan_tilt_position if pan_tilt else None,
                                                 state.zoom_position if zoom else None)
            if recording.start_position is None:
                self.log.warning("trace '%s': camera '%s' did not say where it is; it will play from where it stands",
                                 recording.name, recording.camera)

        for outcome in asked:
            outcome.on_done(answered)

    def _save(self, recording: Recording) -> None:
        del self.recording[recording.camera]
        self._light("record", recording.name, False)
        trace = recording.finish(self.clock.now(), time.time())
        if not trace.moves:
            kept = " (the stored one is kept)" if trace.name in self.traces else ""
            self.log.warning("trace '%s': nothing moved camera '%s' while recording; not saved%s",
                             trace.name, trace.camera, kept)
            return
        self.traces[trace.name] = trace
        self.log.info("trace '%s': recorded %d moves over %.1f s on camera '%s'",
                      trace.name, len(trace.moves), trace.duration, trace.camera)
        if not self.state_dir:
            return
        if self._writer is None:
            self._writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ptzmapd-traces")
        self._pending.append(self._writer.submit(self._write, trace))

    def _write(self, trace: Trace) -> str:
        # On the writer's thread: logging is thread-safe, and nothing else is touched here.
        # Logged inside the job (not in a done-callback, which may run after flush() returns).
        try:
            path = write_trace(self.state_dir, trace)
        except Exception as error:
            self.log.error("trace '%s' could not be saved: %s", trace.name, error)
            return ""
        self.log.debug("trace '%s' saved to %s", trace.name, path)
        return path

    def _play(self, name: str, repeat: str) -> None:
        trace = self.traces.get(name)
        if trace is None:
            self.log.warning("trace '%s' has not been recorded yet; nothing to play", name)
            return
        camera = trace.camera
        if camera not in self.controllers:
            self.log.warning("trace '%s' was recorded on camera '%s', which this config does not have", name, camera)
            return
        if camera in self.recording:
            self._save(self.recording[camera])
        if camera in self.running:
            self._end(camera, f"trace '{name}' plays there")
        playback = Playback(trace, repeat, self.controllers[camera], self.clock, self.log, self._ended)
        self._begin(camera, playback, "play", name)
        self.log.info("trace '%s' on camera '%s': playing %.1f s%s", name, camera, trace.duration,
                      "" if repeat == "once" else f" ({repeat})")
        if self._holds.get(camera):
            playback.running = playback.paused = True
            self.log.info("trace '%s': camera '%s' %s; waiting", name, camera, " and ".join(self._holds[camera]))
        else:
            playback.start()

    def sent(self, camera: str, command: Command) -> None:
        """A motion command the motion layer sent to ``camera`` (by hand: programs send theirs
        straight to the controller)."""
        if not command.is_stop():
            self._at_preset.pop(camera, None)
        recording = self.recording.get(camera)
        if recording is not None:
            recording.add(self.clock.now(), command)

    def manual(self, camera: str, command: Command | None) -> None:
        """A hand acted on ``camera``: a motion (``command`` None), a stop (``StopAll``'s
        pan/tilt stop) or a discrete command. Moving it ends its program."""
        if isinstance(command, (PresetRecall, PresetStore)):
            self._at_preset[camera] = command.number
        elif command is None or isinstance(command, MOVING_COMMANDS):
            self._at_preset.pop(camera, None)
        moving = command is None or isinstance(command, MOVING_COMMANDS) or command.is_stop()
        if moving and camera in self.running:
            what = "moved by hand" if command is None else "stopped by hand" if command.is_stop() else \
                f"given {type(command).__name__} by hand"
            # A trace moves several axes at once: the hand takes over one, the rest must stop.
            self._end(camera, f"camera '{camera}' was {what}", halt=isinstance(self.running[camera], Playback))

    def camera_online(self, camera: str, online: bool) -> None:
        """A controller's news (a :class:`~ptzmapd.control.state.CameraWatcher`): its program
        pauses while the camera does not answer."""
        self._hold(camera, "does not answer", not online, "answers again")

    def on_air(self, camera: str, locked: bool) -> None:
        """The live lockout now holds ``camera`` (or no longer does): a tour or trace never
        moves a camera on air, so its program pauses until the lockout lets go."""
        self._hold(camera, "is on air", locked, "is off air")
        program = self.running.get(camera)
        if locked and isinstance(program, TourRun):
            program.take_back()

    def _hold(self, camera: str, reason: str, on: bool, ended: str) -> None:
        holds = self._holds.setdefault(camera, set())
        if (reason in holds) == on:
            return
        was_held = bool(holds)
        if on:
            holds.add(reason)
        else:
            holds.discard(reason)
        program = self.running.get(camera)
        if program is None or was_held == bool(holds):
            return
        if holds:
            self.log.warning("%s: camera '%s' %s; paused", self._name(program), camera, reason)
            program.pause()
        else:
            self.log.info("%s: camera '%s' %s; going on", self._name(program), camera, ended)
            program.resume()

    # ------------------------------------------------------------------ the end of programs

    def _begin(self, camera: str, program: Program, kind: str, name: str) -> None:
        self.running[camera] = program
        self._light(kind, name, True)

    def _ended(self, program: Program, why: str) -> None:
        camera = program.config.camera if isinstance(program, TourRun) else program.trace.camera
        if self.running.get(camera) is program:
            self._end(camera, why)

    def _end(self, camera: str, why: str, halt: bool = False) -> None:
        """End the program on ``camera``; ``halt`` also stops the camera where it is."""
        program = self.running.pop(camera)
        program.stop()
        if halt:  # everywhere: a preset recall may still be travelling, unseen by the motion slots
            self.controllers[camera].stop(everywhere=True)
        self.log.info("%s on camera '%s': ended, %s", self._name(program), camera, why)
        if isinstance(program, TourRun):
            self._light("tour", program.config.name, False)
        else:
            self._light("play", program.trace.name, False)

    def stop_all(self) -> None:
        """At shutdown: every program ends and recordings are saved; nothing starts again.
        (The cameras are stopped by the pipeline, with every other motion.)"""
        self._stopped = True
        for recording in list(self.recording.values()):
            self._save(recording)
        self.end_all("ptzmapd is stopping (or reloading its config)")

    def end_all(self, why: str) -> None:
        """Every tour and playback ends (every camera is being stopped)."""
        for camera in list(self.running):
            self._end(camera, why)

    def close(self) -> None:
        """Wait for traces still being written, then let the writer go."""
        self.stop_all()
        self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def flush(self) -> None:
        """Wait until every trace handed to the writer is on disk (or failed, logged)."""
        pending, self._pending = self._pending, []
        concurrent.futures.wait(pending)

    # ------------------------------------------------------------------ status and lights

    def tour_states(self) -> dict[str, TourState]:
        """Every configured tour, running or not."""
        states = {}
        for name, config in self.tours.items():
            program = self.running.get(config.camera)
            if isinstance(program, TourRun) and program.config.name == name:
                states[name] = replace(program.state(), waiting=self._waiting(config.camera))
            else:
                states[name] = TourState(camera=config.camera, running=False)
        return states

    def trace_states(self) -> dict[str, TraceState]:
        """Traces being recorded or played."""
        states = {}
        now = self.clock.now()
        for recording in self.recording.values():
            states[recording.name] = TraceState(recording.camera, "recording", seconds=round(now - recording.started, 1))
        for program in self.running.values():
            if isinstance(program, Playback):
                states[program.trace.name] = replace(program.state(), waiting=self._waiting(program.trace.camera))
        return states

    def _waiting(self, camera: str) -> str:
        return " and ".join(sorted(self._holds.get(camera, ())))

    @staticmethod
    def _name(program: Program) -> str:
        return f"tour '{program.config.name}'" if isinstance(program, TourRun) else f"trace '{program.trace.name}'"

    def _light(self, kind: str, name: str, on: bool) -> None:
        for binding in self._lights.get((kind, name), ()):
            for observer in self._observers:
                try:
                    observer.toggled(binding, on)
                except Exception:  # a broken LED must never stop a camera
                    self.log.exception("feedback observer failed")
