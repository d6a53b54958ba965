"""A simulated vMix on its TCP API (port 8099): what ``ptzmapd simulate vmix`` serves.

Per the vMix TCP API reference (vmix.com/help27/TCPAPI.html): every client is greeted with
``VERSION OK <version>``; ``SUBSCRIBE TALLY`` → ``SUBSCRIBE OK TALLY Subscribed`` and from
then on ``TALLY OK 0121…`` (one digit per input: 0 off, 1 program, 2 preview) pushed on every
change; ``TALLY`` asks for it once; ``XML`` → ``XML <length>`` and that many bytes of the
state document (inputs with their titles, the length counting the trailing CRLF);
``FUNCTION PreviewInput Input=N`` (a number or a title), ``FUNCTION Cut``, ``FUNCTION Fade``
→ ``FUNCTION OK <name>`` or ``FUNCTION ER <why>``. Several clients at once, each told of
changes made by any of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs
from xml.sax.saxutils import quoteattr

from ptzmapd.clock import Clock
from ptzmapd.simulators.mixer import Mixer, drive as start_driving
from ptzmapd.tasks import cancel_and_wait

#: The version the greeting announces (a vMix 27 build).
VERSION = "27.0.0.49"


def tally_line(mixer: Mixer) -> bytes:
    digits = "".join("1" if mixer.program == n else "2" if mixer.preview == n else "0"
                     for n in range(1, mixer.inputs + 1))
    return f"TALLY OK {digits}\r\n".encode()


def state_xml(mixer: Mixer) -> str:
    inputs = "".join(
        f'<input key="00000000-0000-0000-0000-{n:012d}" number="{n}" type="Capture" '
        f'title={quoteattr(mixer.title(n))} shortTitle={quoteattr(mixer.title(n))} state="Running" '
        f'position="0" duration="0" loop="False">{mixer.title(n)}</input>'
        for n in range(1, mixer.inputs + 1)
    )
    return (f"<vmix><version>{VERSION}</version><edition>4K</edition><inputs>{inputs}</inputs>"
            f"<overlays/><preview>{mixer.preview}</preview><active>{mixer.program}</active>"
            "<fadeToBlack>False</fadeToBlack></vmix>")


class _Client(asyncio.Protocol):
    def __init__(self, server: VmixSimulator) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.subscribed = False
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.clients.add(self)
        transport.write(f"VERSION OK {VERSION}\r\n".encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.clients.discard(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while b"\r\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\r\n", 1)
            self.write(self.server.answer(self, line.decode(errors="replace")))

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class VmixSimulator:
    """A running simulated vMix: its :class:`Mixer`, its clients, what they asked."""

    def __init__(self, mixer: Mixer, log: Callable[[str], None]) -> None:
        self.mixer = mixer
        self.clients: set[_Client] = set()
        #: Every FUNCTION line received, in order.
        self.functions: list[str] = []
        self.host = ""
        self.port = 0
        self._log = log
        self._server: asyncio.Server | None = None
        self._driver: asyncio.Task[None] | None = None
        mixer.watchers.append(self._push_tally)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def answer(self, client: _Client, line: str) -> bytes:
        words = line.split(" ", 1)
        command = words[0].upper()
        rest = words[1] if len(words) > 1 else ""
        if command == "SUBSCRIBE" and rest.upper() == "TALLY":
            client.subscribed = True
            return b"SUBSCRIBE OK TALLY Subscribed\r\n"
        if command == "UNSUBSCRIBE" and rest.upper() == "TALLY":
            client.subscribed = False
            return b"UNSUBSCRIBE OK TALLY Unsubscribed\r\n"
        if command == "TALLY":
            return tally_line(self.mixer)
        if command == "XML":
            document = state_xml(self.mixer).encode() + b"\r\n"
            return f"XML {len(document)}\r\n".encode() + document
        if command == "FUNCTION":
            return self._function(rest)
        return f"{command} ER Unknown command\r\n".encode()

    def _function(self, text: str) -> bytes:
        self.functions.append(text)
        self._log(f"[vmix {self.where}] FUNCTION {text}")
        name, _, query = text.partition(" ")
        if name == "PreviewInput":
            given = parse_qs(query).get("Input", [""])[0]
            number = self.mixer.number(given)
            if number is None:
                return f"FUNCTION ER Input {given!r} not found\r\n".encode()
            self.mixer.set_preview(number)
        elif name == "Cut":
            self.mixer.cut()
        elif name == "Fade":
            self.mixer.auto()
        else:
            return f"FUNCTION ER Function {name} not found\r\n".encode()
        return f"FUNCTION OK {name}\r\n".encode()

    def _push_tally(self, mixer: Mixer) -> None:
        line = tally_line(mixer)
        for client in list(self.clients):
            if client.subscribed:
                client.write(line)

    async def open(self, host: str, port: int, how: str, clock: Clock | None) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Client(self), host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]
        self._driver = start_driving(self.mixer, how, clock)

    def drop_clients(self) -> None:
        """Close every client connection (a vMix that restarted)."""
        for client in list(self.clients):
            if client.transport is not None:
                client.transport.close()

    async def close(self) -> None:
        await cancel_and_wait(self._driver)
        if self._server is not None:
            self._server.close()
            self.drop_clients()
            await self._server.wait_closed()
            self._server = None


async def start(
    kind: str = "vmix",
    *,
    host: str = "127.0.0.1",
    port: int = 8099,
    log: Callable[[str], None] | None = None,
    inputs: int = 4,
    drive: str = "script",
    clock: Clock | None = None,
    **_: object,
) -> VmixSimulator:
    """Serve a simulated vMix with ``inputs`` inputs on ``host:port`` (0: any free port),
    its mixer moved by ``drive`` (:data:`~ptzmapd.simulators.mixer.DRIVES`)."""
    say = log or print
    simulator = VmixSimulator(Mixer(inputs=inputs, log=lambda text: say(f"[vmix] {text}")), say)
    await simulator.open(host, port, drive, clock)
    return simulator
