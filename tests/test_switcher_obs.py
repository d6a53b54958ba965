"""The OBS switcher source against a real OBS Studio (tests/obs.py: headless under xvfb-run,
its websocket with a password), switched by a second websocket client as an operator would."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from helpers import run, until
from obs import Director, Obs
from ptzmapd.clock import FakeClock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.switchers.base import SwitcherError
from ptzmapd.switchers.obs import ObsSwitcher
from switching import Recorder, build, config, showing, wait_state


def names(*bases: str) -> list[str]:
    """Scene and source names of this test's own (the OBS is shared by the whole session)."""
    tag = uuid.uuid4().hex[:6]
    return [f"{base} {tag}" for base in bases]


def obs_config(obs: Obs, sources: dict[str, str], password: str | None = None) -> SwitcherConfig:
    return config("obs", "127.0.0.1", obs.port, sources, url=obs.url,
                  password=obs.password if password is None else password)


def test_program_preview_studio_mode_and_a_transition(obs: Obs) -> None:
    wide, stage = names("Wide", "Stage")

    async def body() -> None:
        async with Director(obs) as director:
            await director.scene(wide)
            await director.scene(stage)
            await director.reset(wide)
            recorder = Recorder()
            switcher = build(obs_config(obs, {wide: "wide", stage: "stage"}), recorder)
            await switcher.start()
            try:
                # No studio mode: no preview bus, preview is program.
                state = await wait_state(recorder, showing({wide}, {wide}), "wide on program, no studio mode")
                assert (state.program_name, state.preview_name) == (wide, wide)
                await director.call("SetStudioModeEnabled", studioModeEnabled=True)
                await director.call("SetCurrentPreviewScene", sceneName=stage)
                await wait_state(recorder, showing({wide}, {stage}), "stage on preview")
                await director.call("SetCurrentSceneTransitionDuration", transitionDuration=1500)
                taken_at = len(recorder.states)
                await director.call("TriggerStudioModeTransition")  # answered before the fade ends
                await wait_state(recorder, showing({stage}, {wide}), "the fade done, the old program on preview")
                programs = [s.program for s in recorder.states[taken_at:]]
                # During the fade both are on air; no state ever has neither.
                assert programs[0] == {wide, stage}
                assert all(p and (stage in p) for p in programs)
                assert programs[-1] == {stage}
            finally:
                await switcher.close()
                await director.call("SetCurrentSceneTransitionDuration", transitionDuration=300)

    run(body)


def test_nested_sources_and_their_visibility(obs: Obs) -> None:
    inner, outer, other, cam, cam2 = names("Inner", "Outer", "Other", "CamX", "CamY")

    async def body() -> None:
        async with Director(obs) as director:
            await director.scene(inner, cam)
            await director.scene(outer, nested=(inner,))
            await director.scene(other)
            await director.reset(outer)
            recorder = Recorder()
            switcher = build(obs_config(obs, {cam: "stage", inner: "wide", cam2: "pulpit"}), recorder)
            await switcher.start()
            try:
                # The camera two levels down counts, and so does the nested scene itself.
                await wait_state(recorder, showing({cam, inner}, {cam, inner}), "the nested camera on program")
                item = await director.item_id(inner, cam)
                await director.call("SetSceneItemEnabled", sceneName=inner, sceneItemId=item, sceneItemEnabled=False)
                await wait_state(recorder, showing({inner}, {inner}), "the hidden camera off program")
                await director.call("SetSceneItemEnabled", sceneName=inner, sceneItemId=item, sceneItemEnabled=True)
                await wait_state(recorder, showing({cam, inner}, {cam, inner}), "shown again")
                # An item added to the scene on air is seen.
                await director.call("CreateInput", sceneName=outer, inputName=cam2, inputKind="color_source_v3",
                                    inputSettings={}, sceneItemEnabled=True)
                await wait_state(recorder, showing({cam, inner, cam2}, {cam, inner, cam2}), "the new item")
                nested = await director.item_id(outer, inner)
                await director.call("RemoveSceneItem", sceneName=outer, sceneItemId=nested)
                await wait_state(recorder, showing({cam2}, {cam2}), "the nested scene removed")
            finally:
                await switcher.close()

    run(body)


