"""The HTTP API and WebSocket of a running daemon, driven with aiohttp's own client against
simulated cameras: every route, errors with valid values, the token, 413, the hold (on the
fake clock), WebSocket pushes and commands, and a closed socket stopping what it moved."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from api_rig import api_rig, free_port
from helpers import run, until
from ptzmapd.api.state import apply_changes
from ptzmapd.clock import FakeClock

TOKEN = "correct-horse-battery-staple"


async def post(session: aiohttp.ClientSession, url: str, body: object = None, **kwargs: Any) -> tuple[int, Any]:
    async with session.post(url, json=body, **kwargs) as response:
        return response.status, await response.json()


async def get(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with session.get(url, **kwargs) as response:
        return response.status, await response.json()


def test_state_has_the_issue_shape(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            status, state = await get(session, rig.url + "/api/state")
            assert status == 200 and set(state) == {"selected", "cameras", "inputs", "switchers"}
            assert state["selected"] == "stage" and list(state["cameras"]) == ["stage", "pulpit"]
            stage = state["cameras"]["stage"]
            assert {"online", "moving", "speeds", "position", "tally", "program", "preview", "selected"} <= set(stage)
            assert stage["online"] is True and stage["selected"] is True and state["cameras"]["pulpit"]["selected"] is False
            assert stage["tally"] == "off" and set(stage["speeds"]) == {"pan", "tilt", "zoom", "focus"}

    run(body)


def test_select_preset_action_stop_and_move_reach_the_cameras(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 5\n") as rig, aiohttp.ClientSession() as session:
            assert await post(session, rig.url + "/api/select/pulpit") == (200, {"selected": "pulpit"})
            assert (await get(session, rig.url + "/api/state"))[1]["selected"] == "pulpit"
            assert await post(session, rig.url + "/api/cameras/selected/preset/3") == (200, {"cameras": ["pulpit"]})
            assert await post(session, rig.url + "/api/cameras/stage/preset/4", {"store": True}) == (200, {"cameras": ["stage"]})
            assert await post(session, rig.url + "/api/cameras/stage/preset/5", {"clear": True}) == (200, {"cameras": ["stage"]})
            assert await post(session, rig.url + "/api/cameras/all/action", {"action": "tally", "mode": "on"}) == (
                200, {"cameras": ["stage", "pulpit"]})
            await until(lambda: "preset recall 3" in rig.pulpit.received and "tally on" in rig.pulpit.received)
            await until(lambda: rig.stage.received[-3:] == ["preset store 4", "preset reset 5", "tally on"])

            status, answer = await post(session, rig.url + "/api/cameras/stage/move", {"pan": -1, "zoom": 1})
            assert status == 200 and answer == {"cameras": ["stage"], "hold": 5.0}
            await until(lambda: "pan left 0x18, tilt stop" in rig.stage.received and "zoom tele 7" in rig.stage.received)
            assert (await get(session, rig.url + "/api/state"))[1]["cameras"]["stage"]["moving"] is True
            assert await post(session, rig.url + "/api/cameras/stage/stop") == (200, {"cameras": ["stage"]})
            await until(lambda: rig.stage.received[-3:] == ["pan stop, tilt stop", "zoom stop", "focus stop"])

    run(body)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "valid"),
    [
        ("post", "/api/select/balcony", None, 404, "camera", ["stage", "pulpit", "next", "previous", "all"]),
        ("post", "/api/cameras/balcony/stop", None, 404, "camera", ["stage", "pulpit", "selected", "all"]),
        ("post", "/api/cameras/stage/preset/x", None, 400, "preset", ["0..127"]),
        ("post", "/api/cameras/stage/preset/200", None, 400, "preset", ["0..127"]),
        ("post", "/api/cameras/stage/preset/2", {"store": True, "clear": True}, 400, "store", ["store", "clear"]),
        ("post", "/api/cameras/stage/preset/2", {"stor": True}, 400, "stor", ["store", "clear"]),
        ("post", "/api/cameras/stage/move", {"pan": 2}, 400, "pan", ["-1..1"]),
        ("post", "/api/cameras/stage/move", {"tilt": "NaN"}, 400, "tilt", ["-1..1"]),
        ("post", "/api/cameras/stage/move", {"yaw": 1}, 400, "yaw", ["pan", "tilt", "zoom", "focus"]),
        ("post", "/api/cameras/stage/action", {"action": "tally", "mode": "blue"}, 400, "mode", ["on", "off", "flash"]),
        ("post", "/api/cameras/stage/action", {"action": "raw"}, 400, "action", None),
        ("post", "/api/cameras/stage/move", [1, 2], 400, "body", ["a JSON object"]),
        ("get", "/api/cameras/stage/move", None, 405, "method", ["POST"]),
        ("get", "/api/nothing", None, 404, "path", None),
        ("get", "/web/../../etc/passwd", None, 404, "path", None),
        ("get", "/web/secrets.txt", None, 404, "name", ["index.html", "app.js", "style.css"]),
    ],
)
def test_errors_are_json_with_the_valid_values_and_a_status_that_means_it(
    tmp_path: Path, method: str, path: str, body: object, status: int, field: str, valid: list[str] | None,
) -> None:
    async def main() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            before = list(rig.stage.received)
            async with session.request(method, rig.url + path, json=body) as response:
                answer = await response.json()
                assert response.status == status, answer
            assert answer["field"] == field and answer["error"]
            if valid is not None:
                assert answer["valid"] == valid
            else:
                assert answer["valid"]  # some valid values are named
            await asyncio.sleep(0.1)
            assert rig.stage.received == before  # nothing reached the camera

    run(main)


def test_malformed_json_is_400_and_logged_once_per_interval(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            for _ in range(5):
                async with session.post(rig.url + "/api/cameras/stage/move", data=b"{pan: 1") as response:
                    assert response.status == 400 and (await response.json())["field"] == "body"

    with caplog.at_level(logging.WARNING, "ptzmapd"):
        run(body)
    assert len([r for r in caplog.records if "not JSON" in r.getMessage()]) == 1


def test_a_body_over_64_kib_is_413(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            big = b'{"pan": 1, "pad": "' + b"x" * (65 * 1024) + b'"}'
            async with session.post(rig.url + "/api/cameras/stage/move", data=big) as response:
                assert response.status == 413 and "64 KiB" in (await response.json())["error"]

            async def chunks() -> Any:  # no Content-Length: the limit holds while reading
                for _ in range(70):
                    yield b"x" * 1024

            async with session.post(rig.url + "/api/cameras/stage/move", data=chunks()) as response:
                assert response.status == 413
            assert "pan right 0x18, tilt stop" not in rig.stage.received

    run(body)


def test_the_token_guards_every_api_route_and_is_never_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PTZMAPD_TEST_TOKEN", TOKEN)

    async def body() -> None:
        async with api_rig(tmp_path, "  token_env: PTZMAPD_TEST_TOKEN\n") as rig, aiohttp.ClientSession() as session:
            for headers in ({}, {"Authorization": "Bearer correct-horse-battery-stable"}, {"Authorization": f"Basic {TOKEN}"}):
                async with session.get(rig.url + "/api/state", headers=headers) as response:
                    assert response.status == 401 and response.headers["WWW-Authenticate"] == "Bearer"
                    assert (await response.json())["field"] == "token"
                status, _ = await post(session, rig.url + "/api/cameras/stage/preset/1", headers=headers)
                assert status == 401
            assert "preset recall 1" not in rig.stage.received
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert (await get(session, rig.url + "/api/state", headers=auth))[0] == 200
            assert (await post(session, rig.url + "/api/cameras/stage/preset/1", headers=auth))[0] == 200
            async with session.get(rig.url + "/") as page:  # the page is open: it asks for the token
                assert page.status == 200 and "<html" in await page.text()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(rig.url + "/api/ws")
            assert refused.value.status == 401
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(rig.url + "/api/ws?token=wrong")
            async with session.ws_connect(rig.url + f"/api/ws?token={TOKEN}") as ws:
                assert "cameras" in await ws.receive_json(timeout=5)

    with caplog.at_level(logging.DEBUG):
        run(body)
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals and all("/api/" in line for line in refusals)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in everything and "battery" not in everything


def test_a_move_holds_for_api_hold_on_the_fake_clock(tmp_path: Path) -> None:
    clock = FakeClock()

    async def tick_until(condition: Any, what: str) -> None:
        """Let fake time pass in small steps (the controllers pace on it) until ``condition``."""
        for _ in range(500):
            if condition():
                return
            clock.advance(0.01)
            await asyncio.sleep(0.005)
        raise AssertionError(what)

    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 0.5\n", clock=clock) as rig, aiohttp.ClientSession() as session:
            controller = rig.runtime.controllers["stage"]
            await tick_until(lambda: controller.state.online and controller.idle, "stage answers")
            for _ in range(3):  # repeated within the hold: keeps moving
                assert (await post(session, rig.url + "/api/cameras/stage/move", {"pan": 1}))[0] == 200
                moved_at = clock.now()
                await tick_until(lambda: rig.stage.received[-1] == "pan right 0x18, tilt stop", "the pan")
                clock.advance(0.45 - (clock.now() - moved_at))
                await asyncio.sleep(0.05)
                assert rig.stage.received[-1] == "pan right 0x18, tilt stop"
            clock.advance(0.1)  # 0.55 s since the last move: the stream stopped
            await tick_until(lambda: rig.stage.received[-1] == "pan stop, tilt stop", "the stop")
            assert rig.stage.received.count("pan right 0x18, tilt stop") == 1  # repeats changed nothing on the wire

    run(body)


def test_websocket_pushes_the_state_then_changes_and_takes_commands(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 5\n") as rig, aiohttp.ClientSession() as session:
            async with session.ws_connect(rig.url + "/api/ws") as ws:
                state = await ws.receive_json(timeout=5)
                assert set(state) == {"selected", "cameras", "inputs", "switchers"} and state["selected"] == "stage"
                await ws.send_json({"cmd": "select", "camera": "pulpit"})
                replies: list[dict[str, Any]] = []

                async def until_reply(cmd: str) -> dict[str, Any]:
                    while True:
                        message = await ws.receive_json(timeout=5)
                        if "reply" in message:
                            replies.append(message)
                            if message["reply"] == cmd:
                                return message
                        else:
                            assert set(message) <= {"selected", "cameras", "inputs", "switchers"}
                            apply_changes(state, message)

                assert await until_reply("select") == {"reply": "select", "ok": True, "selected": "pulpit"}
                while state["selected"] != "pulpit":  # the push that follows carries only the change
                    message = await ws.receive_json(timeout=5)
                    apply_changes(state, message)
                assert state["cameras"]["pulpit"]["selected"] is True and state["cameras"]["stage"]["selected"] is False

                await ws.send_json({"cmd": "preset", "camera": "stage", "preset": 7})
                assert (await until_reply("preset"))["cameras"] == ["stage"]
                await ws.send_json({"cmd": "action", "camera": "stage", "action": "home"})
                assert (await until_reply("action"))["ok"] is True
                await ws.send_json({"cmd": "preset", "camera": "stage", "preset": 700})
                refused = await until_reply("preset")
                assert refused["ok"] is False and refused["field"] == "preset" and refused["valid"] == ["0..127"]
                await ws.send_json({"cmd": "fly", "camera": "stage"})
                assert (await until_reply("fly"))["valid"] == ["select", "preset", "move", "stop", "action", "ping"]
                await ws.send_str("not json at all")  # ignored (logged), the socket stays
                await ws.send_json({"cmd": "move", "camera": "pulpit", "tilt": 1})
                assert (await until_reply("move"))["ok"] is True
                await until(lambda: "pan stop, tilt up 0x14" in rig.pulpit.received)
                while not state["cameras"]["pulpit"]["moving"]:
                    apply_changes(state, await ws.receive_json(timeout=5))
                assert state["cameras"]["pulpit"]["speeds"]["tilt"] == 1
                await until(lambda: "preset recall 7" in rig.stage.received and "home" in rig.stage.received)
            # The socket closed long before the 5 s hold: its move stops now.
            await until(lambda: rig.pulpit.received[-1] == "pan stop, tilt stop", timeout=2)

    run(body)


def test_a_misspelt_key_is_refused_over_the_websocket_as_over_http_never_half_obeyed(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 5\n") as rig, aiohttp.ClientSession() as session:
            async with session.ws_connect(rig.url + "/api/ws") as ws:
                await ws.receive_json(timeout=5)

                async def reply(command: dict[str, Any]) -> dict[str, Any]:
                    await ws.send_json(command)
                    while "reply" not in (message := await ws.receive_json(timeout=5)):
                        pass
                    return message

                # "stor" for "store": obeyed without it, the camera would recall preset 4.
                refused = await reply({"cmd": "preset", "camera": "stage", "preset": 4, "stor": True})
                assert (refused["ok"], refused["field"], refused["valid"]) == (False, "stor", ["preset", "store", "clear"])
                refused = await reply({"cmd": "action", "camera": "stage", "action": "tally", "mod": "on"})
                assert (refused["ok"], refused["field"], refused["valid"]) == (False, "mod", ["action", "mode", "level"])
                refused = await reply({"cmd": "move", "camera": "stage", "pan": 0.5, "tlit": 0.5})
                assert (refused["ok"], refused["field"]) == (False, "tlit")
                refused = await reply({"cmd": "preset", "camera": "stage", "preset": 4, "store": "yes"})
                assert (refused["ok"], refused["field"]) == (False, "store")
                assert (await reply({"cmd": "preset", "camera": "stage", "preset": 5}))["ok"] is True
            async with session.post(rig.url + "/api/cameras/stage/preset/4", json={"stor": True}) as answer:
                assert answer.status == 400 and (await answer.json())["field"] == "stor"
            await until(lambda: "preset recall 5" in rig.stage.received, "the good command")
            assert not any(line.startswith(("preset recall 4", "preset store 4", "pan right")) for line in rig.stage.received)

    run(body)


def test_two_sockets_are_two_clients_and_one_leaving_stops_only_its_own(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path, "  hold: 5\n") as rig, aiohttp.ClientSession() as session:
            first = await session.ws_connect(rig.url + "/api/ws")
            second = await session.ws_connect(rig.url + "/api/ws")
            await first.send_json({"cmd": "move", "camera": "stage", "pan": 1})
            await second.send_json({"cmd": "move", "camera": "pulpit", "zoom": -1})
            await until(lambda: "pan right 0x18, tilt stop" in rig.stage.received and "zoom wide 7" in rig.pulpit.received)
            await first.close()
            await until(lambda: rig.stage.received[-1] == "pan stop, tilt stop")
            await asyncio.sleep(0.2)
            assert rig.pulpit.received[-1] == "zoom wide 7"
            await second.close()
            await until(lambda: rig.pulpit.received[-1] == "zoom stop")

    run(body)


def test_shutdown_closes_the_sockets_and_the_listener(tmp_path: Path) -> None:
    async def body() -> None:
        port = free_port()
        async with api_rig(tmp_path, "  hold: 5\n", port=port) as rig, aiohttp.ClientSession() as session:
            ws = await session.ws_connect(rig.url + "/api/ws")
            await ws.send_json({"cmd": "move", "camera": "stage", "pan": -1})
            await until(lambda: "pan left 0x18, tilt stop" in rig.stage.received)
            await rig.runtime.shutdown()
            assert rig.stage.received[-1] != "pan left 0x18, tilt stop"
            while (message := await ws.receive(timeout=5)).type == aiohttp.WSMsgType.TEXT:
                pass  # the state, and its pushes, until the daemon closes the socket
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(rig.url + "/api/state")

    run(body)


def test_nothing_listens_without_an_api_section(tmp_path: Path) -> None:
    async def body() -> None:
        from ptzmapd.app.assemble import assemble
        from ptzmapd.clock import MonotonicClock
        from ptzmapd.config.loader import load_config

        path = tmp_path / "plain.yaml"
        path.write_text("cameras:\n  stage: {protocol: visca-ip, host: 127.0.0.2, port: 9}\n")
        runtime = await assemble(load_config(path), MonotonicClock(), logging.getLogger("ptzmapd"))
        try:
            assert runtime.remote is None and runtime.front_ends == []
        finally:
            await runtime.shutdown(grace=0.1)

    run(body)


def test_a_port_in_use_is_an_error_that_says_so(tmp_path: Path) -> None:
    async def body() -> None:
        port = free_port()
        blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
        try:
            from ptzmapd.errors import PtzmapdError

            with pytest.raises(PtzmapdError, match=f"api.http: cannot listen on 127.0.0.1:{port}"):
                async with api_rig(tmp_path, port=port):
                    pass
        finally:
            blocker.close()

    run(body)


def test_another_sites_page_and_a_rebound_name_are_refused(tmp_path: Path) -> None:
    async def body() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            host = rig.url.removeprefix("http://")
            status, answer = await post(session, rig.url + "/api/cameras/stage/preset/1", headers={"Origin": "http://evil.example"})
            assert status == 403 and answer["field"] == "origin" and "evil.example" in answer["error"]
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(rig.url + "/api/ws", headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403
            # DNS rebinding: evil.example resolved to 127.0.0.1; the browser calls it same-origin.
            port = host.rpartition(":")[2]
            rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
            assert (await get(session, rig.url + "/api/state", headers=rebound))[0] == 403
            assert "preset recall 1" not in rig.stage.received
            # The page itself, same origin, and scripts without Origin are served.
            assert (await post(session, rig.url + "/api/cameras/stage/preset/1", headers={"Origin": rig.url}))[0] == 200
            assert (await get(session, f"http://localhost:{port}/api/state"))[0] == 200

    run(body)


def test_pushes_go_out_once_per_push_interval_on_the_fake_clock(tmp_path: Path) -> None:
    from ptzmapd.api.websocket import PUSH_INTERVAL

    clock = FakeClock()

    async def body() -> None:
        async with api_rig(tmp_path, clock=clock) as rig, aiohttp.ClientSession() as session:
            async with session.ws_connect(rig.url + "/api/ws") as ws:
                state = await ws.receive_json(timeout=5)
                assert state["selected"] == "stage"
                for camera in ("pulpit", "stage", "pulpit"):  # three changes within one interval
                    assert (await post(session, rig.url + f"/api/select/{camera}"))[0] == 200
                with pytest.raises(asyncio.TimeoutError):  # the clock has not moved: nothing yet
                    await ws.receive_json(timeout=0.3)
                clock.advance(PUSH_INTERVAL)
                push = await ws.receive_json(timeout=5)
                assert push["selected"] == "pulpit" and "inputs" not in push  # only the changes, once
                clock.advance(PUSH_INTERVAL)
                with pytest.raises(asyncio.TimeoutError):  # nothing changed: nothing sent
                    await ws.receive_json(timeout=0.3)

    run(body)
