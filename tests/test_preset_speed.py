"""Preset travel speed: golden bytes of every preset-speed command, the controller sending the
setting ahead of a recall only when the camera does not have it (fake clock, memory wire), the
bindings and camera default that ask for it, ``check``'s refusals, and a recall at a speed
reaching a simulated camera over a real socket (VISCA's setting ahead of it, ONVIF's speed in
the GotoPreset itself)."""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path

import pytest

from helpers import problems_of, run, until, write
from procs import Proc
from ptzmapd.app.assemble import assemble
from ptzmapd.cli import main
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.commands import Command, Home, PanTilt, PresetRecall, PresetSpeed, PresetStore
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import BindingConfig, Mark
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.errors import ProtocolError
from ptzmapd.events import ControlEvent
from ptzmapd.mapping.intents import Do
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.encode import encode_payload
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.protocols.visca.read import describe_command, read_command
from ptzmapd.protocols.visca.serial import ViscaSerialCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.visca.tables import DIALECTS
from ptzmapd.simulators.onvif import start as start_onvif
from ptzmapd.simulators.visca import start_simulator
from ptzmapd.simulators.visca_camera import SimulatedCamera
from ptzmapd.vocabulary import PRESET_SPEED
from wire import MemoryWire

MARK = Mark("test.yaml", 1, 1)


# ---------------------------------------------------------------------------- golden bytes

@pytest.mark.parametrize(("speed", "expected"), [
    (1.0, "81 01 06 01 18 FF"),
    (0.5, "81 01 06 01 0C FF"),
    (0.2, "81 01 06 01 05 FF"),  # 0.2 × 24 = 4.8: the next level up, never slower than asked
    (0.01, "81 01 06 01 01 FF"),
])
def test_ptzoptics_preset_recall_speed_is_one_setting_for_every_recall(speed: float, expected: str) -> None:
    for number in (0, 7, 127):
        assert hexbytes(encode_payload(PresetSpeed(speed, number), VISCA_LIMITS)) == expected


@pytest.mark.parametrize(("speed", "number", "expected"), [
    (1.0, 1, "81 01 7E 01 0B 00 18 FF"),  # Sony shows memory 0 as preset 1
    (0.2, 3, "81 01 7E 01 0B 02 05 FF"),
    (0.5, 128, "81 01 7E 01 0B 7F 0C FF"),
])
def test_sony_keeps_a_speed_per_preset(speed: float, number: int, expected: str) -> None:
    assert hexbytes(encode_payload(PresetSpeed(speed, number), VISCA_LIMITS, dialect=DIALECTS["sony"])) == expected


def test_every_visca_wire_carries_the_same_setting() -> None:
    setting = PresetSpeed(0.5, 2)
    assert hexbytes(ViscaCodec(VISCA_LIMITS, address=3).encode(setting).data) == "83 01 06 01 0C FF"
    assert hexbytes(ViscaSerialCodec(VISCA_LIMITS, 2, dialect="sony").encode(setting).data) == "82 01 7E 01 0B 01 0C FF"
    codec = ViscaIpCodec(VISCA_LIMITS)
    assert hexbytes(codec.encode(setting).data) == "01 00 00 06 00 00 00 01 81 01 06 01 0C FF"


def test_a_preset_speed_reads_back_told_apart_from_a_drive_by_its_length() -> None:
    # ERRATA: Preset Recall Speed shares Pan_TiltDrive's prefix 01 06 01.
    assert describe_command(bytes.fromhex("81 01 06 01 05 FF")) == "preset speed 0x05"
    assert describe_command(bytes.fromhex("81 01 06 01 05 05 01 03 FF")) == "pan left 0x05, tilt stop"
    assert describe_command(bytes.fromhex("81 01 7E 01 0B 02 05 FF")) == "preset memory 2 speed 0x05"
    frame = read_command(bytes.fromhex("81 01 7E 01 0B 02 05 FF"))
    assert frame is not None and frame.args == (2, 5)
    assert read_command(bytes.fromhex("81 01 06 01 19 FF")) is None  # beyond 0x18
    assert read_command(bytes.fromhex("81 01 7E 01 0A 00 02 FF")) is None or "speed" not in describe_command(
        bytes.fromhex("81 01 7E 01 0A 00 02 FF"))  # Sony's tally is another 7E 01 setting


@pytest.mark.parametrize("speed", [0.0, -0.5, 1.5, math.nan])
def test_a_speed_the_setting_cannot_carry_is_refused(speed: float) -> None:
    with pytest.raises(ProtocolError):
        encode_payload(PresetSpeed(speed, 1), VISCA_LIMITS)


def test_visca_lists_the_capability_and_pelco_does_not() -> None:
    assert PRESET_SPEED in PROTOCOLS["visca-ip"].capabilities
    assert PRESET_SPEED not in PROTOCOLS["pelco-d"].capabilities


