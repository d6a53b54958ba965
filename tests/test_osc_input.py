"""The OSC input (``type: osc``): its config, its values, and a TouchOSC-like sender (python-osc's
own client) driving a simulated camera through the whole daemon."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from helpers import problems_of, run, until, write
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize
from ptzmapd.events import ControlEvent
from ptzmapd.inputs.osc.input import OscInput, control_value
from ptzmapd.simulators.visca import start_simulator

#: The issue's example, as written (cameras added: a config needs one).
ISSUE_EXAMPLE = """\
cameras:
  cam1: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  touchosc: {type: osc, listen: 0.0.0.0:8000, allow: [192.168.1.0/24]}   # OSC as a mappable input, like MIDI
bindings:
  - {input: touchosc, address: /1/fader1, action: pan}     # float 0..1 (bipolar around 0.5 by default)
  - {input: touchosc, address: /1/push3, action: preset, preset: 3}
"""


def test_the_issues_example_loads_as_written(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "studio.yaml", ISSUE_EXAMPLE))
    touchosc = config.inputs["touchosc"]
    assert (touchosc.type, touchosc.listen.host, touchosc.listen.port) == ("osc", "0.0.0.0", 8000)  # type: ignore[union-attr]
    assert [str(network) for network in touchosc.allow] == ["192.168.1.0/24"]
    assert [(b.control, b.number, b.action, b.range) for b in config.bindings] == [
        ("address", "/1/fader1", "pan", "bipolar"), ("address", "/1/push3", "preset", None),
    ]
    assert "input touchosc: osc listening on 0.0.0.0:8000 from 192.168.1.0/24, 2 bindings" in summarize(config)


def test_an_osc_input_beyond_loopback_without_allow_is_refused_at_its_listen_line(tmp_path: Path) -> None:
    path = write(tmp_path, "studio.yaml", ISSUE_EXAMPLE.replace(", allow: [192.168.1.0/24]", ""))
    assert problems_of(path) == [
        f"{path}:4:33: inputs.touchosc.listen: an osc input listening on 0.0.0.0:8000 (beyond this machine) "
        "needs 'allow: [CIDR, …]', the sender networks it obeys, e.g. allow: [192.168.1.0/24]"
    ]


@pytest.mark.parametrize("listen", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"])
def test_an_osc_input_on_loopback_needs_no_allow(tmp_path: Path, listen: str) -> None:
    text = ISSUE_EXAMPLE.replace("listen: 0.0.0.0:8000, allow: [192.168.1.0/24]", f'listen: "{listen}"')
    assert load_config(write(tmp_path, "studio.yaml", text)).inputs["touchosc"].allow == ()


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("listen: 0.0.0.0:8000", "listen: 0.0.0.0",
     "4:33: inputs.touchosc.listen: expected HOST:PORT (like 127.0.0.1:8780), got '0.0.0.0'"),
    ("listen: 0.0.0.0:8000", "listen: 0.0.0.0:80000",
     "4:33: inputs.touchosc.listen: the port must be a number 1..65535, not '80000'"),
    ("allow: [192.168.1.0/24]", "allow: [192.168.1.0/33]",
     "4:54: inputs.touchosc.allow: expected a network in CIDR form (e.g. 192.168.1.0/24), got '192.168.1.0/33'"),
    ("allow: [192.168.1.0/24]", "allow: []",
     "4:54: inputs.touchosc.allow: expected a list of networks (CIDR, e.g. [192.168.1.0/24]), got a list"),
    ("address: /1/fader1", "address: 1/fader1",
     "6:32: bindings[0].address: expected an OSC address such as /1/fader1, got '1/fader1'"),
    ("address: /1/fader1", "address: '/1/*'",
     "6:32: bindings[0].address: expected an OSC address such as /1/fader1, got '/1/*' ('*' is not allowed in an address)"),
    ("address: /1/fader1", "cc: 7", "6:23: bindings[0].cc: key 'cc' does not apply to input type 'osc'"),
    ("type: osc,", "type: osc, port: x,", "4:25: inputs.touchosc.port: key 'port' does not apply to type 'osc'"),
])
def test_bad_osc_settings_are_refused_with_their_place(tmp_path: Path, old: str, new: str, problem: str) -> None:
    path = write(tmp_path, "studio.yaml", ISSUE_EXAMPLE.replace(old, new))
    assert problems_of(path) == [f"{path}:{problem}"]


def test_a_midi_input_has_no_address_and_an_osc_input_needs_listen(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("type: osc, listen: 0.0.0.0:8000, allow: [192.168.1.0/24]", 'type: midi, port: "*x*"')
    path = write(tmp_path, "studio.yaml", text)
    assert f"{path}:6:23: bindings[0].address: key 'address' does not apply to input type 'midi'" in problems_of(path)
    path = write(tmp_path, "bare.yaml", ISSUE_EXAMPLE.replace("listen: 0.0.0.0:8000, allow: [192.168.1.0/24]", ""))
    assert f"{path}:4:3: inputs.touchosc: missing key 'listen' (required for type 'osc')" in problems_of(path)


def test_two_udp_listeners_on_one_port_are_refused_by_check_at_the_second(tmp_path: Path) -> None:
    # run could not bind the second socket ("address in use"): check must say so first.
    text = ISSUE_EXAMPLE.replace("0.0.0.0:8000", "0.0.0.0:9000") + "api:\n  osc: 127.0.0.1:9000\n  http: 127.0.0.1:9000\n"
    path = write(tmp_path, "studio.yaml", text)
    assert problems_of(path) == [
        f"{path}:9:8: api.osc: UDP port 9000 is taken by inputs.touchosc.listen (0.0.0.0:9000 at {path}:4:33); "
        "two listeners cannot share a UDP port: give one another port"
    ]
    two = "  touch2: {type: osc, listen: 127.0.0.1:9001}\n  touch3: {type: osc, listen: 127.0.0.1:9001}\nbindings:"
    path = write(tmp_path, "two.yaml", ISSUE_EXAMPLE.replace("bindings:", two))
    assert [problem.split(": ", 2)[1] for problem in problems_of(path)] == ["inputs.touch3.listen"]
    # A TSL tally feed listens on UDP too.
    tsl = "switchers:\n  hub: {type: tsl, host: 0.0.0.0, port: 8000, sources: {1: cam1}}\n"
    path = write(tmp_path, "tsl.yaml", ISSUE_EXAMPLE + tsl)
    assert problems_of(path) == [
        f"{path}:9:3: switchers.hub: UDP port 8000 is taken by inputs.touchosc.listen (0.0.0.0:8000 at {path}:4:33); "
        "two listeners cannot share a UDP port: give one another port"
    ]


@pytest.mark.parametrize(("first", "second"), [
    ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("127.0.0.1", "0.0.0.0"), ("::", "127.0.0.1"),
    ("::1", "::"), ("127.0.0.1", "127.0.0.2"), ("::1", "127.0.0.1"), ("0.0.0.0", "::1"),
])
def test_which_udp_listeners_clash_is_what_the_system_says(first: str, second: str) -> None:
    from ptzmapd.config.model import Listener, Mark
    from ptzmapd.config.network import shared_port_problems

    def bound(host: str, port: int) -> socket.socket:
        one = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        one.bind((host, port))
        return one

    with bound(first, 0) as taken:
        port = taken.getsockname()[1]
        try:
            bound(second, port).close()
            clash = False
        except OSError:
            clash = True
    listeners = [(path, Listener(host, port, Mark("c.yaml", line, 1))) for line, (path, host) in
                 enumerate((("inputs.a.listen", first), ("api.osc", second)), start=1)]
    assert bool(shared_port_problems(listeners)) == clash


@pytest.mark.parametrize(("argument", "value"), [
    (0.25, 0.25), (1, 1.0), (0, 0.0), (True, 1.0), (False, 0.0), ("go", None), (float("nan"), None),
    (float("inf"), None), (b"\x00", None),
])
def test_osc_arguments_as_control_values(argument: object, value: float | None) -> None:
    assert control_value(argument) == value


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _osc_config(tmp_path: Path, osc_port: int, camera_port: int, extra: str = "", allow: str = "") -> str:
    return write(tmp_path, "studio.yaml", f"""\
