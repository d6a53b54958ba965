"""The OSC input (``type: osc``): a UDP port that TouchOSC, Open Stage Control or Companion
send to, each message turned into a :class:`~ptzmapd.events.ControlEvent` of kind
``address`` whose number is the OSC address and whose value is the message's first argument.

Values as senders send them: a float (a fader, 0..1), an int, or true/false (a toggle, read
as 1/0); a message without arguments is a press and a release at once (a trigger, as
Companion's "send message" sends). A string or a non-finite number is not a control value:
ignored, with a rate-limited log line. Senders outside ``allow`` and malformed packets are
the endpoint's to refuse (:mod:`.endpoint`). This is not the OSC API (:mod:`ptzmapd.api.osc`):
it takes no token, which TouchOSC cannot send, so beyond loopback ``check`` demands ``allow``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from ptzmapd.clock import Clock
from ptzmapd.config.model import InputConfig
from ptzmapd.events import ControlEvent, EmitEvent, InputStateChanged
from ptzmapd.inputs.osc.endpoint import OscEndpoint, Sender
from ptzmapd.logs import LogLimit
from ptzmapd.vocabulary import ControlKind

_LOG = logging.getLogger(__name__)
_ADDRESS = ControlKind.ADDRESS


def control_value(argument: object) -> float | None:
    """An OSC argument as a control value: numbers as they are, true/false as 1/0; None for
    anything else (a string, a blob, NaN, infinity)."""
    if isinstance(argument, bool):
        return 1.0 if argument else 0.0
    if isinstance(argument, (int, float)) and math.isfinite(argument):
        return float(argument)
    return None


class OscInput:
    """One configured OSC input. Events reach ``emit`` on the loop's thread, stamped with
    ``clock.now()`` at receipt; ``on_state(name, True)`` once the port is bound. Raises
    PtzmapdError from :meth:`start` when the port cannot be bound."""

    def __init__(
        self,
        config: InputConfig,
        emit: EmitEvent,
        on_state: InputStateChanged,
        loop: asyncio.AbstractEventLoop,
        *,
        clock: Clock,
        log: logging.Logger | None = None,
    ) -> None:
        if config.listen is None:
            # The config requires it for an osc input: a caller building its own is wrong.
            raise ValueError(f"{config.mark}: inputs.{config.name}: an osc input needs 'listen'")
        self._config = config
        self._emit = emit
        self._on_state = on_state
        self._clock = clock
        self._log = log if log is not None else _LOG
        self._limit = LogLimit(self._log, clock)
        self._endpoint = OscEndpoint(f"osc input {config.name!r}", self._on_message, clock, self._log, config.allow)

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def connected(self) -> bool:
        return self._endpoint.bound is not None

    @property
    def bound(self) -> tuple[str, int] | None:
        """Where it listens (the port the system chose for ``listen: host:0``)."""
        return self._endpoint.bound

    async def start(self) -> None:
        listen = self._config.listen
        assert listen is not None  # checked when built
        await self._endpoint.open(listen.host, listen.port)
        self._on_state(self.name, True)

    async def close(self) -> None:
        """Close the port. ``on_state`` is not called."""
        self._endpoint.close()

    def _on_message(self, address: str, arguments: list[Any], sender: Sender) -> None:
        now = self._clock.now()
        if not arguments:
            self._emit(ControlEvent(self.name, _ADDRESS, address, 1.0, None, now))
            self._emit(ControlEvent(self.name, _ADDRESS, address, 0.0, None, now))
            return
        value = control_value(arguments[0])
        if value is None:
            self._limit.warn(
                "value", "osc input %r: ignored %s %.40r from %s: not a number", self.name, address, arguments[0],
                sender[0],
            )
            return
        self._emit(ControlEvent(self.name, _ADDRESS, address, value, None, now))

