"""VISCA field quirks and diagnostics (issue 9 items 8, 11, 15), at the codec and controller.

Each VISCA-over-IP quirk ERRATA lists has a config switch (``sequence: on|fixed|none``,
``reply_sequence: checked|ignored``); a camera that answered before and falls silent gets
its sequence RESET; opening words left unanswered are reported in their own protocol's
terms; the network change ``z0 38 FF`` is VISCA, not garbage; binary wires trace in hex;
``dialect:`` decides the bytes where vendors differ. End-to-end runs against the simulator's
quirk modes are in test_visca_quirks_end_to_end.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import Autofocus, Command, Home, PresetClear, PresetRecall, PresetStore
from ptzmapd.config.loader import load_config
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.errors import ConfigError, ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import Ack, Completion, Notice, Outgoing, SequenceReset
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.protocols.visca.serial import ADDRESS_SET, IF_CLEAR, ViscaSerialCodec
from wire import MemoryWire

RESET = "02 00 00 01 00 00 00 00 01"
SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# --------------------------------------------------------------------------- item 8: sequence modes


def test_sequence_fixed_keeps_the_header_and_numbers_every_message_one() -> None:
    # ERRATA: cameras that act only on sequence numbers 1-3 and always reply 1. Counting
    # would put the user's first command at 4 (after three opening stops): never acted on.
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="fixed")
    assert codec.start() == []  # nothing counted, nothing to reset
    frames = [hexbytes(codec.encode(command).data) for command in (Home(), Home(), PresetRecall(1), Home(), Home())]
    assert frames[2] == "01 00 00 07 00 00 00 01 81 01 04 3F 02 01 FF"
    assert all(frame.startswith("01 00 00 ") and frame[12:23] == "00 00 00 01" for frame in frames)
    # Replies pair by order: their number says nothing.
    assert codec.encode(Home()).token is None
    assert codec.receive(h("01 11 00 03 00 00 00 01 90 41 FF")) == [Ack(None, socket=1)]


def test_sequence_none_sends_bare_frames() -> None:
    codec = ViscaIpCodec(VISCA_LIMITS, sequence="none")
    assert codec.start() == []
    assert codec.encode(Home()) == Outgoing(h("81 01 06 04 FF"), token=None)


def test_reply_sequence_ignored_pairs_replies_by_order_while_still_counting() -> None:
    # ERRATA: cameras that count what they are sent but answer everything with 1.
    codec = ViscaIpCodec(VISCA_LIMITS, reply_sequence="ignored")
    assert hexbytes(codec.start()[0].data) == RESET
    codec.encode(Home())
    second = codec.encode(Home())
    assert hexbytes(second.data).startswith("01 00 00 05 00 00 00 02")
    assert second.token is None
    assert codec.receive(h("01 11 00 03 00 00 00 01 90 51 FF")) == [Completion(None, socket=1)]
    assert codec.receive(h("02 01 00 01 00 00 00 01 01")) == [SequenceReset(None)]


def test_unknown_sequence_modes_are_refused() -> None:
    with pytest.raises(ProtocolError, match="valid: on, fixed, none"):
        ViscaIpCodec(VISCA_LIMITS, sequence="off")
    with pytest.raises(ProtocolError, match="valid: checked, ignored"):
        ViscaIpCodec(VISCA_LIMITS, reply_sequence="any")


def make(codec: object) -> tuple[CameraController, MemoryWire, FakeClock]:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", codec, wire, clock, SETTINGS)  # type: ignore[arg-type]
    controller.start()
    wire.settle(controller)
    return controller, wire, clock


def test_a_camera_that_answered_and_falls_silent_gets_a_sequence_reset() -> None:
    controller, wire, clock = make(ViscaIpCodec(VISCA_LIMITS))
    controller.submit(Home())
    for _ in range(20):  # the camera has rebooted: nothing answers any more
        clock.advance(0.1)
    assert not controller.state.online
    assert RESET in wire.frames  # its count starts again from the RESET
    # The camera is back: it answers the RESET, and the home goes out as #1 after it.
    wire.settle(controller, forget=False)
    assert controller.state.online
    after_reset = wire.frames[wire.frames.index(RESET, ) + 1:]
    assert any(frame.startswith("01 00 00 05 00 00 00 01 81 01 06 04 FF") for frame in after_reset)


def test_a_camera_never_heard_from_is_not_reset_again_and_again() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaIpCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.start()
    for _ in range(40):
        clock.advance(0.1)
    assert not controller.state.online
    # The opening RESET is retried with its backoff, never queued twice.
    assert len(controller._urgent) <= 1  # noqa: SLF001 - the queue is the thing under test


# --------------------------------------------------------------------------- item 11: diagnostics


def test_an_unechoed_if_clear_is_reported_in_serial_terms_and_the_camera_stays_online(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("dome", ViscaSerialCodec(VISCA_LIMITS, 1), wire, clock, SETTINGS)
    with caplog.at_level(logging.INFO, logger="ptzmapd.camera"):
        controller.start()
        assert controller.awaiting is not None and controller.awaiting.data == ADDRESS_SET.frame
        wire.answer("88 30 02 FF")  # AddressSet answered: one camera on the chain
        clock.advance(SETTINGS.min_interval)
        assert controller.awaiting is not None and controller.awaiting.data == IF_CLEAR.frame
        for _ in range(10):  # the IF_Clear never comes back round the chain
            clock.advance(0.1)
    text = caplog.text
    assert "IF_Clear" in text and "did not come back round the chain" in text
    assert "sequence" not in text and "RESET" not in text  # no visca-ip advice on a serial chain
    assert "not answering" not in text
    assert controller.state.online


def test_an_unanswered_reset_names_the_visca_ip_switches(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaIpCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    with caplog.at_level(logging.INFO, logger="ptzmapd.camera"):
        controller.start()
        for _ in range(10):
            clock.advance(0.1)
    assert "sequence: fixed" in caplog.text and "sequence: none" in caplog.text


def test_network_change_is_visca_not_garbage() -> None:
    # ERRATA: z0 38 FF. On the network it is accepted silently (some IP cameras send it at
    # connect); on a serial chain it means: number the chain again.
    assert ViscaCodec(VISCA_LIMITS).receive(h("90 38 FF")) == []
    assert ViscaIpCodec(VISCA_LIMITS).receive(h("01 11 00 03 00 00 00 00 90 38 FF")) == []
    assert ViscaIpCodec(VISCA_LIMITS).receive(h("90 38 FF")) == []
    serial = ViscaSerialCodec(VISCA_LIMITS, 2)
    (notice,) = serial.receive(h("A0 38 FF"))
    assert isinstance(notice, Notice)
    assert [outgoing.data for outgoing in notice.send] == [ADDRESS_SET.frame, IF_CLEAR.frame]


def test_a_network_change_on_a_chain_sends_address_set_again(caplog: pytest.LogCaptureFixture) -> None:
    controller, wire, clock = make(ViscaSerialCodec(VISCA_LIMITS, 1))
    with caplog.at_level(logging.INFO, logger="ptzmapd.camera"):
        wire.answer("90 38 FF")
        clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1:] == [hexbytes(ADDRESS_SET.frame)]
    assert controller.state.garbage_replies == 0
    assert "garbage" not in caplog.text and "network change" in caplog.text


@pytest.mark.parametrize("codec", [ViscaCodec(VISCA_LIMITS), ViscaIpCodec(VISCA_LIMITS, sequence="none"),
                                   ViscaSerialCodec(VISCA_LIMITS, 1)])
def test_binary_wires_trace_in_hex_even_when_the_bytes_look_like_text(
    codec: object, caplog: pytest.LogCaptureFixture,
) -> None:
    controller, wire, clock = make(codec)
    with caplog.at_level(logging.DEBUG, logger="ptzmapd.camera"):
        wire.answer("51")  # "Q"
        wire.answer("41 42 43")  # "ABC"
    traces = [record.getMessage() for record in caplog.records if "<--" in record.getMessage()]
    assert traces == ["[stage] <-- 51", "[stage] <-- 41 42 43"]


# --------------------------------------------------------------------------- item 15: dialects


@pytest.mark.parametrize(("dialect", "preset_base", "command", "expected"), [
    # PTZOptics tables (specs/ptzoptics-visca-over-ip-commands.txt): "OnePush Auto Focus".
    ("ptzoptics", None, Autofocus("one-push"), "81 01 04 38 04 FF"),
    # Sony's CAM_AF One Push Trigger (ERRATA; Sony's VISCA command lists).
    ("sony", None, Autofocus("one-push"), "81 01 04 18 01 FF"),
    ("sony", None, Autofocus("on"), "81 01 04 38 02 FF"),
    # PTZOptics shows the memory number; Sony and BirdDog show memory 0 as preset 1.
    ("ptzoptics", None, PresetRecall(1), "81 01 04 3F 02 01 FF"),
    ("ptzoptics", None, PresetRecall(0), "81 01 04 3F 02 00 FF"),
    ("sony", None, PresetRecall(1), "81 01 04 3F 02 00 FF"),
    ("sony", None, PresetStore(128), "81 01 04 3F 01 7F FF"),
    ("sony", None, PresetClear(3), "81 01 04 3F 00 02 FF"),
    ("sony", 0, PresetRecall(1), "81 01 04 3F 02 01 FF"),  # overridden per camera
    ("ptzoptics", 1, PresetRecall(1), "81 01 04 3F 02 00 FF"),
])
def test_dialect_golden_bytes(dialect: str, preset_base: int | None, command: Command, expected: str) -> None:
    for codec in (ViscaCodec(VISCA_LIMITS, dialect=dialect, preset_base=preset_base),
                  ViscaSerialCodec(VISCA_LIMITS, 1, dialect=dialect, preset_base=preset_base)):
        assert hexbytes(codec.encode(command).data) == expected
    ip = ViscaIpCodec(VISCA_LIMITS, dialect=dialect, preset_base=preset_base)
    ip.start()
    assert hexbytes(ip.encode(command).data).endswith(expected)


def test_preset_numbers_outside_the_dialects_range_are_refused() -> None:
    with pytest.raises(ProtocolError, match=r"1\.\.128 \(this camera shows memory 0 as preset 1\), got 0"):
        ViscaCodec(VISCA_LIMITS, dialect="sony").encode(PresetRecall(0))
    with pytest.raises(ProtocolError, match=r"0\.\.127, got 128"):
        ViscaCodec(VISCA_LIMITS).encode(PresetRecall(128))


def test_one_preset_pad_means_the_same_shot_on_a_ptzoptics_and_a_sony_camera(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "cameras:\n"
        "  left: {protocol: visca-ip, host: 127.0.0.1}\n"
        "  right: {protocol: visca-tcp, host: 127.0.0.1, dialect: sony}\n"
        "  chain: {protocol: visca-serial, device: /dev/null, address: 1, dialect: sony, preset_base: 0}\n"
        "inputs:\n  desk: {type: midi, port: '*'}\n"
        "bindings:\n  - {input: desk, note: 1, action: preset, preset: 3}\n"
    )
    config = load_config(str(path))
    memory = {}
    for name, camera in config.cameras.items():
        spec = PROTOCOLS[camera.protocol]
        codec = spec.make_codec(camera.options, spec.limits)
        codec.start()
        memory[name] = codec.key(PresetRecall(3))[-2]
    # "Preset 3" is what each camera shows as preset 3: memory 3 on PTZOptics, 2 on Sony.
    assert memory == {"left": 3, "right": 2, "chain": 3}


@pytest.mark.parametrize(("camera", "message"), [
    ("{protocol: visca-ip, host: h, dialect: sonny}", "cameras.c.dialect: unknown dialect 'sonny'"),
    ("{protocol: visca-ip, host: h, preset_base: 2}", "cameras.c.preset_base"),
    ("{protocol: pelco-d, device: /dev/null, address: 1, dialect: sony}", "key 'dialect' does not apply"),
    ("{protocol: visca-tcp, host: h, sequence: fixed}", "key 'sequence' does not apply"),
    ("{protocol: visca-ip, host: h, sequence: off}", "cameras.c.sequence: unknown sequence 'off'"),
    ("{protocol: visca-ip, host: h, reply_sequence: any}", "cameras.c.reply_sequence"),
])
def test_visca_camera_keys_are_checked(tmp_path: Path, camera: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"cameras:\n  c: {camera}\ninputs:\n  desk: {{type: midi, port: '*'}}\nbindings: []\n")
    with pytest.raises(ConfigError) as error:
        load_config(str(path))
    assert message in str(error.value)
    assert f"{path}:2:" in str(error.value)


def test_garbage_is_logged_in_the_specs_hex_on_a_binary_wire(caplog: pytest.LogCaptureFixture) -> None:
    controller, wire, clock = make(ViscaCodec(VISCA_LIMITS))
    with caplog.at_level(logging.INFO, logger="ptzmapd.camera"):
        wire.answer("90 41 51 FF")  # an ACK with a data byte that happens to be "Q"
    assert "ignoring garbage from the camera (ack with data): 90 41 51 FF" in caplog.text
