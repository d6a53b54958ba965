"""``ptzmapd run``: the service around a runtime — signals, reload with rollback, the
status socket, the systemd watchdog and notifications.

Lifecycle:

- start: the config is assembled (:func:`ptzmapd.app.assemble.assemble`: one transport per
  endpoint, one controller per camera, one input per device), then READY=1 to systemd;
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
import dataclasses
import logging
import signal
from pathlib import Path

from ptzmapd import systemd
from ptzmapd.app.assemble import assemble
from ptzmapd.app.status import StatusServer, StatusSnapshot
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import CameraConfig
from ptzmapd.errors import ConfigError, PtzmapdError


def same_camera(old: CameraConfig, new: CameraConfig | None) -> bool:
    """Whether a reloaded config has this camera unchanged (where it is written aside)."""
    return new is not None and dataclasses.replace(old, mark=new.mark) == new


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
    clock = MonotonicClock()
    try:
        runtime = await assemble(config, clock, log)
    except PtzmapdError as error:
        log.error("cannot start: %s", error)
        return 1

    def snapshot() -> StatusSnapshot:
        return runtime.status()  # whichever runtime is running now (a reload replaces it)

    status: StatusServer | None = None
    if status_socket is not None:
        status = StatusServer(snapshot, status_socket)
        try:
            await status.start()
            log.info("status: ptzmapd status --socket %s", status_socket)
        except (OSError, PtzmapdError) as error:
            log.warning("no status socket at %s: %s", status_socket, error)
            status = None

    async def reload() -> None:
        nonlocal runtime
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
        old_config = runtime.config
        # A camera the new config keeps, reached the same way, is sent a stop when it starts;
        # one it drops (or reaches differently) has only this stop, which must get through.
        # The tally lamps stay as they are: the new configuration's switchers set them.
        await runtime.shutdown(grace=0.3, lamps_dark=False, confirm=[
            name for name, camera in old_config.cameras.items() if not same_camera(camera, new_config.cameras.get(name))
        ])
        try:
            runtime = await assemble(new_config, clock, log)
        except PtzmapdError as error:
            log.error("cannot start the new configuration (%s); going back to the old one", error)
            runtime = await assemble(old_config, clock, log)
        log.info("configuration reloaded")

    def on_unexpected(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        # A bug, not a user mistake: say so loudly, and since nobody knows what state the
        # motion is in any more, stop every camera rather than let one run on.
        loop.default_exception_handler(context)
        log.error("unexpected error (a bug in ptzmapd); stopping every camera to be safe")
        runtime.pipeline.stop_everything()

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
        await runtime.shutdown()
        if status is not None:
            await status.close()
    return 0