# ---------------------------------------------------------------------------- the controller

class Camera:
    """One controller on a memory wire that answers everything."""

    def __init__(self, dialect: str = "ptzoptics", preset_speed: float | None = None) -> None:
        self.clock = FakeClock()
        self.wire = MemoryWire(self.clock)
        self.controller = CameraController(
            "stage", ViscaCodec(VISCA_LIMITS, dialect=dialect), self.wire, self.clock,
            ControllerSettings(min_interval=0.05, ack_timeout=0.2, preset_speed=preset_speed),
        )
        self.controller.start()
        self.wire.settle(self.controller)

    def send(self, command: Command) -> list[str]:
        before = len(self.wire.sent)
        self.controller.submit(command)
        self.wire.settle(self.controller, forget=False)
        return [describe_command(data) for _, data in self.wire.sent[before:]]


def test_the_setting_goes_ahead_of_the_recall_only_when_it_changes() -> None:
    camera = Camera()
    assert camera.send(PresetRecall(3, 0.2)) == ["preset speed 0x05", "preset recall 3"]
    assert camera.send(PresetRecall(4, 0.2)) == ["preset recall 4"]  # one setting for every preset
    assert camera.send(PresetRecall(3, 1.0)) == ["preset speed 0x18", "preset recall 3"]
    assert camera.send(PresetRecall(3)) == ["preset recall 3"]  # no speed asked: none set


def test_a_sony_camera_gets_a_setting_per_preset() -> None:
    camera = Camera("sony")
    assert camera.send(PresetRecall(1, 0.2)) == ["preset memory 0 speed 0x05", "preset recall 0"]
    assert camera.send(PresetRecall(2, 0.2)) == ["preset memory 1 speed 0x05", "preset recall 1"]
    assert camera.send(PresetRecall(1, 0.2)) == ["preset recall 0"]


def test_the_cameras_preset_speed_is_the_default_of_every_recall() -> None:
    camera = Camera(preset_speed=0.5)
    assert camera.send(PresetRecall(1)) == ["preset speed 0x0C", "preset recall 1"]
    assert camera.send(PresetRecall(2, 0.25)) == ["preset speed 0x06", "preset recall 2"]
    assert camera.send(PresetRecall(1)) == ["preset speed 0x0C", "preset recall 1"]


def test_a_new_link_or_a_refused_setting_sends_it_again() -> None:
    camera = Camera()
    camera.send(PresetRecall(1, 0.5))
    camera.wire.plug(False)
    camera.wire.plug(True)  # a TCP reconnect: the camera may have restarted
    assert camera.send(PresetRecall(1, 0.5))[-2:] == ["preset speed 0x0C", "preset recall 1"]
    outcome = camera.controller.submit(PresetRecall(2, 0.3))
    camera.wire.answer("90 60 02 FF")  # the setting: syntax error
    camera.wire.settle(camera.controller, forget=False)
    assert outcome.answer is Answer.ACKNOWLEDGED
    assert camera.send(PresetRecall(2, 0.3))[:1] == ["preset speed 0x08"]


# ---------------------------------------------------------------------------- bindings

def test_bindings_carry_their_speed_to_the_recall() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock,
                                  ControllerSettings(min_interval=0.05, ack_timeout=0.2))
    controller.start()
    wire.settle(controller)
    bindings = [
        BindingConfig(input="desk", control="note", number=8, action="preset", mark=MARK, preset=3, speed=0.2),  # type: ignore[arg-type]
        BindingConfig(input="desk", control="note", number=9, action="preset", mark=MARK, preset=4, hold=1.0,  # type: ignore[arg-type]
                      speed=0.5),
        BindingConfig(input="desk", control="note", number=10, action="preset", mark=MARK, step=1,  # type: ignore[arg-type]
                      presets=(1, 4), speed=1.0),
    ]
    pipeline = Pipeline(bindings, {"stage": controller}, clock=clock)
    for note in (8, 9, 10):
        for velocity in (100, 0):
            pipeline.on_event(ControlEvent("desk", "note", note, velocity, None, clock.now()))  # type: ignore[arg-type]
            wire.settle(controller, forget=False)
    assert [describe_command(data) for _, data in wire.sent] == [
        "preset speed 0x05", "preset recall 3",
        "preset speed 0x0C", "preset recall 4",  # a tap of a tap-or-hold binding
        "preset speed 0x18", "preset recall 1",  # a step: the first preset of its range
    ]
    pipeline.close()


# ---------------------------------------------------------------------------- check

CAMERAS = """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2, preset_speed: 0.5}
  dome: {protocol: pelco-d, device: /dev/null, address: 1}
inputs:
  desk: {type: midi, port: "*X-TOUCH MINI*"}
"""


