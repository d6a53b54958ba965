"""MQTT against a real Mosquitto: the daemon's state retained on the broker, commands obeyed
from it, and the broker killed and started again (or not there at first) while the daemon
keeps running. aiomqtt's own client plays the other booth."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from helpers import problems_of, run, until, write
from mosquitto import Mosquitto
from ptzmapd.app.assemble import Runtime, assemble
from ptzmapd.clock import MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize
from ptzmapd.simulators.visca import SimulatorHandle, start_simulator

TOPIC = "studio/ptzmapd"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    mosquitto = Mosquitto(tmp_path)
    mosquitto.start()
    try:
        yield mosquitto
    finally:
        mosquitto.stop()


def test_the_issues_example_loads_as_written_and_bad_settings_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cameras = "cameras:\n  cam1: {protocol: visca-ip, host: 127.0.0.2}\n"
    config = load_config(write(tmp_path, "a.yaml", cameras + """\
mqtt:
  broker: 127.0.0.1:1883        # absent = off
  topic: studio/ptzmapd         # prefix
"""))
    assert config.mqtt is not None and (config.mqtt.broker.host, config.mqtt.broker.port) == ("127.0.0.1", 1883)
    assert config.mqtt.topic == "studio/ptzmapd"
    monkeypatch.setenv("BOOTH_PASSWORD", "hunter2-secret")
    config = load_config(write(tmp_path, "b.yaml", cameras + """\
mqtt: {broker: broker.local, username: booth1, password_env: BOOTH_PASSWORD, client_id: booth1}
"""))
    assert config.mqtt is not None and config.mqtt.broker.port == 1883 and config.mqtt.topic == "ptzmapd"
    assert config.mqtt.password is not None and config.mqtt.password.reveal() == "hunter2-secret"
    shown = summarize(config)
    assert "mqtt: broker.local:1883 as booth1 (password from $BOOTH_PASSWORD), topic ptzmapd" in shown
    assert "hunter2" not in shown and "hunter2" not in repr(config)

    path = write(tmp_path, "c.yaml", cameras + """\
mqtt:
  broker: 127.0.0.1:99999
  topic: studio/+/ptzmapd
  password_env: NOT_SET_ANYWHERE
""")
    assert problems_of(path) == [
        f"{path}:4:11: mqtt.broker: the port must be a number 1..65535, not '99999'",
        f"{path}:5:10: mqtt.topic: expected a topic prefix such as studio/ptzmapd (no '+', '#' or empty level), "
        "got 'studio/+/ptzmapd'",
    ]
    path = write(tmp_path, "d.yaml", cameras + "mqtt: {broker: localhost, username: u, password_env: NOT_SET_ANYWHERE}\n")
    assert problems_of(path) == [f"{path}:3:54: mqtt.password_env: environment variable 'NOT_SET_ANYWHERE' is not set"]
    path = write(tmp_path, "e.yaml", cameras + "mqtt: {topic: x}\n")
    assert problems_of(path) == [f"{path}:3:7: mqtt: missing key 'broker'"]


class Booth:
    """Another booth on the broker (aiomqtt's client): what it has seen of our state topics,
    and commands it publishes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.state: dict[str, Any] = {}
        self.retained: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._client: aiomqtt.Client | None = None

    async def start(self) -> None:
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), 10)

    async def _listen(self, ready: asyncio.Event) -> None:
        async with aiomqtt.Client("127.0.0.1", self.port, identifier=f"booth-{id(self)}") as client:
            self._client = client
            await client.subscribe(f"{TOPIC}/state/#", qos=1)
            ready.set()
            async for message in client.messages:
                key = str(message.topic).removeprefix(f"{TOPIC}/state/")
                self.state[key] = json.loads(message.payload) if message.payload else None
                if message.retain:
                    self.retained.add(key)

    async def send(self, command: dict[str, Any] | bytes) -> None:
        assert self._client is not None
        payload = command if isinstance(command, bytes) else json.dumps(command).encode()
        await self._client.publish(f"{TOPIC}/cmd", payload, qos=1)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, aiomqtt.MqttError):
                pass


async def _daemon(tmp_path: Path, port: int) -> tuple[Runtime, SimulatorHandle, SimulatorHandle]:
    cam1 = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
    cam2 = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
    path = write(tmp_path, "studio.yaml", f"""\
api:
  hold: 10             # real time here: no hold may end mid-test
mqtt:
  broker: 127.0.0.1:{port}
  topic: {TOPIC}
cameras:
  cam1: {{protocol: visca-ip, host: 127.0.0.2, port: {cam1.port}}}
  cam2: {{protocol: visca-ip, host: 127.0.0.2, port: {cam2.port}}}
""")
    return await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd")), cam1, cam2


