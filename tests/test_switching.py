"""Switchers through the whole runtime: a simulated vMix (a real TCP server on loopback) and
simulated VISCA cameras (real UDP/TCP) — follow preview, tally bytes on the wire, switcher
actions, status — and, on the fake clock, tally hold on switcher loss and the refresh."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from helpers import problems_of, run, until, write
from ptzmapd.app.assemble import assemble
from ptzmapd.app.status import CameraStatus, StatusSnapshot, SwitcherStatus, render
from ptzmapd.app.switching import Switching
from ptzmapd.app.tally import REFRESH, CameraTally
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize
from ptzmapd.commands import PresetRecall
from ptzmapd.control.controller import CameraController
from ptzmapd.control.outcomes import Answer
from ptzmapd.control.settings import ControllerSettings
from ptzmapd.mapping.intents import SwitcherRequest
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols.visca.codec import ViscaCodec
from ptzmapd.protocols.visca.specs import VISCA_LIMITS
from ptzmapd.simulators.visca import start_simulator
from ptzmapd.simulators.atem import start as start_atem
from ptzmapd.simulators.vmix import VmixSimulator, start
from ptzmapd.switchers.base import SwitcherState
from switching import config
from wire import MemoryWire

HOST = "127.0.0.2"

STUDIO = """\
cameras:
  stage:  {{protocol: visca-udp, host: 127.0.0.2, port: {stage}, tally: ptzoptics}}
  pulpit: {{protocol: visca-tcp, host: 127.0.0.2, port: {pulpit}, tally: sony, tally_preview: true}}
  wide:   {{protocol: visca-udp, host: 127.0.0.2, port: {wide}}}
switchers:
  vision:
    type: {kind}
    host: 127.0.0.2
    port: {port}
    sources: {{"1": stage, "{second}": pulpit, "3": wide}}
    follow: preview
    live: block