def test_check_says_where_a_camera_cannot_travel_at_a_speed(tmp_path: Path) -> None:
    camera = write(tmp_path, "camera.yaml", CAMERAS.replace("address: 1}", "address: 1, preset_speed: 0.3}") + "bindings: []\n")
    assert problems_of(camera) == [
        f"{camera}:3:60: cameras.dome.preset_speed: key 'preset_speed' does not apply to protocol 'pelco-d'",
    ]
    path = write(tmp_path, "studio.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 8, action: preset, preset: 3, speed: 0.2, camera: dome}
  - {input: desk, note: 9, action: preset, preset: 3, speed: 0.2, store: true}
  - {input: desk, note: 10, action: preset, preset: 3, speed: 0}
  - {input: desk, note: 11, action: preset, preset: 3, speed: 1.5, camera: stage}
""")
    assert problems_of(path) == [
        f"{path}:7:62: bindings[0].speed: camera 'dome' (pelco-d) cannot 'preset speed' "
        "(it can: pan, tilt, zoom, focus, stop, home, preset, iris, raw pelco)",
        f"{path}:8:55: bindings[1].speed: key 'speed' does not apply to a preset store (only a recall travels)",
        f"{path}:9:63: bindings[2].speed: 0 is out of range (valid: more than 0, at most 1)",
        f"{path}:10:63: bindings[3].speed: 1.5 is out of range (valid: more than 0, at most 1)",
    ]


def test_a_speed_on_selected_needs_one_camera_that_can(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 8, action: preset, preset: 3, speed: 0.2}   # travel at 20 % of full speed
""")
    config = load_config(good)
    assert config.bindings[0].speed == 0.2 and config.cameras["stage"].preset_speed == 0.5
    assert config.cameras["dome"].preset_speed is None


# ---------------------------------------------------------------------------- a real socket

def test_a_recall_at_a_speed_reaches_a_simulated_camera(tmp_path: Path) -> None:
    async def body() -> None:
        camera = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        sony = await start_simulator("visca-udp", "127.0.0.2", 0, log=lambda line: None)
        path = write(tmp_path, "studio.yaml", f"""\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {camera.port}, preset_speed: 0.5}}
  sony: {{protocol: visca-udp, host: 127.0.0.2, port: {sony.port}, dialect: sony}}
bindings: []
""")
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            runtime.pipeline.apply(Do("stage", PresetRecall(2, 0.25)))
            await until(lambda: "preset recall 2" in camera.received)
            assert camera.camera.registers()["preset-speed"] == 0x06
            runtime.pipeline.apply(Do("stage", PresetRecall(3)))  # the camera's default
            await until(lambda: "preset recall 3" in camera.received)
            assert camera.camera.registers()["preset-speed"] == 0x0C
            runtime.pipeline.apply(Do("stage", PresetRecall(2)))
            await until(lambda: camera.received.count("preset recall 2") == 2)
            await asyncio.sleep(0.1)
            speeds = [command.args for command in map(read_command, camera.frames)
                      if command is not None and command.action == "preset speed"]
            assert speeds == [(0x06,), (0x0C,)]  # the unchanged setting was not sent again

            runtime.pipeline.apply(Do("sony", PresetRecall(2, 0.5)))  # Sony: memory 1's own speed
            await until(lambda: "preset recall 1" in sony.received)
            assert sony.received[-2:] == ["preset memory 1 speed 0x0C", "preset recall 1"]
        finally:
            await runtime.shutdown()
            await camera.close()
            await sony.close()

    run(body)


# ---------------------------------------------------------------------------- ptzmapd send

def test_send_recalls_a_preset_at_a_speed_and_refuses_it_where_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    sim = Proc("simulate", "visca-udp", "--host", "127.0.0.2", "--port", "0")
    try:
        port = sim.wait_for(r"127\.0\.0\.2:(\d+)").group(1)
        config = tmp_path / "studio.yaml"
        config.write_text(f"cameras:\n  cam: {{protocol: visca-udp, host: 127.0.0.2, port: {port}}}\n"
                          "  dome: {protocol: pelco-d, device: /dev/null, address: 1}\n")
        assert main(["-q", "send", "-c", str(config), "cam", "preset", "3", "--speed", "0.5"]) == 0
        sim.wait_for(r"preset speed 0x0C$")
        sim.wait_for(r"preset recall 3$")
        assert "cam: preset 3 at speed 0.5: acknowledged" in capsys.readouterr().out
        assert main(["-q", "send", "-c", str(config), "cam", "preset", "3", "--speed", "0", ]) == 2
        assert "--speed: 0.0 is out of range (valid: more than 0, at most 1)" in capsys.readouterr().err
        assert main(["-q", "send", "-c", str(config), "cam", "preset", "3", "--store", "--speed", "0.5"]) == 2
        assert "--speed goes with a preset recall" in capsys.readouterr().err
        assert main(["-q", "send", "-c", str(config), "dome", "preset", "3", "--speed", "0.5"]) == 2
        assert "camera 'dome' (pelco-d) cannot 'preset speed'" in capsys.readouterr().err
    finally:
        sim.stop()


