"""MQTT (aiomqtt): the daemon's state retained on a broker, commands taken from it, so several
booths (several daemons) see who is on air and reach each other's cameras.

Under the config's ``topic`` prefix:

==============================  ============================================================
topic                           what
==============================  ============================================================
``{topic}/state/selected``      the selected camera, JSON as in ``/api/state`` (``"cam1"``)
``{topic}/state/cameras/NAME``  one camera's state, JSON as in ``/api/state``'s ``cameras``
``{topic}/state/online``        ``true`` while connected; ``false`` when the daemon stops
                                or vanishes (the broker's last will)
``{topic}/cmd``                 commands, the WebSocket's JSON objects (:mod:`.commands`)
==============================  ============================================================

State topics are retained and published when they change (looked at every
:data:`PUBLISH_INTERVAL` seconds while connected; all of them again on every connection); a
camera the broker still holds from an earlier configuration is deleted at the connection.
Commands act through the facade as one client, ``mqtt``: a move holds for ``api.hold``
seconds unless repeated, and losing the broker stops what MQTT moved. A broker that cannot be
reached, at start or later, is retried with backoff (at most :data:`RETRY_MOST` seconds
apart, so the daemon is back within a few seconds of the broker's return); nothing waits for
it. Malformed or refused commands are ignored with a rate-limited log line, and so are
retained ones (the broker's replay of an old command at each connection).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

import aiomqtt

from ptzmapd.api.commands import run_command
from ptzmapd.api.remote import Remote, RemoteError
from ptzmapd.api.state import StateSource
from ptzmapd.clock import Clock
from ptzmapd.config.model import MqttConfig
from ptzmapd.logs import LogLimit
from ptzmapd.tasks import cancel_and_wait
from ptzmapd.transports.backoff import Backoff

#: Seconds between two looks at the state while connected.
PUBLISH_INTERVAL = 0.2
#: Reconnection waits double from this up to :data:`RETRY_MOST` seconds.
RETRY_FIRST = 0.5
RETRY_MOST = 5.0
#: Seconds between keepalive pings: a broker that vanished without a word is noticed within
#: one and a half of these, and a connection attempt that hangs gives up after one.
KEEPALIVE = 10
#: How long close() lets the "offline" notice take to reach the broker, and then the
#: disconnection (aiomqtt waits up to 10 s for it: a shutdown must not).
GOODBYE_SECONDS = 1.0
#: The facade client MQTT commands act as.
CLIENT = "mqtt"


def state_payloads(topic: str, state: Mapping[str, Any]) -> dict[str, bytes]:
    """The state topics and their JSON payloads for ``state`` (the API state)."""
    payloads = {f"{topic}/state/selected": json.dumps(state.get("selected")).encode()}
    for name, camera in state.get("cameras", {}).items():
        payloads[f"{topic}/state/cameras/{name}"] = json.dumps(camera, sort_keys=True).encode()
    return payloads


def default_client_id() -> str:
    """``ptzmapd-HOSTNAME-PID``: two daemons on one broker must not share an id (the broker
    would throw one out each time the other connects)."""
    return f"ptzmapd-{socket.gethostname()}-{os.getpid()}"


class MqttBridge:
    """The connection to the config's broker, kept up by :meth:`start` until :meth:`close`."""

    def __init__(self, config: MqttConfig, remote: Remote, state: StateSource, clock: Clock, log: logging.Logger) -> None:
        self._config = config
        self._remote = remote
        self._state = state
        self._clock = clock
        self._log = log
        self._limit = LogLimit(log, clock)
        self._task: asyncio.Task[None] | None = None
        self._client: aiomqtt.Client | None = None
        #: Set by close(): the connection is not made again, whatever ends it.
        self._closing = False
        #: What the broker holds of our state topics in this connection.
        self._published: dict[str, bytes] = {}
        topic = config.topic
        self._commands = f"{topic}/cmd"
        self._online = f"{topic}/state/online"
        self._cameras = f"{topic}/state/cameras/"

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up now (subscribed, ``online`` published)."""
        return self._client is not None

    async def start(self) -> None:
        """Begin connecting, in the background: never waits for the broker, never fails."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="mqtt")

    async def close(self) -> None:
        """Say ``online: false``, disconnect, and stop what MQTT commands moved; at most about
        two :data:`GOODBYE_SECONDS`."""
        self._closing = True
        client, task, self._task = self._client, self._task, None
        if client is not None:
            try:
                await asyncio.wait_for(client.publish(self._online, b"false", qos=1, retain=True), GOODBYE_SECONDS)
            except (aiomqtt.MqttError, asyncio.TimeoutError):
                pass  # the broker's last will says the same
        if task is not None:
            # aiomqtt turns the cancellation into an MqttError when its disconnection times
            # out; _closing keeps that from starting a new connection.
            task.cancel()
            await asyncio.wait({task}, timeout=GOODBYE_SECONDS)
        self._remote.release(CLIENT)

    # ------------------------------------------------------------------ the connection

    async def _run(self) -> None:
        config = self._config
        backoff = Backoff(self._clock, RETRY_FIRST, RETRY_MOST)
        password = config.password.reveal() if config.password is not None else None
        while not self._closing:
            try:
                async with aiomqtt.Client(
                    config.broker.host, config.broker.port, username=config.username, password=password,
                    identifier=config.client_id or default_client_id(), keepalive=KEEPALIVE,
                    will=aiomqtt.Will(self._online, b"false", qos=1, retain=True),
                ) as client:
                    await self._session(client, backoff)
                problem = "closed the connection"
            except aiomqtt.MqttError as error:
                problem = f"cannot be reached ({error})" if self._client is None else f"was lost ({error})"
            finally:
                self._client = None
                self._published = {}
                stopped = self._remote.release(CLIENT)
                if stopped:
                    self._log.warning("mqtt: broker lost; stopped what its commands moved (%s)",
                                      ", ".join(f"{camera} {axis}" for camera, axis in stopped))
            if self._closing:
                return
            await backoff.retry(self._log, "mqtt: broker %s %s; retrying", config.broker, problem)

    async def _session(self, client: aiomqtt.Client, backoff: Backoff) -> None:
        await client.subscribe(self._commands, qos=1)
        # To hear what the broker still holds of cameras this config no longer has.
        await client.subscribe(self._cameras + "+", qos=1)
        await client.publish(self._online, b"true", qos=1, retain=True)
        self._client = client
        backoff.reset()
        self._log.info("mqtt: connected to %s; state under %s/state, commands on %s",
                       self._config.broker, self._config.topic, self._commands)
        publisher = asyncio.get_running_loop().create_task(self._publish(client), name="mqtt publish")
        try:
            async for message in client.messages:
                if str(message.topic).startswith(self._cameras):
                    await self._forget_stale(client, message)
                    continue
                if message.retain:
                    # The broker replays a retained command to every new subscription: obeyed,
                    # it would recall its preset (or start its move) at every reconnection.
                    # A command published with retain still arrives once, live, unflagged.
                    self._limit.warn("retained", "mqtt: ignored a retained command on %s (an old one the broker "
                                     "replays; publish commands without retain)", self._commands)
                    continue
                self._command(message.payload)
        finally:
            await cancel_and_wait(publisher)

    async def _publish(self, client: aiomqtt.Client) -> None:
        """While connected: the state topics that changed, retained."""
        while True:
            try:
                payloads = state_payloads(self._config.topic, self._state())
            except Exception:  # a broken state must not end the connection
                self._log.exception("mqtt: reading the state to publish failed")
                payloads = dict(self._published)
            try:
                for topic, payload in payloads.items():
                    if self._published.get(topic) != payload:
                        # QoS 0: the broker keeps it retained all the same, and nothing
                        # waits for an acknowledgement; a connection lost meanwhile
                        # publishes everything again when it is back.
                        await client.publish(topic, payload, qos=0, retain=True)
                        self._published[topic] = payload
                for topic in [topic for topic in self._published if topic not in payloads]:
                    await client.publish(topic, b"", qos=0, retain=True)  # an empty retained message deletes it
                    del self._published[topic]
            except aiomqtt.MqttError:
                return  # the connection is going: the message loop says why
            await self._clock.sleep(PUBLISH_INTERVAL)

    async def _forget_stale(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        """A camera's state the broker holds retained from an earlier run (a camera renamed or
        removed since): deleted, so other booths do not see a camera that is not there. Our
        own live publications come back here too (not flagged retained): nothing to do."""
        name = str(message.topic)[len(self._cameras):]
        if not message.retain or not message.payload or name in (self._state().get("cameras") or {}):
            return
        self._log.info("mqtt: deleted the retained state of camera %r, which the config no longer has", name)
        await client.publish(str(message.topic), b"", qos=1, retain=True)

    # ------------------------------------------------------------------ commands

    def _command(self, payload: object) -> None:
        try:
            command = json.loads(payload if isinstance(payload, (bytes, str)) else b"")
        except ValueError:
            command = None
        if not isinstance(command, dict):
            self._limit.warn("json", "mqtt: ignored a message on %s that is not a JSON object", self._commands)
            return
        try:
            run_command(self._remote.client(CLIENT), command)
        except RemoteError as refused:
            valid = f" (valid: {', '.join(refused.valid)})" if refused.valid else ""
            self._limit.warn(f"refused {refused.field}", "mqtt: ignored %r: %s%s", command.get("cmd"), refused.message, valid)
