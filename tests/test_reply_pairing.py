"""Reply pairing (issue 9, item 1): which command a camera's reply answers.

The table itself (every move outside it is an error naming event and stage), then every
interleaving of ACK / completion / loss for two commands in flight (a pan or a preset, then
a stop) over raw VISCA on UDP, on a TCP stream (replies cut into pieces), on a serial chain
(camera 2) and over VISCA-over-IP, driven with a fake clock; then the field report end to
end: raw VISCA over UDP against the simulator, ACK at once and completion 80 ms later, the
first stop lost on the network.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from ptzmapd.camera import Answer, CameraController, ControllerSettings
from ptzmapd.clock import FakeClock
from ptzmapd.commands import PanTilt, PresetRecall
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.protocols.base import Ack, Codec, Completion, ErrorReply, InquiryAnswer, SequenceReset
from ptzmapd.protocols.pairing import (
    TABLES,
    VISCA_SOCKETS,
    Event,
    Family,
    Ledger,
    PairingError,
    Stage,
    step,
)
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.ip import PayloadType, ViscaIpCodec, pack
from ptzmapd.protocols.visca.serial import ViscaSerialCodec
from procs import Proc
from wire import MemoryWire

SETTINGS = ControllerSettings(min_interval=0.05, ack_timeout=0.2, retries=2)
PAN_STOP = "01 01 03 03 FF"  # the tail of a pan/tilt stop frame, whatever the address


# ----------------------------------------------------------------------------- the table


@pytest.mark.parametrize("family", list(Family))
def test_every_move_outside_the_table_is_an_error_naming_event_and_stage(family: Family) -> None:
    table = TABLES[family]
    for stage, event in itertools.product(Stage, Event):
        if (stage, event) in table:
            assert step(family, stage, event) is table[stage, event]
            continue
        with pytest.raises(PairingError) as caught:
            step(family, stage, event)
        assert event.value in str(caught.value) and stage.value in str(caught.value)


def test_a_completion_belongs_to_the_command_whose_ack_named_its_socket() -> None:
    ledger: Ledger[str] = Ledger(VISCA_SOCKETS, stray_window=0.4)
    ledger.sent("pan", stop=False, token=None, now=0.0)
    assert ledger.attribute(Ack(None, socket=1), 0.01) is not None  # pan: socket 1
    ledger.sent("stop", stop=True, token=None, now=0.05)
    late = ledger.attribute(Completion(None, socket=1), 0.08)
    assert late is not None and late.entry.item == "pan" and late.after is Stage.DONE
    assert ledger.awaiting is not None and ledger.awaiting.item == "stop"  # still unanswered
    own = ledger.attribute(Ack(None, socket=2), 0.1)
    assert own is not None and own.entry.item == "stop" and ledger.awaiting is None


def test_a_reply_that_cannot_be_attributed_never_confirms_a_stop() -> None:
    ledger: Ledger[str] = Ledger(VISCA_SOCKETS, stray_window=0.4)
    ledger.sent("stop", stop=True, token=None, now=0.0)
    assert ledger.attribute(Completion(None, socket=2), 0.01) is None  # no ACK named socket 2
    ledger = Ledger(VISCA_SOCKETS, stray_window=0.4)
    ledger.sent("pan", stop=False, token=None, now=0.1)
    ledger.sent("stop", stop=True, token=None, now=0.3)  # the pan abandoned: its ACK may come
    assert ledger.attribute(Ack(None, socket=1), 0.31) is None
    assert ledger.attribute(Ack(None, socket=1), 0.32) is not None  # the next one is the stop's


# ----------------------------------------------------------------------------- interleavings


@dataclass(frozen=True)
class Line:
    """How one kind of wire carries the camera's replies to the controller."""

    name: str
    make_codec: Callable[[], Codec]
    #: The camera's reply frame (``z0 4y FF``...) for the command sent as ``sent``.
    wrap: Callable[[bytes, bytes], list[bytes]]
    reply_start: int = 0x90


def _bare(frame: bytes, sent: bytes) -> list[bytes]:
    return [frame]


def _pieces(frame: bytes, sent: bytes) -> list[bytes]:
    return [frame[:1], frame[1:]]  # a TCP stream cuts where it likes


def _sequenced(frame: bytes, sent: bytes) -> list[bytes]:
    return [pack(PayloadType.REPLY, int.from_bytes(sent[4:8], "big"), frame)]


LINES = [
    Line("udp", lambda: ViscaCodec(VISCA_LIMITS), _bare),
    Line("tcp", lambda: ViscaCodec(VISCA_LIMITS), _pieces),
    Line("serial", lambda: ViscaSerialCodec(VISCA_LIMITS, address=2), _bare, reply_start=0xA0),
    Line("visca-ip", lambda: ViscaIpCodec(VISCA_LIMITS), _sequenced),
]

