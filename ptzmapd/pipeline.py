"""Events in, camera commands out: mapping → selection → motion → per-camera controllers.

This is the part of the daemon that runs on every control event. It knows which camera each
selection group has selected (or that it has all), resolves binding targets (``selected``,
``all``, ``preview``, ``program`` or a name: :meth:`Pipeline.resolve`, the one place that
does), relays the fine-control factor to the mixer, keeps each camera's preset cursor, and
stops exactly what must stop when the selection changes, a layer changes, or an input
vanishes or goes silent.

Selection groups: each input belongs to one group (its ``group:``, else the default group,
which the remote API uses too); ``select``, ``next``/``previous`` and ``camera: selected``
act on the group of the input that asked, and a group's change of selection stops only what
that group's own drivers moved, so two operators can steer two cameras side by side.
What the switchers show arrives as :meth:`Pipeline.on_buses` (:mod:`ptzmapd.onair`): the
selection follows a bus (:meth:`Pipeline.follow`), and every command aimed at a camera on
air passes the live lockout's one gate (:meth:`Pipeline.allows`).
Observers (surface LEDs), given at construction, hear about selections, presets, layers,
toggles and tally; cameras going offline they hear from the controllers themselves.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import STOPS, Command, PresetClear, PresetRecall, PresetStore
from ptzmapd.config.model import BindingConfig
from ptzmapd.control.controller import CameraController
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.intents import (
    Do,
    Driver,
    Fine,
    Intent,
    LayerChanged,
    LiveOverride,
    Move,
    PresetStep,
    Select,
    StopAll,
    SwitcherRequest,
    Toggled,
    TourControl,
    TraceControl,
)
from ptzmapd.mapping.mapper import Mapper
from ptzmapd.mapping.observers import PipelineObserver
from ptzmapd.motion.mixer import MotionMixer, MotionProfile
from ptzmapd.onair import FOLLOW_OFF, MOVING_COMMANDS, Buses, OnAir, SwitcherDesk, SwitcherRules
from ptzmapd.vocabulary import BUSES, DEFAULT_GROUP, TARGETS, Axis, Target
from ptzmapd.tours.programs import Programs

PRESET_WORDS = {PresetRecall: "recalled", PresetStore: "stored", PresetClear: "cleared"}


class Pipeline:
    def __init__(
        self,
        bindings: list[BindingConfig],
        controllers: dict[str, CameraController],
        *,
        clock: Clock,
        log: logging.Logger | None = None,
        profiles: dict[str, MotionProfile] | None = None,
        deadman: dict[str, float] | None = None,
        observers: Sequence[PipelineObserver] = (),
        switchers: Mapping[str, SwitcherRules] | None = None,
        desk: SwitcherDesk | None = None,
        groups: Collection[str] = (),
        programs: Programs | None = None,
    ) -> None:
        """``deadman``: input name -> seconds of silence after which what it drives is
        stopped; ``observers`` hear what the mapping did (surface LEDs); ``switchers``: each
        configured switcher's follow and live rules, whose buses arrive by :meth:`on_buses`;
        ``desk``: where switcher actions go; ``groups``: the selection groups the inputs name
        besides the default one; ``programs`` runs the tours and traces, and hears every manual
        move and motion command."""
        self.controllers = controllers
        self.log = log or logging.getLogger("ptzmapd")
        self.mapper = Mapper(bindings, clock, self._apply_all)
        self.mixer = MotionMixer(self._send_motion, clock, profiles, self._zoom, self.log)
        # The first camera listed is selected at start, in every group.
        first = next(iter(controllers), None)
        #: Each selection group's selected camera (``all``: every camera; None: no cameras).
        self.selections: dict[str, str | None] = {group: first for group in (DEFAULT_GROUP, *groups)}
        self._observers = tuple(observers)
        #: Set at shutdown (:meth:`mute`): events still in flight from the inputs move nothing.
        self._muted = False
        #: The inputs of each selection group (those with bindings: what fine control scales).
        self._group_inputs: defaultdict[str, set[str]] = defaultdict(set)
        for binding in bindings:
            self._group_inputs[binding.group].add(binding.input)
        # Drivers that reached their camera through their group's "selected": a switch of
        # that group's selection stops them (and only them).
        self._via_selected: defaultdict[str, set[Driver]] = defaultdict(set)
        #: The newest event of each input, for ``ptzmapd status`` and the deadman.
        self.last_events: dict[str, ControlEvent] = {}
        self._clock = clock
        self._deadman = dict(deadman or {})
        self._deadman_timer: Timer | None = None
        #: Each camera's preset cursor, for preset up/down and encoders.
        self._preset_cursor: dict[str, int] = {}
        #: What the switchers have on air, and the live lockout that follows from it.
        self.onair = OnAir(switchers or {})
        self._desk = desk
        #: (driver, camera) whose motion the lockout holds back: logged once per press.
        self._held_back: set[tuple[Driver, str]] = set()
        self.programs = programs

    @property
    def selected(self) -> str | None:
        """The default group's selected camera."""
        return self.selections[DEFAULT_GROUP]

    # ------------------------------------------------------------------ entry points

    def on_event(self, event: ControlEvent) -> None:
        if self._muted:
            return
        self.last_events[event.input] = event
        for intent in self.mapper.handle(event):
            self.apply(intent)
        if event.input in self._deadman and self._deadman_timer is None:
            self._arm_deadman()

    def on_input_state(self, input_name: str, connected: bool) -> None:
        if connected:
            self.log.info("input '%s' connected", input_name)
            return
        for intent in self.mapper.input_gone(input_name):  # held buttons count as released
            self.apply(intent)
        stopped = self.mixer.stop_driven_by(lambda driver: driver[0] == input_name)
        what = ", ".join(f"{camera} {axis}" for camera, axis in stopped) or "nothing was moving"
        self.log.warning("input '%s' vanished; stopped what it drove (%s)", input_name, what)

    def mute(self) -> None:
        """At shutdown: end every tour and trace and stop every camera; whatever the inputs
        still deliver moves nothing."""
        self._muted = True
        if self.programs is not None:
            self.programs.stop_all()
        self.stop_everything()

    def stop_everything(self) -> None:
        """Every camera stops, and no tour or trace moves one on (an internal error, shutdown)."""
        if self.programs is not None:
            self.programs.end_all("every camera is being stopped")
        for name, controller in self.controllers.items():
            self.mixer.forget(name)
            controller.stop(everywhere=True)

    def close(self) -> None:
        if self.programs is not None:
            self.programs.close()
        self.mixer.close()
        self.mapper.close()
        if self._deadman_timer is not None:
            self._deadman_timer.cancel()
            self._deadman_timer = None

    # ------------------------------------------------------------------ intents

    def _apply_all(self, intents: list[Intent]) -> None:
        for intent in intents:
            self.apply(intent)

    def apply(self, intent: Intent) -> None:
        if isinstance(intent, Move):
            if intent.target == Target.SELECTED:
                self._via_selected[intent.group].add(intent.driver)
            programs = self.programs
            for camera in self.resolve(intent.target, intent.group):
                if self.onair.limit(camera) == 0.0 and not self._may_move(camera, intent):
                    continue
                if programs is not None and intent.speed and camera in programs.running:
                    programs.manual(camera, None)  # a hand on the stick takes over from a tour
                self.mixer.move(camera, intent.axis, intent.speed, intent.driver)
        elif isinstance(intent, Do):
            for camera in self.resolve(intent.target, intent.group):
                self._do(camera, intent.command, intent.binding)
        elif isinstance(intent, StopAll):
            for camera in self.resolve(intent.target, intent.group):
                if self.programs is not None:
                    self.programs.manual(camera, STOPS["pantilt"])
                self.mixer.forget(camera)
                self.controllers[camera].stop(everywhere=True)  # the stop button: always on the wire
        elif isinstance(intent, Select):
            self.select(intent.camera, intent.carry, intent.group)
        elif isinstance(intent, PresetStep):
            for camera in self.resolve(intent.target, intent.group):
                self._step_preset(camera, intent)
        elif isinstance(intent, LayerChanged):
            self._layer(intent)
        elif isinstance(intent, Fine):
            self._fine(intent)
        elif isinstance(intent, Toggled):
            self._tell(lambda observer: observer.toggled(intent.binding, intent.on))
        elif isinstance(intent, SwitcherRequest):
            self._ask_switcher(intent)
        elif isinstance(intent, LiveOverride):
            self.log.info("live lockout %s", "lifted (live-override held)" if intent.active else "in force again")
            self._relimit(self.onair.set_override(intent.active))
        elif isinstance(intent, TourControl):
            if self.programs is not None:
                self.programs.control_tour(intent)
        elif isinstance(intent, TraceControl):
            if self.programs is not None:
                self.programs.control_trace(intent, self.resolve(intent.target, intent.group))

    def _do(self, camera: str, command: Command, binding: int | None) -> None:
        if not self.allows(camera, command):
            self.log.warning("camera '%s' is on air: %s not sent (live lockout)", camera, type(command).__name__)
            if binding is not None:
                self._tell(lambda observer: observer.refused(binding))
            return
        if self.programs is not None:
            self.programs.manual(camera, command)
        self.controllers[camera].submit(command)
        what = PRESET_WORDS.get(type(command))
        if what is not None and binding is not None:
            number = command.number  # type: ignore[attr-defined]
            self._preset_cursor[camera] = number
            self._tell(lambda observer: observer.preset(binding, camera, what, number))

    def _step_preset(self, camera: str, step: PresetStep) -> None:
        span = step.last - step.first + 1
        current = self._preset_cursor.get(camera)
        if current is None or not step.first <= current <= step.last:
            target = step.first if step.delta > 0 else step.last
        else:
            target = step.first + (current - step.first + step.delta) % span  # wraps round
        self._do(camera, PresetRecall(target, step.speed), step.binding)

    def _layer(self, change: LayerChanged) -> None:
        stopped = self.mixer.stop_driven_by(lambda driver: driver in change.stop)
        self.log.info(
            "layer '%s' %s%s", change.name, "on" if change.active else "off",
            f"; stopped {', '.join(f'{c} {a}' for c, a in stopped)}" if stopped else "",
        )
        self._tell(lambda observer: observer.group_layer(change.group, change.name, change.active))

    def _fine(self, fine: Fine) -> None:
        # What is moving now slows down (or speeds up) at once, not at the next touch; only
        # what the group's own inputs drive.
        if not self.mixer.set_fine(fine.factor if fine.active else 1.0, self._group_inputs[fine.group]):
            return
        self._tell(lambda observer: observer.group_fine(fine.group, fine.active))
        if fine.binding is not None:
            binding = fine.binding
            self._tell(lambda observer: observer.toggled(binding, fine.active))

    def select(self, camera: str, carry: bool = False, group: str = DEFAULT_GROUP) -> None:
        """Select ``camera`` (a name, ``all``, ``next``, ``previous``, or a bus: the camera on
        it) for ``group``: what that group's drivers moved through ``selected`` stops (or, with
        ``carry``, moves on to the new camera); other groups' motion is left alone."""
        names = list(self.controllers)
        if camera in BUSES:
            on_bus = self.resolve(camera)
            if not on_bus:
                self.log.info("no camera is on %s: the selection stays", camera)
                return
            camera = on_bus[0]
        current = self.selections.get(group, self.selections[DEFAULT_GROUP])
        if camera in (Target.NEXT, Target.PREVIOUS):
            if not names:
                return
            index = names.index(current) if current in names else (-1 if camera == Target.NEXT else 0)
            camera = names[(index + (1 if camera == Target.NEXT else -1)) % len(names)]
        if camera == current or (camera != Target.ALL and camera not in self.controllers):
            return
        previous = self.resolve(Target.SELECTED, group)
        drivers = self._via_selected[group]
        carried = [
            (axis, driver, speed) for name, axis, driver, speed in self.mixer.contributions(drivers.__contains__)
            if name in previous
        ]
        # The hand is still on the stick, but it now means another camera: the one(s) it was
        # moving must not keep going.
        self.mixer.stop_driven_by(drivers.__contains__, set(previous))
        self.selections[group] = camera
        chosen = "every camera" if camera == Target.ALL else f"camera '{camera}'"
        self.log.info("selected %s", chosen if group == DEFAULT_GROUP else f"{chosen} for group '{group}'")
        if carry:
            for axis, driver, speed in carried:
                for target in self.resolve(Target.SELECTED, group):
                    # Handed over through the live gate, as a move of its own would be.
                    if self.onair.limit(target) > 0.0 or self._may_move(target, Move(target, Axis(axis), speed, driver)):
                        self.mixer.move(target, axis, speed, driver)
        self._tell(lambda observer: observer.group_selected(group, camera))

    def targets(self) -> tuple[Target, ...]:
        """The targets besides camera names this pipeline can resolve: ``preview`` and
        ``program`` only where a switcher is configured (as ``ptzmapd check`` rules)."""
        return tuple(t for t in TARGETS if self.onair.rules or t not in BUSES)

    def resolve(self, target: str, group: str = DEFAULT_GROUP) -> list[str]:
        """The cameras a binding's ``camera:`` (a :class:`~ptzmapd.vocabulary.Target` or a
        camera name) reaches now for an input of selection ``group``, in the config's order:
        the one place targets are resolved. ``preview``/``program``: the cameras any switcher
        has on that bus (none while no switcher shows a mapped source there)."""
        if target == Target.SELECTED:
            selected = self.selections.get(group, self.selections[DEFAULT_GROUP])
            if selected == Target.ALL:
                return list(self.controllers)
            return [selected] if selected is not None else []
        if target == Target.ALL:
            return list(self.controllers)
        if target in BUSES:
            on_bus = self.onair.cameras_on(target)
            return [name for name in self.controllers if name in on_bus]
        return [target] if target in self.controllers else []

    # ------------------------------------------------------------------ switchers

    def on_buses(self, switcher: str, buses: Buses) -> None:
        """``switcher`` now shows ``buses`` (in camera names). The selection follows the bus
        its rules name; a camera that went on air is locked out at once (what moves it stops,
        or slows); the surfaces hear each camera's tally."""
        before = {name: self.onair.tally(name) for name in self.controllers}
        changed = self.onair.update(switcher, buses)
        rules = self.onair.rules.get(switcher)
        if rules is not None and rules.follow != FOLLOW_OFF:
            on_bus = [name for name in self.controllers if name in buses.on(rules.follow)]
            # A bus without a mapped camera leaves the selection alone; so does one that
            # already shows the group's selected camera (among others).
            for group in self.selections if rules.groups is None else rules.groups:
                if on_bus and self.selections.get(group) not in on_bus:
                    self.follow(on_bus[0], rules.carry, group)
        self._relimit(changed)
        news = [(name, now) for name, was in before.items() if (now := self.onair.tally(name)) != was]
        # Lit first: after a cut the new camera's lamp is on before the old one's goes out.
        for name, now in sorted(news, key=lambda change: not any(change[1])):
            self._tell(lambda observer: observer.tally(name, *now))

    def follow(self, camera: str, carry: bool = False, group: str = DEFAULT_GROUP) -> None:
        """The switcher put ``camera`` on the bus ``follow:`` tracks: it becomes ``group``'s
        selected camera (what moved the one left behind stops, unless ``carry``). A manual
        select still works until the switcher's next change."""
        self.log.info("following the switcher to camera '%s'%s", camera,
                      "" if group == DEFAULT_GROUP else f" for group '{group}'")
        self.select(camera, carry, group)

    def allows(self, camera: str, command: Command) -> bool:
        """The live lockout's gate: whether ``command`` may go to ``camera`` now. Motion
        passes unless the camera is blocked (``slow`` scales it in the mixer); presets, home,
        move-to and jog pass only when the camera is not locked at all; stops always pass."""
        limit = self.onair.limit(camera)
        if limit >= 1.0 or command.is_stop():
            return True
        if command.slot is not None:
            return limit > 0.0
        return not isinstance(command, MOVING_COMMANDS)

    def _may_move(self, camera: str, move: Move) -> bool:
        """A move aimed at a blocked camera: a release passes (it stops nothing that moves),
        a press is held back and said once, with the binding's light blinking."""
        key = (move.driver, camera)
        if not move.speed:
            self._held_back.discard(key)
            return True
        if key not in self._held_back:
            self._held_back.add(key)
            self.log.warning("camera '%s' is on air: %s not moved (live lockout)", camera, move.axis)
            binding = move.driver[1]
            self._tell(lambda observer: observer.refused(binding))
        return False

    def _relimit(self, cameras: set[str]) -> None:
        """Apply the lockout now in force to what already moves ``cameras``."""
        for camera in cameras:
            if camera not in self.controllers:
                continue
            limit = self.onair.limit(camera)
            if self.programs is not None:
                # A tour or trace never moves a camera the lockout holds (blocked or slowed).
                self.programs.on_air(camera, limit < 1.0)
            if limit == 0.0:
                # Who moved it is held back from now on, and said once.
                self._held_back.update((driver, camera) for name, _, driver, _ in
                                       self.mixer.contributions(lambda driver: True) if name == camera)
                stopped = self.mixer.stop_driven_by(lambda driver: True, {camera})
                if stopped:
                    self.log.warning("camera '%s' went on air: stopped %s (live lockout)",
                                     camera, ", ".join(axis for _, axis in stopped))
                self.mixer.set_camera_factor(camera, 1.0)
            else:
                self.mixer.set_camera_factor(camera, limit)

    def _ask_switcher(self, request: SwitcherRequest) -> None:
        camera = request.camera
        if camera is not None:
            cameras = self.resolve(camera, request.group)
            if len(cameras) != 1:
                self.log.warning("%s: no single camera is %s", request.action, camera)
                return
            camera = cameras[0]
        if self._desk is None:
            self.log.warning("%s: no switcher is configured", request.action)
            return
        self._desk.request(request.action, camera, request.switcher)

    def _send_motion(self, camera: str, command: Command) -> None:
        self.controllers[camera].set_motion(command)
        if self.programs is not None:
            self.programs.sent(camera, command)  # recorded into a trace; a preset left behind

    def _zoom(self, camera: str) -> float | None:
        """The lens position 0 (wide)..1 (tele) the camera last reported, if it can."""
        return self.controllers[camera].state.zoom

    def _tell(self, call: Callable[[PipelineObserver], None]) -> None:
        for observer in self._observers:
            try:
                call(observer)
            except Exception:  # a broken LED must never stop a camera
                self.log.exception("feedback observer failed")

    # ------------------------------------------------------------------ deadman

    def _arm_deadman(self) -> None:
        """One timer for all inputs, running only while some deadman input drives a motion."""
        if not self._deadman:
            return
        self._deadman_timer = self._clock.call_later(min(self._deadman.values()) / 4, self._check_deadman)

    def _check_deadman(self) -> None:
        self._deadman_timer = None
        now = self._clock.now()
        busy = False
        for name, timeout in self._deadman.items():
            if not self.mixer.driven_by(lambda driver: driver[0] == name):
                continue
            last = self.last_events.get(name)
            if last is not None and now - last.time > timeout:
                stopped = self.mixer.stop_driven_by(lambda driver: driver[0] == name)
                self.log.warning(
                    "input '%s' has been silent for %.1f s (deadman %.1f s); stopped %s",
                    name, now - last.time, timeout, ", ".join(f"{c} {a}" for c, a in stopped),
                )
            else:
                busy = True
        if busy:
            self._arm_deadman()
