"""Every VISCA command and inquiry row of the spec files gets a sensible answer from the
simulated camera (issue 9 item 16): table-driven from ptzmapd/simulators/visca_spec.py, and
checked against the vendor documents themselves where they are present."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from ptzmapd.clock import FakeClock
from ptzmapd.protocols.base import Ack, Completion, InquiryAnswer
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.read import parse_reply
from ptzmapd.protocols.visca.tables import MAX_FRAME
from ptzmapd.simulators import visca_spec
from ptzmapd.simulators.visca import SimulatedCamera, start_simulator
from ptzmapd.simulators.visca_spec import COMMANDS, INQUIRIES, SpecCommand, SpecInquiry, example

SPECS = Path("/work/shared/specs")
SYNTAX_ERROR = "90 60 02 FF"


class CameraOnTheBench:
    """A simulated camera and its time: each command is given a minute to complete."""

    def __init__(self, address: int = 1) -> None:
        self.camera = SimulatedCamera(address)
        self.now = 0.0

    def command(self, frame: bytes) -> list[str]:
        replies = self.camera.handle(frame, self.now) + self.camera.poll(self.now + 60.0)
        self.now += 60.0
        return [hexbytes(reply) for reply in replies]

    def inquire(self, name: str) -> str:
        row = next(row for row in INQUIRIES if row.name == name)
        (answer,) = self.camera.handle(example(row.pattern), self.now)
        return hexbytes(answer)


@pytest.mark.parametrize("row", COMMANDS, ids=lambda row: row.name)
def test_every_command_row_is_acknowledged_and_completed(row: SpecCommand) -> None:
    replies = CameraOnTheBench().command(example(row.pattern))
    if row.action == "if-clear":
        assert replies == ["90 50 FF"]  # IF_Clear: no socket, a bare completion
        return
    assert [type(parse_reply(bytes.fromhex(reply), None, None)) for reply in replies] == [Ack, Completion], replies
    assert replies[0][4] == replies[1][4]  # the completion names the ACK's socket


@pytest.mark.parametrize("row", INQUIRIES, ids=lambda row: row.name)
def test_every_inquiry_row_is_answered_in_its_shape(row: SpecInquiry) -> None:
    (answer,) = SimulatedCamera(address=2).handle(example(row.pattern), now=0.0)
    assert answer[:2] == b"\xa0\x50" and answer[-1] == 0xFF and 0xFF not in answer[:-1]
    assert len(answer) == len(row.answer.split()) <= MAX_FRAME
    assert isinstance(parse_reply(answer, None, None), InquiryAnswer)


@pytest.mark.parametrize(("commands", "inquiry", "answer"), [
    ([], "CAM_PowerInq", "90 50 02 FF"),
    (["81 01 04 00 03 FF"], "CAM_PowerInq", "90 50 03 FF"),
    (["81 01 04 00 03 FF"], "CAM_OtherBlockInq", "90 50 00 00 00 00 00 00 00 00 00 00 00 00 00 FF"),
    (["81 01 04 38 03 FF"], "CAM_FocusAFModeInq", "90 50 03 FF"),
    (["81 01 04 38 10 FF"], "CAM_FocusAFModeInq", "90 50 03 FF"),  # toggled from auto
    (["81 01 04 48 00 08 00 00 FF"], "CAM_FocusPosInq", "90 50 00 08 00 00 FF"),
    (["81 01 04 47 02 00 00 00 FF"], "CAM_ZoomPosInq", "90 50 02 00 00 00 FF"),
    (["81 01 04 47 01 00 00 00 FF", "81 01 04 48 00 04 00 00 FF", "81 01 04 38 03 FF"], "CAM_LensBlockInq",
     "90 50 01 00 00 00 00 00 00 04 00 00 00 00 00 FF"),
    (["81 01 06 02 18 14 0F 0F 0F 00 00 00 01 00 FF"], "CAM_PanTiltPosInq", "90 50 0F 0F 0F 00 00 00 01 00 FF"),
    (["81 01 04 35 20 FF"], "CAM_WBModeInq", "90 50 20 FF"),
    (["81 01 04 4B 00 00 01 02 FF"], "CAM_IrisPosInq", "90 50 00 00 01 02 FF"),
    (["81 01 04 4C 00 00 00 09 FF"], "CAM_GainPosInq", "90 50 00 00 00 09 FF"),
    (["81 01 04 3F 01 05 FF"], "CAM_MemoryInq", "90 50 05 FF"),
    (["81 01 04 A4 03 FF"], "CAM_FlipInq", "90 50 03 FF"),
    (["81 01 04 3F 02 5F FF"], "SYS_MenuModeInq", "90 50 02 FF"),  # ERRATA: preset 95 opens the menu
    (["81 0A 11 A8 12 FF", "81 0A 11 A8 22 FF", "81 0A 11 A8 13 FF"], "CAM_RTMPInq", "90 50 02 FF"),
    (["81 0A 11 42 01 0A 02 FF"], "CAM_FocusRangeInq", "90 50 01 0A 02 FF"),
])
def test_inquiries_read_back_what_commands_set(commands: list[str], inquiry: str, answer: str) -> None:
    tester = CameraOnTheBench()
    for command in commands:
        assert SYNTAX_ERROR not in tester.command(bytes.fromhex(command))
    assert tester.inquire(inquiry) == answer


def test_standard_speed_zoom_and_relative_moves_move_the_model() -> None:
    camera = SimulatedCamera()
    camera.handle(bytes.fromhex("81 01 04 07 02 FF"), now=0.0)  # Tele (Standard)
    assert camera.state(1.0).zoom > 0
    camera.handle(bytes.fromhex("81 01 06 03 18 14 00 00 00 0A 0F 0F 0F 0B FF"), now=1.0)  # RelativePosition
    state = camera.state(30.0)
    assert (round(state.pan), round(state.tilt)) == (10, -5)


# The typos ERRATA corrects, as the tables print them: a camera refuses these bytes.
TYPOS: dict[str, str] = {
    "81 01 04 0C 00 00 0p 0q FF": "Gain Direct is 4C",
    "81 01 04 0D 00 00 0p 0q FF": "Bright Direct is 4D",
    "81 01 06 02 VV WW 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF": "four pan nibbles",
    "81 01 06 03 VV WW 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF": "four pan nibbles",
}


def spec_frames(path: Path) -> list[str]:
    """The command and inquiry patterns a vendor document prints (``81 … FF`` / ``8x … FF``)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = re.findall(r"\b8[1x] (?:[0-9A-Za-z]{1,2} ){1,14}?[Ff][Ff]\b", text)
    return [re.sub(r"^8x", "81", pattern) for pattern in dict.fromkeys(found)]