cameras:
  cam1: {{protocol: visca-ip, host: 127.0.0.2, port: {camera_port}}}
inputs:
  touchosc: {{type: osc, listen: "127.0.0.1:{osc_port}"{allow}}}
bindings:
  - {{input: touchosc, address: /1/fader1, action: pan}}
  - {{input: touchosc, address: /1/push3, action: preset, preset: 3}}
  - {{input: touchosc, address: /1/zoom, action: zoom, range: unipolar}}
  - {{input: touchosc, address: /1/home, action: home}}
{extra}""")


def test_touchosc_faders_and_buttons_drive_a_camera_and_junk_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    async def body() -> None:
        camera = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        osc_port = _free_udp_port()
        runtime = await assemble(load_config(_osc_config(tmp_path, osc_port, camera.port)), MonotonicClock(),
                                 logging.getLogger("ptzmapd"))
        sender = SimpleUDPClient("127.0.0.1", osc_port)
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            assert runtime.inputs["touchosc"].connected
            sender.send_message("/1/fader1", 1.0)  # a float fader at the top: full right
            await until(lambda: camera.received[-1:] == ["pan right 0x18, tilt stop"], "pan right")
            sender.send_message("/1/fader1", 0.5)  # back in the middle: stop
            await until(lambda: camera.received[-1:] == ["pan stop, tilt stop"], "pan stop")
            sender.send_message("/1/fader1", 0.0)
            await until(lambda: camera.received[-1:] == ["pan left 0x18, tilt stop"], "pan left")
            sender.send_message("/1/fader1", 0.51)  # "in the middle" by hand: still a stop
            await until(lambda: camera.received[-1:] == ["pan stop, tilt stop"], "stop near the middle")
            sender.send_message("/1/push3", 1.0)  # a push button: press...
            sender.send_message("/1/push3", 0.0)  # ...and release: one recall
            await until(lambda: "preset recall 3" in camera.received, "preset 3")
            sender.send_message("/1/zoom", 1)  # an int, unipolar: 1 is full tele, 0 is the stop
            await until(lambda: camera.received[-1:] == ["zoom tele 7"], "zoom tele")
            sender.send_message("/1/zoom", 0)
            await until(lambda: camera.received[-1:] == ["zoom stop"], "zoom stop")
            sender.send_message("/1/home", [])  # no argument: a trigger, as Companion sends it
            await until(lambda: "home" in camera.received, "home")

            with caplog.at_level(logging.WARNING, logger="ptzmapd"):
                for _ in range(20):  # garbage, twice over: a log line per kind, not per packet
                    raw.sendto(b"\xff\x00garbage", ("127.0.0.1", osc_port))
                    sender.send_message("/1/fader1", "left")
                sender.send_message("/1/fader1", 1.0)  # still listening
                await until(lambda: camera.received[-1:] == ["pan right 0x18, tilt stop"], "pan after garbage")
            malformed = [r for r in caplog.records if "malformed OSC packet" in r.getMessage()]
            not_numbers = [r for r in caplog.records if "not a number" in r.getMessage()]
            assert len(malformed) == 1 and len(not_numbers) == 1
            assert "/1/fader1 'left' from 127.0.0.1" in not_numbers[0].getMessage()
        finally:
            raw.close()
            await runtime.shutdown()
            await camera.close()
        assert "pan stop, tilt stop" in camera.received[-3:]  # shutdown stops what the fader moved
        assert not runtime.inputs["touchosc"].connected

    run(body)


def test_senders_outside_allow_are_ignored_with_a_rate_limited_line(caplog: pytest.LogCaptureFixture) -> None:
    from ptzmapd.config.model import InputConfig, Listener, Mark
    import ipaddress

    async def body() -> None:
        clock = FakeClock()
        events: list[ControlEvent] = []
        states: list[tuple[str, bool]] = []
        config = InputConfig("booth", "osc", Mark("t.yaml", 1, 1), listen=Listener("127.0.0.1", 0, Mark("t.yaml", 1, 1)),
                             allow=(ipaddress.ip_network("127.0.0.2/32"),))
        device = OscInput(config, events.append, lambda name, up: states.append((name, up)),
                          asyncio.get_running_loop(), clock=clock, log=logging.getLogger("ptzmapd"))
        await device.start()
        assert states == [("booth", True)] and device.bound is not None
        port = device.bound[1]
        outside = SimpleUDPClient("127.0.0.1", port)  # sends from 127.0.0.1: not allowed
        inside = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        inside.bind(("127.0.0.2", 0))
        try:
            with caplog.at_level(logging.WARNING, logger="ptzmapd"):
                for _ in range(5):
                    outside.send_message("/1/fader1", 0.9)
                await asyncio.sleep(0.2)  # nothing to wait for: what is refused leaves no trace
                clock.advance(61)  # a minute on: the next refusal is news again
                outside.send_message("/1/fader1", 0.9)
                from ptzmapd.inputs.osc.endpoint import osc_datagram
                inside.sendto(osc_datagram("/1/fader1", 0.75), ("127.0.0.1", port))
                await until(lambda: len(events) == 1, "the allowed sender's message")
            refused = [r.getMessage() for r in caplog.records if "outside 'allow'" in r.getMessage()]
            assert refused == [
                "osc input 'booth': ignored a message from 127.0.0.1, outside 'allow'",
                "osc input 'booth': ignored a message from 127.0.0.1, outside 'allow' "
                "(4 more like it since the last such line)",
            ]
            assert events == [ControlEvent("booth", "address", "/1/fader1", 0.75, None, clock.now())]
        finally:
            inside.close()
            await device.close()
        assert not device.connected

    run(body)


def test_a_port_in_use_is_an_error_that_says_so(tmp_path: Path) -> None:
    from ptzmapd.errors import PtzmapdError

    async def body() -> None:
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        taken.bind(("127.0.0.1", 0))
        camera = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        try:
            config = load_config(_osc_config(tmp_path, taken.getsockname()[1], camera.port))
            with pytest.raises(PtzmapdError, match=r"osc input 'touchosc': cannot listen on 127\.0\.0\.1:\d+: "):
                await assemble(config, MonotonicClock(), logging.getLogger("ptzmapd"))
        finally:
            taken.close()
            await camera.close()

    run(body)


def test_osc_events_carry_the_daemons_clock_which_the_deadman_compares(tmp_path: Path) -> None:
    """The deadman (tests/test_mapping.py) compares event times with the daemon's clock: the
    OSC input stamps its events with it (a fake one here), and takes ``deadman:``."""
    text = ISSUE_EXAMPLE.replace("allow: [192.168.1.0/24]", "allow: [192.168.1.0/24], deadman: 0.5")
    assert load_config(write(tmp_path, "studio.yaml", text)).inputs["touchosc"].deadman == 0.5
    from ptzmapd.config.model import InputConfig, Listener, Mark

    async def body() -> None:
        clock = FakeClock(start=50.0)
        events: list[ControlEvent] = []
        device = OscInput(InputConfig("booth", "osc", Mark("t.yaml", 1, 1), listen=Listener("127.0.0.1", 0, Mark("t.yaml", 1, 1)),
                                      deadman=0.5),
                          events.append, lambda name, up: None, asyncio.get_running_loop(), clock=clock)
        await device.start()
        try:
            assert device.bound is not None
            SimpleUDPClient("127.0.0.1", device.bound[1]).send_message("/xy", 0.9)
            await until(lambda: len(events) == 1)
            assert events[0].time == 50.0
        finally:
            await device.close()

    run(body)


def test_learn_prints_osc_addresses_and_binding_lines_for_them(tmp_path: Path) -> None:
    """``ptzmapd learn`` on a configured OSC input: each address in a binding's words, a fader
    guessed as a motion, a 0/1 button as a preset, and one that moves on as a fader after all."""
    import io

    from ptzmapd.learn import learn

    async def body() -> None:
        osc_port = _free_udp_port()
        config = load_config(_osc_config(tmp_path, osc_port, 52381))
        until_done, out = asyncio.Event(), io.StringIO()
        task = asyncio.create_task(learn(config, until_done, out, clock=FakeClock()))
        sender = SimpleUDPClient("127.0.0.1", osc_port)
        wanted = [
            f"# listening to touchosc: osc listening on 127.0.0.1:{osc_port}",
            "# touchosc: connected",
            "touchosc address /1/fader1 = 0.42",
            "  - {input: touchosc, address: /1/fader1, action: pan}",
            "touchosc address /1/push3 = 1",
            "  - {input: touchosc, address: /1/push3, action: preset, preset: 1}",
            "touchosc address /2/xy = 0",
            "  - {input: touchosc, address: /2/xy, action: preset, preset: 2}",
            "  - {input: touchosc, address: /2/xy, action: tilt}",
        ]
        try:
            await until(lambda: "# touchosc: connected" in out.getvalue(), "learn listening")
            sender.send_message("/1/fader1", 0.42)
            sender.send_message("/1/push3", 1.0)
            sender.send_message("/2/xy", 0.0)
            await until(lambda: "touchosc address /2/xy" in out.getvalue(), "the first /2/xy")
            sender.send_message("/2/xy", 0.3)
            await until(lambda: all(line in out.getvalue().splitlines() for line in wanted), f"{wanted} in {out.getvalue()}")
        finally:
            until_done.set()
            assert await asyncio.wait_for(task, 10) == 0

    run(body)


def test_a_touchosc_toggle_holds_an_on_off_action_while_it_is_on() -> None:
    """A toggle widget sends 1 when switched on and 0 when off: with ``mode: momentary`` the
    camera's state follows the widget's."""
    from test_mapping import Rig, bind

    rig = Rig([bind("address", "/1/toggle1", "tally", input="touchosc", mode="momentary")])  # type: ignore[arg-type]
    rig.send("address", "/1/toggle1", 1.0, channel=None, source="touchosc")  # type: ignore[arg-type]
    rig.send("address", "/1/toggle1", 0.0, channel=None, source="touchosc")  # type: ignore[arg-type]
    assert rig.frames("stage") == ["81 0A 02 02 02 FF", "81 0A 02 02 03 FF"]  # tally on, then off


def test_learn_without_a_config_listens_for_osc_where_asked(tmp_path: Path) -> None:
    """``ptzmapd learn --osc HOST:PORT``: a TouchOSC layout's addresses before any config is
    written, with the input's line for one."""
    import signal

    from procs import Proc

    port = _free_udp_port()
    learn = Proc("learn", "--osc", f"127.0.0.1:{port}", env={"MIDO_BACKEND": "mido.backends.rtmidi/LINUX_ALSA"})
    try:
        learn.wait_for(r"# move a control", timeout=20)
        assert f'#     osc: {{type: osc, listen: "127.0.0.1:{port}"}}' in learn.output
        # UDP sent before the port is bound is lost: "connected" says it is.
        learn.wait_for(r"^# osc: connected$")
        sender = SimpleUDPClient("127.0.0.1", port)
        sender.send_message("/2/xy1", 0.25)
        learn.wait_for(r"^osc address /2/xy1 = 0\.25$")
        learn.wait_for(r"^  - \{input: osc, address: /2/xy1, action: pan\}$")
        learn.signal(signal.SIGINT)
        assert learn.stop() == 0
    finally:
        learn.stop()
    bad = Proc("learn", "--osc", "127.0.0.1")
    assert bad.process.wait(timeout=20) == 2
    bad.stop()
    assert "ptzmapd: --osc: expected HOST:PORT (like 127.0.0.1:8780), got '127.0.0.1'" in bad.output
