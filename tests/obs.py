"""A real OBS Studio for the tests: headless under ``xvfb-run``, its websocket on a free
loopback port with a random password.

OBS 29 (Debian's ``obs-studio``, obs-websocket 5.1 built in) reads its websocket settings from
``~/.config/obs-studio/global.ini`` section ``[OBSWebSocket]``, so :class:`Obs` gives it a HOME
of its own with that file written: the server on, auth on (obs-websocket 5.1 listens on every
interface), first-run wizards and dialogs off. One OBS per test session (it eats CPU), started
by the ``obs`` fixture in conftest only when a test asks for it; :meth:`Obs.stop` and
:meth:`Obs.start` let a test watch OBS quit and come back on the same port and password.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Seconds OBS gets to start listening: its first start under xvfb on a busy machine is slow.
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def missing() -> str | None:
    """Why OBS cannot run here, or None."""
    for command in ("obs", "xvfb-run"):
        if shutil.which(command) is None:
            return f"`{command}` not found (Debian packages obs-studio and xvfb)"
    return None


GLOBAL_INI = """\
[General]
FirstRun=true
LastVersion=486539266
EnableAutoUpdates=false
ConfirmOnExit=false

[BasicWindow]
ShowTransitions=true
WarnBeforeStartingStream=false
WarnBeforeStoppingStream=false
WarnBeforeStoppingRecord=false
SysTrayEnabled=false

[OBSWebSocket]
FirstLoad=false
ServerEnabled=true
ServerPort={port}
AlertsEnabled=false
AuthRequired=true
ServerPassword={password}
"""


class Obs:
    """One OBS process with its own HOME; ``url`` and ``password`` reach its websocket."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="ptzmapd-obs-"))
        self.port = free_port()
        self.password = secrets.token_urlsafe(12)
        self.url = f"ws://127.0.0.1:{self.port}"
        self.log_path = self.home / "obs.log"
        self.process: subprocess.Popen[bytes] | None = None
        config = self.home / ".config" / "obs-studio"
        config.mkdir(parents=True)
        (config / "global.ini").write_text(GLOBAL_INI.format(port=self.port, password=self.password))

    def start(self) -> None:
        env = dict(os.environ, HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"),
                   LIBGL_ALWAYS_SOFTWARE="1", QT_QPA_PLATFORM="xcb")
        with open(self.log_path, "ab") as log:
            # Its own session, so stopping it takes xvfb-run's Xvfb along.
            self.process = subprocess.Popen(
                ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "obs", "--minimize-to-tray",
                 "--disable-updater", "--disable-shutdown-check", "--multi", "--verbose"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.home, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.process.returncode}:\n{self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"OBS did not open port {self.port} within {START_TIMEOUT:g}s:\n{self.tail()}")

    def stop(self) -> None:
        """Quit OBS (SIGTERM to its whole session, then SIGKILL) and wait for it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # xvfb-run's children (Xvfb, obs) share its session: take any straggler along.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Director:
    """The test's own obs-websocket client (simpleobsws, as any other OBS remote would be):
    it builds scenes and switches them while the switcher under test watches."""

    def __init__(self, obs: Obs) -> None:
        import simpleobsws

        self._obsws = simpleobsws
        self.client = simpleobsws.WebSocketClient(url=obs.url, password=obs.password)

    async def __aenter__(self) -> Director:
        await self.client.connect()
        if not await self.client.wait_until_identified(20):
            raise RuntimeError("OBS did not identify the test's client")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.disconnect()

    async def call(self, request: str, **data: object) -> dict[str, object]:
        response = await self.client.call(self._obsws.Request(request, data or None))
        if not response.ok():
            raise RuntimeError(f"OBS refused {request} {data}: {response.requestStatus.comment}")
        return response.responseData or {}

    async def scene(self, name: str, *sources: str, nested: tuple[str, ...] = ()) -> None:
        """A new scene showing a colour source per name in ``sources`` and the scenes ``nested``."""
        await self.call("CreateScene", sceneName=name)
        for source in sources:
            await self.call("CreateInput", sceneName=name, inputName=source, inputKind="color_source_v3",
                            inputSettings={}, sceneItemEnabled=True)
        for inner in nested:
            await self.call("CreateSceneItem", sceneName=name, sourceName=inner)

    async def item_id(self, scene: str, source: str) -> int:
        return int(str((await self.call("GetSceneItemId", sceneName=scene, sourceName=source))["sceneItemId"]))

    async def reset(self, program: str) -> None:
        """Studio mode off, ``program`` on air, the fade transition chosen again.

        The program is set with the cut transition, and the fade chosen only once OBS shows it:
        a transition changed while one runs is ignored or left hanging by OBS 29 (no
        SceneTransitionEnded, and its next studio transition does nothing)."""
        await self.call("SetStudioModeEnabled", studioModeEnabled=False)
        await self.call("SetCurrentSceneTransition", transitionName="Cut")
        await self.call("SetCurrentProgramScene", sceneName=program)
        for _ in range(200):
            if (await self.call("GetCurrentProgramScene"))["currentProgramSceneName"] == program:
                await self.call("SetCurrentSceneTransition", transitionName="Fade")
                if (await self.call("GetCurrentSceneTransition"))["transitionName"] == "Fade":
                    return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"OBS did not put {program!r} on program with the fade chosen again")
