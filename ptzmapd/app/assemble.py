"""The one assembly point: a validated config becomes a running :class:`Runtime`.

:func:`assemble` builds, in this order and each with its dependencies passed in:
transports (one per endpoint, shared by the cameras on it), the surface LEDs (before the
controllers, which tell them when a camera goes offline), one controller per camera, the
pipeline (mapping, motion, selection, deadman), then the inputs. Nothing is patched onto an
object after it is built. Events flow one way, input → pipeline → controller → transport;
what comes back up is the controllers' normalised state (:mod:`ptzmapd.control.state`),
published to the watchers they were given. Protocol facts come from the protocol table
(:class:`~ptzmapd.protocols.ProtocolSpec`): nothing here names a protocol.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Collection, Sequence
from typing import Any

from ptzmapd.api.remote import DEFAULT_HOLD, FrontEnd, Remote
from ptzmapd.api.state import build_state
from ptzmapd.app.status import CameraStatus, GroupStatus, InputStatus, LastEvent, StatusSnapshot, SwitcherStatus
from ptzmapd.app.switching import Switching
from ptzmapd.app.tally import CameraTally
from ptzmapd.clock import Clock
from ptzmapd.config.model import CameraConfig, Config
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.control.state import CameraWatcher
from ptzmapd.errors import PtzmapdError
from ptzmapd.surfaces.feedback import SurfaceFeedback
from ptzmapd.inputs import Input, make_input
from ptzmapd.motion.mixer import MotionProfile
from ptzmapd.motion.shaping import RampLimits, ZoomCurve
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import SpeedLimits
from ptzmapd.tours.programs import Programs
from ptzmapd.transports import TransportPool
from ptzmapd.vocabulary import TALLY_LAMP

#: How long shutdown waits for the cameras to acknowledge their stops.
STOP_GRACE = 1.0
#: How long shutdown waits, at most, for the stops of cameras nobody will stop after it (a
#: reload that drops a camera or changes how it is reached): until each is answered or the
#: camera is given up as not answering, which its own retry rules decide well before this.
CONFIRM_GRACE = 5.0
#: How long a start that failed half-way waits for the stops it already sent.
FAILED_START_GRACE = 0.2
#: How long shutdown gives each input to close (the stops are already on their way).
INPUT_CLOSE_LIMIT = 0.5


def speed_limits(camera: CameraConfig) -> SpeedLimits:
    """The protocol's top speeds, lowered where the camera's config asks."""
    top = PROTOCOLS[camera.protocol].limits

    def pick(configured: int | None, protocol_top: int) -> int:
        return protocol_top if configured is None else configured

    return SpeedLimits(
        pan=pick(camera.max_pan_speed, top.pan),
        tilt=pick(camera.max_tilt_speed, top.tilt),
        zoom=pick(camera.max_zoom_speed, top.zoom),
        focus=pick(camera.max_focus_speed, top.focus),
    )


def motion_profile(camera: CameraConfig) -> MotionProfile:
    """How the camera's motion is shaped: its ramps, speed steps, zoom curve and watchdog."""
    feel = camera.feel
    limits = speed_limits(camera)
    # A lens speed 0 that still moves (VISCA's 0-7) is one more step than the top.
    lens_extra = 1 if PROTOCOLS[camera.protocol].lens_speed_from_zero else 0
    return MotionProfile(
        ramps={axis: RampLimits(ramp.accel, ramp.decel, feel.soft_stop) for axis, ramp in feel.ramps.items()},
        steps={"pan": limits.pan, "tilt": limits.tilt,
               "zoom": limits.zoom + lens_extra, "focus": limits.focus + lens_extra},
        hysteresis=feel.hysteresis,
        zoom_curve=ZoomCurve(feel.zoom_speed_at_tele, feel.zoom_curve),
        zoom_travel_time=feel.zoom_travel_time,
        max_move=feel.max_move,
    )


