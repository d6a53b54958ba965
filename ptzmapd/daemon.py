"""The daemon: builds cameras, inputs and the pipeline from a config, runs, reloads, stops.

Lifecycle of ``ptzmapd run``:

- start: one transport per endpoint, one controller per camera, one input per device,
  then READY=1 to systemd;
- SIGHUP: read the config again and validate all of it as ``ptzmapd check`` does (hosts,
  urls, password sources and the files it names included); if it is invalid, report every
  problem and leave the running cameras and inputs untouched; if valid, stop the cameras,
  tear down, and start again from the new config (going back to the old one should that
  start still fail, e.g. a password file removed in between);
- SIGTERM / SIGINT: stop every camera, wait briefly for the stops to be acknowledged, exit 0
  (well within 2 s).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from ptzmapd import systemd
from ptzmapd.camera import CameraController, ControllerSettings
from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.config import load_config
from ptzmapd.config.model import CameraConfig, Config
from ptzmapd.errors import ConfigError, PtzmapdError
from ptzmapd.feedback import SurfaceFeedback
from ptzmapd.inputs import Input, make_input
from ptzmapd.motion.mixer import MotionProfile
from ptzmapd.motion.shaping import RampLimits, ZoomCurve
from ptzmapd.pipeline import Pipeline
from ptzmapd.status import StatusServer
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import SpeedLimits
from ptzmapd.transports import TransportPool

#: How long shutdown waits for the cameras to acknowledge their stops.
STOP_GRACE = 1.0
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


async def make_controller(
    camera: CameraConfig, pool: TransportPool, clock: Clock, log: logging.Logger
) -> CameraController:
    """One camera's codec, shared transport and controller, started."""
    spec = PROTOCOLS[camera.protocol]
    codec = spec.make_codec(camera.options, speed_limits(camera))
    transport = await pool.for_camera(spec.transport, camera)
    pacing = camera.pacing
    settings = ControllerSettings(
        min_interval=pacing.min_interval, ack_timeout=pacing.ack_timeout, position_poll=camera.feel.position_poll,
        stop_repeats=pacing.stop_repeats, refresh=pacing.refresh,
    )
    controller = CameraController(
        camera.name, codec, transport, clock, settings, log, label=f"{camera.name}/{camera.protocol}"
    )
    controller.start()
    return controller


class Daemon:
    """Everything one config describes, running on the current event loop."""

    def __init__(self, config: Config, clock: Clock | None = None, log: logging.Logger | None = None) -> None:
        self.config = config
        self.clock = clock or MonotonicClock()
        self.log = log or logging.getLogger("ptzmapd")
        self.pool = TransportPool(self.log)
        self.controllers: dict[str, CameraController] = {}
        self.inputs: dict[str, Input] = {}
        self.pipeline: Pipeline | None = None
        self.feedback: SurfaceFeedback | None = None

    async def start(self) -> None:
        for camera in self.config.cameras.values():
            self.controllers[camera.name] = await make_controller(camera, self.pool, self.clock, self.log)
        self.pipeline = Pipeline(
            self.config.bindings, self.controllers, self.log, self.clock,
            {camera.name: motion_profile(camera) for camera in self.config.cameras.values()},
            self._zoom_position,
        )
        self.pipeline.deadman = {
            name: device.deadman for name, device in self.config.inputs.items() if device.deadman
        }
        # Surface LEDs, before the inputs: a surface that connects finds its lights set.
        self.feedback = SurfaceFeedback.for_config(self.config, self.clock, self.pipeline.selected, self.log)
        if self.feedback is not None:
            self.pipeline.observe(self.feedback.feedback)
            await self.feedback.start()
        loop = asyncio.get_running_loop()
        for input_config in self.config.inputs.values():
            device = make_input(input_config, self.pipeline.on_event, self.pipeline.on_input_state, loop, self.log)
            await device.start()
            self.inputs[input_config.name] = device
        self.log.info(
            "running: %d camera(s) [%s], %d input(s) [%s]; selected '%s'",
            len(self.controllers), ", ".join(self.controllers),
            len(self.inputs), ", ".join(self.inputs), self.pipeline.selected,
        )

    def _zoom_position(self, camera: str) -> float | None:
        """The lens position 0 (wide)..1 (tele) the camera last reported, if it can."""
        config = self.config.cameras[camera]
        reported = self.controllers[camera].state.zoom_position
        top = config.feel.zoom_max or PROTOCOLS[config.protocol].zoom_max
        if reported is None or not top:
            return None
        return min(1.0, max(0.0, reported / float(top)))

    async def shutdown(self, grace: float = STOP_GRACE) -> None:
        """Stop every camera, close the inputs, wait up to ``grace`` for the stops to be
        answered, close all. The stops go first: closing a device can take its time."""
        if self.pipeline is not None:
            self.pipeline.muted = True  # whatever the inputs still deliver moves nothing
            self.pipeline.stop_everything()
        for name, device in self.inputs.items():
            try:
                await asyncio.wait_for(device.close(), timeout=INPUT_CLOSE_LIMIT)
            except Exception as exc:  # a vanished or hung device must not hold up the exit
                self.log.debug("closing input %r failed: %r", name, exc)
        deadline = self.clock.now() + grace
        while self.clock.now() < deadline and not all(
            c.idle or not c.state.online for c in self.controllers.values()
        ):
            await asyncio.sleep(0.01)
        if self.pipeline is not None:
            self.pipeline.close()
        for controller in self.controllers.values():
            controller.close()
        if self.feedback is not None:
            await self.feedback.close()  # the lights go out: nobody is acting on them now
        await self.pool.close()