def test_driving_obs_preview_by_source_cut_and_auto(obs: Obs) -> None:
    inner, stage, wide, cam = names("Inner", "Stage", "Wide", "CamZ")

    async def body() -> None:
        async with Director(obs) as director:
            await director.scene(inner, cam)
            await director.scene(stage, nested=(inner,))
            await director.scene(wide)
            await director.reset(wide)
            recorder = Recorder()
            switcher = build(obs_config(obs, {cam: "stage", wide: "wide"}), recorder)
            await switcher.start()
            try:
                await wait_state(recorder, showing({wide}, {wide}), "connected")
                with pytest.raises(SwitcherError, match="studio mode is off"):
                    await switcher.preview(cam)
                with pytest.raises(SwitcherError, match="studio mode is off"):
                    await switcher.cut()
                await director.call("SetStudioModeEnabled", studioModeEnabled=True)
                await until(lambda: isinstance(switcher, ObsSwitcher) and switcher.studio_mode, "studio mode seen")
                assert recorder.latest.preview == {wide}  # turning it on puts the program on preview
                await switcher.preview(cam)  # the first scene in OBS's list that shows it: Inner, above Stage
                state = await wait_state(recorder, showing({wide}, {cam}), "the camera's scene on preview")
                assert state.preview_name == inner
                await director.call("SetSceneItemEnabled", sceneName=inner, sceneItemEnabled=False,
                                    sceneItemId=await director.item_id(inner, cam))
                await director.call("SetSceneItemEnabled", sceneName=inner, sceneItemEnabled=True,
                                    sceneItemId=await director.item_id(inner, cam))
                await switcher.preview(stage)  # a scene by its own name
                await switcher.cut()
                await wait_state(recorder, showing({cam}, {wide}), "cut: the camera on program")
                current = await director.call("GetCurrentSceneTransition")
                assert current["transitionName"] == "Fade"  # the chosen transition is left as it was
                await switcher.auto()
                await wait_state(recorder, showing({wide}, {cam}), "auto: back to wide")
                await switcher.preview(wide)
                with pytest.raises(SwitcherError, match="no OBS scene shows 'nowhere'"):
                    await switcher.preview("nowhere")
            finally:
                await switcher.close()
                await director.call("SetStudioModeEnabled", studioModeEnabled=False)

    run(body)


def test_wrong_password_is_one_clear_line_and_retries(obs: Obs, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "not-the-" + obs.password

    def refusals() -> int:
        return len([r for r in caplog.records if "refused the password" in r.getMessage()])

    async def body() -> None:
        clock = FakeClock()
        recorder = Recorder()
        switcher = build(obs_config(obs, {}, password=wrong), recorder, clock)
        await switcher.start()
        try:
            await until(lambda: clock.advance(60) or refusals() >= 3, "three refused tries", timeout=30)
        finally:
            await switcher.close()
        assert recorder.states == [] or all(not s.connected for s in recorder.states)

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)
    ours = [r for r in caplog.records if r.name.startswith("ptzmapd")]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "OBS refused the password" in warnings[0], warnings
    assert refusals() >= 3  # it kept trying, quietly
    assert not any(obs.password in r.getMessage() for r in caplog.records)