def controller_settings(camera: CameraConfig) -> ControllerSettings:
    """The camera's pacing, retries and lens scale: its config over its protocol's defaults."""
    pacing = camera.pacing
    spec = PROTOCOLS[camera.protocol]
    zoom_max = camera.feel.zoom_max or spec.zoom_max
    return ControllerSettings(
        min_interval=pacing.min_interval, ack_timeout=pacing.ack_timeout, position_poll=camera.feel.position_poll,
        stop_repeats=pacing.stop_repeats, refresh=pacing.refresh, pace_from_reply=pacing.from_reply,
        zoom_max=float(zoom_max) if zoom_max else None, pan_tilt=spec.pan_tilt, preset_speed=camera.preset_speed,
    )


async def make_controller(
    camera: CameraConfig, pool: TransportPool, clock: Clock, log: logging.Logger,
    watchers: Sequence[CameraWatcher] = (),
) -> CameraController:
    """One camera's codec, shared transport and controller, started."""
    spec = PROTOCOLS[camera.protocol]
    codec = spec.make_codec(camera.options, speed_limits(camera))
    transport = await pool.for_camera(spec.transport, camera)
    controller = CameraController(
        camera.name, codec, transport, clock, controller_settings(camera), log,
        label=f"{camera.name}/{camera.protocol}", watchers=watchers,
    )
    controller.start()
    return controller


