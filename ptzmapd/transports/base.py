"""The transport contract: one endpoint's wire, shared by every camera on it.

A transport moves bytes and nothing else: it never interprets them. Each camera on the
endpoint registers a listener; every chunk received is offered to every listener (a codec
ignores replies that are not for its camera, e.g. another VISCA address on a daisy chain).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Callable, Hashable, NamedTuple

from ptzmapd.clock import Clock

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig, NetLink


DataListener = Callable[[bytes], None]
StateListener = Callable[[bool], None]
#: Called when it is a waiting camera's turn on a shared wire; returns whether it sent.
TurnCallback = Callable[[], bool]


class Transport(ABC):
    """Base class: listener bookkeeping; subclasses implement open/send/close."""

    def __init__(self, endpoint: str, log: logging.Logger | None = None, *, clock: Clock) -> None:
        self.endpoint = endpoint
        #: What it paces and backs off on.
        self.clock = clock
        self.log = log or logging.getLogger("ptzmapd.transport")
        self._data_listeners: list[DataListener] = []
        self._state_listeners: list[StateListener] = []
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    def add_listener(self, on_data: DataListener, on_state: StateListener | None = None) -> None:
        self._data_listeners.append(on_data)
        if on_state is not None:
            self._state_listeners.append(on_state)

    def remove_listener(self, on_data: DataListener, on_state: StateListener | None = None) -> None:
        if on_data in self._data_listeners:
            self._data_listeners.remove(on_data)
        if on_state is not None and on_state in self._state_listeners:
            self._state_listeners.remove(on_state)

    def _deliver(self, data: bytes) -> None:
        for listener in list(self._data_listeners):
            try:
                listener(data)
            except Exception:  # one camera's bug must not silence the others on the wire
                self.log.exception("[%s] listener failed on %d bytes", self.endpoint, len(data))

    def _set_connected(self, connected: bool) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        for listener in list(self._state_listeners):
            try:
                listener(connected)
            except Exception:
                self.log.exception("[%s] state listener failed", self.endpoint)

    def request_turn(self, take_turn: TurnCallback) -> bool:
        """May a camera write now? A wire without contention always says yes.

        A shared slow wire (an RS-485 bus) says no while it is busy or others are waiting,
        and calls ``take_turn`` when this camera's turn comes (round-robin). The camera picks
        what to send only then, so the newest value is what goes on the wire.
        """
        return True

    @abstractmethod
    async def open(self) -> None:
        """Open the wire (or start trying to, in the background)."""

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Queue ``data`` for the wire without blocking; TransportError when it is down."""

    def send_stop(self, data: bytes) -> None:
        """Queue a stop: like :meth:`send`, but no policy timer of the transport's may hold it
        back (a camera that may be moving is told to stop at once; issue 9, item 6)."""
        self.send(data)

    async def close(self) -> None:
        self._set_connected(False)


class TransportKind(NamedTuple):
    """How :class:`~ptzmapd.transports.TransportPool` keys and builds one kind of transport.

    ``endpoint(camera)`` is the key of the camera's wire: cameras with the same key share one
    transport (a daisy chain, an RS-485 bus); ``make(camera, log, clock)`` opens a new one.
    """

    endpoint: Callable[["CameraConfig"], Hashable]
    make: Callable[["CameraConfig", logging.Logger, Clock], Transport]


def net_link(camera: "CameraConfig") -> "NetLink":
    """A network camera's host and port; TypeError for a camera carried otherwise (a protocol
    spec naming the wrong transport kind: a bug, never a user mistake)."""
    from ptzmapd.config.model import NetLink

    link = camera.link
    if not isinstance(link, NetLink):
        raise TypeError(f"camera {camera.name!r}: {camera.protocol} is not carried by host and port")
    return link


def host_and_port(camera: "CameraConfig") -> Hashable:
    """The endpoint key of a network camera: cameras at one address share a socket."""
    link = net_link(camera)
    return (link.host, link.port)
