"""Panasonic AW: golden requests for every command, the reply table, refusals, commands sent
as several requests (preset speed, tally lamps), mutation fuzzing of the reply decoder, and
the controller pacing from the camera's answer (fake clock, memory wire)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptzmapd.app.assemble import controller_settings
from ptzmapd.clock import FakeClock
from ptzmapd.commands import (
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    Jog,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetSpeed,
    PresetStore,
    RawCommand,
    TallyLamp,
    Zoom,
)
from ptzmapd.config.loader import load_config
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer
from ptzmapd.control.replies import BUSY_RETRY
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, Notice, Remedy, Reply, Step, command_parts, refusal_is_permanent
from ptzmapd.protocols.http import HttpRequest
from ptzmapd.protocols.panasonic_aw.codec import BUSY_LIMIT, PanasonicAwCodec
from ptzmapd.protocols.panasonic_aw.specs import PANASONIC_LIMITS
from ptzmapd.protocols.panasonic_aw.tables import MIN_INTERVAL, expected_reply, read_request
from helpers import problems_of, write
from test_fuzz_decoders import mutated
from wire import MemoryWire


def codec(tally: str = "panasonic") -> PanasonicAwCodec:
    return PanasonicAwCodec(PANASONIC_LIMITS, tally=tally)


def target(aw: PanasonicAwCodec, command: Command) -> str:
    request = HttpRequest.from_bytes(aw.encode(command).data)
    assert request.method == "GET" and not request.body
    return request.target


def answer(aw: PanasonicAwCodec, body: str, status: str = "200 OK") -> list[Reply]:
    return aw.receive(f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n\r\n{body}".encode())


def ptz(command: str) -> str:
    return f"/cgi-bin/aw_ptz?cmd=%23{command}&res=1"


# ---------------------------------------------------------------------------- golden requests

GOLDEN: list[tuple[Command, str]] = [
    (PanTilt(0.0, 0.0), ptz("PTS5050")),
    (PanTilt(1.0, 0.0), ptz("PTS9950")),
    (PanTilt(-1.0, 0.0), ptz("PTS0150")),
    (PanTilt(0.0, 1.0), ptz("PTS5099")),
    (PanTilt(0.0, -1.0), ptz("PTS5001")),
    (PanTilt(0.5, -0.5), ptz("PTS7525")),  # 0.5 × 49 = 24.5 → level 25 each way
    (PanTilt(0.01, 0.0), ptz("PTS5150")),  # the slowest nonzero speed still moves
    (Zoom(1.0), ptz("Z99")),
    (Zoom(-1.0), ptz("Z01")),
    (Zoom(0.0), ptz("Z50")),
    (Focus(1.0), ptz("F99")),
    (Focus(-0.02), ptz("F49")),
    (Focus(0.0), ptz("F50")),
    (Home(), ptz("APC80008000")),
    (PresetRecall(1), ptz("R00")),  # the camera's "Preset 1" is memory 00
    (PresetRecall(100), ptz("R99")),
    (PresetStore(3), ptz("M02")),
    (PresetClear(3), ptz("C02")),
    (Autofocus("on"), ptz("D11")),
    (Autofocus("off"), ptz("D10")),
    (Autofocus("one-push"), "/cgi-bin/aw_cam?cmd=OSE:69:1&res=1"),
    (Autofocus("toggle"), ptz("D1")),  # first the state (then the other, from its answer)
    (CameraAction("focus-mode", "toggle"), ptz("D1")),
    (CameraAction("power", "on"), ptz("O1")),
    (CameraAction("power", "off"), ptz("O0")),
    (CameraAction("focus-mode", "auto"), ptz("D11")),
    (CameraAction("focus-mode", "manual"), ptz("D10")),
    (CameraAction("tally", "on"), "/cgi-bin/aw_cam?cmd=TLR:1&res=1"),
    (CameraAction("tally", "off"), "/cgi-bin/aw_cam?cmd=TLR:0&res=1"),
    (RawCommand("GET /cgi-bin/aw_ptz?cmd=%23D30&res=1", "http"), ptz("D30")),
]


@pytest.mark.parametrize(("command", "wanted"), GOLDEN, ids=[repr(c) for c, _ in GOLDEN])
def test_golden_requests(command: Command, wanted: str) -> None:
    assert target(codec(), command) == wanted


def test_the_golden_table_covers_every_capability_the_spec_lists() -> None:
    spec = PROTOCOLS["panasonic-aw"]
    covered = {"pan", "tilt", "zoom", "focus", "stop", "home", "preset", "preset clear", "autofocus", "raw http",
               "preset speed", "tally-lamp"}
    covered |= {f"{c.name} {c.mode}" for c, _ in GOLDEN if isinstance(c, CameraAction)}
    covered |= {c.name for c, _ in GOLDEN if isinstance(c, CameraAction)}
    assert spec.capabilities == covered


@pytest.mark.parametrize("command", [PresetRecall(0), PresetRecall(101), PresetStore(0), PresetClear(101),
                                     Autofocus("auto"), CameraAction("iris", "up"),
                                     CameraAction("power", "flash"), Jog(0.5), PanTilt(float("nan"), 0.0),
                                     RawCommand("81 01 04 38 02 FF", "visca"), PresetSpeed(1.5, 3)])
def test_what_the_camera_cannot_do_is_refused_before_anything_is_sent(command: Command) -> None:
    with pytest.raises(ProtocolError):
        codec().encode(command)


def test_tally_lamps_are_not_driven_unless_the_config_asks() -> None:
    with pytest.raises(ProtocolError, match="tally: panasonic"):
        codec(tally="none").encode(TallyLamp(program=True))


# ---------------------------------------------------------------------------- the reply table

REPLIES: list[tuple[Command, str]] = [
    (PanTilt(0.0, 0.0), "pTS5050"),  # an echo with its first letter in lower case
    (PanTilt(1.0, 0.0), "pTS9950"),
    (Zoom(0.5), "zS75"),  # #P/#T/#Z/#F answer pS/tS/zS/fS
    (Focus(-1.0), "fS01"),
    (PresetRecall(4), "s03"),  # #R and #M answer s[NN]
    (PresetStore(4), "s03"),
    (PresetClear(4), "c03"),
    (Home(), "aPC80008000"),
    (CameraAction("power", "on"), "p1"),  # #O1 answers p1
    (Autofocus("on"), "d11"),
    (CameraAction("tally", "on"), "TLR:1"),  # aw_cam commands come back unchanged
]


@pytest.mark.parametrize(("command", "reply"), REPLIES, ids=[f"{c!r}->{r}" for c, r in REPLIES])
def test_the_expected_answer_is_an_ack_and_nothing_else(command: Command, reply: str) -> None:
    aw = codec()
    request = HttpRequest.from_bytes(aw.encode(command).data)
    decoded = read_request(request)
    assert decoded is not None
    path, _, query = request.target.partition("?")
    assert expected_reply(path, query.split("&")[0].removeprefix("cmd=").replace("%23", "#")) == reply
    assert answer(aw, reply) == [Ack(None)]


def test_an_answer_of_another_shape_is_an_ack_traced_with_what_was_expected() -> None:
    aw = codec()
    aw.encode(PresetClear(4))
    replies = answer(aw, "cC03")
    assert replies[-1] == Ack(None)
    assert isinstance(replies[0], Notice) and "expected 'c03'" in replies[0].text and not replies[0].send


REFUSALS = [
    ("eR1:PTS", "aw-unsupported", True, Remedy.REFUSED),
    ("eR3:R", "aw-out-of-range", True, Remedy.REFUSED),
    ("ER1:XF", "aw-unsupported", True, Remedy.REFUSED),
    ("ER3:OSA", "aw-out-of-range", True, Remedy.REFUSED),
    ("eR2:PTS", "aw-busy", False, Remedy.BUSY),
    ("ER2:TLR", "aw-busy", False, Remedy.BUSY),
]


@pytest.mark.parametrize(("body", "kind", "permanent", "remedy"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(body: str, kind: str, permanent: bool, remedy: Remedy) -> None:
    aw = codec()
    aw.encode(PanTilt(0.0, 0.0))
    [reply] = answer(aw, body)
    assert isinstance(reply, ErrorReply)
    assert (reply.kind, reply.permanent, reply.remedy, reply.http_status) == (kind, permanent, remedy, 200)
    assert refusal_is_permanent(reply) is permanent
    assert body in reply.data.decode()


def test_a_camera_that_stays_busy_is_taken_to_be_in_standby() -> None:
    aw = codec()
    aw.encode(PresetRecall(2))
    natures = [answer(aw, "eR2:R")[0] for _ in range(BUSY_LIMIT)]
    assert all(isinstance(reply, ErrorReply) and not reply.permanent for reply in natures[:-1])
    last = natures[-1]
    assert isinstance(last, ErrorReply) and last.permanent and b"powered on" in last.data
    # One answer that is not busy, and eR2 is worth retrying again.
    aw.encode(PanTilt(0.0, 0.0))
    assert answer(aw, "pTS5050") == [Ack(None)]
    aw.encode(PanTilt(0.0, 0.0))
    [again] = answer(aw, "eR2:PTS")
    assert isinstance(again, ErrorReply) and again.remedy is Remedy.BUSY


def test_http_errors_and_garbage() -> None:
    aw = codec()
    aw.encode(Home())
    [refused] = answer(aw, "", "401 Unauthorized")
    assert isinstance(refused, ErrorReply) and refused.kind == "http-401" and refused.permanent
    [garbage] = aw.receive(b"pTS5050")
    assert isinstance(garbage, Garbage)


# ---------------------------------------------------------------------------- several requests


def test_a_preset_speed_is_one_setting_for_every_preset() -> None:
    aw = codec()
    # The same key whatever the preset number: the controller's PresetSpeeds keeps one setting.
    assert aw.key(PresetSpeed(1.0, 5)) == aw.key(PresetSpeed(1.0, 6)) != aw.key(PresetSpeed(0.5, 5))
    assert target(aw, PresetSpeed(1.0, 5)) == ptz("UPVS999")
    assert answer(aw, "uPVS999") == [Ack(None)]
    # "Speed 1" is 275; each of the 30 steps 25 more.
    assert target(aw, PresetSpeed(0.0, 7)) == ptz("UPVS275")
    assert target(aw, PresetSpeed(0.5, 7)) == ptz("UPVS625")
    assert target(aw, PresetRecall(5, speed=1.0)) == ptz("R04")  # the recall alone: the setting is its speed


def recall(stage: CameraController, wire: "AwWire", clock: FakeClock, command: PresetRecall,
           setting_answer: str | None = None) -> list[str]:
    """What ``command`` put on the wire, every request answered (the first with ``setting_answer``)."""
    before = len(wire.sent)
    outcome = stage.submit(command)
    body = setting_answer
    while not outcome.done:
        wire.reply(body)
        body = None
        clock.advance(MIN_INTERVAL)
    assert outcome.answer is Answer.ACKNOWLEDGED
    return wire.commands()[before:]


def test_a_preset_speed_goes_before_the_recall_only_when_it_changes() -> None:
    stage, wire, clock = controller()
    assert recall(stage, wire, clock, PresetRecall(5, speed=1.0)) == ["%23UPVS999", "%23R04"]
    # The camera has that speed now (for every preset): the next recall at it is one request.
    assert recall(stage, wire, clock, PresetRecall(6, speed=1.0)) == ["%23R05"]
    assert recall(stage, wire, clock, PresetRecall(6)) == ["%23R05"]  # no speed asked: the camera's own
    assert recall(stage, wire, clock, PresetRecall(7, speed=0.0)) == ["%23UPVS275", "%23R06"]
    assert recall(stage, wire, clock, PresetRecall(7, speed=0.5)) == ["%23UPVS625", "%23R06"]


def test_the_preset_speed_is_sent_again_when_the_camera_may_have_lost_it() -> None:
    stage, wire, clock = controller()
    assert recall(stage, wire, clock, PresetRecall(2, speed=0.5)) == ["%23UPVS625", "%23R01"]
    wire.plug(False)  # a new link: the camera may have rebooted
    wire.plug(True)
    for _ in range(10):  # the newest state of every slot again (the stops), each answered
        if stage.awaiting is not None:
            wire.reply()
        clock.advance(MIN_INTERVAL)
    assert stage.idle
    assert recall(stage, wire, clock, PresetRecall(2, speed=0.5)) == ["%23UPVS625", "%23R01"]


def test_a_camera_without_a_preset_speed_recalls_at_its_own_and_is_not_asked_again() -> None:
    stage, wire, clock = controller()
    assert recall(stage, wire, clock, PresetRecall(2, speed=0.5), setting_answer="eR1:UPVS") == ["%23UPVS625", "%23R01"]
    assert recall(stage, wire, clock, PresetRecall(3, speed=0.1)) == ["%23R02"]
    aw = codec()
    aw.encode(PresetSpeed(0.5, 2))
    notice, taken = answer(aw, "eR1:UPVS")
    assert isinstance(notice, Notice) and "preset speed" in notice.text and taken == Ack(None)
    with pytest.raises(ProtocolError, match="no preset speed"):
        aw.key(PresetSpeed(0.1, 3))
    aw.reset()  # fell silent: the camera back at this address may be another model
    assert target(aw, PresetSpeed(0.1, 3)) == ptz("UPVS325")


def test_a_busy_camera_resumes_a_command_where_it_stopped() -> None:
    aw = codec()
    toggle = Autofocus("toggle")
    aw.encode(toggle)
    assert answer(aw, "d11") == [Step(None)]
    assert target(aw, toggle) == ptz("D10")
    [busy] = answer(aw, "eR2:D1")
    assert isinstance(busy, ErrorReply) and busy.remedy is Remedy.BUSY
    assert target(aw, toggle) == ptz("D10")  # not the query again


LAMPS = [
    (TallyLamp(program=True, preview=False), ["TLR:1", "TLG:0"]),
    (TallyLamp(program=False, preview=True), ["TLG:1", "TLR:0"]),  # on before off: never dark
    (TallyLamp(program=True, preview=True), ["TLR:1", "TLG:1"]),
    (TallyLamp(program=False, preview=False), ["TLR:0", "TLG:0"]),
]


@pytest.mark.parametrize(("lamps", "commands"), LAMPS, ids=[repr(lamps) for lamps, _ in LAMPS])
def test_tally_lamps_turn_on_before_they_turn_off(lamps: TallyLamp, commands: list[str]) -> None:
    # One command per lamp, split before anything is sent, as for VISCA's two lamps.
    aw = codec()
    parts = command_parts(aw, lamps)
    assert parts == lamps.per_lamp() and len(parts) == 2
    sent = []
    replies: list[Reply] = []
    for part in parts:
        sent.append(target(aw, part))
        replies += answer(aw, sent[-1].split("cmd=")[1].split("&")[0])
    assert sent == [f"/cgi-bin/aw_cam?cmd={command}&res=1" for command in commands]
    assert replies == [Ack(None), Ack(None)]
    with pytest.raises(ProtocolError, match="split it"):
        aw.encode(lamps)


@pytest.mark.parametrize(("state", "flipped"), [("d11", "D10"), ("d10", "D11")])
def test_an_autofocus_toggle_asks_the_state_then_sets_the_other(state: str, flipped: str) -> None:
    aw = codec()
    toggle = Autofocus("toggle")
    assert target(aw, toggle) == ptz("D1")
    assert answer(aw, state) == [Step(None)]  # a query's answer carries its data: no notice
    assert target(aw, toggle) == ptz(flipped)
    assert answer(aw, flipped.replace("D", "d")) == [Ack(None)]


def test_an_unreadable_autofocus_state_refuses_the_toggle() -> None:
    aw = codec()
    aw.encode(Autofocus("toggle"))
    [refused] = answer(aw, "d1-")
    assert isinstance(refused, ErrorReply) and refused.kind == "aw-unreadable" and refused.permanent
    assert target(aw, Autofocus("toggle")) == ptz("D1")  # the next toggle starts afresh


def test_a_camera_without_a_green_lamp_is_driven_red_only() -> None:
    aw = codec()
    preview = TallyLamp(program=False, preview=True)
    green, red = command_parts(aw, preview)
    assert target(aw, green).endswith("TLG:1&res=1")
    notice, taken = answer(aw, "ER1:TLG")  # an older model: the rest of the state goes on
    assert isinstance(notice, Notice) and taken == Ack(None)
    assert target(aw, red).endswith("TLR:0&res=1")
    assert answer(aw, "TLR:0") == [Ack(None)]
    [red_only] = command_parts(aw, TallyLamp(program=True))
    assert target(aw, red_only).endswith("TLR:1&res=1")
    assert answer(aw, "TLR:1") == [Ack(None)]


# ---------------------------------------------------------------------------- fuzzing

ANSWERS = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body
           for body in (b"pTS5050", b"zS75", b"s03", b"p1", b"TLR:1", b"eR2:PTS", b"ER1:XF", b"uPVS625")]


@settings(max_examples=200, deadline=None)
@given(st.lists(mutated(ANSWERS), min_size=1, max_size=4),
       st.sampled_from([PanTilt(0.0, 0.0), PresetRecall(3, speed=0.5), TallyLamp(True, False, "program"), Zoom(1.0)]))
def test_the_reply_decoder_survives_mutated_answers(chunks: list[bytes], command: Command) -> None:
    aw = codec()
    for chunk in chunks:
        aw.encode(command)
        replies = aw.receive(chunk)
        assert replies and all(isinstance(reply, Reply) for reply in replies)
        assert isinstance(aw.describe(chunk), str)


#: Commands a session sends, some of several requests; the same objects come back when the
#: controller continues them.
SESSION = [PanTilt(0.5, 0.0), PresetSpeed(0.5, 3), PresetRecall(3, speed=0.5), PresetRecall(4), *TallyLamp(True, False).per_lamp(),
           *TallyLamp(False, True).per_lamp(), Autofocus("toggle"), Home(), Zoom(0.0)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SESSION), st.one_of(st.sampled_from(ANSWERS), mutated(ANSWERS))),
                min_size=1, max_size=12))
def test_any_order_of_commands_and_answers_keeps_the_codec_consistent(session: list[tuple[Command, bytes]]) -> None:
    aw = codec()
    for command, data in session:
        try:
            outgoing = aw.encode(command)
        except ProtocolError as refused:
            # Only a preset speed after the camera said it has none (ER1 to #UPVS): the
            # controller keys it as unsendable and sends none.
            assert isinstance(command, PresetSpeed) and "no preset speed" in str(refused)
            continue
        request = HttpRequest.from_bytes(outgoing.data)
        assert read_request(request) is not None  # every request it sends is one of its own
        replies = aw.receive(data)
        assert replies and all(isinstance(reply, Reply) for reply in replies)
        assert sum(isinstance(reply, (Ack, ErrorReply, Garbage)) for reply in replies) == 1  # one answer each


# ---------------------------------------------------------------------------- with the controller

SETTINGS = ControllerSettings(min_interval=MIN_INTERVAL, ack_timeout=1.0, retries=2, pace_from_reply=True)


class AwWire(MemoryWire):
    """A memory wire that answers what a Panasonic camera answers, when the test says so."""

    def reply(self, body: str | None = None) -> None:
        request = HttpRequest.from_bytes(self.sent[-1][1])
        path, _, query = request.target.partition("?")
        command = query.split("&")[0].removeprefix("cmd=").replace("%23", "#")
        text = body if body is not None else expected_reply(path, command)
        self._deliver(f"HTTP/1.1 200 OK\r\n\r\n{text}".encode())

    def commands(self) -> list[str]:
        return [HttpRequest.from_bytes(data).target.split("cmd=")[1].split("&")[0] for _, data in self.sent]


def controller(settings: ControllerSettings = SETTINGS) -> tuple[CameraController, AwWire, FakeClock]:
    clock = FakeClock()
    wire = AwWire(clock)
    stage = CameraController("stage", codec(), wire, clock, settings)
    stage.start()
    for _ in range(3):  # the opening stops, each answered
        wire.reply()
        clock.advance(settings.min_interval)
    wire.sent.clear()
    return stage, wire, clock


def test_the_interval_runs_from_the_cameras_answer_not_from_the_send() -> None:
    stage, wire, clock = controller()
    stage.set_motion(PanTilt(1.0, 0.0))
    assert wire.commands() == ["%23PTS9950"]
    clock.advance(0.2)  # a slow camera: it answers 200 ms after the request
    wire.reply()
    stage.set_motion(PanTilt(0.5, 0.0))
    clock.advance(MIN_INTERVAL - 0.01)
    assert len(wire.sent) == 1, "sent before 130 ms had passed since the camera's answer"
    clock.advance(0.01)
    assert wire.commands() == ["%23PTS9950", "%23PTS7550"]
    assert wire.sent[1][0] - wire.sent[0][0] == pytest.approx(0.2 + MIN_INTERVAL)


def test_without_the_option_the_interval_runs_from_the_send() -> None:
    stage, wire, clock = controller(ControllerSettings(min_interval=MIN_INTERVAL, ack_timeout=1.0, retries=2))
    stage.set_motion(PanTilt(1.0, 0.0))
    clock.advance(0.2)
    wire.reply()
    stage.set_motion(PanTilt(0.5, 0.0))
    assert wire.commands() == ["%23PTS9950", "%23PTS7550"]  # 200 ms after the send: due already


def test_the_first_answer_of_a_camera_coming_online_still_paces_the_next_command() -> None:
    clock = FakeClock()
    wire = AwWire(clock)
    stage = CameraController("stage", codec(), wire, clock, SETTINGS)
    stage.start()
    wire.reply()  # the first answer: the camera is online (which sends "the newest state at once")
    assert len(wire.sent) == 1
    clock.advance(MIN_INTERVAL - 0.001)
    assert len(wire.sent) == 1
    clock.advance(0.001)
    assert wire.commands() == ["%23PTS5050", "%23Z50"]


def test_a_command_of_several_requests_is_answered_after_its_last() -> None:
    stage, wire, clock = controller()
    outcome = stage.submit(PresetRecall(3, speed=1.0))
    assert wire.commands() == ["%23UPVS999"]
    wire.reply()
    assert not outcome.done
    clock.advance(MIN_INTERVAL)
    assert wire.commands() == ["%23UPVS999", "%23R02"]
    wire.reply()
    assert outcome.answer is Answer.ACKNOWLEDGED
    lamps = stage.submit(TallyLamp(program=False, preview=True))
    clock.advance(MIN_INTERVAL)
    wire.reply()
    clock.advance(MIN_INTERVAL)
    wire.reply()
    assert wire.commands()[2:] == ["TLG:1", "TLR:0"] and lamps.answer is Answer.ACKNOWLEDGED


def test_a_busy_camera_is_asked_again_and_a_refusal_answers_the_command() -> None:
    stage, wire, clock = controller()
    outcome = stage.submit(PresetRecall(3))
    wire.reply("eR2:R")
    clock.advance(max(BUSY_RETRY, MIN_INTERVAL))
    assert wire.commands() == ["%23R02", "%23R02"]
    wire.reply()
    assert outcome.answer is Answer.ACKNOWLEDGED
    refused = stage.submit(PresetRecall(60))
    clock.advance(MIN_INTERVAL)
    wire.reply("eR3:R")
    assert refused.answer is Answer.REFUSED and "eR3:R" in refused.message
    assert stage.state.last_error is not None and "aw-out-of-range" in stage.state.last_error


# ---------------------------------------------------------------------------- config


def test_the_issues_example_config_works_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULPIT_PW", "pw")
    path = write(tmp_path, "studio.yaml", (
        "cameras:\n  altar: {protocol: panasonic-aw, url: http://192.168.1.70}\n"
        "  pulpit: {protocol: panasonic-aw, url: http://192.168.1.71, username: admin, password_env: PULPIT_PW,"
        " tally: panasonic}\n"
        # The lamps follow a switcher; check refuses tally with none to follow.
        "switchers:\n  vision: {type: vmix, host: 192.168.1.20, sources: {1: altar, 2: pulpit}}\n"
        "inputs:\n  desk: {type: midi, port: \"*nano*\"}\n"
        "bindings:\n  - {input: desk, note: 36, action: preset, preset: 1, camera: altar}\n"
    ))
    config = load_config(path)
    altar, pulpit = config.cameras["altar"], config.cameras["pulpit"]
    assert (altar.protocol, altar.options.tally, pulpit.options.tally) == ("panasonic-aw", "none", "panasonic")
    assert altar.pacing.min_interval == MIN_INTERVAL and altar.pacing.from_reply
    assert controller_settings(altar).pace_from_reply


def test_an_unknown_tally_dialect_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "studio.yaml", (
        "cameras:\n  altar: {protocol: panasonic-aw, url: http://192.168.1.70, tally: panasonik}\n"
        "inputs:\n  desk: {type: midi, port: \"*nano*\"}\n"
    ))
    [problem] = problems_of(path)
    assert "studio.yaml:2:" in problem and "cameras.altar.tally" in problem
    assert "did you mean 'panasonic'" in problem


def test_check_refuses_what_a_panasonic_camera_cannot_do(tmp_path: Path) -> None:
    path = write(tmp_path, "studio.yaml", (
        "cameras:\n  altar: {protocol: panasonic-aw, url: http://192.168.1.70}\n"
        "inputs:\n  desk: {type: midi, port: \"*nano*\"}\n"
        "bindings:\n"
        "  - {input: desk, note: 1, action: autofocus, mode: on}\n"
        "  - {input: desk, note: 2, action: power, mode: off}\n"
        "  - {input: desk, note: 3, action: preset, preset: 4, clear: true}\n"
        "  - {input: desk, note: 4, action: jog, pan: 0.5, duration: 0.5}\n"
        "  - {input: desk, note: 5, action: iris, mode: up}\n"
    ))
    problems = problems_of(path)
    assert len(problems) == 2, problems
    assert "bindings[3]" in problems[0] and "jog" in problems[0]
    assert "bindings[4]" in problems[1] and "iris" in problems[1]