# ---------------------------------------------------------------------------- the simulated camera

def test_the_simulated_camera_travels_to_a_preset_at_its_preset_speed() -> None:
    camera = SimulatedCamera()
    send = lambda command, now: camera.handle(encode_payload(command, VISCA_LIMITS), now)  # noqa: E731
    send(PanTilt(1.0, 0.0), 0.0)
    send(PanTilt(0.0, 0.0), 1.0)  # pan 800
    send(PresetStore(5), 1.0)
    send(Home(), 1.0)
    camera.poll(3.0)
    send(PresetSpeed(0.25, 5), 3.0)  # pp 06: a quarter of the top speed
    send(PresetRecall(5), 3.0)
    assert camera.state(4.0).pan == pytest.approx(200)  # 800 units/s × 0.25
    assert camera.poll(6.9) == [] and camera.poll(7.0) != []  # 800 units in 4 s, not 1
    assert camera.state(7.0).pan == 800


def test_a_sony_camera_travels_to_each_preset_at_its_own_speed() -> None:
    camera = SimulatedCamera()
    sony = DIALECTS["sony"]
    send = lambda command, now: camera.handle(encode_payload(command, VISCA_LIMITS, dialect=sony), now)  # noqa: E731
    send(PanTilt(1.0, 0.0), 0.0)
    send(PanTilt(0.0, 0.0), 1.0)  # pan 800
    send(PresetStore(1), 1.0)  # memory 0
    send(PresetStore(2), 1.0)  # memory 1
    send(Home(), 1.0)
    camera.poll(3.0)
    assert describe_command(encode_payload(PresetSpeed(0.5, 1), VISCA_LIMITS, dialect=sony)) == "preset memory 0 speed 0x0C"
    send(PresetSpeed(0.5, 1), 3.0)
    send(PresetRecall(1), 3.0)
    assert camera.poll(4.9) == [] and camera.poll(5.0) != []  # half speed: 2 s for 800 units
    send(Home(), 5.0)
    camera.poll(7.0)
    send(PresetRecall(2), 7.0)  # memory 1 has no speed of its own: full speed
    assert camera.poll(7.9) == [] and camera.poll(8.0) != []


# ---------------------------------------------------------------------------- ONVIF: the speed in the recall

def test_onvif_carries_the_speed_in_goto_preset_and_no_setting_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_PW", "0nvif-Pa55")
    monkeypatch.setenv("PTZMAPD_SIM_PW", "0nvif-Pa55")

    async def body() -> None:
        sim = await start_onvif("onvif", host="127.0.0.2", log=lambda line: None, password_env="PTZMAPD_SIM_PW")
        path = write(tmp_path, "studio.yaml", f"""\
cameras:
  cam: {{protocol: onvif, url: "{sim.device_url}", username: admin, password_env: PTZMAPD_TEST_PW, preset_speed: 0.5}}
inputs:
  desk: {{type: midi, port: "*no such surface*"}}
bindings:
  - {{input: desk, note: 8, action: preset, preset: 2, speed: 0.2, camera: cam}}
  - {{input: desk, note: 9, action: preset, preset: 3, camera: cam}}
""")
        assert main(["check", "-c", path]) == 0, capsys.readouterr()
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        pipeline = runtime.pipeline
        assert pipeline is not None

        def tap(note: int) -> None:
            pipeline.on_event(ControlEvent("desk", "note", note, 127, 1, 0.0))
            pipeline.on_event(ControlEvent("desk", "note", note, 0, 1, 0.0))

        try:
            await until(lambda: "GetPresets" in sim.received, "the connect sequence")
            connected = len(sim.received)
            tap(8)
            await until(lambda: sim.state.position["pan"] == pytest.approx(0.2), "the recall of preset 2")
            tap(9)  # no speed on the binding: the camera's preset_speed
            await until(lambda: sim.state.position["pan"] == pytest.approx(0.3), "the recall of preset 3")
            await asyncio.sleep(0.1)
            recalls = [line for line in sim.received[connected:] if not line.startswith("Stop")]
            assert recalls == [
                "GotoPreset PresetToken 'Preset_2' speed pan 0.2 tilt 0.2 zoom 0.2",
                "GotoPreset PresetToken 'Preset_3' speed pan 0.5 tilt 0.5 zoom 0.5",
            ]  # the speed rides in the recall: nothing is set ahead of it
        finally:
            await runtime.shutdown(grace=0.5)
            await sim.close()

    run(body)


def test_onvif_lists_the_capability() -> None:
    assert PRESET_SPEED in PROTOCOLS["onvif"].capabilities
