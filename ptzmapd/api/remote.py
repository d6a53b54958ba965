"""The remote-control facade: the one way a network front end acts on the cameras.

HTTP, WebSocket, OSC and MQTT all call :class:`Remote` (through a :class:`RemoteClient` per
peer), so a command means the same on each, is checked the same way and fails with the same
:class:`RemoteError`. Commands enter the pipeline as intents, like any input's: the pipeline
resolves the camera (a name, ``selected``, ``all``, and whatever targets it knows besides —
:data:`~ptzmapd.vocabulary.TARGETS`), the mixer shapes the motion, the controllers pace it
(a flood collapses to its newest value, as a fader's does).

Each client is a motion *driver* of its own (``("api:" + client name, n)``, one per camera
target it moves), so a client that goes away stops exactly what it moved, a selection change
stops what it moved through ``selected``, and nothing else is touched. A network stream can
stop without a word (a dropped Wi-Fi, a closed laptop): a move holds for at most ``hold``
seconds (``api.hold``) unless it is repeated, then what that driver moves stops.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ptzmapd.clock import Clock, Timer
from ptzmapd.commands import Command, PresetClear, PresetRecall, PresetStore
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.errors import PtzmapdError
from ptzmapd.mapping.actions import ACTION_ROWS, PRESET_NUMBER, ActionRow, Behaviour
from ptzmapd.mapping.intents import Do, Driver, Move, StopAll
from ptzmapd.pipeline import Pipeline
from ptzmapd.vocabulary import (
    DIRECT_MODE,
    LEVELS,
    PRESET_CLEAR,
    SELECT_STEPS,
    TARGETS,
    Action,
    Axis,
    ControlKind,
    Target,
    can,
    modes_of,
)

#: Seconds a network move holds when it is not repeated (``api.hold``'s default).
DEFAULT_HOLD = 0.5
#: The axes a move takes, in the order messages list them; speeds -1..1 like every speed
#: above the codec (+pan right, +tilt up, +zoom tele, +focus far).
MOVE_AXES: tuple[Axis, ...] = (Axis.PAN, Axis.TILT, Axis.ZOOM, Axis.FOCUS)
#: Prefix of every API client's driver name: never mistaken for a configured input's.
DRIVER_PREFIX = "api:"
#: The ``mark`` of the binding an API action is one press of (nothing in a file).
API_MARK = Mark("api", 0, 0)

#: What went wrong, as a front end answers it: ``not-found`` (an unknown camera: HTTP 404),
#: ``invalid`` (a bad action, mode, number or speed: 400), ``conflict`` (valid, but nothing
#: to act on now, e.g. no camera on program: 409), ``unavailable`` (shutting down: 503).
ErrorKind = Literal["not-found", "invalid", "conflict", "unavailable"]


class FrontEnd(Protocol):
    """A listener that calls the facade (the HTTP API, the OSC namespace, MQTT): started
    after the runtime is assembled, closed at shutdown after the cameras' stops."""

    async def start(self) -> None:
        """Begin listening; PtzmapdError when it cannot (address in use)."""

    async def close(self) -> None:
        """Stop listening; every client it served is released (what it moved stops)."""