async def run(config_path: str, log: logging.Logger, status_socket: Path | None = None) -> int:
    """``ptzmapd run``: the foreground daemon. Returns the exit code.

    ``status_socket``: where ``ptzmapd status`` finds it (None: no status socket).
    """
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    hup = asyncio.Event()
    # Signals first: a SIGHUP or SIGTERM that arrives while cameras are being set up must
    # not meet the default action (which would kill the process with cameras moving).
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, hup.set)
    try:
        return await _serve(config_path, log, status_socket, stopping, hup)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)


async def _serve(config_path: str, log: logging.Logger, status_socket: Path | None,
                 stopping: asyncio.Event, hup: asyncio.Event) -> int:
    loop = asyncio.get_running_loop()
    try:
        config = load_config(config_path)
    except ConfigError as error:
        for problem in error.problems:
            log.error("%s", problem)
        return 2
    daemon = Daemon(config, log=log)
    try:
        await daemon.start()
    except PtzmapdError as error:
        log.error("cannot start: %s", error)
        await daemon.shutdown(grace=0.2)
        return 1

    status: StatusServer | None = None
    if status_socket is not None:
        status = StatusServer(daemon, status_socket)
        try:
            await status.start()
            log.info("status: ptzmapd status --socket %s", status_socket)
        except (OSError, PtzmapdError) as error:
            log.warning("no status socket at %s: %s", status_socket, error)
            status = None

    async def reload() -> None:
        nonlocal daemon
        log.info("SIGHUP: reading %s again", config_path)
        try:
            # Everything the new config asks of the OS (files, secrets, names) is asked here,
            # before anything running is touched.
            new_config = await loop.run_in_executor(None, load_config, config_path)
        except ConfigError as error:
            for problem in error.problems:
                log.error("%s", problem)
            log.error("the new configuration is invalid; keeping the one that is running")
            return
        old_config = daemon.config
        await daemon.shutdown(grace=0.3)
        daemon = Daemon(new_config, log=log)
        try:
            await daemon.start()
        except PtzmapdError as error:
            log.error("cannot start the new configuration (%s); going back to the old one", error)
            await daemon.shutdown(grace=0.1)
            daemon = Daemon(old_config, log=log)
            await daemon.start()
        if status is not None:
            status.daemon = daemon
        log.info("configuration reloaded")

    def on_unexpected(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        # A bug, not a user mistake: say so loudly, and since nobody knows what state the
        # motion is in any more, stop every camera rather than let one run on.
        loop.default_exception_handler(context)
        log.error("unexpected error (a bug in ptzmapd); stopping every camera to be safe")
        if daemon.pipeline is not None:
            daemon.pipeline.stop_everything()

    loop.set_exception_handler(on_unexpected)
    systemd.notify("READY=1")
    watchdog_interval = systemd.watchdog_interval()
    watchdog = systemd.Watchdog(watchdog_interval) if watchdog_interval else None
    if watchdog:
        watchdog.start()
    try:
        while not stopping.is_set():
            stop_wait = asyncio.ensure_future(stopping.wait())
            hup_wait = asyncio.ensure_future(hup.wait())
            await asyncio.wait({stop_wait, hup_wait}, return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            hup_wait.cancel()
            if hup.is_set() and not stopping.is_set():
                hup.clear()
                await reload()
    finally:
        systemd.notify("STOPPING=1")
        if watchdog:
            watchdog.stop()
        log.info("stopping every camera and exiting")
        await daemon.shutdown()
        if status is not None:
            await status.close()
    return 0