FIRST = {"pan": PanTilt(-0.5, 0.0), "preset": PresetRecall(4)}
#: The camera's replies, in the order it sends each command's: ACK, then completion.
REPLIES = ("ack A", "done A", "ack B", "done B")


def orders() -> list[tuple[str, ...]]:
    """Every interleaving of A's (ACK, completion) with B's (ACK, completion)."""
    found = []
    for order in itertools.permutations(REPLIES):
        if order.index("ack A") < order.index("done A") and order.index("ack B") < order.index("done B"):
            found.append(order)
    return found


def settle(controller: CameraController, wire: MemoryWire, clock: FakeClock, line: Line) -> None:
    """Answer everything as a good camera does until the controller is idle."""
    for _ in range(60):
        if controller.idle:
            break
        awaiting = controller.awaiting
        if awaiting is None:
            clock.advance(SETTINGS.min_interval)
            continue
        if awaiting.data.startswith(b"\x02\x00"):
            wire._deliver(pack(PayloadType.CONTROL_REPLY, awaiting.token or 0, b"\x01"))
        elif awaiting.data[0] == 0x88:  # serial opening broadcasts, answered by the chain
            wire._deliver(bytes.fromhex("88 30 03 FF") if awaiting.data[1] == 0x30 else awaiting.data)
        else:
            for chunk in line.wrap(bytes([line.reply_start, 0x41, 0xFF]), awaiting.data):
                wire._deliver(chunk)
            for chunk in line.wrap(bytes([line.reply_start, 0x51, 0xFF]), awaiting.data):
                wire._deliver(chunk)
        clock.advance(SETTINGS.min_interval)
    assert controller.idle


def run_case(line: Line, first: str, order: tuple[str, ...], lost: frozenset[str], stop_lost: bool) -> str | None:
    """One interleaving; a description of what went wrong, or None."""
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", line.make_codec(), wire, clock, SETTINGS)
    controller.start()
    controller.set_motion(PanTilt(0.5, 0.0))  # moving: a stop has something to stop
    settle(controller, wire, clock, line)
    wire.sent.clear()
    controller.submit(FIRST[first])
    a_sent = wire.sent[-1][1]
    stop = controller.stop()
    # The camera puts A in socket 1; B in socket 1 again if A completed before B arrived.
    sockets = {"A": 1, "B": 1 if order.index("done A") < order.index("ack B") else 2}
    b_sent: bytes | None = None
    b_reached = False
    b_answered = False
    for reply in order:
        command = reply[-1]
        if command == "B":
            # B goes out once A is answered or given up; the camera sees it unless it is lost.
            for _ in range(40):
                if any(data.hex(" ").upper().endswith(PAN_STOP) for _, data in wire.sent):
                    break
                clock.advance(0.05)
            stops = [data for _, data in wire.sent if data.hex(" ").upper().endswith(PAN_STOP)]
            if not stops:
                return f"the stop never went out: {wire.frames}"
            b_sent = stops[0]
            if stop_lost:
                continue
            b_reached = True
        socket = sockets[command]
        kind = 0x40 if reply.startswith("ack") else 0x50
        if reply in lost:
            continue
        if command == "B":
            b_answered = True
        sent = a_sent if command == "A" else b_sent
        assert sent is not None
        for chunk in line.wrap(bytes([line.reply_start, kind | socket, 0xFF]), sent):
            wire._deliver(chunk)
        clock.advance(0.01)
    if stop.answer is Answer.ACKNOWLEDGED and not b_answered:
        return "the stop counted as acknowledged though none of its own replies arrived"

    def stops_sent() -> int:
        return sum(1 for _, data in wire.sent if data.hex(" ").upper().endswith(PAN_STOP))

    if stop.answer is Answer.PENDING:
        # Unconfirmed: the stop must go out again (the camera stays silent meanwhile).
        before = stops_sent()
        for _ in range(40):
            clock.advance(0.05)
            if stops_sent() > before:
                break
        else:
            return "an unconfirmed stop was never sent again"
    # From here on the camera answers well: the stop is taken and confirmed.
    settle(controller, wire, clock, line)
    if stop.answer is not Answer.ACKNOWLEDGED:
        return f"the stop ended {stop.answer.value}"
    return None


@pytest.mark.parametrize("line", LINES, ids=lambda line: line.name)
@pytest.mark.parametrize("first", sorted(FIRST))
def test_every_interleaving_of_two_commands_in_flight(line: Line, first: str) -> None:
    failures = []
    cases = 0
    for order in orders():
        for lost_count in range(len(REPLIES) + 1):
            for lost in itertools.combinations(REPLIES, lost_count):
                for stop_lost in (False, True):
                    cases += 1
                    problem = run_case(line, first, order, frozenset(lost), stop_lost)
                    if problem is not None:
                        failures.append(f"{' → '.join(order)}; lost {list(lost)}; stop lost {stop_lost}: {problem}")
    assert cases == 6 * 16 * 2
    assert not failures, f"{len(failures)} of {cases} cases:\n" + "\n".join(failures[:20])