class RemoteError(PtzmapdError):
    """A command the API refuses: ``message`` in the user's words, ``field`` the key that is
    wrong (``camera``, ``action``, ``mode``, ``level``, ``preset``, an axis, ``cmd``), ``valid``
    the values it takes (names, or a range written ``-1..1``), ``kind`` (:data:`ErrorKind`)."""

    def __init__(self, message: str, *, field: str, valid: Sequence[str] = (), kind: ErrorKind = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.valid = tuple(valid)
        self.kind: ErrorKind = kind

    def to_json(self) -> dict[str, object]:
        """The error as the front ends send it: ``{"error", "field", "valid"}``."""
        return {"error": self.message, "field": self.field, "valid": list(self.valid)}


def speed(axis: str, value: object) -> float:
    """``value`` as a speed for ``axis``: a finite number -1..1 (not a bool); RemoteError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1.0 <= value <= 1.0:
        # Written so NaN (which compares False) fails too; infinities are out of range.
        raise RemoteError(f"{axis} speed must be a number from -1 to 1, not {value!r}", field=axis, valid=("-1..1",))
    return float(value)


def _whole(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RemoteError(f"{field} must be a whole number {low}..{high}, not {value!r}", field=field, valid=(f"{low}..{high}",))
    return value


def _actions() -> dict[str, ActionRow]:
    """The actions ``action`` takes: the one-press camera actions of the action table (home,
    stop, autofocus and every named function). Not raw (protocol bytes or an HTTP request to
    the camera are the config's to write, not a network peer's), not move-to or jog (their
    own keys), not presets and select (routes of their own)."""
    own_routes = {Action.PRESET, Action.SELECT, Action.RAW, Action.MOVE_TO, Action.JOG}
    return {
        name: row for name, row in ACTION_ROWS.items()
        if row.behaviour == Behaviour.ONE_SHOT and row.command is not None and name not in own_routes
    }


#: The actions :meth:`RemoteClient.action` takes.
REMOTE_ACTIONS: dict[str, ActionRow] = _actions()


@dataclass(slots=True)
class _Held:
    """One driver's hold: the timer that stops it when the stream goes quiet."""

    timer: Timer | None = None


class Remote:
    """The facade over one running pipeline. Made once per runtime; each peer gets its own
    :meth:`client`. ``hold``: seconds a move lasts unless repeated (``api.hold``)."""

    def __init__(
        self, pipeline: Pipeline, clock: Clock, *, hold: float = DEFAULT_HOLD, log: logging.Logger | None = None,
        capabilities: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """``capabilities``: each camera's protocol capabilities (:mod:`ptzmapd.vocabulary`),
        so an action no camera reached can do is refused with what it can do (None: not
        checked; the controller then skips what its codec cannot encode, with a log line)."""
        self.pipeline = pipeline
        self._capabilities = capabilities
        self.clock = clock
        self.hold = hold
        self.log = log or logging.getLogger("ptzmapd")
        self._clients: dict[str, RemoteClient] = {}
        self._closed = False

    # ------------------------------------------------------------------ what there is

    @property
    def cameras(self) -> tuple[str, ...]:
        """The configured cameras, in file order."""
        return tuple(self.pipeline.controllers)

    @property
    def selected(self) -> str | None:
        """The selected camera's name, ``all``, or None (no cameras)."""
        return self.pipeline.selected

    def targets(self) -> tuple[str, ...]:
        """What a command's ``camera`` may be: each camera's name and the pipeline's targets."""
        return (*self.cameras, *TARGETS)

    def resolve(self, camera: object) -> tuple[str, list[str]]:
        """``camera`` checked, and the cameras it reaches now. RemoteError: ``not-found`` for
        what is no camera or target, ``conflict`` for a target that reaches none now
        (``program`` while nothing mapped is on program)."""
        if not isinstance(camera, str) or camera not in self.targets():
            raise RemoteError(f"no camera {camera!r}", field="camera", valid=self.targets(), kind="not-found")
        reached = self.pipeline.resolve(camera)
        if not reached:
            raise RemoteError(f"{camera!r} reaches no camera now", field="camera", valid=self.cameras, kind="conflict")
        return camera, reached

    # ------------------------------------------------------------------ clients

    def client(self, name: str) -> RemoteClient:
        """The client called ``name`` (``"http 192.0.2.7"``, ``"ws 3"``, ``"osc 10.0.0.5:9000"``),
        made on first use. Its moves are its own: :meth:`RemoteClient.release` stops them."""
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = RemoteClient(self, name)
        return client

    def release(self, name: str) -> list[tuple[str, str]]:
        """The client ``name`` is gone: stop what it moved, forget it; the (camera, axis) stopped."""
        client = self._clients.pop(name, None)
        return client.release() if client is not None else []

    def close(self) -> None:
        """At shutdown, after the pipeline's stops: every client's holds end, and every
        command from now on is refused (``unavailable``)."""
        self._closed = True
        for client in list(self._clients.values()):
            client.release()
        self._clients.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RemoteError("ptzmapd is shutting down", field="cmd", kind="unavailable")

    # ------------------------------------------------------------------ commands with no driver

    def select(self, camera: object) -> str:
        """Select ``camera``: a name, ``next``, ``previous``, ``all``, or a target that reaches
        exactly one camera (``program``, ``preview``). The selection (a name or ``all``)."""
        self._check_open()
        steps = tuple(str(step) for step in SELECT_STEPS)
        if isinstance(camera, str) and (camera in self.cameras or camera in steps):
            self.pipeline.select(camera)
        else:
            valid = (*self.cameras, *steps, *(t for t in TARGETS if t not in steps and t != Target.SELECTED))
            if not isinstance(camera, str) or camera not in valid:
                raise RemoteError(f"no camera {camera!r} to select", field="camera", valid=valid, kind="not-found")
            _, reached = self.resolve(camera)
            if len(reached) != 1:
                raise RemoteError(f"{camera!r} reaches {len(reached)} cameras now; select one",
                                  field="camera", valid=reached, kind="conflict")
            self.pipeline.select(reached[0])
        return str(self.pipeline.selected)

    def _do(self, camera: object, command: Command, asks: tuple[str, str | None] | None = None) -> list[str]:
        """Send ``command`` to ``camera``; ``asks``: the (action, mode) it needs of a camera's
        protocol, refused when no camera reached can do it."""
        self._check_open()
        target, reached = self.resolve(camera)
        if asks is not None and self._capabilities is not None:
            action, mode = asks
            able = [name for name in reached if can(self._capabilities.get(name, ()), action, mode)]
            if not able:
                first = self._capabilities.get(reached[0], ())
                if can(first, action):  # the action, but not in this mode
                    raise RemoteError(f"{', '.join(reached)} cannot do {action} {mode}", field="mode",
                                      valid=modes_of(first, action))
                raise RemoteError(f"{', '.join(reached)} cannot do {action}", field="action",
                                  valid=tuple(name for name in REMOTE_ACTIONS if can(first, name)))
        self.pipeline.apply(Do(target, command))
        return reached


class RemoteClient:
    """One peer of the API (an HTTP client, a WebSocket, an OSC sender, an MQTT booth)."""

    def __init__(self, remote: Remote, name: str) -> None:
        self.remote = remote
        self.name = name
        self._key = DRIVER_PREFIX + name
        #: Each camera target this client moved, and its driver's hold.
        self._drivers: dict[str, int] = {}
        self._held: dict[Driver, _Held] = {}

    def _driver(self, target: str) -> Driver:
        index = self._drivers.setdefault(target, len(self._drivers))
        return (self._key, index)

    def _mine(self, driver: Driver) -> bool:
        return driver[0] == self._key

    # ------------------------------------------------------------------ motion

    def move(self, camera: object, speeds: Mapping[str, object]) -> list[str]:
        """Set the axes given in ``speeds`` (``pan``/``tilt``/``zoom``/``focus``, -1..1; an
        axis not given keeps its speed) of ``camera``; all of them hold for ``hold`` seconds
        from now unless moved again. The cameras reached. RemoteError for an unknown axis,
        a bad speed (every value is checked before anything moves) or camera."""
        remote = self.remote
        remote._check_open()
        unknown = [axis for axis in speeds if axis not in MOVE_AXES]
        if unknown:
            raise RemoteError(f"move has no axis {unknown[0]!r}", field=str(unknown[0]), valid=MOVE_AXES)
        if not speeds:
            raise RemoteError("move needs at least one axis speed", field="pan", valid=MOVE_AXES)
        checked = {Axis(axis): speed(axis, value) for axis, value in speeds.items()}
        target, reached = remote.resolve(camera)
        driver = self._driver(target)
        for axis, value in checked.items():
            remote.pipeline.apply(Move(target, axis, value, driver))
        if remote.pipeline.mixer.driven_by(driver.__eq__):
            self._hold(driver)
        else:
            self._unhold(driver)
        return reached

    def stop(self, camera: object) -> list[str]:
        """Stop every axis of ``camera``, whoever moves it (the stop button). The cameras reached."""
        remote = self.remote
        remote._check_open()
        target, reached = remote.resolve(camera)
        remote.pipeline.apply(StopAll(target))
        for driver in list(self._held):  # a hold on what stopped has nothing left to stop
            if not remote.pipeline.mixer.driven_by(driver.__eq__):
                self._unhold(driver)
        return reached

    def release(self) -> list[tuple[str, str]]:
        """Stop what this client moves (it went away); the (camera, axis) stopped."""
        for driver in list(self._held):
            self._unhold(driver)
        return self.remote.pipeline.mixer.stop_driven_by(self._mine)

    def _hold(self, driver: Driver) -> None:
        held = self._held.get(driver)
        if held is None:
            held = self._held[driver] = _Held()
        elif held.timer is not None:
            held.timer.cancel()
        held.timer = self.remote.clock.call_later(self.remote.hold, lambda: self._expire(driver))

    def _unhold(self, driver: Driver) -> None:
        held = self._held.pop(driver, None)
        if held is not None and held.timer is not None:
            held.timer.cancel()

    def _expire(self, driver: Driver) -> None:
        held = self._held.pop(driver, None)
        if held is None:
            return
        stopped = self.remote.pipeline.mixer.stop_driven_by(driver.__eq__)
        if stopped:
            self.remote.log.info(
                "%s stopped sending moves for %g s; stopped %s", self.name, self.remote.hold,
                ", ".join(f"{camera} {axis}" for camera, axis in stopped),
            )

    # ------------------------------------------------------------------ one-shots

    def preset(self, camera: object, number: object, *, store: bool = False, clear: bool = False) -> list[str]:
        """Recall preset ``number`` of ``camera`` (store or clear it instead). The cameras reached."""
        if store and clear:
            raise RemoteError("a preset is stored or cleared, not both", field="store", valid=("store", "clear"))
        n = _whole("preset", number, int(PRESET_NUMBER.low), int(PRESET_NUMBER.high))
        command: Command = PresetStore(n) if store else PresetClear(n) if clear else PresetRecall(n)
        return self.remote._do(camera, command, (PRESET_CLEAR, None) if clear else (Action.PRESET, None))

    def action(self, camera: object, action: object, mode: object = None, level: object = None) -> list[str]:
        """One press of ``action`` (:data:`REMOTE_ACTIONS`) in ``mode`` (one of the action's
        modes; its default when None) on ``camera``; ``level`` for a ``direct`` mode. The
        cameras reached. RemoteError naming the valid actions, modes or levels."""
        row = REMOTE_ACTIONS.get(action) if isinstance(action, str) else None
        if row is None:
            raise RemoteError(f"no action {action!r}", field="action", valid=tuple(REMOTE_ACTIONS))
        name = row.action
        if mode is None:
            mode = row.default_mode
        if row.modes and mode not in row.modes:
            given = "a mode" if mode is None else f"no mode {mode!r}"
            raise RemoteError(f"{name} needs {given}" if mode is None else f"{name} has {given}", field="mode", valid=row.modes)
        if not row.modes and mode is not None:
            raise RemoteError(f"{name} takes no mode", field="mode")
        if mode == DIRECT_MODE:
            levels = LEVELS[name]
            level = _whole("level", level, levels.start, levels.stop - 1)
        elif level is not None:
            raise RemoteError(f"level goes with a {DIRECT_MODE} mode", field="level")
        if name == Action.STOP:
            return self.stop(camera)
        assert row.command is not None  # REMOTE_ACTIONS have one
        binding = BindingConfig(input="", control=ControlKind.BUTTON, number=None, action=name, mark=API_MARK,
                                mode=mode if isinstance(mode, str) else None,
                                level=level if isinstance(level, int) else None)
        return self.remote._do(camera, row.command(binding), (name, mode if isinstance(mode, str) and row.modes else None))