def test_state_is_retained_and_commands_from_another_booth_are_obeyed(
    tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> None:
        runtime, cam1, cam2 = await _daemon(tmp_path, broker.port)
        booth = Booth(broker.port)
        late = Booth(broker.port)
        try:
            await booth.start()
            await until(lambda: {"selected", "online", "cameras/cam1", "cameras/cam2"} <= set(booth.state), "the state")
            assert booth.state["selected"] == "cam1" and booth.state["online"] is True
            assert booth.state["cameras/cam2"]["selected"] is False and booth.state["cameras/cam2"]["tally"] == "off"
            assert booth.state["cameras/cam1"] == runtime.api_state()["cameras"]["cam1"]
            await late.start()  # a booth that comes later finds it all on the broker
            await until(lambda: {"selected", "online", "cameras/cam1", "cameras/cam2"} <= late.retained, "retained")

            await booth.send({"cmd": "select", "camera": "cam2"})
            await until(lambda: booth.state.get("selected") == "cam2", "the selection published")
            await until(lambda: booth.state["cameras/cam2"]["selected"] is True, "cam2 shows it is selected")
            await booth.send({"cmd": "preset", "camera": "cam2", "preset": 3})
            await until(lambda: "preset recall 3" in cam2.received, "preset 3")
            await booth.send({"cmd": "action", "camera": "cam1", "action": "home"})
            await until(lambda: "home" in cam1.received, "home")
            with caplog.at_level(logging.WARNING, logger="ptzmapd"):
                for _ in range(3):
                    await booth.send(b"{not json")
                    await booth.send({"cmd": "fly", "camera": "cam1"})
                    await booth.send({"cmd": "move", "camera": "nocam", "pan": 0.5})
                await booth.send({"cmd": "move", "camera": "selected", "pan": 1.0})
                await until(lambda: cam2.received[-1:] == ["pan right 0x18, tilt stop"], "cam2 pans")
            warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert warnings == [
                f"mqtt: ignored a message on {TOPIC}/cmd that is not a JSON object",
                "mqtt: ignored 'fly': no command 'fly' (valid: select, preset, move, stop, action, ping)",
                "mqtt: ignored 'move': no camera 'nocam' (valid: cam1, cam2, selected, all)",
            ]
            await until(lambda: booth.state["cameras/cam2"]["moving"] is True, "cam2 shows it moves")
            await booth.send({"cmd": "stop", "camera": "cam2"})
            await until(lambda: cam2.received[-1:] == ["pan stop, tilt stop"], "cam2 stops")
        finally:
            await booth.close()
            await late.close()
            await runtime.shutdown()
            await cam1.close()
            await cam2.close()
        fresh = Booth(broker.port)
        await fresh.start()
        try:
            await until(lambda: fresh.state.get("online") is False, "online false after shutdown")
        finally:
            await fresh.close()

    run(body)


def test_a_broker_killed_and_restarted_is_reconnected_and_what_mqtt_moved_stops(
    tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> None:
        runtime, cam1, cam2 = await _daemon(tmp_path, broker.port)
        booth = Booth(broker.port)
        try:
            await booth.start()
            await until(lambda: booth.state.get("selected") == "cam1", "the state")
            await booth.send({"cmd": "move", "camera": "cam1", "pan": -1.0})
            await until(lambda: cam1.received[-1:] == ["pan left 0x18, tilt stop"], "cam1 pans")
            await booth.close()
            with caplog.at_level(logging.INFO, logger="ptzmapd"):
                broker.stop()
                # The connection to the broker is gone: what its commands moved must not go on.
                await until(lambda: cam1.received[-1:] == ["pan stop, tilt stop"], "cam1 stops", timeout=20)
                assert "mqtt: broker lost; stopped what its commands moved (cam1 pan)" in caplog.text
                runtime.pipeline.select("cam2")  # the daemon goes on meanwhile
                broker.start()  # no persistence: the new broker holds nothing retained
                booth = Booth(broker.port)
                await booth.start()
                await until(lambda: booth.state.get("selected") == "cam2" and "cameras/cam1" in booth.state,
                            "the state published again", timeout=20)
            assert f"mqtt: broker 127.0.0.1:{broker.port} was lost" in caplog.text and "retrying" in caplog.text
            assert caplog.text.count("mqtt: connected to") == 1  # again, within the block
            await booth.send({"cmd": "preset", "camera": "cam1", "preset": 5})
            await until(lambda: "preset recall 5" in cam1.received, "a command after the reconnection")
        finally:
            await booth.close()
            await runtime.shutdown()
            await cam1.close()
            await cam2.close()

    run(body, timeout=90)


def test_a_retained_command_is_not_replayed_at_each_connection(
    tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> None:
        async with aiomqtt.Client("127.0.0.1", broker.port, identifier="careless-booth") as careless:
            await careless.publish(f"{TOPIC}/cmd", b'{"cmd": "preset", "camera": "cam1", "preset": 7}', qos=1, retain=True)
        with caplog.at_level(logging.WARNING, logger="ptzmapd"):
            runtime, cam1, cam2 = await _daemon(tmp_path, broker.port)
            booth = Booth(broker.port)
            try:
                await booth.start()
                await until(lambda: booth.state.get("online") is True, "the daemon connected")
                await booth.send({"cmd": "preset", "camera": "cam1", "preset": 2})
                await until(lambda: "preset recall 2" in cam1.received, "a live command obeyed")
                assert "preset recall 7" not in cam1.received
            finally:
                await booth.close()
                await runtime.shutdown()
                await cam1.close()
                await cam2.close()
        assert f"mqtt: ignored a retained command on {TOPIC}/cmd" in caplog.text

    run(body)


def test_a_camera_the_config_no_longer_has_is_deleted_from_the_broker(tmp_path: Path, broker: Mosquitto) -> None:
    async def body() -> None:
        # What an earlier run (with a camera since renamed) left retained on the broker.
        async with aiomqtt.Client("127.0.0.1", broker.port, identifier="earlier-run") as earlier:
            await earlier.publish(f"{TOPIC}/state/cameras/gallery", b'{"online": true, "tally": "program"}', qos=1, retain=True)
        runtime, cam1, cam2 = await _daemon(tmp_path, broker.port)
        booth = Booth(broker.port)
        late = Booth(broker.port)
        try:
            await booth.start()
            await until(lambda: booth.state.get("online") is True and "cameras/cam2" in booth.state, "the daemon's state")
            await until(lambda: "cameras/gallery" in booth.state and booth.state["cameras/gallery"] is None,
                        "the stale camera deleted")
            await late.start()  # a booth that comes later is not shown it at all
            await until(lambda: {"cameras/cam1", "cameras/cam2"} <= late.retained, "the retained state")
            assert "cameras/gallery" not in late.state
            assert booth.state["cameras/cam1"]["online"] is True  # the daemon's own cameras stay
        finally:
            await booth.close()
            await late.close()
            await runtime.shutdown()
            await cam1.close()
            await cam2.close()

    run(body)


def test_a_broker_absent_at_start_never_holds_up_the_daemon(tmp_path: Path) -> None:
    mosquitto = Mosquitto(tmp_path)  # its port chosen, nothing running on it yet

    async def body() -> None:
        runtime, cam1, cam2 = await _daemon(tmp_path, mosquitto.port)
        booth: Booth | None = None
        try:
            runtime.pipeline.select("cam2")  # the daemon runs without its broker
            assert runtime.status().cameras["cam2"].selected
            mosquitto.start()
            booth = Booth(mosquitto.port)
            await booth.start()
            await until(lambda: booth is not None and booth.state.get("selected") == "cam2", "the state", timeout=20)
        finally:
            if booth is not None:
                await booth.close()
            await runtime.shutdown()
            await cam1.close()
            await cam2.close()
            mosquitto.stop()

    run(body, timeout=90)


def test_the_issues_whole_config_block_loads_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12's config, every line as written (a camera added: a config needs one)."""
    monkeypatch.setenv("PTZMAPD_TOKEN", "s3cret-token")
    config = load_config(write(tmp_path, "studio.yaml", """\
api:
  http: 127.0.0.1:8780          # HTTP + WebSocket + the web page; absent = off
  osc: 127.0.0.1:9000           # the fixed OSC namespace below, UDP; absent = off
  token_env: PTZMAPD_TOKEN      # required when any listener is not loopback
inputs:
  touchosc: {type: osc, listen: 0.0.0.0:8000, allow: [192.168.1.0/24]}   # OSC as a mappable input, like MIDI
bindings:
  - {input: touchosc, address: /1/fader1, action: pan}     # float 0..1 (bipolar around 0.5 by default)
  - {input: touchosc, address: /1/push3, action: preset, preset: 3}
mqtt:
  broker: 127.0.0.1:1883        # absent = off
  topic: studio/ptzmapd         # prefix
cameras:
  cam1: {protocol: visca-ip, host: 127.0.0.2}
"""))
    assert config.api is not None and str(config.api.osc) == "127.0.0.1:9000"
    assert config.mqtt is not None and (str(config.mqtt.broker), config.mqtt.topic) == ("127.0.0.1:1883", "studio/ptzmapd")
    assert [binding.number for binding in config.bindings] == ["/1/fader1", "/1/push3"]
    assert "s3cret-token" not in summarize(config)


def test_shutdown_does_not_wait_on_a_broker_that_stopped_answering(tmp_path: Path, broker: Mosquitto) -> None:
    """A frozen broker (SIGSTOP: the process is there, its socket open, nothing answers)
    must not hold the daemon's shutdown: the goodbye and the disconnection are given up on."""
    import signal

    async def body() -> None:
        runtime, cam1, cam2 = await _daemon(tmp_path, broker.port)
        booth = Booth(broker.port)
        try:
            await booth.start()
            await until(lambda: booth.state.get("selected") == "cam1", "connected")
            await booth.close()
            assert broker.process is not None
            broker.process.send_signal(signal.SIGSTOP)
            try:
                await runtime.shutdown()  # hangs here if the bridge waits for the broker
            finally:
                broker.process.send_signal(signal.SIGCONT)
            assert runtime.front_ends == []
        finally:
            await cam1.close()
            await cam2.close()

    run(body, timeout=30)
