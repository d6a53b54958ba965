"""vMix as a switcher source, through its TCP API (port 8099; no library needed).

Per the vMix TCP API reference (vmix.com/help27/TCPAPI.html): a ``VERSION OK …`` greeting;
``SUBSCRIBE TALLY`` → ``SUBSCRIBE OK TALLY Subscribed``, after which vMix pushes
``TALLY OK 0121…`` (one digit per input: 0 off, 1 program, 2 preview) on every change;
``XML`` → ``XML <length>`` then that many bytes (the trailing CRLF counted) of the state
document, read here for the input titles; ``FUNCTION PreviewInput Input=N``, ``FUNCTION Cut``,
``FUNCTION Fade`` → ``FUNCTION OK …`` or ``FUNCTION ER <why>``. One request at a time ("do
not send multiple requests without waiting for a response"); pushed tally may arrive between.

A config source is an input number (``"2"``) or title (``"Camera 2"``); titles are re-read
on each connection and whenever the tally string changes length (inputs added or removed).
"""

from __future__ import annotations

import asyncio
import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from ptzmapd.clock import Clock
from ptzmapd.config.model import SwitcherConfig
from ptzmapd.switchers.base import StateChanged, SwitcherError, SwitcherState
from ptzmapd.switchers.link import CONNECT_TIMEOUT, Refused, SwitcherLink

#: Seconds vMix gets to answer a request.
REQUEST_TIMEOUT = 5.0
#: The largest XML document read (vMix's own are tens of kilobytes).
XML_MOST = 16 * 1024 * 1024
TALLY_DIGITS = frozenset("012")


@dataclass(frozen=True, slots=True)
class Answer:
    """One response: ``status`` is OK, ER or the length of ``data``; ``text`` the rest."""

    command: str
    status: str
    text: str
    data: bytes = b""


class VmixSwitcher(SwitcherLink):
    product = "vMix"

    def __init__(
        self, config: SwitcherConfig, on_change: StateChanged, loop: asyncio.AbstractEventLoop, *,
        clock: Clock, log: logging.Logger,
    ) -> None:
        super().__init__(config, on_change, loop, clock=clock, log=log)
        #: Whether this session got as far as reporting state.
        self._live = False
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: tuple[str, asyncio.Future[Answer]] | None = None
        self._one_at_a_time = asyncio.Lock()
        self._tally = ""
        #: Input number → title, from the last XML document.
        self._titles: dict[int, str] = {}
        self._titles_stale = asyncio.Event()

    async def session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.config.host, self.config.port), CONNECT_TIMEOUT)
        reading: asyncio.Task[None] | None = None
        try:
            greeting = (await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)).decode(errors="replace").split()
            if greeting[:2] != ["VERSION", "OK"]:
                raise Refused(f"not a vMix TCP API: it greeted with {' '.join(greeting)[:60]!r}")
            self._writer = writer
            self._tally = ""
            reading = asyncio.get_running_loop().create_task(self._read(reader))
            await self._request("SUBSCRIBE TALLY")
            await self._load_titles()
            await self._request("TALLY")
            self.connected(f"version {greeting[2] if len(greeting) > 2 else '?'}")
            self._live = True
            self._publish()
            while True:
                stale = asyncio.get_running_loop().create_task(self._titles_stale.wait())
                try:
                    await asyncio.wait((reading, stale), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stale.cancel()
                if reading.done():
                    reading.result()
                    return
                await self._load_titles()
                self._publish()
        finally:
            if reading is not None:
                reading.cancel()
            self._writer = None
            self._live = False
            if self._waiting is not None and not self._waiting[1].done():
                self._waiting[1].set_exception(SwitcherError(f"{self.config.name}: vMix connection lost"))
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            words = line.decode(errors="replace").rstrip("\r\n").split(" ", 2)
            if len(words) < 2:
                self.malformed("line", line)
                continue
            command, status = words[0].upper(), words[1]
            text = words[2] if len(words) > 2 else ""
            data = b""
            if status.isdigit():
                if int(status) > XML_MOST:
                    raise ConnectionError(f"vMix announced {status} bytes of {command}")
                data = await reader.readexactly(int(status))
            elif status not in ("OK", "ER"):
                self.malformed("line", line)
                continue
            if command == "TALLY" and status == "OK":
                self._on_tally(text.strip())
            waiting = self._waiting
            if waiting is not None and waiting[0] == command and not waiting[1].done():
                waiting[1].set_result(Answer(command, status, text, data))

    async def _request(self, line: str) -> Answer:
        """Send one request and wait for its answer (SwitcherError if vMix goes meanwhile)."""
        async with self._one_at_a_time:
            writer = self._writer
            if writer is None:
                raise SwitcherError(f"{self.config.name}: vMix is not connected")
            answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self._waiting = (line.split(" ", 1)[0].upper(), answer)
            try:
                writer.write(line.encode() + b"\r\n")
                return await asyncio.wait_for(answer, REQUEST_TIMEOUT)
            except TimeoutError:
                raise SwitcherError(f"{self.config.name}: vMix did not answer {line.split(' ', 1)[0]}") from None
            finally:
                self._waiting = None

    async def _load_titles(self) -> None:
        self._titles_stale.clear()
        answer = await self._request("XML")
        if answer.status == "ER":
            self.malformed("XML answer", answer.text)
            return
        try:
            root = ElementTree.fromstring(answer.data.decode(errors="replace"))
            self._titles = {int(element.attrib["number"]): element.attrib.get("title", "")
                            for element in root.iter("input")}
        except (ElementTree.ParseError, KeyError, ValueError) as error:
            self.malformed("XML document", error)

    def _on_tally(self, digits: str) -> None:
        if not digits or not set(digits) <= TALLY_DIGITS:
            self.malformed("tally", digits)
            return
        if self._tally and len(digits) != len(self._tally):
            self._titles_stale.set()  # inputs were added or removed: numbers and titles moved
        self._tally = digits
        if self._live:
            self._publish()

    def _number(self, source: str) -> int | None:
        if source.isdigit():
            return int(source)
        return next((number for number, title in self._titles.items() if title == source), None)

    def _on(self, digit: str) -> list[int]:
        return [index + 1 for index, value in enumerate(self._tally) if value == digit]

    def _name(self, numbers: list[int]) -> str | None:
        return (self._titles.get(numbers[0]) or f"input {numbers[0]}") if numbers else None

    def _publish(self) -> None:
        program, preview = self._on("1"), self._on("2")
        bus = {key: self._number(key) for key in self.config.sources}
        self.publish(SwitcherState(
            connected=True,
            program=frozenset(key for key, number in bus.items() if number in program),
            preview=frozenset(key for key, number in bus.items() if number in preview),
            program_name=self._name(program),
            preview_name=self._name(preview),
        ))

    async def _function(self, text: str) -> None:
        answer = await self._request(f"FUNCTION {text}")
        if answer.status != "OK":
            raise SwitcherError(f"{self.config.name}: vMix refused {text.split(' ', 1)[0]}: {answer.text}")

    async def preview(self, source: str) -> None:
        self.require_connected()
        number = self._number(source)
        if number is None:
            raise SwitcherError(f"{self.config.name}: vMix has no input titled {source!r}")
        await self._function(f"PreviewInput Input={number}")

    async def cut(self) -> None:
        self.require_connected()
        await self._function("Cut")

    async def auto(self) -> None:
        self.require_connected()
        await self._function("Fade")