def test_the_field_report_a_late_completion_does_not_confirm_a_lost_stop() -> None:
    """Issue 9 item 1, in the controller: pan ACKed at once, the stop lost, the pan's
    completion 80 ms later must not be taken for the stop's answer."""
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.start()
    wire.settle(controller)
    pan = controller.set_motion(PanTilt(0.5, 0.0))
    wire.answer("90 41 FF")
    assert pan.answer is Answer.ACKNOWLEDGED
    clock.advance(0.06)
    stop = controller.stop()
    assert wire.frames[-1] == "81 01 06 01 01 01 03 03 FF"  # ...lost on the network
    clock.advance(0.02)
    wire.answer("90 51 FF")  # the pan's completion, 80 ms after its ACK
    assert stop.answer is Answer.PENDING
    assert not controller.idle  # what shutdown waits for: it goes on resending the stop
    clock.advance(SETTINGS.ack_timeout)
    assert wire.frames[-2:] == ["81 01 06 01 01 01 03 03 FF"] * 2  # retransmitted
    wire.answer("90 41 FF")
    assert stop.answer is Answer.ACKNOWLEDGED


def test_a_discrete_command_refused_after_its_ack_is_reported_refused() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.start()
    wire.settle(controller)
    preset = controller.submit(PresetRecall(3))
    wire.answer("90 41 FF")
    assert preset.answer is Answer.ACKNOWLEDGED
    home = controller.submit(PresetRecall(4))
    clock.advance(SETTINGS.min_interval)
    assert wire.frames[-1] == "81 01 04 3F 02 04 FF"
    wire.answer("90 60 02 FF")  # a syntax error answers the command awaiting its ACK
    assert home.answer is Answer.REFUSED and "syntax" in home.message


def test_replies_without_a_command_are_ignored_and_keep_the_camera_online() -> None:
    clock = FakeClock()
    wire = MemoryWire(clock)
    controller = CameraController("stage", ViscaCodec(VISCA_LIMITS), wire, clock, SETTINGS)
    controller.start()
    wire.settle(controller)
    for frame in ("90 41 FF", "90 52 FF", "90 61 04 FF", "90 50 01 FF"):
        wire.answer(frame)
    assert controller.state.online and controller.idle
    for reply in (SequenceReset(None), InquiryAnswer(None), ErrorReply(None, "syntax")):
        assert Ledger(VISCA_SOCKETS, 0.4).attribute(reply, 0.0) is None


# ----------------------------------------------------------------------------- end to end


def test_send_over_raw_visca_udp_with_late_completions_and_a_lost_stop(tmp_path: Path) -> None:
    """The field report: ``ptzmapd send … pan 0.5 --for 0.06`` against a camera that ACKs at
    once and completes 80 ms later, the first stop lost: the stop is sent again and taken."""
    # Packets to the camera: the three opening stops, the pan, then the stop (number 5).
    sim = Proc("simulate", "visca-udp", "--host", "127.0.0.2", "--port", "0",
               "--completion-delay", "0.08", "--drop-packet", "5")
    try:
        port = int(sim.wait_for(r"on 127\.0\.0\.2:(\d+)").group(1))
        config = tmp_path / "studio.yaml"
        config.write_text(f"cameras:\n  cam:\n    protocol: visca-udp\n    host: 127.0.0.2\n    port: {port}\n")
        send = Proc("send", "-c", str(config), "cam", "pan", "0.5", "--for", "0.06")
        code = send.process.wait(timeout=20)
        send.stop()
        assert code == 0, send.output
        assert "cam: pan 0.5: acknowledged" in send.output
        sim.wait_for(r"dropped packet 5")
        dropped = next(index for index, line in enumerate(sim.lines) if "dropped packet 5" in line)
        assert any("pan right" in line for line in sim.lines[:dropped]), sim.output
        # The lost stop was sent again, and it is the last thing the camera heard.
        sim.wait_for(r"pan stop, tilt stop", after=dropped + 1)
        assert sim.lines[-1].endswith("pan stop, tilt stop"), sim.output
    finally:
        sim.stop()


def test_strays_expire_so_a_dead_camera_does_not_grow_the_ledger() -> None:
    ledger: Ledger[int] = Ledger(VISCA_SOCKETS, stray_window=0.4)
    for step_number in range(1000):
        now = step_number * 0.2
        ledger.sent(step_number, stop=False, token=None, now=now)
        ledger.abandon(now + 0.2)
    assert len(ledger.strays) <= 3
