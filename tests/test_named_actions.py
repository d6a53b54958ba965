"""Named camera actions and raw commands, as specifications: the VISCA bytes of every named
action (spec tables, ERRATA typos fixed), raw frames written in a config, what a binding turns
into, what the simulated camera makes of them, and a controller that cannot send one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from procs import Simulator
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.cli import main
from ptzmapd.cli.send import send_command
from ptzmapd.clock import FakeClock
from ptzmapd.commands import CameraAction, Command, PanTilt, PresetRecall, RawCommand
from ptzmapd.config.model import BindingConfig, Mark, RawText
from ptzmapd.errors import ProtocolError
from ptzmapd.events import ControlEvent
from ptzmapd.vocabulary import LEVELS, NAMED_ACTIONS
from ptzmapd.mapping.intents import Do
from ptzmapd.mapping.mapper import Mapper
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.encode import encode_payload, parse_visca_raw
from ptzmapd.protocols.visca.read import describe_command, read_command
from ptzmapd.protocols.visca.tables import DIRECT_COMMANDS, NAMED_COMMANDS
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.simulators.visca_camera import SimulatedCamera
from wire import MemoryWire

# Every named action VISCA has, with the bytes the spec tables give for it (x = 1), written
# out here rather than read from the codec's table so that a typo in one shows in the other.
GOLDEN: list[tuple[str, str, int | None, str]] = [
    ("power", "on", None, "81 01 04 00 02 FF"),
    ("power", "off", None, "81 01 04 00 03 FF"),
    ("focus-mode", "auto", None, "81 01 04 38 02 FF"),
    ("focus-mode", "manual", None, "81 01 04 38 03 FF"),
    ("focus-mode", "toggle", None, "81 01 04 38 10 FF"),
    ("focus-lock", "on", None, "81 0A 04 68 02 FF"),
    ("focus-lock", "off", None, "81 0A 04 68 03 FF"),
    ("white-balance", "auto", None, "81 01 04 35 00 FF"),
    ("white-balance", "indoor", None, "81 01 04 35 01 FF"),
    ("white-balance", "outdoor", None, "81 01 04 35 02 FF"),
    ("white-balance", "one-push", None, "81 01 04 35 03 FF"),
    ("white-balance", "manual", None, "81 01 04 35 05 FF"),
    ("white-balance", "color-temperature", None, "81 01 04 35 20 FF"),
    ("white-balance-trigger", "one-push", None, "81 01 04 10 05 FF"),
    ("exposure", "auto", None, "81 01 04 39 00 FF"),
    ("exposure", "manual", None, "81 01 04 39 03 FF"),
    ("exposure", "shutter-priority", None, "81 01 04 39 0A FF"),
    ("exposure", "iris-priority", None, "81 01 04 39 0B FF"),
    ("exposure", "bright", None, "81 01 04 39 0D FF"),
    ("iris", "reset", None, "81 01 04 0B 00 FF"),
    ("iris", "up", None, "81 01 04 0B 02 FF"),
    ("iris", "down", None, "81 01 04 0B 03 FF"),
    ("iris", "direct", 8, "81 01 04 4B 00 00 00 08 FF"),
    ("iris", "direct", 0x1A, "81 01 04 4B 00 00 01 0A FF"),  # pq: one nibble per byte
    ("shutter", "reset", None, "81 01 04 0A 00 FF"),
    ("shutter", "up", None, "81 01 04 0A 02 FF"),
    ("shutter", "down", None, "81 01 04 0A 03 FF"),
    ("shutter", "direct", 0x15, "81 01 04 4A 00 00 01 05 FF"),
    ("gain", "reset", None, "81 01 04 0C 00 FF"),
    ("gain", "up", None, "81 01 04 0C 02 FF"),
    ("gain", "down", None, "81 01 04 0C 03 FF"),
    ("gain", "direct", 0, "81 01 04 4C 00 00 00 00 FF"),  # ERRATA: 4C, not the table's 0C
    ("gain", "direct", 0xFF, "81 01 04 4C 00 00 0F 0F FF"),
    ("bright", "reset", None, "81 01 04 0D 00 FF"),
    ("bright", "up", None, "81 01 04 0D 02 FF"),
    ("bright", "down", None, "81 01 04 0D 03 FF"),
    ("bright", "direct", 0x11, "81 01 04 4D 00 00 01 01 FF"),  # ERRATA: 4D, not the table's 0D
    ("backlight", "on", None, "81 01 04 33 02 FF"),
    ("backlight", "off", None, "81 01 04 33 03 FF"),
    ("flip", "off", None, "81 01 04 A4 00 FF"),
    ("flip", "horizontal", None, "81 01 04 A4 01 FF"),
    ("flip", "vertical", None, "81 01 04 A4 02 FF"),
    ("flip", "both", None, "81 01 04 A4 03 FF"),
    ("tally", "on", None, "81 0A 02 02 02 FF"),
    ("tally", "off", None, "81 0A 02 02 03 FF"),
    ("tally", "flash", None, "81 0A 02 02 01 FF"),
    ("menu", "open", None, "81 01 04 3F 02 5F FF"),  # ERRATA: recalling preset 95
    ("menu", "close", None, "81 01 06 06 03 FF"),
    ("menu", "up", None, "81 01 06 01 0E 0E 03 01 FF"),
    ("menu", "down", None, "81 01 06 01 0E 0E 03 02 FF"),
    ("menu", "left", None, "81 01 06 01 0E 0E 01 03 FF"),
    ("menu", "right", None, "81 01 06 01 0E 0E 02 03 FF"),
    ("menu", "enter", None, "81 01 06 06 05 FF"),
    ("menu", "back", None, "81 01 06 06 04 FF"),
    ("save-settings", "save", None, "81 01 04 A5 10 FF"),
]
IDS = [f"{name}-{mode}" + (f"-{level}" if level is not None else "") for name, mode, level, _ in GOLDEN]


@pytest.mark.parametrize(("name", "mode", "level", "expected"), GOLDEN, ids=IDS)
def test_named_action_golden_bytes(name: str, mode: str, level: int | None, expected: str) -> None:
    outgoing = ViscaCodec(VISCA_LIMITS).encode(CameraAction(name, mode, level))
    assert hexbytes(outgoing.data) == expected


@pytest.mark.parametrize(("name", "mode", "level", "expected"), GOLDEN, ids=IDS)
def test_visca_over_ip_carries_the_same_named_payload(name: str, mode: str, level: int | None, expected: str) -> None:
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    payload = bytes.fromhex(expected)
    data = codec.encode(CameraAction(name, mode, level)).data
    assert hexbytes(data) == f"01 00 00 {len(payload):02X} 00 00 00 01 {expected}"


@pytest.mark.parametrize(("name", "mode", "level", "expected"), GOLDEN, ids=IDS)
def test_every_named_frame_reads_back_readably(name: str, mode: str, level: int | None, expected: str) -> None:
    text = describe_command(bytes.fromhex(expected))
    assert not text.startswith("unknown")
    if name == "focus-mode":
        # The same bytes as autofocus on/off/toggle, which they read back as.
        assert text.startswith("autofocus ")
    else:
        assert text == f"{name} {mode}" + (f" {level}" if level is not None else "")


def test_the_golden_list_covers_every_row_of_the_tables() -> None:
    covered = {(name, mode) for name, mode, _, _ in GOLDEN}
    assert covered == set(NAMED_COMMANDS) | {(name, "direct") for name in DIRECT_COMMANDS}
    # Every row names an action and a mode of the shared vocabulary.
    assert all(mode in NAMED_ACTIONS[name] for name, mode in covered)


def test_the_address_goes_in_the_first_byte() -> None:
    assert hexbytes(encode_payload(CameraAction("tally", "on"), VISCA_LIMITS, address=3)) == "83 0A 02 02 02 FF"
    assert hexbytes(ViscaCodec(VISCA_LIMITS, address=7).encode(CameraAction("iris", "direct", 8)).data) == (
        "87 01 04 4B 00 00 00 08 FF"
    )


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (CameraAction("light", "on"), r"visca cannot do light on \(valid: none; it has power, focus-mode"),
        (CameraAction("white-balance", "atw"), r"cannot do white-balance atw \(valid: auto, indoor, outdoor"),
        (CameraAction("iris", "open"), r"valid: up, down, reset, direct"),
        (CameraAction("iris", "direct"), r"iris direct needs a level 0\.\.255, got None"),
        (CameraAction("gain", "direct", 256), r"gain direct needs a level 0\.\.255, got 256"),
        (CameraAction("gain", "direct", -1), r"got -1"),
        (CameraAction("tally", "on", 3), r"tally on takes no level"),
        (RawCommand("00 07 00 05", "pelco"), r"visca cannot send a raw pelco command"),
        (RawCommand("81 01 04 38 02", "visca"), r"ends with FF"),
    ],
)
def test_what_visca_cannot_do_is_a_protocol_error(command: Command, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        ViscaCodec(VISCA_LIMITS).encode(command)


def test_levels_live_in_the_vocabulary_and_fit_two_nibbles() -> None:
    assert set(LEVELS) == set(DIRECT_COMMANDS) == {"iris", "shutter", "gain", "bright"}
    assert all(levels == range(0, 0x100) for levels in LEVELS.values())


# ---------------------------------------------------------------------------- raw VISCA


@pytest.mark.parametrize(
    ("text", "address", "expected"),
    [
        ("81 01 04 38 02 FF", 1, "81 01 04 38 02 FF"),
        ("81 01 04 38 02 FF", 3, "83 01 04 38 02 FF"),  # the address nibble is the camera's
        ("8x 01 04 38 02 FF", 2, "82 01 04 38 02 FF"),  # as the spec tables write it
        ("8X 01 04 38 02 ff", 1, "81 01 04 38 02 FF"),
        ("8101043802FF", 1, "81 01 04 38 02 FF"),  # no spaces
        ("  81 0A 02 02 02 FF \n", 1, "81 0A 02 02 02 FF"),
        ("88 01 00 01 FF", 1, "81 01 00 01 FF"),  # a broadcast becomes the camera's address too
        ("81 09 04 47 FF", 1, "81 09 04 47 FF"),  # an inquiry
        ("81 01 FF", 1, "81 01 FF"),  # the shortest frame
        ("81 " + "01 " * 14 + "FF", 1, "81 " + "01 " * 14 + "FF"),  # the longest: 16 bytes
    ],
)
def test_raw_visca_is_checked_and_addressed(text: str, address: int, expected: str) -> None:
    assert hexbytes(parse_visca_raw(text, address)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected VISCA bytes in hex like '81 01 04 38 02 FF', got ''"),
        ("81 01 04 38 02 GG", "'GG' is not hex bytes: write each byte as two hex digits"),
        ("81 1 04 FF", "'1' is not hex bytes"),
        ("810104380FF", "'810104380FF' is not hex bytes"),
        ("91 01 04 38 02 FF", "a VISCA command starts with 8x (x: the camera address), not 91"),
        ("01 04 38 02 FF", "starts with 8x (x: the camera address), not 01"),
        ("81 01 04 38 02", "a VISCA command ends with FF, not 02"),
        ("81 01 FF 38 02 FF", "FF ends a VISCA command, so it cannot be byte 3 as well"),
        ("81 FF", "a VISCA command is 3 to 16 bytes long, not 2"),
        ("81 " + "01 " * 15 + "FF", "a VISCA command is 3 to 16 bytes long, not 17"),
    ],
)
def test_bad_raw_visca_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_visca_raw(text)
    assert message in str(caught.value)


def test_raw_commands_go_out_with_the_codecs_address() -> None:
    assert hexbytes(ViscaCodec(VISCA_LIMITS, address=4).encode(RawCommand("8x 01 04 38 02 FF", "visca")).data) == (
        "84 01 04 38 02 FF"
    )
    # A raw command of no stated kind is the codec's own.
    assert hexbytes(ViscaCodec(VISCA_LIMITS).encode(RawCommand("81 01 04 63 04 FF")).data) == "81 01 04 63 04 FF"
    codec = ViscaIpCodec(VISCA_LIMITS)
    codec.start()
    assert hexbytes(codec.encode(RawCommand("81 01 04 63 04 FF", "visca")).data) == (
        "01 00 00 06 00 00 00 01 81 01 04 63 04 FF"
    )


# ---------------------------------------------------------------------------- bindings


MARK = Mark("test.yaml", 1, 1)


def press(mapper: Mapper, note: int) -> list[object]:
    intents: list[object] = list(mapper.handle(ControlEvent("desk", "note", note, 127.0, 1)))
    intents += mapper.handle(ControlEvent("desk", "note", note, 0.0, 1))  # release: nothing more
    return intents


def binding(note: int, action: str, **keys: object) -> BindingConfig:
    return BindingConfig(input="desk", control="note", number=note, action=action, mark=MARK, **keys)  # type: ignore[arg-type]


def test_a_press_on_a_named_action_binding_does_it_once() -> None:
    mapper = Mapper([
        binding(50, "iris", mode="up"),
        binding(51, "iris", mode="direct", level=8, camera="stage"),
        binding(52, "tally", mode="on", camera="all"),
        binding(53, "menu", mode="enter"),
        binding(54, "raw", raw=RawText("visca", "81 01 04 38 02 FF")),
        binding(55, "raw", raw=RawText("http", "PUT /ISAPI/x"), camera="pulpit"),
    ], FakeClock())
    assert press(mapper, 50) == [Do("selected", CameraAction("iris", "up"), 0)]
    assert press(mapper, 51) == [Do("stage", CameraAction("iris", "direct", 8), 1)]
    assert press(mapper, 52) == [Do("all", CameraAction("tally", "on"), 2)]
    assert press(mapper, 53) == [Do("selected", CameraAction("menu", "enter"), 3)]
    assert press(mapper, 54) == [Do("selected", RawCommand("81 01 04 38 02 FF", "visca"), 4)]
    assert press(mapper, 55) == [Do("pulpit", RawCommand("PUT /ISAPI/x", "http"), 5)]


# ---------------------------------------------------------------------------- the simulated camera

ACK1, DONE1 = "90 41 FF", "90 51 FF"


@pytest.mark.parametrize(("name", "mode", "level", "expected"), GOLDEN, ids=IDS)
def test_the_simulated_camera_acknowledges_every_named_action(
    name: str, mode: str, level: int | None, expected: str,
) -> None:
    camera = SimulatedCamera()
    replies = camera.handle(bytes.fromhex(expected), now=1.0)
    assert [hexbytes(reply) for reply in replies] == [ACK1, DONE1]


def test_the_simulated_camera_remembers_settings() -> None:
    camera = SimulatedCamera()
    for command in (CameraAction("tally", "on"), CameraAction("iris", "direct", 8), CameraAction("flip", "both")):
        camera.handle(encode_payload(command, VISCA_LIMITS), now=1.0)
    state = camera.state(1.0)
    assert dict(state.settings) == {"tally": "on", "iris": "direct 8", "flip": "both"}
    assert state.last_command == "flip both"


def test_menu_keys_move_the_cursor_while_the_menu_is_open_and_the_camera_when_it_is_not() -> None:
    camera = SimulatedCamera()
    up = encode_payload(CameraAction("menu", "up"), VISCA_LIMITS)
    camera.handle(up, now=0.0)
    assert camera.state(0.0).tilt_speed > 0  # a closed menu: the bytes are a tilt drive
    camera.handle(encode_payload(PanTilt(0.0, 0.0), VISCA_LIMITS), now=0.0)

    camera.handle(encode_payload(CameraAction("menu", "open"), VISCA_LIMITS), now=0.0)
    assert camera.state(0.0).menu_open
    camera.handle(up, now=0.0)
    assert camera.state(1.0).tilt_speed == 0 and camera.state(1.0).tilt == 0  # the cursor moved, not the camera
    # Preset 95 is the menu key (ERRATA): pressed again it closes the menu.
    camera.handle(encode_payload(PresetRecall(95), VISCA_LIMITS), now=1.0)
    assert not camera.state(1.0).menu_open
    camera.handle(encode_payload(CameraAction("menu", "open"), VISCA_LIMITS), now=1.0)
    camera.handle(encode_payload(CameraAction("menu", "close"), VISCA_LIMITS), now=1.0)
    camera.handle(encode_payload(CameraAction("menu", "close"), VISCA_LIMITS), now=1.0)  # close never opens
    assert not camera.state(1.0).menu_open


def test_menu_keys_read_back_with_their_drive_arguments() -> None:
    command = read_command(bytes.fromhex("81 01 06 01 0E 0E 01 03 FF"))
    assert command is not None and (command.action, command.args) == ("menu left", (-1, 0x0E, 0, 0x0E))


# ---------------------------------------------------------------------------- the controller


def test_a_command_the_codec_refuses_is_skipped_and_logged_once_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock,
                                  ControllerSettings(min_interval=0.05, ack_timeout=0.2),
                                  log=logging.getLogger("test.refused"))
    controller.start()
    wire.settle(controller)
    with caplog.at_level(logging.DEBUG, logger="test.refused"):
        for _ in range(3):
            controller.submit(CameraAction("light", "on"))
            clock.advance(0.1)
        controller.submit(CameraAction("wiper", "on"))
        controller.submit(CameraAction("tally", "on"))
        clock.advance(0.1)
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert "cannot send light on" in errors[0] and "visca cannot do light on" in errors[0]
    assert "cannot send wiper on" in errors[1]
    # The refused commands took nothing from the camera's turn: the next one went out.
    assert wire.frames[-1] == "81 0A 02 02 02 FF"


# ---------------------------------------------------------------------------- ptzmapd send

SEND_CONFIG = """\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: {port}}}
  pulpit: {{protocol: pelco-d, device: /dev/null, address: 1}}
