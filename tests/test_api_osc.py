"""The OSC API (``api.osc``): python-osc's client sends the ``/ptzmapd/…`` namespace to a
running daemon with simulated cameras, python-osc's server receives the pushes; the hold and
the token's lifetime on the fake clock."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import AsyncIOOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from helpers import run, until, write
from ptzmapd.api.osc import AUTH_SECONDS, PUSH_INTERVAL, OscApi, pushed_values
from ptzmapd.api.remote import Remote
from ptzmapd.app.assemble import assemble
from ptzmapd.clock import FakeClock, MonotonicClock
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import Listener, Mark
from ptzmapd.secrets import Secret
from ptzmapd.simulators.visca import start_simulator
from test_mapping import Rig

TOKEN = "tally-ho-7"
LISTEN = Listener("127.0.0.1", 0, Mark("test.yaml", 1, 1))
PAN_RIGHT_FULL = "81 01 06 01 18 01 02 03 FF"
PAN_TILT_STOP = "81 01 06 01 01 01 03 03 FF"


class Pushes:
    """python-osc's own asyncio server, listening for what the API pushes."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self.port = 0
        self._transport: asyncio.BaseTransport | None = None

    async def start(self) -> None:
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(lambda address, *args: self.received.append((address, *args)))
        server = AsyncIOOSCUDPServer(("127.0.0.1", 0), dispatcher, asyncio.get_running_loop())
        self._transport, _ = await server.create_serve_endpoint()
        self.port = self._transport.get_extra_info("sockname")[1]

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _tally_state(runtime_selected: Any, tallies: dict[str, str]) -> Any:
    """The API state's two parts the OSC pushes read: the selection (the real pipeline's) and
    each camera's tally (the switchers' business, set by the test here)."""
    return lambda: {"selected": runtime_selected(), "cameras": {name: {"tally": t} for name, t in tallies.items()}}


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_companion_selects_moves_recalls_and_sees_the_selection_through_a_configured_daemon(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTZMAPD_TOKEN", TOKEN)

    async def body() -> None:
        cam1 = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        cam2 = await start_simulator("visca-ip", "127.0.0.2", 0, log=lambda line: None)
        osc_port = _free_udp_port()
        path = write(tmp_path, "studio.yaml", f"""\
api:
  osc: 127.0.0.1:{osc_port}
  token_env: PTZMAPD_TOKEN
  hold: 10          # real time here: no hold may end mid-test
cameras:
  cam1: {{protocol: visca-ip, host: 127.0.0.2, port: {cam1.port}}}
  cam2: {{protocol: visca-ip, host: 127.0.0.2, port: {cam2.port}}}
""")
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        companion = SimpleUDPClient("127.0.0.1", osc_port)
        pushes = Pushes()
        await pushes.start()
        try:
            with caplog.at_level(logging.INFO, logger="ptzmapd"):
                companion.send_message("/ptzmapd/cam1/pan", 1.0)  # before auth: ignored
                companion.send_message("/ptzmapd/auth", "not-it")
                await until(lambda: "wrong token" in caplog.text, "the wrong token's line")
                companion.send_message("/ptzmapd/auth", TOKEN)
                companion.send_message("/ptzmapd/subscribe", pushes.port)
                await until(lambda: len(pushes.received) == 3, "the first pushes")
                assert sorted(pushes.received) == [
                    ("/ptzmapd/cam1/tally", "off"), ("/ptzmapd/cam2/tally", "off"), ("/ptzmapd/selected", "cam1"),
                ]
                assert not any("right" in line for line in cam1.received)  # the move before auth did nothing
                refused = "ignored /ptzmapd/cam1/pan from 127.0.0.1: send /ptzmapd/auth with the token first"
                assert refused in caplog.text
                assert "osc api: wrong token from 127.0.0.1" in caplog.text
                assert "not-it" not in caplog.text and TOKEN not in caplog.text

                companion.send_message("/ptzmapd/select", "cam2")
                await until(lambda: ("/ptzmapd/selected", "cam2") in pushes.received, "the selection pushed")
                companion.send_message("/ptzmapd/selected/pan", 1.0)
                await until(lambda: cam2.received[-1:] == ["pan right 0x18, tilt stop"], "cam2 pans")
                companion.send_message("/ptzmapd/selected/pan", 0.0)
                await until(lambda: cam2.received[-1:] == ["pan stop, tilt stop"], "cam2 stops")
                companion.send_message("/ptzmapd/cam1/preset/store", 4.0)  # a whole float counts
                companion.send_message("/ptzmapd/cam1/home", [])
                await until(lambda: "preset store 4" in cam1.received and "home" in cam1.received, "store, home")
                companion.send_message("/ptzmapd/cam1/tilt", -0.5)
                await until(lambda: any(line.startswith("pan stop, tilt down") for line in cam1.received), "tilt")
                companion.send_message("/ptzmapd/cam1/stop", [])
                await until(lambda: cam1.received[-1:] == ["pan stop, tilt stop"], "the stop")
                companion.send_message("/ptzmapd/cam2/preset", 3)
                await until(lambda: "preset recall 3" in cam2.received, "recall 3")
                companion.send_message("/ptzmapd/cam2/zoom", 1.0)  # moving when the daemon stops
                await until(lambda: cam2.received[-1:] == ["zoom tele 7"], "zoom")
        finally:
            pushes.close()
            await runtime.shutdown()
            await cam1.close()
            await cam2.close()
        assert "zoom stop" in cam2.received[-3:]
        assert runtime.front_ends == []

    run(body)


def _api_on_rig(rig: Rig, token: str | None = TOKEN, hold: float = 0.5) -> tuple[OscApi, Remote, dict[str, str]]:
    remote = Remote(rig.pipeline, rig.clock, hold=hold)
    tallies = {"stage": "off", "pulpit": "off"}
    api = OscApi(remote, LISTEN, _tally_state(lambda: rig.pipeline.selected, tallies), rig.clock,
                 logging.getLogger("ptzmapd"), token=None if token is None else Secret(token))
    return api, remote, tallies


def _answer(rig: Rig) -> None:
    for wire in rig.wires.values():
        if wire.sent:
            wire.answer("90 41 FF")


def test_bad_commands_are_ignored_with_a_rate_limited_line_naming_the_valid_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rig = Rig([])

    async def body() -> None:
        api, remote, _ = _api_on_rig(rig, token=None)
        await api.start()
        assert api.bound is not None
        sender = SimpleUDPClient("127.0.0.1", api.bound[1])
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            with caplog.at_level(logging.WARNING, logger="ptzmapd"):
                for _ in range(3):  # each kind logged once, however often it comes
                    sender.send_message("/ptzmapd/nocam/pan", 0.5)
                    sender.send_message("/ptzmapd/stage/pan", 2.0)
                    sender.send_message("/ptzmapd/stage/pan", float("nan"))
                    sender.send_message("/ptzmapd/stage/preset", "three")
                    sender.send_message("/ptzmapd/stage/fly", 1.0)
                    sender.send_message("/other/thing", 1)
                    raw.sendto(b"/ptzmapd\x00\x00\x00\x00,f\x00", api.bound)  # cut short
                sender.send_message("/ptzmapd/stage/pan", 1.0)  # the listener lives on
                await until(lambda: bool(rig.wires["stage"].sent), "the good move")
            lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert "osc api: ignored /ptzmapd/nocam/pan from 127.0.0.1: no camera 'nocam' " \
                   "(valid: stage, pulpit, selected, all)" in lines
            assert any("/ptzmapd/stage/pan from 127.0.0.1: pan speed must be a number from -1 to 1, not 2.0 "
                       "(valid: -1..1)" in line for line in lines)
            assert any("preset number must be a whole number (i), not 'three'" in line for line in lines)
            assert any("/ptzmapd/stage/fly from 127.0.0.1: no OSC command 'fly' for a camera (valid: " in line
                       for line in lines)
            assert any("malformed OSC packet" in line for line in lines)
            # One line per kind: the camera, the argument, the address, the speed, the packet.
            assert len(lines) == 5, lines
            _answer(rig)
            assert rig.wires["stage"].frames == [PAN_RIGHT_FULL]
        finally:
            raw.close()
            await api.close()

    run(body)


def test_an_osc_move_holds_only_for_the_hold_unless_repeated() -> None:
    rig = Rig([])

    async def body() -> None:
        api, remote, _ = _api_on_rig(rig, token=None, hold=0.5)
        await api.start()
        assert api.bound is not None
        sender = SimpleUDPClient("127.0.0.1", api.bound[1])
        try:
            sender.send_message("/ptzmapd/stage/pan", 1.0)
            await until(lambda: bool(rig.wires["stage"].sent), "the move")
            _answer(rig)
            rig.clock.advance(0.3)
            _answer(rig)
            sender.send_message("/ptzmapd/stage/pan", 1.0)  # repeated: holds on
            await asyncio.sleep(0.2)  # the datagram's way through the loop; nothing to see
            rig.clock.advance(0.3)
            _answer(rig)
            assert rig.wires["stage"].frames == [PAN_RIGHT_FULL]
            rig.clock.advance(0.3)  # 0.6 s since the last: the stream stopped, so does the camera
            _answer(rig)
            assert rig.wires["stage"].frames == [PAN_RIGHT_FULL, PAN_TILT_STOP]
        finally:
            await api.close()

    run(body)


def test_a_sender_is_its_host_whatever_port_it_sends_from() -> None:
    """Some senders open a new socket per message: their "pan 0" must end their "pan 1"
    at once, not when the hold runs out."""
    rig = Rig([])

    async def body() -> None:
        api, remote, _ = _api_on_rig(rig, token=None, hold=600.0)
        await api.start()
        assert api.bound is not None
        press, release = SimpleUDPClient("127.0.0.1", api.bound[1]), SimpleUDPClient("127.0.0.1", api.bound[1])
        try:
            press.send_message("/ptzmapd/stage/pan", 1.0)
            await until(lambda: bool(rig.wires["stage"].sent), "the move")
            _answer(rig)
            release.send_message("/ptzmapd/stage/pan", 0.0)  # another socket, another port

            def paced() -> bool:  # the controller's pacing, 0.06 s of fake time at a look
                rig.clock.advance(0.06)
                _answer(rig)
                return len(rig.wires["stage"].frames) == 2

            await until(paced, "the stop")  # 0.06 s steps: far inside the hold
            assert rig.wires["stage"].frames == [PAN_RIGHT_FULL, PAN_TILT_STOP]
            assert rig.clock.now() - 1000.0 < 600.0  # the stop, not the hold running out
        finally:
            await api.close()

    run(body)


def test_authentication_lasts_ten_minutes_after_the_senders_last_message(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig([])

    async def body() -> None:
        api, remote, _ = _api_on_rig(rig)
        await api.start()
        assert api.bound is not None
        sender = SimpleUDPClient("127.0.0.1", api.bound[1])
        pushes = Pushes()
        await pushes.start()
        try:
            sender.send_message("/ptzmapd/auth", TOKEN)
            sender.send_message("/ptzmapd/select", "pulpit")
            await until(lambda: rig.pipeline.selected == "pulpit", "obeyed after auth")
            rig.clock.advance(AUTH_SECONDS - 1)
            sender.send_message("/ptzmapd/select", "stage")  # within the time: obeyed, and renewed
            await until(lambda: rig.pipeline.selected == "stage", "obeyed within ten minutes")
            rig.clock.advance(AUTH_SECONDS + 1)
            with caplog.at_level(logging.WARNING, logger="ptzmapd"):
                sender.send_message("/ptzmapd/select", "pulpit")
                await until(lambda: "send /ptzmapd/auth with the token first" in caplog.text, "ignored")
            assert rig.pipeline.selected == "stage"
        finally:
            pushes.close()
            await api.close()

    run(body)


def test_pushes_go_to_every_subscriber_only_while_subscribed() -> None:
    rig = Rig([])

    async def body() -> None:
        api, remote, tallies = _api_on_rig(rig, token=None)
        await api.start()
        assert api.bound is not None
        sender = SimpleUDPClient("127.0.0.1", api.bound[1])
        first, second = Pushes(), Pushes()
        await first.start()
        await second.start()
        try:
            sender.send_message("/ptzmapd/subscribe", first.port)
            sender.send_message("/ptzmapd/subscribe", second.port)
            await until(lambda: len(first.received) == 3 and len(second.received) == 3, "the first pushes")
            tallies["pulpit"] = "preview"
            rig.clock.advance(PUSH_INTERVAL)
            await until(lambda: first.received[-1] == second.received[-1] == ("/ptzmapd/pulpit/tally", "preview"))
            sender.send_message("/ptzmapd/unsubscribe", first.port)
            await asyncio.sleep(0.2)  # the datagram's way through the loop
            tallies["pulpit"] = "program"
            rig.clock.advance(PUSH_INTERVAL)
            await until(lambda: second.received[-1] == ("/ptzmapd/pulpit/tally", "program"))
            assert first.received[-1] == ("/ptzmapd/pulpit/tally", "preview")
        finally:
            first.close()
            second.close()
            await api.close()

    run(body)


def test_pushed_values_read_the_api_state() -> None:
    state = {"selected": "all", "cameras": {"a": {"tally": "program"}, "b": {"tally": None}}}
    assert pushed_values(state) == {"/ptzmapd/selected": "all", "/ptzmapd/a/tally": "program", "/ptzmapd/b/tally": "off"}
    assert pushed_values({"selected": None, "cameras": {}}) == {"/ptzmapd/selected": ""}