def frame_of(pattern: str) -> bytes:
    out = bytearray()
    for token in pattern.split():
        if re.fullmatch(r"[0-9A-Fa-f]{2}", token):
            out.append(int(token, 16))
        elif len(token) == 2 and token[0] in "0123456789ABCDEF":
            out.append(int(token[0], 16) << 4 | 1)
        elif len(token) == 2:
            out.append(0x11)
        else:
            out.append(0x01)  # "p q r s": one value nibble per byte
    return bytes(out)


@pytest.mark.skipif(not SPECS.is_dir(), reason="the vendor documents are not on this machine")
@pytest.mark.parametrize("document", ["ptzoptics-visca-over-ip-commands.txt", "ptzoptics-move4k-link4k-manual.txt"])
def test_every_row_of_the_vendor_documents_is_answered(document: str) -> None:
    patterns = spec_frames(SPECS / document)
    assert len(patterns) > 60
    unanswered = []
    for pattern in patterns:
        replies = CameraOnTheBench().command(frame_of(pattern))
        refused = replies == [SYNTAX_ERROR]
        if refused != (pattern in TYPOS):
            unanswered.append(f"{pattern} -> {replies}")
    assert unanswered == []


def test_if_clear_over_the_network_is_answered_not_refused() -> None:
    async def body() -> list[bytes]:
        sim = await start_simulator("visca-udp", clock=FakeClock(), log=lambda line: None)
        inbox: asyncio.Queue[bytes] = asyncio.Queue()

        class Peer(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                inbox.put_nowait(data)

        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            Peer, remote_addr=(sim.host, sim.port))
        try:
            transport.sendto(bytes.fromhex("81 01 00 01 FF"))
            transport.sendto(bytes.fromhex("81 09 04 00 FF"))
            return [await asyncio.wait_for(inbox.get(), 5.0) for _ in range(2)]
        finally:
            transport.close()
            await sim.close()

    assert [hexbytes(reply) for reply in asyncio.run(body())] == ["90 50 FF", "90 50 02 FF"]


def test_the_table_patterns_are_well_formed() -> None:
    for row in (*COMMANDS, *INQUIRIES):
        assert visca_spec.match(row.pattern, example(row.pattern)) is not None, row.name