"""


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (("tally", "on", False, None, None), CameraAction("tally", "on")),
        (("iris", "direct", False, 8, None), CameraAction("iris", "direct", 8)),
        (("menu", "enter", False, None, None), CameraAction("menu", "enter")),
        (("raw", "81 01 04 38 02 FF", False, None, "visca"), RawCommand("81 01 04 38 02 FF", "visca")),
    ],
)
def test_send_command_for_named_and_raw_actions(args: tuple[Any, ...], command: Command) -> None:
    assert send_command(*args) == command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tally", None, False, None, None), "tally has no mode (valid: on, off, flash)"),
        (("tally", "blink", False, None, None), "tally has no mode 'blink' (valid: on, off, flash)"),
        (("iris", "direct", False, None, None), "iris direct needs --level 0..255"),
        (("iris", "direct", False, 300, None), "iris direct needs --level 0..255, not 300"),
        (("iris", "up", False, 3, None), "--level goes with a direct mode (iris direct, shutter direct"),
        (("raw", None, False, None, "visca"), "raw needs the command, written for visca, e.g. '81 01 04 38 02 FF'"),
        (("raw", "81 01 04 38 02", False, None, "visca"), "raw visca: a VISCA command ends with FF, not 02"),
    ],
)
def test_send_command_says_what_is_wrong(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        send_command(*args)
    assert message in str(caught.value)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    stage = Simulator("visca-udp")
    yield stage
    stage.stop()


def test_send_named_and_raw_actions_to_a_camera(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(SEND_CONFIG.format(port=simulator.port))
    assert main(["-q", "send", "-c", str(config), "stage", "tally", "on"]) == 0
    simulator.wait_for_command("tally on")
    assert "stage: tally on: acknowledged" in capsys.readouterr().out
    assert main(["-q", "send", "-c", str(config), "stage", "iris", "direct", "--level", "8"]) == 0
    simulator.wait_for_command("iris direct 8")
    assert "stage: iris direct 8: acknowledged" in capsys.readouterr().out
    assert main(["-q", "send", "-c", str(config), "stage", "raw", "8x 01 04 A4 03 FF"]) == 0
    simulator.wait_for_command("flip both")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stage", "tally"], "tally has no mode (valid: on, off, flash)"),
        (["stage", "light", "on"], "camera 'stage' (visca-udp) cannot 'light' (it can: pan, tilt"),
        (["stage", "iris", "open"], "camera 'stage' (visca-udp) cannot 'iris open' (it can: iris up, iris down"),
        (["stage", "raw", "81 01"], "raw visca: a VISCA command ends with FF, not 01"),
        (["pulpit", "tally", "on"], "camera 'pulpit' (pelco-d) cannot 'tally'"),
        (["stage", "wobble"], "invalid choice: 'wobble'"),
    ],
)
def test_send_refuses_what_the_camera_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str,
) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(SEND_CONFIG.format(port=1259))
    with pytest.raises(SystemExit) if args[1] == "wobble" else nullcontext():
        assert main(["send", "-c", str(config), *args]) == 2
    assert message in capsys.readouterr().err