bindings: []
"""


async def vmix(port: int = 0) -> VmixSimulator:
    return await start("vmix", host=HOST, port=port, log=lambda line: None, inputs=4, drive="still")


@pytest.mark.parametrize("kind", ["vmix", "atem"])
def test_follow_preview_tally_and_switcher_actions_over_a_simulated_mixer(kind: str, tmp_path: Path) -> None:
    async def body() -> None:
        simulate = {"vmix": start, "atem": start_atem}[kind]
        sim = await simulate(kind, host=HOST, port=0, log=lambda line: None, inputs=4, drive="still")
        stage = await start_simulator("visca-udp", HOST, 0, log=lambda line: None)
        pulpit = await start_simulator("visca-tcp", HOST, 0, log=lambda line: None)
        wide = await start_simulator("visca-udp", HOST, 0, log=lambda line: None)
        path = tmp_path / "studio.yaml"
        path.write_text(STUDIO.format(stage=stage.port, pulpit=pulpit.port, wide=wide.port, kind=kind, port=sim.port,
                                      second="Camera 2" if kind == "vmix" else "2"))  # a vMix input by title
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))

        def lamps(camera: object) -> dict[str, str]:
            settings = camera.camera.state(0.0).settings  # type: ignore[attr-defined]
            return {name: mode for name, mode in settings.items() if name.startswith("tally")}

        try:
            # vMix starts with input 1 on program, 2 on preview.
            await until(lambda: lamps(stage) == {"tally": "on"}, "stage lit red")
            await until(lambda: lamps(pulpit) == {"tally-red": "off", "tally-green": "on"}, "pulpit lit green")
            assert runtime.pipeline.selected == "pulpit"  # follow: preview
            assert "tally" not in " ".join(wide.received)  # wide has tally: none
            sim.mixer.cut()  # pulpit to air: its red lamp goes on before its green goes out
            await until(lambda: lamps(pulpit) == {"tally-red": "on", "tally-green": "off"}, "pulpit on air")
            # From the moment it went red, its red lamp never went out (an ATEM may show it on both
            # buses for a moment: then both lamps are lit, never neither).
            red_on = pulpit.received.index("tally-red on")
            assert "tally-red off" not in pulpit.received[red_on:]
            assert pulpit.received[red_on - 1:red_on] != ["tally-green off"]
            await until(lambda: lamps(stage) == {"tally": "off"}, "stage dark")  # no tally_preview
            assert runtime.pipeline.selected == "stage"
            # A switcher action: wide's source to preview, then cut it to air.
            runtime.pipeline.apply(SwitcherRequest("switcher-preview", "wide"))
            await until(lambda: sim.mixer.preview == 3, "wide on preview")
            runtime.pipeline.apply(SwitcherRequest("switcher-cut"))
            await until(lambda: sim.mixer.program == 3, "wide on air")
            await until(lambda: runtime.pipeline.resolve("program") == ["wide"])
            status = runtime.status().to_json()
            shown = status["switchers"]["vision"]
            assert (shown["type"], shown["connected"], shown["holding"]) == (kind, True, False)
            assert (shown["program_cameras"], shown["preview_cameras"]) == (["wide"], ["pulpit"])
            assert status["cameras"]["wide"]["tally"] == "program" and status["cameras"]["pulpit"]["tally"] == "preview"
        finally:
            await runtime.shutdown()
            # At exit no lamp claims a camera is on air.
            assert lamps(pulpit) == {"tally-red": "off", "tally-green": "off"}
            for handle in (stage, pulpit, wide):
                await handle.close()
            await sim.close()

    run(body)


class FakeClockRig:
    """Two cameras with lamps on memory wires, a pipeline, and Switching on the fake clock."""

    def __init__(self, clock: FakeClock, port: int, hold: float) -> None:
        self.clock = clock
        self.wires: dict[str, MemoryWire] = {}
        controllers = {}
        for name, dialect in (("stage", "ptzoptics"), ("pulpit", "sony")):
            wire = MemoryWire(clock)
            controller = CameraController(name, ViscaCodec(VISCA_LIMITS, tally=dialect), wire, clock,
                                          ControllerSettings(min_interval=0.05, ack_timeout=0.2))
            controller.start()
            wire.settle(controller)
            self.wires[name] = wire
            controllers[name] = controller
        self.controllers = controllers
        cfg = config("vmix", HOST, port, {"1": "stage", "2": "pulpit"})
        cfg = type(cfg)(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "tally_hold": hold})
        log = logging.getLogger("ptzmapd")
        self.tally = CameraTally(controllers, clock, log)
        self.switching = Switching({"vision": cfg}, clock, log, self.tally)
        self.pipeline = Pipeline([], controllers, clock=clock, observers=[self.tally],
                                 switchers=self.switching.rules, desk=self.switching)

    def pass_time(self, seconds: float) -> None:
        """Time passes with the cameras answering whatever they are sent."""
        for _ in range(round(seconds / 0.05)):
            self.clock.advance(0.05)
            for wire, controller in zip(self.wires.values(), self.controllers.values()):
                wire.answer_awaiting(controller)

    def answer(self) -> None:
        for wire, controller in zip(self.wires.values(), self.controllers.values()):
            wire.settle(controller, forget=False)

    def take(self, camera: str) -> list[str]:
        self.answer()
        return self.wires[camera].take()


def test_lamps_hold_through_a_lost_switcher_then_go_dark_and_come_back(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        sim = await vmix()
        port = sim.port
        rig = FakeClockRig(clock, port, hold=5.0)
        await rig.switching.start(rig.pipeline.on_buses)
        try:
            await until(lambda: rig.pipeline.resolve("program") == ["stage"], "connected")
            await asyncio.sleep(0.2)  # the rest of the greeting (input titles)
            assert rig.take("stage")[-1:] == ["81 0A 02 02 02 FF"]
            assert rig.take("pulpit")[-1:] == ["81 01 7E 01 0A 00 03 FF"]
            # Connected: every lamp again each REFRESH seconds (some cameras drop them).
            rig.pass_time(REFRESH)
            assert rig.take("stage") == ["81 0A 02 02 02 FF"] and rig.take("pulpit") == ["81 01 7E 01 0A 00 03 FF"]
            await sim.close()  # vMix is gone
            await until(lambda: not rig.switching.views()["vision"].state.connected, "the loss seen")
            with caplog.at_level(logging.WARNING):
                rig.pass_time(4.8)
                assert rig.take("stage") == []  # held: nothing changes on air
                assert rig.pipeline.resolve("program") == ["stage"]
                rig.pass_time(0.4)
            assert rig.take("stage") == ["81 0A 02 02 03 FF"]  # dark
            assert rig.pipeline.resolve("program") == []
            assert any("lost for 5 s" in r.getMessage() and "dark" in r.getMessage() for r in caplog.records)
            rig.pass_time(REFRESH)
            assert rig.take("stage") == []  # nobody connected: no refresh
            sim = await vmix(port)  # back
            for _ in range(200):
                if rig.pipeline.resolve("program") == ["stage"]:
                    break
                clock.advance(1.0)  # the reconnect's backoff, on the fake clock
                await asyncio.sleep(0.02)
            assert rig.pipeline.resolve("program") == ["stage"]
            assert "81 0A 02 02 02 FF" in rig.take("stage")  # restored
        finally:
            await rig.switching.close()
            await sim.close()

    run(body)


def test_check_refuses_what_switchers_cannot_do(tmp_path: Path) -> None:
    head = (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 127.0.0.1, tally: ptzoptics}\n"
        "  pulpit: {protocol: pelco-d, device: /dev/null, address: 1, tally: sony}\n"
        "inputs:\n"
        "  desk: {type: midi, port: nano}\n"
    )
    path = write(tmp_path, "bad.yaml", head + (
        "switchers:\n"
        "  vision:\n"
        "    type: vmixx\n"
        "    host: 127.0.0.1\n"
        "    sources: {1: stage}\n"
        "bindings:\n"
        "  - {input: desk, cc: 0, action: pan, camera: preview}\n"
    ))
    problems = problems_of(path)
    assert any("cameras.pulpit.tally: key 'tally' does not apply to protocol 'pelco-d'" in p for p in problems), problems
    assert any("switchers.vision.type: unknown switcher type 'vmixx' (did you mean 'vmix'?" in p for p in problems), problems
    path = write(tmp_path, "bad2.yaml", head.replace(", tally: sony", "") + (
        "switchers:\n"
        "  vision: {type: vmix, host: 127.0.0.1, sources: {1: stgae}}\n"
        "  other: {type: vmix, host: 127.0.0.1, sources: {2: stage}, follow: sideways}\n"
        "bindings:\n"
        "  - {input: desk, note: 1, action: switcher-cut}\n"
    ))
    problems = problems_of(path)
    assert any("bad2.yaml:7:54: switchers.vision.sources.1: unknown camera 'stgae' (did you mean 'stage'?" in p
               for p in problems), problems
    assert any("switchers.other.follow: unknown follow 'sideways'" in p for p in problems), problems
    path = write(tmp_path, "bad3.yaml", head.replace(", tally: sony", "") + (
        "switchers:\n"
        "  vision: {type: vmix, host: 127.0.0.1, sources: {1: stage}}\n"
        "  other: {type: vmix, host: 127.0.0.1, sources: {2: stage}}\n"
        "bindings:\n"
        "  - {input: desk, note: 1, action: switcher-cut}\n"
        "  - {input: desk, note: 2, action: live-override}\n"
        "  - {input: desk, note: 3, action: switcher-preview, camera: pulpit, switcher: vision}\n"
        "  - {input: desk, note: 4, action: switcher-auto, switcher: visoin}\n"
    ))
    problems = problems_of(path)
    assert any("bindings[0]: switcher-cut: which switcher? add switcher: NAME (valid: vision, other)" in p
               for p in problems), problems
    assert any("bindings[1].action: live-override lifts a live lockout, and no switcher has one" in p
               for p in problems), problems
    assert any("bindings[2].camera: camera 'pulpit' has no source on switcher 'vision'" in p for p in problems), problems
    assert any("bindings[3].switcher: unknown switcher 'visoin' (did you mean 'vision'?" in p for p in problems), problems
    path = write(tmp_path, "bad4.yaml", head.replace(", tally: sony", "") + (
        "bindings:\n"
        "  - {input: desk, cc: 0, action: pan, camera: preview}\n"
        "  - {input: desk, note: 1, action: switcher-cut}\n"
    ))
    problems = problems_of(path)
    assert any("bindings[0].camera: camera 'preview' is not allowed here" in p for p in problems), problems
    assert any("bindings[1].action: switcher-cut needs a switcher" in p for p in problems), problems


def test_url_says_where_every_type_is_as_the_issue_writes_it(tmp_path: Path) -> None:
    # The issue's comment on url: "obs: websocket URL · vmix/atem: host (vmix port 8099) ·
    # tsl: listen host:port (UDP)"; host: and port: say the same.
    head = "cameras:\n  stage: {protocol: visca-ip, host: 127.0.0.1, tally: ptzoptics}\nswitchers:\n"
    where = {}
    for kind, written in (("vmix", "url: 192.168.1.10"), ("vmix", "url: 192.168.1.10:9000"),
                          ("atem", "url: 192.168.1.240"), ("tsl", "url: 0.0.0.0:8900"),
                          ("vmix", "url: '[fd00::10]:8099'"), ("tsl", "host: 0.0.0.0, port: 8900")):
        path = write(tmp_path, "where.yaml", head + f"  vision: {{type: {kind}, {written}, sources: {{1: stage}}}}\n")
        loaded = load_config(path)
        vision = loaded.switchers["vision"]
        where[f"{kind} {written}"] = (vision.host, vision.port)
        if "fd00" in written:
            assert "switcher vision: vmix [fd00::10]:8099, 1 source" in summarize(loaded)
    assert where == {
        "vmix url: 192.168.1.10": ("192.168.1.10", 8099), "vmix url: 192.168.1.10:9000": ("192.168.1.10", 9000),
        "atem url: 192.168.1.240": ("192.168.1.240", 9910), "tsl url: 0.0.0.0:8900": ("0.0.0.0", 8900),
        "vmix url: '[fd00::10]:8099'": ("fd00::10", 8099), "tsl host: 0.0.0.0, port: 8900": ("0.0.0.0", 8900),
    }
    path = write(tmp_path, "bad.yaml", head + (
        "  a: {type: tsl, url: 0.0.0.0, sources: {1: stage}}\n"
        "  b: {type: vmix, url: tcp://10.0.0.1:8099, sources: {1: stage}}\n"
        "  c: {type: vmix, url: 10.0.0.1:8099, port: 8099, sources: {1: stage}}\n"
        "  d: {type: atem, url: 10.0.0.1, host: 10.0.0.1, sources: {1: stage}}\n"
        "  e: {type: vmix, hots: 10.0.0.1, sources: {1: stgae}}\n"
    ))
    problems = problems_of(path)
    assert any("bad.yaml:4:3: switchers.a: missing key 'port' (required for type 'tsl'" in p for p in problems), problems
    assert any("switchers.b.url: expected HOST or HOST:PORT for a vmix switcher" in p for p in problems), problems
    assert any("switchers.c.port: the port is given twice" in p for p in problems), problems
    assert any("switchers.d.host: 'url' and 'host' cannot be used together" in p for p in problems), problems
    path = write(tmp_path, "carry.yaml", head + "  vision: {type: vmix, url: 10.0.0.1, sources: {1: stage}, carry: true}\n")
    assert any("carry.yaml:4:60: switchers.vision.carry: key 'carry' does not apply to follow 'off'" in p
               for p in problems_of(path)), problems_of(path)  # check accepts no setting it ignores
    # Every mistake of one entry at once: the missing host beside the misspelt key and camera.
    assert any("bad.yaml:8:3: switchers.e: missing key 'host' (required for type 'vmix'; or url: HOST:PORT"
               in p for p in problems), problems
    assert any("switchers.e.hots: unknown key 'hots' (did you mean 'host'?" in p for p in problems), problems
    assert any("switchers.e.sources.1: unknown camera 'stgae'" in p for p in problems), problems


def test_a_tally_feed_cannot_be_driven(tmp_path: Path) -> None:
    path = write(tmp_path, "tsl.yaml", (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 127.0.0.1}\n"
        "inputs:\n"
        "  desk: {type: midi, port: nano}\n"
        "switchers:\n"
        "  hub: {type: tsl, host: 0.0.0.0, port: 8900, sources: {1: stage}, follow: preview}\n"
        "bindings:\n"
        "  - {input: desk, note: 1, action: switcher-cut}\n"
        "  - {input: desk, note: 2, action: switcher-preview, camera: stage}\n"
        "  - {input: desk, cc: 0, action: pan, camera: preview}\n"
    ))
    problems = problems_of(path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "bindings[0].action: switcher 'hub' (tsl) cannot be driven: it only reports tally "
        "(it still works for follow, tally lamps and live lockout)",
        "bindings[1].action: switcher 'hub' (tsl) cannot be driven: it only reports tally "
        "(it still works for follow, tally lamps and live lockout)",
    ]


def test_the_password_is_read_from_its_source_and_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMIX_TEST_SECRET", "hunter2-secret")
    path = write(tmp_path, "ok.yaml", (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 127.0.0.1}\n"
        "switchers:\n"
        "  vision: {type: obs, url: 'ws://127.0.0.1:4455', password_env: VMIX_TEST_SECRET, sources: {Stage: stage}}\n"
        "  mixer: {type: vmix, host: 127.0.0.1, sources: {1: stage}}\n"
        "bindings: []\n"
    ))
    loaded = load_config(path)
    obs, mixer = loaded.switchers["vision"], loaded.switchers["mixer"]
    assert obs.password == "hunter2-secret" and (obs.host, obs.port) == ("127.0.0.1", 4455)
    assert (mixer.host, mixer.port, mixer.follow, mixer.live, mixer.tally_hold) == ("127.0.0.1", 8099, "off", "off", 5.0)
    assert "hunter2" not in repr(obs) and "hunter2" not in summarize(loaded)
    path = write(tmp_path, "url.yaml", (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 127.0.0.1}\n"
        "switchers:\n"
        "  vision: {type: obs, url: 'ws://user:hunter2@127.0.0.1:4455', sources: {Stage: stage}}\n"
    ))
    problems = problems_of(path)
    assert len(problems) == 1 and "without credentials" in problems[0] and "hunter2" not in problems[0]


def test_the_readmes_switcher_configs_load_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("## Switchers")
    section = readme[start:readme.index("\n## ", start)]  # up to the next section
    blocks = section.split("```yaml\n")[1:]
    assert len(blocks) == 2
    monkeypatch.setenv("OBS_PASSWORD", "not shown")
    first, church = (block[:block.index("```")] for block in blocks)
    for name, text in (("obs.yaml", first), ("church.yaml", church)):
        loaded = load_config(write(tmp_path, name, text))
        assert loaded.switchers and loaded.bindings
    assert load_config(str(tmp_path / "church.yaml")).switchers["atem"].port == 9910


def test_status_shows_each_switcher_and_each_cameras_tally() -> None:
    snapshot = StatusSnapshot(
        config="church.yaml",
        cameras={name: CameraStatus(protocol="visca-udp", online=True, moving=False, selected=name == "pulpit",
                                    speeds={}, pan_tilt_position=None, zoom_position=None, commands_sent=3,
                                    commands_per_second=0.0, retransmissions=0, garbage_replies=0, last_error=None,
                                    stop_refused=None, tally=tally)
                 for name, tally in (("stage", "program"), ("pulpit", "preview"), ("choir", ""))},
        inputs={},
        switchers={
            "atem": SwitcherStatus(type="atem", connected=True, holding=False, program="input 1", preview="input 2",
                                   program_cameras=["stage"], preview_cameras=["pulpit"]),
            "hub": SwitcherStatus(type="tsl", connected=False, holding=True, program=None, preview=None,
                                  program_cameras=[], preview_cameras=[]),
        },
    )
    text = render(json.loads(json.dumps(snapshot.to_json())))
    lines = text.splitlines()
    assert "TALLY PROGRAM" in next(line for line in lines if " stage " in line)
    assert "TALLY PREVIEW" in next(line for line in lines if " pulpit " in line)
    assert "TALLY" not in next(line for line in lines if " choir " in line)
    assert lines[lines.index("switchers:") + 1].split() == [
        "atem", "atem", "connected", "program", "'input", "1'", "(camera", "stage),", "preview", "'input", "2'",
        "(camera", "pulpit)"]
    assert lines[lines.index("switchers:") + 2].split()[:3] == ["hub", "tsl", "HOLDING"]


def test_at_start_lamps_are_left_alone_until_a_switcher_connects_or_the_hold_ends() -> None:
    clock = FakeClock()
    rig = FakeClockRig(clock, 1, hold=5.0)  # a port nobody listens on: never started here
    rig.tally.start(5.0)
    rig.pass_time(4.5)
    assert rig.take("stage") == [] and rig.take("pulpit") == []  # a reload keeps them as they were
    rig.pass_time(0.6)
    assert rig.take("stage") == ["81 0A 02 02 03 FF"] and rig.take("pulpit") == ["81 01 7E 01 0A 00 03 FF"]
    rig.tally.close(dark=False)  # a reload: nothing more is sent
    rig.pass_time(1.0)
    assert rig.take("stage") == []

    clock = FakeClock()
    rig = FakeClockRig(clock, 1, hold=5.0)
    rig.tally.start(5.0)
    rig.tally.tally("stage", True, False)
    rig.tally.connected(True)  # a switcher is there: every lamp set now, nothing stale later
    assert rig.take("stage") == ["81 0A 02 02 02 FF", "81 0A 02 02 02 FF"]
    rig.pass_time(6.0)
    assert rig.take("stage") == []
    rig.tally.close()
    assert rig.take("stage") == ["81 0A 02 02 03 FF"]


def test_a_flapping_switcher_costs_one_lamp_command_per_answer_and_never_pushes_out_a_preset(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    rig = FakeClockRig(clock, 1, hold=5.0)
    stage = rig.controllers["stage"]
    rig.tally.tally("stage", True, False)  # on its way, not answered yet
    recall = stage.submit(PresetRecall(1))  # the operator's preset, waiting behind it
    with caplog.at_level(logging.WARNING):
        for change in range(200):  # a T-bar ridden back and forth, a feed gone mad
            rig.tally.tally("stage", change % 2 == 1, change % 2 == 0)
        rig.tally.tally("stage", False, False)  # and off the air at last
    assert not [r for r in caplog.records if "dropped" in r.getMessage()]
    sent = rig.take("stage")
    assert recall.answer is Answer.ACKNOWLEDGED
    assert "81 01 04 3F 02 01 FF" in sent
    # The first state, then only the newest: the camera ends with what the switcher shows now.
    assert [frame for frame in sent if frame.startswith("81 0A")] == ["81 0A 02 02 02 FF", "81 0A 02 02 03 FF"]


def test_tally_settings_that_would_do_nothing_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "lamps.yaml", (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 127.0.0.1, tally: sony}\n"
        "  pulpit: {protocol: visca-ip, host: 127.0.0.2, tally_preview: true}\n"
        "inputs:\n"
        "  desk: {type: midi, port: nano, feedback: nano}\n"
        "bindings:\n"
        "  - {input: desk, note: 1, action: home, led: true, led_shows: program}\n"
    ))
    assert [p.split(": ", 1)[1] for p in problems_of(path)] == [
        "cameras.stage.tally: tally lamps follow a switcher, and none is configured "
        "(add one under switchers:, or leave tally out)",
        "cameras.pulpit.tally_preview: tally_preview shows preview on the tally lamps, and this camera's "
        "tally is none (give its tally)",
        "bindings[0].led_shows: led_shows shows a switcher's tally, and none is configured",
    ]


def test_a_switcher_request_that_fails_in_its_library_is_a_log_line(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: OBS's socket closing under a cut makes simpleobsws raise websockets'
    own ConnectionClosed, which no running OBS produces on demand; here the switcher's library
    raises what a reset socket does."""

    class Failing:
        can_drive = True
        state = SwitcherState(connected=True)

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        async def start(self) -> None:
            pass

        async def close(self) -> None:
            pass

        async def preview(self, source: str) -> None:
            raise ConnectionResetError("Connection reset by peer")

        cut = auto = lambda self: self.preview("")

    monkeypatch.setattr("ptzmapd.app.switching.SWITCHERS", {"vmix": Failing})

    async def body() -> None:
        switching = Switching({"vision": config("vmix", HOST, 1, {"1": "stage"})}, FakeClock(),
                              logging.getLogger("ptzmapd"))
        await switching.start(lambda name, buses: None)
        with caplog.at_level(logging.WARNING):
            switching.request("switcher-cut", None, None)
            switching.request("switcher-preview", "stage", None)
            await until(lambda: len([r for r in caplog.records if "failed" in r.getMessage()]) == 2, "two lines")
        await switching.close()

    run(body)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == ["[vision] switcher-cut failed: Connection reset by peer",
                     "[vision] switcher-preview failed: Connection reset by peer"], lines


