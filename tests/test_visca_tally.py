"""Tally lamps over VISCA: golden bytes per dialect (PTZOptics CAM_TallyLight from specs/, Sony
red/green from Sony's VISCA command list), the order of the lamps after a cut, and the
controller sending a two-lamp state as two commands, lit lamp first."""

from __future__ import annotations

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.commands import TallyLamp
from ptzmapd.control.controller import CameraController
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import command_parts
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import ViscaIpCodec
from ptzmapd.protocols.visca.serial import ViscaSerialCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.vocabulary import TALLY_LAMP
from wire import MemoryWire


def frames(codec: ViscaCodec, state: TallyLamp) -> list[str]:
    return [codec.payload(part).hex(" ").upper() for part in command_parts(codec, state)]


@pytest.mark.parametrize(("program", "preview", "preview_shown", "expected"), [
    (True, False, False, ["81 0A 02 02 02 FF"]),
    (False, False, False, ["81 0A 02 02 03 FF"]),
    (False, True, False, ["81 0A 02 02 03 FF"]),  # preview not opted in: the lamp stays dark
    (False, True, True, ["81 0A 02 02 01 FF"]),  # one lamp serves both: preview flashes it
    (True, True, True, ["81 0A 02 02 02 FF"]),  # program wins the one lamp
])
def test_ptzoptics_tally_light(program: bool, preview: bool, preview_shown: bool, expected: list[str]) -> None:
    codec = ViscaCodec(VISCA_LIMITS, tally="ptzoptics", tally_preview=preview_shown)
    assert frames(codec, TallyLamp(program, preview)) == expected


@pytest.mark.parametrize(("program", "preview", "expected"), [
    (True, False, ["81 01 7E 01 0A 00 02 FF"]),
    (False, True, ["81 01 7E 01 0A 00 03 FF"]),
    (False, False, ["81 01 7E 01 0A 00 03 FF"]),
])
def test_sony_red_lamp_only(program: bool, preview: bool, expected: list[str]) -> None:
    assert frames(ViscaCodec(VISCA_LIMITS, tally="sony"), TallyLamp(program, preview)) == expected


@pytest.mark.parametrize(("program", "preview", "expected"), [
    # A cut: the camera comes from preview to program. Red on first, then green off.
    (True, False, ["81 01 7E 01 0A 00 02 FF", "81 01 7E 04 1A 00 03 FF"]),
    # Studio mode swaps the old program into preview: green on first, then red off.
    (False, True, ["81 01 7E 04 1A 00 02 FF", "81 01 7E 01 0A 00 03 FF"]),
    (True, True, ["81 01 7E 01 0A 00 02 FF", "81 01 7E 04 1A 00 02 FF"]),
    (False, False, ["81 01 7E 01 0A 00 03 FF", "81 01 7E 04 1A 00 03 FF"]),
])
def test_sony_red_and_green_lamps_lit_first(program: bool, preview: bool, expected: list[str]) -> None:
    codec = ViscaCodec(VISCA_LIMITS, tally="sony", tally_preview=True)
    assert frames(codec, TallyLamp(program, preview)) == expected


def test_a_two_lamp_state_is_refused_whole() -> None:
    codec = ViscaCodec(VISCA_LIMITS, tally="sony", tally_preview=True)
    with pytest.raises(ProtocolError, match="two commands"):
        codec.payload(TallyLamp(True, False))


def test_no_tally_dialect_refuses_the_lamps() -> None:
    with pytest.raises(ProtocolError, match="tally: none"):
        ViscaCodec(VISCA_LIMITS).payload(TallyLamp(True, False))


def test_the_address_and_the_ip_header_wrap_the_same_bytes() -> None:
    serial = ViscaSerialCodec(VISCA_LIMITS, address=3, tally="sony")
    assert serial.payload(TallyLamp(True, False)).hex(" ").upper() == "83 01 7E 01 0A 00 02 FF"
    ip = ViscaIpCodec(VISCA_LIMITS, tally="sony", tally_preview=True)
    parts = command_parts(ip, TallyLamp(False, True))
    assert [ip.key(part).hex(" ").upper() for part in parts] == ["81 01 7E 04 1A 00 02 FF", "81 01 7E 01 0A 00 03 FF"]
    assert ip.encode(parts[0]).data.endswith(bytes.fromhex("81 01 7E 04 1A 00 02 FF"))


def test_every_visca_protocol_offers_tally_lamps_with_its_options() -> None:
    for name in ("visca-ip", "visca-udp", "visca-tcp", "visca-serial"):
        spec = PROTOCOLS[name]
        assert TALLY_LAMP in spec.capabilities
        fields = spec.options.__dataclass_fields__
        assert fields["tally"].default == "none" and fields["tally_preview"].default is False


def test_the_controller_sends_a_two_lamp_state_lit_lamp_first() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("pulpit", ViscaCodec(VISCA_LIMITS, tally="sony", tally_preview=True), wire, clock,
                                  ControllerSettings(min_interval=0.05, ack_timeout=0.2))
    controller.start()
    wire.settle(controller)
    outcome = controller.submit(TallyLamp(True, False))
    wire.settle(controller, forget=False)
    assert wire.frames[-2:] == ["81 01 7E 01 0A 00 02 FF", "81 01 7E 04 1A 00 03 FF"]
    assert outcome.done
