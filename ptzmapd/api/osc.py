"""The OSC API on ``api.osc``: a fixed ``/ptzmapd/…`` namespace over UDP, for Companion's
generic OSC module, TouchOSC or any OSC sender, acting through the remote facade
(:mod:`.remote`) like HTTP and the WebSocket do.

===============================  ====  =================================================
address                          args  does
===============================  ====  =================================================
``/ptzmapd/auth``                s     the API token; this sender's commands are obeyed
                                       for :data:`AUTH_SECONDS` after its last message
``/ptzmapd/select``              s     select a camera (a name, next, previous, all,
                                       program, preview)
``/ptzmapd/{camera}/pan``        f     speed -1..1 (also tilt, zoom, focus); holds for
                                       ``api.hold`` seconds unless repeated
``/ptzmapd/{camera}/preset``     i     recall a preset
``/ptzmapd/{camera}/preset/store`` i   store a preset
``/ptzmapd/{camera}/stop``             stop every axis
``/ptzmapd/{camera}/home``             go home
``/ptzmapd/subscribe``           i     push state to this sender's host at that port
``/ptzmapd/unsubscribe``         i     stop pushing there
===============================  ====  =================================================

``{camera}`` is a camera's name, ``selected``, ``all``, ``program`` or ``preview``. Pushes
to subscribers: ``/ptzmapd/selected s`` and ``/ptzmapd/{camera}/tally s`` (``program``,
``preview``, ``off``) on subscribing and on every change, read from the API state every
:data:`PUSH_INTERVAL` seconds while anyone subscribes. With a token configured, nothing but
``/ptzmapd/auth`` is obeyed from a sender that has not sent it; a wrong token is logged
(rate-limited) without either token. Anything refused (unknown address or camera, a speed
out of range, a missing argument) is ignored with a rate-limited log line naming the valid
values: UDP has no reply to carry an error.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from ptzmapd.api.remote import MOVE_AXES, Remote, RemoteError
from ptzmapd.api.state import StateSource
from ptzmapd.clock import Clock, Timer
from ptzmapd.config.model import Listener
from ptzmapd.inputs.osc.endpoint import Argument, OscEndpoint, Sender
from ptzmapd.logs import LogLimit
from ptzmapd.secrets import Secret
from ptzmapd.vocabulary import Action

#: The first part of every address of the namespace.
PREFIX = "ptzmapd"
#: Seconds a sender stays authenticated after its last message (auth or command).
AUTH_SECONDS = 600.0
#: Seconds between two looks at the state while anyone subscribes.
PUSH_INTERVAL = 0.1
#: At most this many subscribers; a new one beyond pushes the oldest out.
MAX_SUBSCRIBERS = 32
#: The commands, as the log line for an unknown address lists them.
COMMANDS = (
    "/ptzmapd/auth s", "/ptzmapd/select s", "/ptzmapd/subscribe i", "/ptzmapd/unsubscribe i",
    "/ptzmapd/{camera}/pan|tilt|zoom|focus f", "/ptzmapd/{camera}/preset i", "/ptzmapd/{camera}/preset/store i",
    "/ptzmapd/{camera}/stop", "/ptzmapd/{camera}/home",
)


def pushed_values(state: Mapping[str, Any]) -> dict[str, str]:
    """What subscribers are told of ``state``: OSC address → its string argument."""
    values = {f"/{PREFIX}/selected": str(state.get("selected") or "")}
    for name, camera in state.get("cameras", {}).items():
        values[f"/{PREFIX}/{name}/tally"] = str(camera.get("tally") or "off")
    return values


def _argument(arguments: list[Any], what: str) -> Any:
    if not arguments:
        raise RemoteError(f"{what} is missing (the message has no argument)", field="argument", valid=(what,))
    return arguments[0]


def _text(arguments: list[Any], what: str) -> str:
    value = _argument(arguments, what)
    if not isinstance(value, str):
        raise RemoteError(f"{what} must be a string (s), not {value!r}", field="argument", valid=(what,))
    return value


def _whole(arguments: list[Any], what: str) -> int:
    """An int argument; a float with a whole value too (some senders send every number as f)."""
    value = _argument(arguments, what)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RemoteError(f"{what} must be a whole number (i), not {value!r}", field="argument", valid=(what,))
    return value


class OscApi:
    """The OSC API's listener: :meth:`start` binds ``listener``; commands go to ``remote``,
    one :class:`~.remote.RemoteClient` per sender host (``osc HOST``), so what one sender
    moves is its own. ``token``: the API token (None: every sender is obeyed)."""

    def __init__(
        self, remote: Remote, listener: Listener, state: StateSource, clock: Clock, log: logging.Logger,
        token: Secret | None = None,
    ) -> None:
        self._remote = remote
        self._listener = listener
        self._state = state
        self._clock = clock
        self._log = log
        self._token = token
        self._limit = LogLimit(log, clock)
        self._endpoint = OscEndpoint("osc api", self._on_message, clock, log)
        #: Sender host → when its authentication runs out.
        self._authenticated: dict[str, float] = {}
        #: Where pushes go, oldest first.
        self._subscribers: dict[Sender, None] = {}
        self._pushed: dict[str, str] = {}
        self._timer: Timer | None = None
        #: The facade's clients this listener made (one per sender), released at close.
        self._clients: set[str] = set()

    @property
    def bound(self) -> tuple[str, int] | None:
        """Where it listens; None when closed."""
        return self._endpoint.bound

    async def start(self) -> None:
        """Bind the port; PtzmapdError when it cannot be bound."""
        await self._endpoint.open(self._listener.host, self._listener.port)
        self._log.info("osc api listening on %s%s", self._listener, "" if self._token is None else " (token required)")

    async def close(self) -> None:
        """Stop listening and pushing; what each sender moved stops."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._subscribers.clear()
        self._endpoint.close()
        for name in self._clients:
            self._remote.release(name)
        self._clients.clear()

    # ------------------------------------------------------------------ commands

    def _on_message(self, address: str, arguments: list[Any], sender: Sender) -> None:
        parts = address.split("/")[1:]
        if len(parts) < 2 or parts[0] != PREFIX or not all(parts):
            self._refused(address, sender, RemoteError(f"no OSC command {address}", field="address", valid=COMMANDS))
            return
        words = parts[1:]
        if words == ["auth"]:
            self._authenticate(arguments, sender)
            return
        if not self._obeyed(sender):
            self._limit.warn("unauthenticated", "osc api: ignored %s from %s: send /ptzmapd/auth with the token first",
                             address, sender[0])
            return
        try:
            self._command(words, arguments, sender)
        except RemoteError as error:
            self._refused(address, sender, error)

    def _command(self, words: list[str], arguments: list[Any], sender: Sender) -> None:
        remote = self._remote
        if words == ["select"]:
            remote.select(_text(arguments, "camera"))
        elif words == ["subscribe"]:
            self._subscribe((sender[0], _port(arguments)))
        elif words == ["unsubscribe"]:
            self._subscribers.pop((sender[0], _port(arguments)), None)
        elif len(words) >= 2:
            camera, command = words[0], "/".join(words[1:])
            # By host: a sender may send from a new port each time, and its "pan 0" must
            # still end its own "pan 0.5".
            name = f"osc {sender[0]}"
            self._clients.add(name)
            client = remote.client(name)
            if command in MOVE_AXES:
                client.move(camera, {command: _argument(arguments, f"{command} speed -1..1")})
            elif command == "preset":
                client.preset(camera, _whole(arguments, "preset number"))
            elif command == "preset/store":
                client.preset(camera, _whole(arguments, "preset number"), store=True)
            elif command == "stop":
                client.stop(camera)
            elif command == "home":
                client.action(camera, Action.HOME)
            else:
                raise RemoteError(f"no OSC command {command!r} for a camera", field="address", valid=COMMANDS)
        else:
            raise RemoteError(f"no OSC command {'/'.join(words)!r}", field="address", valid=COMMANDS)

    def _refused(self, address: str, sender: Sender, error: RemoteError) -> None:
        valid = f" (valid: {', '.join(error.valid)})" if error.valid else ""
        self._limit.warn(f"refused {error.field}", "osc api: ignored %s from %s: %s%s", address, sender[0],
                         error.message, valid)

    # ------------------------------------------------------------------ authentication

    def _authenticate(self, arguments: list[Any], sender: Sender) -> None:
        if self._token is None:
            return  # nothing to prove: every sender is obeyed
        given = arguments[0] if arguments and isinstance(arguments[0], str) else ""
        if hmac.compare_digest(given.encode(), self._token.reveal().encode()):
            if sender[0] not in self._authenticated:
                self._log.info("osc api: %s authenticated", sender[0])
            self._authenticated[sender[0]] = self._clock.now() + AUTH_SECONDS
        else:
            # Neither token in the line: the presented one may be another system's secret.
            self._limit.warn("token", "osc api: wrong token from %s (its commands are ignored)", sender[0])

    def _obeyed(self, sender: Sender) -> bool:
        """Whether this sender's commands are obeyed now; each obeyed message renews it."""
        if self._token is None:
            return True
        now = self._clock.now()
        until = self._authenticated.get(sender[0])
        if until is None or now >= until:
            self._authenticated.pop(sender[0], None)
            return False
        self._authenticated[sender[0]] = now + AUTH_SECONDS
        return True

    # ------------------------------------------------------------------ pushes

    def _subscribe(self, subscriber: Sender) -> None:
        self._subscribers.pop(subscriber, None)  # again: now the newest
        self._subscribers[subscriber] = None
        while len(self._subscribers) > MAX_SUBSCRIBERS:
            del self._subscribers[next(iter(self._subscribers))]
        if self._timer is None:
            self._pushed = pushed_values(self._state())
            self._timer = self._clock.call_later(PUSH_INTERVAL, self._look)
        for address, value in self._pushed.items():
            self._send(subscriber, address, value)

    def _look(self) -> None:
        """Every :data:`PUSH_INTERVAL` while anyone subscribes: push what changed."""
        self._timer = None
        if not self._subscribers:
            return
        try:
            now = pushed_values(self._state())
        except Exception:  # a broken state must not end the pushes for good
            self._log.exception("osc api: reading the state to push failed")
            now = self._pushed
        changed = {address: value for address, value in now.items() if self._pushed.get(address) != value}
        self._pushed = now
        for subscriber in self._subscribers:
            for address, value in changed.items():
                self._send(subscriber, address, value)
        self._timer = self._clock.call_later(PUSH_INTERVAL, self._look)

    def _send(self, to: Sender, address: str, *arguments: Argument) -> None:
        try:
            self._endpoint.send(to, address, *arguments)
        except OSError as error:  # an address that cannot be reached now: the next change retries
            self._limit.warn("push", "osc api: cannot push to %s:%d: %s", to[0], to[1], error)


def _port(arguments: list[Any]) -> int:
    port = _whole(arguments, "port 1..65535")
    if not 1 <= port <= 65535:
        raise RemoteError(f"port must be 1..65535, not {port}", field="argument", valid=("1..65535",))
    return port
