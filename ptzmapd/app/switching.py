"""The switchers of a running config: started and closed here, their states turned into
camera names for the pipeline, and the pipeline's switcher actions carried out.

:class:`Switching` owns one :class:`~ptzmapd.switchers.base.Switcher` per ``switchers:``
entry (built by the :data:`~ptzmapd.switchers.SWITCHERS` registry). Each state a switcher
reports is mapped from its source keys to cameras (:class:`~ptzmapd.onair.Buses`) and handed
to the pipeline's :meth:`~ptzmapd.pipeline.Pipeline.on_buses`, which follows, locks out and
tells the tally lamps and surfaces. A switcher that is lost keeps its last buses for its
``tally_hold`` seconds (lamps, lockout and targets as they were: a blip changes nothing on
air), then shows nothing, with a log line; when it is back, its state applies again.

It is also the pipeline's :class:`~ptzmapd.onair.SwitcherDesk`: ``switcher-preview``,
``-cut`` and ``-auto`` run as tasks on the loop, and a refusal or failure is a log line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ptzmapd.app.tally import CameraTally
from ptzmapd.clock import Clock, Timer
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.onair import Buses, SwitcherRules
from ptzmapd.switchers import SWITCHERS
from ptzmapd.switchers.base import Switcher, SwitcherError, SwitcherState
from ptzmapd.vocabulary import Action

#: Where the buses go: (switcher name, what it shows in camera names).
BusSink = Callable[[str, Buses], None]


def rules_of(config: SwitcherConfig) -> SwitcherRules:
    """What a switcher's state does in the pipeline, from its config."""
    groups = frozenset(config.follow_groups) if config.follow_groups is not None else None
    return SwitcherRules(follow=config.follow, carry=config.carry, live=config.live, live_factor=config.live_factor,
                         groups=groups)


def buses_of(config: SwitcherConfig, state: SwitcherState) -> Buses:
    """A switcher's state in camera names (sources the config does not map are nobody)."""
    sources = config.sources
    return Buses(frozenset(sources[key] for key in state.program if key in sources),
                 frozenset(sources[key] for key in state.preview if key in sources))


@dataclass(frozen=True, slots=True)
class SwitcherView:
    """What ``status`` shows of one switcher: its state and whether its buses still hold
    (lost, within ``tally_hold``)."""

    config: SwitcherConfig
    state: SwitcherState
    buses: Buses
    holding: bool


class Switching:
    """Every configured switcher (see the module docstring)."""

    def __init__(self, configs: Mapping[str, SwitcherConfig], clock: Clock, log: logging.Logger,
                 tally: CameraTally | None = None) -> None:
        self.configs = dict(configs)
        self._clock = clock
        self._log = log
        self._tally = tally
        self._switchers: dict[str, Switcher] = {}
        self._states: dict[str, SwitcherState] = {name: SwitcherState() for name in configs}
        #: What each switcher shows the pipeline now (held through a loss for tally_hold).
        self._buses: dict[str, Buses] = {name: Buses() for name in configs}
        self._holds: dict[str, Timer] = {}
        self._sink: BusSink | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def rules(self) -> dict[str, SwitcherRules]:
        return {name: rules_of(config) for name, config in self.configs.items()}

    async def start(self, sink: BusSink) -> None:
        """Build and start every switcher; their states go to ``sink`` from now on. A switcher
        that cannot be reached is a log line and retries (its own loop), never an error."""
        self._sink = sink
        loop = asyncio.get_running_loop()
        for name, config in self.configs.items():
            factory = SWITCHERS[config.type]
            switcher = factory(config, functools.partial(self._changed, name), loop, clock=self._clock, log=self._log)
            self._switchers[name] = switcher
            await switcher.start()

    async def close(self) -> None:
        # From now on nothing a switcher says (its own "disconnected" included) changes anything.
        self._sink = None
        self._closed = True
        for timer in self._holds.values():
            timer.cancel()
        self._holds.clear()
        for task in list(self._tasks):
            task.cancel()
        for switcher in self._switchers.values():
            try:
                await switcher.close()
            except Exception as exc:  # a switcher that fails to close must not hold up the exit
                self._log.debug("closing a switcher failed: %r", exc)

    def views(self) -> dict[str, SwitcherView]:
        return {name: SwitcherView(config, self._states[name], self._buses[name], name in self._holds)
                for name, config in self.configs.items()}

    # ------------------------------------------------------------------ states

    def _changed(self, name: str, state: SwitcherState) -> None:
        if self._closed:
            return
        config = self.configs[name]
        was = self._states[name]
        self._states[name] = state
        if state.connected:
            hold = self._holds.pop(name, None)
            if hold is not None:
                hold.cancel()
            self._show(name, buses_of(config, state))
        elif was.connected and name not in self._holds:
            # Lost: what it showed holds for a while (a blip changes nothing on air).
            self._holds[name] = self._clock.call_later(config.tally_hold, functools.partial(self._lost, name))
        self._tell_tally()

    def _lost(self, name: str) -> None:
        self._holds.pop(name, None)
        self._log.warning(
            "switcher '%s' has been lost for %g s: its tally lamps go dark and preview/program are unknown "
            "until it is back", name, self.configs[name].tally_hold)
        self._show(name, Buses())
        self._tell_tally()

    def _show(self, name: str, buses: Buses) -> None:
        self._buses[name] = buses
        if self._sink is not None:
            self._sink(name, buses)

    def _tell_tally(self) -> None:
        if self._tally is not None:
            self._tally.connected(any(state.connected for state in self._states.values()))

    # ------------------------------------------------------------------ the desk

    def request(self, action: str, camera: str | None, switcher: str | None) -> None:
        """Carry out a switcher action (:class:`~ptzmapd.onair.SwitcherDesk`) in the background."""
        name = switcher if switcher is not None else next(iter(self._switchers), None)
        target = self._switchers.get(name) if name is not None else None
        if name is None or target is None:
            self._log.warning("%s: no switcher %s", action, repr(switcher) if switcher else "is configured")
            return
        if action == Action.SWITCHER_PREVIEW:
            config = self.configs[name]
            source = next((key for key, mapped in config.sources.items() if mapped == camera), None)
            if source is None:
                self._log.warning("%s: camera '%s' has no source on switcher '%s'", action, camera, name)
                return
            self._run(name, action, target.preview(source))
        elif action == Action.SWITCHER_CUT:
            self._run(name, action, target.cut())
        else:
            self._run(name, action, target.auto())

    def _run(self, name: str, action: str, request: Awaitable[None]) -> None:
        async def carried_out() -> None:
            try:
                await request
            except SwitcherError as error:
                self._log.warning("[%s] %s: %s", name, action, error)
            except Exception as error:  # noqa: BLE001 - a library's own (OBS's socket closing under a request): a line, never a traceback
                self._log.warning("[%s] %s failed: %s", name, action, str(error) or type(error).__name__)

        task = asyncio.ensure_future(carried_out())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