def test_obs_quitting_and_coming_back(obs: Obs, caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        clock = FakeClock()
        recorder = Recorder()
        switcher = build(obs_config(obs, {}), recorder, clock)
        await switcher.start()
        try:
            await wait_state(recorder, lambda s: s.connected, "connected")
            await asyncio.to_thread(obs.stop)
            await wait_state(recorder, lambda s: not s.connected, "OBS gone")
            assert any("OBS connection lost" in r.getMessage() for r in caplog.records)
            await asyncio.to_thread(obs.start)
            state = await wait_state(recorder, lambda s: s.connected, "OBS back", clock=clock, timeout=60)
            assert state.program_name is not None
        finally:
            await switcher.close()
            if obs.process is None:
                obs.start()

    caplog.set_level(logging.INFO, "ptzmapd")
    run(body)



def test_malformed_events_are_logged_once_a_minute_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    """Fault injection (no real OBS sends these): a minimal obs-websocket v5 peer whose events
    lack their fields or carry the wrong types, between good ones."""
    import msgpack
    from websockets.asyncio.server import ServerConnection, serve

    peers: list[ServerConnection] = []
    answers = {
        "GetVersion": {"obsVersion": "fault-injector", "obsWebSocketVersion": "5.1.0"},
        "GetStudioModeEnabled": {"studioModeEnabled": False},
        "GetSceneList": {"currentProgramSceneName": "A", "currentPreviewSceneName": None,
                         "scenes": [{"sceneIndex": 1, "sceneName": "A"}, {"sceneIndex": 0, "sceneName": "B"}]},
    }

    def answer(request: dict[str, object]) -> dict[str, object]:
        kind = str(request["requestType"])
        data = answers.get(kind, {"sceneItems": []})
        return {"requestType": kind, "requestStatus": {"result": True, "code": 100}, "responseData": data}

    async def obs_websocket(peer: ServerConnection) -> None:
        peers.append(peer)
        await peer.send(msgpack.packb({"op": 0, "d": {"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}}))
        async for raw in peer:
            message = msgpack.unpackb(raw)
            op, d = message["op"], message["d"]
            if op == 1:
                await peer.send(msgpack.packb({"op": 2, "d": {"negotiatedRpcVersion": 1}}))
            elif op == 6:
                await peer.send(msgpack.packb({"op": 7, "d": {"requestId": d["requestId"], **answer(d)}}))
            elif op == 8:
                results = [answer(r) for r in d["requests"]]
                await peer.send(msgpack.packb({"op": 9, "d": {"requestId": d["requestId"], "results": results}}))

    async def event(kind: str, data: object) -> None:
        await peers[0].send(msgpack.packb({"op": 5, "d": {"eventType": kind, "eventIntent": 4, "eventData": data}}))

    async def body() -> None:
        clock = FakeClock()
        async with serve(obs_websocket, "127.0.0.1", 0, subprotocols=["obswebsocket.msgpack"]) as server:
            port = server.sockets[0].getsockname()[1]
            recorder = Recorder()
            switcher = build(config("obs", "127.0.0.1", port, {"A": "stage", "B": "wide"},
                                    url=f"ws://127.0.0.1:{port}", password="unused"), recorder, clock)
            await switcher.start()
            try:
                await wait_state(recorder, showing({"A"}, {"A"}), "connected to the fault injector")

                def lines() -> int:
                    return len([r for r in caplog.records if "malformed" in r.getMessage() and r.levelno == logging.WARNING])

                await event("CurrentProgramSceneChanged", {})  # no sceneName
                await event("SceneItemEnableStateChanged", {"sceneName": "A", "sceneItemId": "seven"})
                await event("CurrentProgramSceneChanged", {"sceneName": "B"})
                await wait_state(recorder, showing({"B"}, {"B"}), "the good event after the bad ones")
                assert lines() == 1
                clock.advance(61)
                await event("StudioModeStateChanged", [])
                await event("CurrentProgramSceneChanged", {"sceneName": "A"})
                await wait_state(recorder, showing({"A"}, {"A"}), "and again")
                assert lines() == 2 and switcher.state.connected
            finally:
                await switcher.close()

    caplog.set_level(logging.DEBUG, "ptzmapd")
    run(body)