def test_the_issues_config_as_written_says_what_it_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's example gives bindings on input 'desk' and no inputs: section: each binding
    says so (and with the input, it loads)."""
    issue = (
        "cameras:\n"
        "  stage:  {protocol: visca-ip, host: 192.168.1.50, tally: ptzoptics}\n"
        "  pulpit: {protocol: visca-udp, host: 192.168.1.51, tally: sony}\n"
        "switchers:\n"
        "  vision:\n"
        "    type: obs                    # obs | vmix | atem | tsl\n"
        "    url: ws://127.0.0.1:4455\n"
        "    password_env: OBS_PASSWORD   # optional; never logged\n"
        "    sources: {Stage: stage, Pulpit: pulpit}\n"
        "    follow: preview\n"
        "    live: block\n"
        "    live_factor: 0.25\n"
        "bindings:\n"
        "  - {input: desk, cc: 0, action: pan, camera: preview}\n"
        "  - {input: desk, note: 20, action: live-override}\n"
        "  - {input: desk, note: 21, action: switcher-preview, camera: pulpit}\n"
        "  - {input: desk, note: 22, action: switcher-cut}\n"
    )
    monkeypatch.setenv("OBS_PASSWORD", "never shown")
    problems = problems_of(write(tmp_path, "issue.yaml", issue))
    assert len(problems) == 4 and all(
        "input: unknown input 'desk' (no input is configured: add it under inputs:)" in p for p in problems), problems
    config = load_config(write(tmp_path, "issue.yaml", issue.replace(
        "switchers:\n", "inputs:\n  desk: {type: midi, port: '*X-TOUCH MINI*'}\nswitchers:\n")))
    assert config.switchers["vision"].live == "block" and len(config.bindings) == 4
