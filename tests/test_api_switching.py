"""The network API with a switcher's targets, through HTTP against a running daemon: a
simulated vMix (a real TCP server on loopback) decides which camera ``preview`` and
``program`` reach and what ``/api/state`` shows as each camera's tally; without a switcher
those targets are refused with the valid values."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from api_rig import api_rig
from helpers import run, until
from ptzmapd.simulators.vmix import start
from test_api_http import get, post


def test_preview_and_program_reach_the_cameras_the_vmix_shows_and_the_state_says_so(tmp_path: Path) -> None:
    async def body() -> None:
        vmix = await start("vmix", host="127.0.0.2", port=0, log=lambda line: None, inputs=4, drive="still")
        switchers = f'switchers:\n  vision: {{type: vmix, host: 127.0.0.2, port: {vmix.port}, sources: {{"1": stage, "2": pulpit}}}}\n'
        try:
            async with api_rig(tmp_path, switchers) as rig, aiohttp.ClientSession() as session:
                async def cameras() -> dict[str, Any]:
                    state: dict[str, Any] = (await get(session, rig.url + "/api/state"))[1]
                    return {name: (one["tally"], one["program"], one["preview"]) for name, one in state["cameras"].items()}

                async def showing(expected: dict[str, Any]) -> None:
                    for _ in range(100):  # the switcher's news reaches the state within moments
                        if await cameras() == expected:
                            return
                        await asyncio.sleep(0.05)
                    assert await cameras() == expected

                # vMix starts with input 1 (stage) on program and input 2 (pulpit) on preview.
                await showing({"stage": ("program", True, False), "pulpit": ("preview", False, True)})

                status, answer = await post(session, rig.url + "/api/cameras/preview/move", {"pan": 1})
                assert status == 200 and answer["cameras"] == ["pulpit"]
                await until(lambda: any(line.startswith("pan right") for line in rig.pulpit.received), "pulpit to pan")
                assert await post(session, rig.url + "/api/cameras/preview/stop") == (200, {"cameras": ["pulpit"]})
                assert not any(line.startswith("pan right") for line in rig.stage.received)  # program is left alone
                assert await post(session, rig.url + "/api/select/preview") == (200, {"selected": "pulpit"})
                assert await post(session, rig.url + "/api/cameras/program/preset/2") == (200, {"cameras": ["stage"]})
                await until(lambda: "preset recall 2" in rig.stage.received, "stage's recall")

                vmix.mixer.cut()  # pulpit to air, stage to preview
                await showing({"stage": ("preview", False, True), "pulpit": ("program", True, False)})
                assert await post(session, rig.url + "/api/select/preview") == (200, {"selected": "stage"})
                status, answer = await post(session, rig.url + "/api/cameras/preview/move", {"tilt": 1})
                assert status == 200 and answer["cameras"] == ["stage"]
                await until(lambda: any("tilt up" in line for line in rig.stage.received), "stage to tilt")
        finally:
            await vmix.close()

    run(body)


@pytest.mark.parametrize(
    ("path", "body", "valid"),
    [
        ("/api/cameras/preview/move", {"pan": 1}, ["stage", "pulpit", "selected", "all"]),
        ("/api/cameras/program/preset/2", None, ["stage", "pulpit", "selected", "all"]),
        ("/api/select/preview", None, ["stage", "pulpit", "next", "previous", "all"]),
        ("/api/select/program", None, ["stage", "pulpit", "next", "previous", "all"]),
    ],
)
def test_preview_and_program_are_refused_with_the_valid_values_without_a_switcher(
    tmp_path: Path, path: str, body: object, valid: list[str],
) -> None:
    async def main() -> None:
        async with api_rig(tmp_path) as rig, aiohttp.ClientSession() as session:
            before = (list(rig.stage.received), list(rig.pulpit.received))
            status, answer = await post(session, rig.url + path, body)
            assert status == 404 and answer["field"] == "camera" and answer["valid"] == valid, answer
            assert answer["error"]
            await asyncio.sleep(0.1)
            assert (rig.stage.received, rig.pulpit.received) == before  # nothing reached a camera
            assert (await get(session, rig.url + "/api/state"))[1]["selected"] == "stage"

    run(main)