class Runtime:
    """Everything one config describes, running on the current event loop (made by
    :func:`assemble`; ended by :meth:`shutdown`)."""

    def __init__(
        self, config: Config, clock: Clock, log: logging.Logger, pool: TransportPool,
        controllers: dict[str, CameraController], pipeline: Pipeline,
        feedback: SurfaceFeedback | None, inputs: dict[str, Input],
        switching: Switching | None = None, tally: CameraTally | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.log = log
        self.pool = pool
        self.controllers = controllers
        self.pipeline = pipeline
        self.feedback = feedback
        self.inputs = inputs
        self.switching = switching
        self.tally = tally
        #: The network API's facade and listeners, when the config has ``api:`` (:meth:`open_api`).
        self.remote: Remote | None = None
        self.front_ends: list[FrontEnd] = []

    def status(self) -> StatusSnapshot:
        """What ``ptzmapd status`` shows of this runtime now."""
        now = self.clock.now()
        pipeline = self.pipeline
        cameras = {}
        for name, controller in self.controllers.items():
            state = controller.state
            cameras[name] = CameraStatus(
                protocol=self.config.cameras[name].protocol,
                online=state.online,
                moving=state.moving,
                selected=pipeline.selected == name,
                speeds=pipeline.mixer.speeds(name),
                pan_tilt_position=state.pan_tilt_position,
                zoom_position=state.zoom_position,
                commands_sent=state.commands_sent,
                commands_per_second=state.commands_per_second(now),
                retransmissions=state.retransmissions,
                garbage_replies=state.garbage_replies,
                last_error=state.last_error,
                stop_refused=state.stop_refused,
                zoom=state.zoom,
                pan=state.pan,
                tilt=state.tilt,
                tally=_tally_word(*pipeline.onair.tally(name)),
            )
        inputs = {}
        for name, device in self.inputs.items():
            last = pipeline.last_events.get(name)
            inputs[name] = InputStatus(
                type=self.config.inputs[name].type,
                connected=device.connected,
                last_event=None if last is None else LastEvent(
                    control=f"{last.kind} {last.number}" if last.number is not None else last.kind,
                    value=last.value,
                    seconds_ago=round(max(0.0, now - last.time), 1) if last.time else None,
                ),
            )
        groups = {
            group: GroupStatus(selected, tuple(name for name, device in self.config.inputs.items() if device.group == group))
            for group, selected in pipeline.selections.items()
        }
        switchers = {}
        for name, view in (self.switching.views() if self.switching is not None else {}).items():
            switchers[name] = SwitcherStatus(
                type=view.config.type, connected=view.state.connected, holding=view.holding,
                program=view.state.program_name, preview=view.state.preview_name,
                program_cameras=sorted(view.buses.program), preview_cameras=sorted(view.buses.preview),
            )
        programs = pipeline.programs
        return StatusSnapshot(
            config=self.config.path, cameras=cameras, inputs=inputs, switchers=switchers, groups=groups,
            tours=programs.tour_states() if programs is not None else {},
            traces=programs.trace_states() if programs is not None else {},
        )

    async def shutdown(self, grace: float = STOP_GRACE, confirm: Collection[str] = (), lamps_dark: bool = True) -> None:
        """Stop every camera, close the inputs, wait up to ``grace`` for the stops to be
        answered, close all. The stops go first: closing a device can take its time.

        ``confirm``: cameras nobody stops after this (a reload's new config drops them or
        reaches them differently; one it keeps gets a stop of its own at start). Their stops
        are waited for until answered or the camera is given up as not answering (at most
        :data:`CONFIRM_GRACE`), however short ``grace`` is: a stop lost on the network is
        retransmitted rather than abandoned with the camera still moving. ``lamps_dark``: the
        tally lamps go out (not on a reload: the next configuration sets them)."""
        self.pipeline.mute()  # whatever the inputs still deliver moves nothing
        if self.remote is not None:
            self.remote.close()  # ...nor whatever the network still sends
        if self.switching is not None:
            await self.switching.close()  # nothing on air changes any more...
        if self.tally is not None:
            self.tally.close(dark=lamps_dark)  # ...and no lamp claims a camera is on air
        await _close_inputs(self.inputs, self.log)
        staying = {name: c for name, c in self.controllers.items() if name not in confirm}
        leaving = {name: c for name, c in self.controllers.items() if name in confirm}
        await asyncio.gather(_settle(staying, grace), _settle(leaving, max(grace, CONFIRM_GRACE)))
        await self._close_front_ends()
        self.pipeline.close()
        await _release(self.controllers, self.feedback, self.pool)


    async def open_api(self) -> None:
        """Start the network API the config's ``api:`` and ``mqtt:`` ask for (nothing
        without them): the facade over the pipeline, then each listener and the broker
        connection. PtzmapdError when one cannot listen (the ones started are closed again);
        a broker that cannot be reached is retried in the background."""
        api, mqtt = self.config.api, self.config.mqtt
        if api is None and mqtt is None:
            return
        capabilities = {name: PROTOCOLS[camera.protocol].capabilities for name, camera in self.config.cameras.items()}
        self.remote = Remote(self.pipeline, self.clock, hold=api.hold if api is not None else DEFAULT_HOLD,
                             log=self.log, capabilities=capabilities)
        if api is not None and api.http is not None:
            token = api.token.reveal() if api.token is not None else None
            # aiohttp is loaded only by a daemon that serves HTTP (memory on a Pi Zero).
            from ptzmapd.api.http import HttpApi

            self.front_ends.append(HttpApi(
                self.remote, lambda: self.status().to_json(), api.http.host, api.http.port,
                token=token, clock=self.clock, log=self.log,
            ))
        # Imported when asked for: a daemon without OSC or MQTT loads neither library.
        if api is not None and api.osc is not None:
            from ptzmapd.api.osc import OscApi

            self.front_ends.append(OscApi(self.remote, api.osc, self.api_state, self.clock, self.log, token=api.token))
        if mqtt is not None:
            from ptzmapd.api.mqtt import MqttBridge

            self.front_ends.append(MqttBridge(mqtt, self.remote, self.api_state, self.clock, self.log))
        started: list[FrontEnd] = []
        try:
            for front_end in self.front_ends:
                await front_end.start()
                started.append(front_end)
        except PtzmapdError:
            self.front_ends = started
            await self._close_front_ends()
            raise

    def api_state(self) -> dict[str, Any]:
        """The network API's state (``GET /api/state``'s object) now."""
        return build_state(self.status().to_json(), self.pipeline.selected)

    async def _close_front_ends(self) -> None:
        for front_end in self.front_ends:
            try:
                await front_end.close()
            except Exception as exc:  # a listener that fails to close must not hold up the exit
                self.log.debug("closing %r failed: %r", front_end, exc)
        self.front_ends = []


async def assemble(config: Config, clock: Clock, log: logging.Logger) -> Runtime:
    """Build and start everything ``config`` describes; raises PtzmapdError (a transport or
    input that cannot start) after winding down whatever had started."""
    pool = TransportPool(log, clock=clock)
    controllers: dict[str, CameraController] = {}
    inputs: dict[str, Input] = {}
    feedback: SurfaceFeedback | None = None
    switching: Switching | None = None
    try:
        # Surface LEDs first: the controllers tell them which camera does not answer. The
        # first camera listed is selected at start (see Pipeline).
        feedback = SurfaceFeedback.for_config(config, clock, next(iter(config.cameras), None), log)
        observers = (feedback.feedback,) if feedback is not None else ()
        # Tours and traces pause while their camera does not answer: the controllers tell them.
        returns = {name: back for name, camera in config.cameras.items() if (back := PROTOCOLS[camera.protocol].return_to)}
        programs = Programs(config.tours, config.bindings, controllers, clock, log, config.state_dir, observers, returns)
        watchers: tuple[CameraWatcher, ...] = (*observers, programs)
        for camera in config.cameras.values():
            controllers[camera.name] = await make_controller(camera, pool, clock, log, watchers)
        # Tally lamps for the cameras whose config drives them, and the switchers: what they
        # show reaches the pipeline, which tells the lamps and the surfaces.
        lamps = {name: controllers[name] for name, camera in config.cameras.items()
                 if camera.options.tally_lamps and TALLY_LAMP in PROTOCOLS[camera.protocol].capabilities}
        tally = CameraTally(lamps, clock, log) if lamps and config.switchers else None
        switching = Switching(config.switchers, clock, log, tally) if config.switchers else None
        pipeline = Pipeline(
            config.bindings, controllers, clock=clock, log=log,
            profiles={camera.name: motion_profile(camera) for camera in config.cameras.values()},
            deadman={name: device.deadman for name, device in config.inputs.items() if device.deadman},
            observers=(*observers, *((tally,) if tally else ())),
            switchers=switching.rules if switching is not None else None,
            desk=switching,
            groups={device.group for device in config.inputs.values()},
            programs=programs,
        )
        if tally is not None:
            tally.start(max(switcher.tally_hold for switcher in config.switchers.values()))
        # ...and started before the inputs: a surface that connects finds its lights set.
        if feedback is not None:
            await feedback.start()
        loop = asyncio.get_running_loop()
        for input_config in config.inputs.values():
            device = make_input(input_config, pipeline.on_event, pipeline.on_input_state, loop, log, clock)
            await device.start()
            inputs[input_config.name] = device
        # Last: a switcher's first state finds everything it acts on running.
        if switching is not None:
            await switching.start(pipeline.on_buses)
    except PtzmapdError:
        if switching is not None:
            await switching.close()
        await _close_inputs(inputs, log)
        await _settle(controllers, FAILED_START_GRACE)
        await _release(controllers, feedback, pool)
        raise
    runtime = Runtime(config, clock, log, pool, controllers, pipeline, feedback, inputs, switching, tally)
    try:
        await runtime.open_api()
    except PtzmapdError:
        await runtime.shutdown(grace=FAILED_START_GRACE)
        raise
    log.info(
        "running: %d camera(s) [%s], %d input(s) [%s]; selected '%s'",
        len(controllers), ", ".join(controllers), len(inputs), ", ".join(inputs), pipeline.selected,
    )
    return runtime


def _tally_word(program: bool, preview: bool) -> str:
    """A camera's tally as ``status`` shows it."""
    return "program" if program else "preview" if preview else ""


async def _close_inputs(inputs: dict[str, Input], log: logging.Logger) -> None:
    for name, device in inputs.items():
        try:
            await asyncio.wait_for(device.close(), timeout=INPUT_CLOSE_LIMIT)
        except Exception as exc:  # a vanished or hung device must not hold up the exit
            log.debug("closing input %r failed: %r", name, exc)


async def _settle(controllers: dict[str, CameraController], grace: float) -> None:
    """Wait up to ``grace`` seconds until every camera has nothing left to send or answer
    (its stops acknowledged) or does not answer at all."""
    loop = asyncio.get_running_loop()
    settled = []
    for controller in controllers.values():
        future: asyncio.Future[None] = loop.create_future()
        controller.when_settled(functools.partial(_set_done, future))
        settled.append(future)
    if settled:
        await asyncio.wait(settled, timeout=grace)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _release(
    controllers: dict[str, CameraController], feedback: SurfaceFeedback | None, pool: TransportPool,
) -> None:
    for controller in controllers.values():
        controller.close()
    if feedback is not None:
        await feedback.close()  # the lights go out: nobody is acting on them now
    await pool.close()
