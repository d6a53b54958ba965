"""OBS Studio as a switcher source, through obs-websocket v5 (library: simpleobsws).

What is on program and preview comes from OBS's events, never from the answers to our own
requests: a program change is answered before its transition ends, and the end of a
studio-mode transition swaps the old program into preview. Seen on OBS 29.0 / obs-websocket
5.1: ``SceneTransitionStarted`` comes first, ``CurrentProgramSceneChanged`` only at the end of
the transition (after ``SceneTransitionEnded`` for a fade, before it for a cut), the swapped
``CurrentPreviewSceneChanged`` before it. So while a studio-mode transition runs, the scene
it takes to air (the preview when it started) counts as on program together with the old one
(both are on the output, as on a hardware mixer's tally) until OBS names the new program.
Without studio mode there is no preview bus: preview equals program.

A config source key is on a bus if it is the bus's scene or a source shown in it: an enabled
scene item, recursively through nested scenes and groups (a hidden item hides what is
inside it). The scenes' items are read on connecting and re-read when OBS reports an item
created or removed, a scene or input renamed, created or removed; an item's visibility is
updated from ``SceneItemEnableStateChanged`` itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.switchers.base import StateChanged, SwitcherError, SwitcherState
from ptzmapd.switchers.link import CONNECT_TIMEOUT, Refused, SwitcherLink

# simpleobsws sets the "websockets" logger to INFO on import: keep ptzmapd's logging as it was.
_websockets_level = logging.getLogger("websockets").level
import simpleobsws  # noqa: E402

logging.getLogger("websockets").setLevel(_websockets_level)

#: Seconds OBS gets to answer a request or to accept our identification.
REQUEST_TIMEOUT = 5.0
#: Tries, and seconds between them, to put the chosen transition back after a cut.
RESTORE_TRIES = 20
RESTORE_WAIT = 0.05
#: obs-websocket's close code for a wrong or missing password (protocol.md, WebSocketCloseCode).
AUTHENTICATION_FAILED = 4009
#: Events after which the scenes' items are read again (the scene named in the event, or all).
RELOAD_SCENE = frozenset({"SceneItemCreated", "SceneItemRemoved"})
RELOAD_ALL = frozenset({"SceneCreated", "SceneRemoved", "SceneNameChanged", "SceneListChanged",
                        "InputNameChanged", "CurrentSceneCollectionChanged"})


@dataclass(slots=True)
class Item:
    """One scene item: the source it shows, whether it is visible, whether it nests a scene."""

    item_id: int
    source: str
    enabled: bool
    nested: bool
    group: bool


class ObsSwitcher(SwitcherLink):
    product = "OBS"

    def __init__(
        self, config: SwitcherConfig, on_change: StateChanged, loop: asyncio.AbstractEventLoop, *,
        clock: Clock, log: logging.Logger,
    ) -> None:
        super().__init__(config, on_change, loop, clock=clock, log=log)
        self._client: Any = None
        self._studio = False
        self._program: str | None = None
        self._preview: str | None = None
        #: The scene a running studio-mode transition takes to air (None when none runs).
        self._incoming: str | None = None
        #: Scene or group name → its items; ``_scene_order`` lists scenes as OBS's UI does.
        self._items: dict[str, list[Item]] = {}
        self._scene_order: list[str] = []
        #: Transitions OBS said started and ended (a cut waits for its own to end), and the
        #: condition their changes are announced on.
        self._started = 0
        self._ended = 0
        self._transitions = asyncio.Condition()

    @property
    def studio_mode(self) -> bool:
        """Whether OBS is in studio mode (has a preview bus), as its last event said."""
        return self._studio

    @property
    def where(self) -> str:
        return self.config.url or f"ws://{self.config.host}:{self.config.port}"

    # -- the session ---------------------------------------------------------------------

    async def session(self) -> None:
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def queue(event_type: str, data: Any) -> None:
            # simpleobsws runs each callback as a task of its own; a queue keeps their order.
            events.put_nowait((event_type, data))

        client = simpleobsws.WebSocketClient(url=self.where, password=self.config.password or "")
        client.register_event_callback(queue)
        await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT)
        try:
            await self._identify(client)
            self._client = client
            version = await self._call("GetVersion")
            await self._load_state()
            self.connected(f"OBS {version.get('obsVersion', '?')}, obs-websocket {version.get('obsWebSocketVersion', '?')}")
            self._publish()
            while True:
                next_event = asyncio.get_running_loop().create_task(events.get())
                try:
                    await asyncio.wait((next_event, client.recv_task), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    next_event.cancel()  # when the socket closed first, or we are being closed
                if not next_event.done() or next_event.cancelled():
                    self._raise_closed(client)
                await self._apply(*next_event.result())
        finally:
            self._client = None
            try:
                await client.disconnect()
            except Exception:  # noqa: BLE001 - the socket is already gone; nothing left to close
                pass

    async def _identify(self, client: Any) -> None:
        """Wait until OBS accepts us; Refused (a wrong password) or an error if it does not."""
        identified = asyncio.get_running_loop().create_task(client.wait_until_identified(REQUEST_TIMEOUT))
        try:
            await asyncio.wait((identified, client.recv_task), return_when=asyncio.FIRST_COMPLETED)
        finally:
            identified.cancel()
        if identified.done() and not identified.cancelled() and identified.result():
            return
        self._raise_closed(client)

    def _raise_closed(self, client: Any) -> None:
        code = getattr(client.ws, "close_code", None) if client.ws is not None else None
        if code == AUTHENTICATION_FAILED:
            raise Refused("OBS refused the password" if self.config.password else
                          "OBS asks for a password and the config gives none (password_env)")
        reason = getattr(client.ws, "close_reason", "") if client.ws is not None else ""
        raise ConnectionError(f"closed by OBS (code {code}{': ' + reason if reason else ''})"
                              if code is not None else "OBS did not identify us")

    async def _call(self, request: str, **data: Any) -> dict[str, Any]:
        client = self._client
        if client is None:
            raise SwitcherError(f"{self.config.name}: OBS is not connected")
        try:
            response = await client.call(simpleobsws.Request(request, data or None), timeout=REQUEST_TIMEOUT)
        except simpleobsws.MessageTimeout:
            raise SwitcherError(f"{self.config.name}: OBS did not answer {request}") from None
        if not response.ok():
            comment = response.requestStatus.comment or f"code {response.requestStatus.code}"
            raise SwitcherError(f"{self.config.name}: OBS refused {request}: {comment}")
        result: dict[str, Any] = response.responseData or {}
        return result

    async def _batch(self, requests: list[Any]) -> list[Any]:
        """Several requests in one message, carried out one after the other by OBS."""
        client = self._client
        if client is None:
            raise SwitcherError(f"{self.config.name}: OBS is not connected")
        try:
            responses: list[Any] = await client.call_batch(
                requests, timeout=REQUEST_TIMEOUT, halt_on_failure=False,
                execution_type=simpleobsws.RequestBatchExecutionType.SerialRealtime)
        except simpleobsws.MessageTimeout:
            raise SwitcherError(f"{self.config.name}: OBS did not answer") from None
        return responses

    # -- what OBS shows ------------------------------------------------------------------

    async def _load_state(self) -> None:
        self._studio = bool((await self._call("GetStudioModeEnabled"))["studioModeEnabled"])
        scenes = await self._call("GetSceneList")
        self._program = scenes["currentProgramSceneName"]
        self._preview = scenes.get("currentPreviewSceneName") if self._studio else None
        self._incoming = None
        await self._load_scenes(scenes)

    async def _load_scenes(self, scenes: Mapping[str, Any] | None = None) -> None:
        """Read the scene list (unless given) and every scene's and group's items."""
        if scenes is None:
            scenes = await self._call("GetSceneList")
        # OBS numbers scenes from the bottom of its list; people read it from the top.
        ordered = sorted(scenes["scenes"], key=lambda scene: -int(scene["sceneIndex"]))
        self._scene_order = [str(scene["sceneName"]) for scene in ordered]
        self._items = {}
        await self._load_items(self._scene_order)

    async def _load_items(self, names: list[str]) -> None:
        """Read these scenes' items, then those of any group among them, until none is new."""
        while names:
            requests = [simpleobsws.Request("GetGroupSceneItemList" if self._is_group(name) else "GetSceneItemList",
                                            {"sceneName": name}) for name in names]
            responses = await self._batch(requests)
            groups: list[str] = []
            for name, response in zip(names, responses):
                if not response.ok():  # removed meanwhile: its own event reloads the list
                    self._items.pop(name, None)
                    continue
                items = [Item(int(raw["sceneItemId"]), str(raw["sourceName"]), bool(raw["sceneItemEnabled"]),
                              raw.get("sourceType") == "OBS_SOURCE_TYPE_SCENE", bool(raw.get("isGroup")))
                         for raw in (response.responseData or {}).get("sceneItems", [])]
                self._items[name] = items
                groups += [item.source for item in items if item.group and item.source not in self._items]
            names = groups

    def _is_group(self, name: str) -> bool:
        return any(item.group and item.source == name for items in self._items.values() for item in items)

    def _visible(self, scene: str | None) -> set[str]:
        """The scene's own name and every source shown in it, through nested scenes and groups."""
        shown: set[str] = set()
        pending = [scene] if scene is not None else []
        while pending:
            name = pending.pop()
            if name in shown:
                continue  # a scene nested twice (or in itself) is walked once
            shown.add(name)
            for item in self._items.get(name, ()):
                if not item.enabled:
                    continue
                if item.nested or item.group:
                    pending.append(item.source)
                else:
                    shown.add(item.source)
        return shown

    def _publish(self) -> None:
        on_air = self._visible(self._program) | self._visible(self._incoming)
        preview = self._visible(self._preview) if self._studio else on_air
        self.publish(SwitcherState(
            connected=True,
            program=self.keys(on_air),
            preview=self.keys(preview),
            program_name=self._program,
            preview_name=self._preview if self._studio else self._program,
        ))

    # -- OBS's events --------------------------------------------------------------------

    async def _apply(self, event: str, data: Any) -> None:
        try:
            await self._follow(event, data or {})
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.malformed(f"{event} event", error)
            return
        self._publish()

    async def _follow(self, event: str, data: Mapping[str, Any]) -> None:
        if event == "CurrentProgramSceneChanged":
            self._program = str(data["sceneName"])
            self._incoming = None
        elif event == "CurrentPreviewSceneChanged":
            self._preview = str(data["sceneName"])
        elif event == "StudioModeStateChanged":
            self._studio = bool(data["studioModeEnabled"])
            self._incoming = None
            # Turning studio mode on puts the program scene on preview without an event of its own.
            self._preview = str((await self._call("GetCurrentPreviewScene"))["currentPreviewSceneName"]) \
                if self._studio else None
        elif event == "SceneTransitionStarted":
            self._incoming = self._preview if self._studio else None
            await self._count_transition(started=1)
        elif event in ("SceneTransitionEnded", "SceneTransitionVideoEnded"):
            if event == "SceneTransitionEnded":
                await self._count_transition(ended=1)
            if self._incoming == self._program:
                self._incoming = None
        elif event == "SceneItemEnableStateChanged":
            scene, item_id = str(data["sceneName"]), int(data["sceneItemId"])
            item = next((item for item in self._items.get(scene, ()) if item.item_id == item_id), None)
            if item is None:
                await self._load_items([scene])
            else:
                item.enabled = bool(data["sceneItemEnabled"])
        elif event in RELOAD_SCENE:
            await self._load_items([str(data["sceneName"])])
        elif event in RELOAD_ALL:
            if event == "SceneNameChanged":
                old, new = str(data["oldSceneName"]), str(data["sceneName"])
                self._program, self._preview, self._incoming = (
                    new if name == old else name for name in (self._program, self._preview, self._incoming))
            await self._load_scenes()

    async def _count_transition(self, started: int = 0, ended: int = 0) -> None:
        async with self._transitions:
            self._started += started
            self._ended = min(self._started, self._ended + ended)  # an end seen without its start
            self._transitions.notify_all()

    # -- driving OBS ---------------------------------------------------------------------

    def _require_studio(self, what: str) -> None:
        self.require_connected()
        if not self._studio:
            raise SwitcherError(f"{self.config.name}: OBS studio mode is off, so there is no preview to {what}")

    def scene_for(self, source: str) -> str:
        """The scene that is ``source``, else the first scene (top of OBS's list) showing it."""
        if source in self._scene_order:
            return source
        for scene in self._scene_order:
            if source in self._visible(scene):
                return scene
        raise SwitcherError(f"{self.config.name}: no OBS scene shows {source!r}")

    async def preview(self, source: str) -> None:
        self._require_studio("set")
        await self._call("SetCurrentPreviewScene", sceneName=self.scene_for(source))

    async def cut(self) -> None:
        """Studio mode's transition with OBS's cut transition, the chosen one put back after.

        OBS 29 leaves a transition hanging (no end, no program change) when the transition is
        changed while one runs, and may ignore a change made just as one ends: so the chosen
        one is put back once the cut has ended, and again until OBS says it is back."""
        self._require_studio("take")
        transitions = await self._call("GetSceneTransitionList")
        current = str(transitions.get("currentSceneTransitionName"))
        cut = next((t["transitionName"] for t in transitions.get("transitions", [])
                    if t.get("transitionKind") == "cut_transition"), None)
        if cut is None:
            raise SwitcherError(f"{self.config.name}: OBS has no cut transition")
        if current == cut:
            await self._call("TriggerStudioModeTransition")
            return
        await self._call("SetCurrentSceneTransition", transitionName=cut)
        before = self._started
        try:
            await self._call("TriggerStudioModeTransition")
            async with self._transitions:
                # Ours has started (one more than before) and every started one has ended.
                await asyncio.wait_for(self._transitions.wait_for(
                    lambda: self._started > before and self._ended >= self._started), REQUEST_TIMEOUT)
        except TimeoutError:
            raise SwitcherError(f"{self.config.name}: OBS did not end the cut") from None
        finally:
            await self._put_back(current)

    async def _put_back(self, transition: str) -> None:
        for _ in range(RESTORE_TRIES):
            await self._call("SetCurrentSceneTransition", transitionName=transition)
            if (await self._call("GetCurrentSceneTransition")).get("transitionName") == transition:
                return
            await self.clock.sleep(RESTORE_WAIT)
        self.log.warning("[%s] OBS kept the cut transition; %r was chosen before the cut", self.label, transition)

    async def auto(self) -> None:
        self._require_studio("take")
        await self._call("TriggerStudioModeTransition")
