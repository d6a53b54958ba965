"""A simulated VISCA camera, and the loopback servers that put it on the network.

This module owns what ``ptzmapd simulate visca-ip|visca-udp|visca-tcp`` and
``ptzmapd demo`` run: :class:`SimulatedCamera`, a sans-io model of a camera (time comes in
as ``now``), and :func:`start_simulator`, which serves it over real sockets the way a
camera does (Sony VISCA over IP on UDP, bare frames on UDP, bare frames on a TCP stream).

Units of the model (VISCA's own position units):

- pan −2448..2448, tilt −432..1296 (clamped at the ends);
- pan moves level/0x18 × 800 units/s, tilt level/0x14 × 400 units/s;
- zoom 0 (wide)..0x4000 (tele), (p+1)/8 × 0x4000/3 units/s: p = 7 crosses the range in 3 s;
- focus 0 (near)..0x1000 (far), (p+1)/8 × 0x1000/3 units/s;
- preset recall and home move every axis at its top speed (800, 400, 0x4000/3, 0x1000/3
  units/s) toward the target; the command holds its socket until the last axis arrives;
- named camera actions (``tally on``, ``iris direct 8``) are remembered as settings; the OSD
  menu opens and closes (ERRATA: recalling preset 95 is PTZOptics' menu key), and while it is
  open the menu's cursor commands move the cursor, not the camera;
- every other command and inquiry row of the spec files (:mod:`ptzmapd.simulators.visca_spec`)
  gets an answer: commands ACK and complete and store what they set (direct zoom/focus and
  absolute/relative pan-tilt positions move the model; standard-speed zoom/focus drive at
  p = 2), inquiries answer from what was stored or from the model, IF_Clear answers ``z0 50 FF``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
import logging
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.base import Ack, Completion
from ptzmapd.protocols.framing import Piece
from ptzmapd.vocabulary import DIRECT_MODE
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.tables import reply_start
from ptzmapd.protocols.visca.read import CommandFrame, FrameSplitter, describe_command, parse_reply, read_command
from ptzmapd.protocols.visca.tables import (
    DIRECT_COMMANDS,
    INQUIRIES,
    NAMED_COMMANDS,
    PAN_TOP,
    TERMINATOR,
    TILT_TOP,
    VARIABLE_TOP,
    is_command_start,
)
from ptzmapd.protocols.visca.ip import BAD_SEQUENCE, RESET_PAYLOAD, PayloadType, newer, pack, unpack
from ptzmapd.simulators import QUIRKS, visca_spec
from ptzmapd.simulators.visca_spec import SpecCommand
from ptzmapd.tasks import cancel_and_wait

_logger = logging.getLogger(__name__)

#: Error codes of ``z0 6y EE FF`` the camera sends.
SYNTAX_ERROR = 0x02
BUFFER_FULL = 0x03
#: A camera has two command sockets.
SOCKETS = (1, 2)
#: How often the servers look for completions that became due.
POLL_INTERVAL = 0.02
#: Floating-point slack when deciding that a move has arrived.
_EPSILON = 1e-9
#: The p a standard-speed zoom or focus drive (``8x 01 04 07 02 FF``) runs at.
STANDARD_LEVEL = 2


@dataclass(frozen=True, slots=True)
class AxisRange:
    """One axis of the model: its travel and its top speed, in VISCA units."""

    low: float
    high: float
    #: Units per second at the axis's top speed level.
    top_rate: float

    def clamp(self, position: float) -> float:
        return min(self.high, max(self.low, position))


AXES: dict[str, AxisRange] = {
    "pan": AxisRange(-2448, 2448, 800.0),
    "tilt": AxisRange(-432, 1296, 400.0),
    "zoom": AxisRange(0, 0x4000, 0x4000 / 3),
    "focus": AxisRange(0, 0x1000, 0x1000 / 3),
}


def _drive_rate(axis: str, direction: int, level: int, top: int) -> float:
    return direction * level / top * AXES[axis].top_rate


def _variable_rate(axis: str, direction: int, level: int) -> float:
    # p = 0 is the slowest speed, not a stop: the range splits into eight bands.
    return direction * (level + 1) / (VARIABLE_TOP + 1) * AXES[axis].top_rate


@dataclass(frozen=True, slots=True)
class CameraState:
    """A snapshot of the model. Positions in VISCA units (fractional while moving), speeds
    in signed units per second (+ = right, up, tele, far)."""

    pan: float
    tilt: float
    zoom: float
    focus: float
    pan_speed: float
    tilt_speed: float
    zoom_speed: float
    focus_speed: float
    autofocus: bool
    moving: bool
    last_command: str
    #: Named camera actions last set, by action: ``{"tally": "on", "iris": "direct 8"}``.
    settings: Mapping[str, str] = field(default_factory=dict)
    menu_open: bool = False


@dataclass(slots=True)
class _Axis:
    """Where an axis is and what drives it: a signed speed, or a target it seeks."""

    position: float = 0.0
    drive: float = 0.0
    target: float | None = None


@dataclass(frozen=True, slots=True)
class _Move:
    """A preset recall or home: holds ``socket`` until every target is reached."""

    socket: int
    targets: tuple[tuple[str, float], ...]


def _signed16(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


def _reply(address: int, kind: int, socket: int, *data: int) -> bytes:
    return bytes([reply_start(address), kind << 4 | socket, *data, TERMINATOR])


class SimulatedCamera:
    """A VISCA camera, sans-io: feed it frames and the time, read back reply frames.

    Drive commands (pan/tilt, zoom, focus, autofocus, preset store) take a free socket,
    answer ACK and completion at once. Preset recall and home hold their socket until the
    move ends; :meth:`poll` returns the completion then. Moves run one after another; a
    drive command on an axis takes that axis over from a running move (as a joystick does
    on a real camera). With both sockets held, a command gets "buffer full". Inquiries
    need no socket and get their answer at once, without an ACK.
    """

    def __init__(self, address: int = 1) -> None:
        self.address = address
        self._axes: dict[str, _Axis] = {name: _Axis() for name in AXES}
        self._time: float | None = None
        #: Moves holding a socket; the first one is under way, the others wait for it.
        self._moves: list[_Move] = []
        self._due: list[bytes] = []
        self._presets: dict[int, tuple[tuple[str, float], ...]] = {}
        self._autofocus = True
        self._last_command = ""
        self._settings: dict[str, str] = {}
        self._menu_open = False
        self._actions: dict[str, Callable[[CommandFrame, int], list[bytes]]] = {
            "pantilt": self._pantilt,
            "zoom": self._variable,
            "focus": self._variable,
            "home": self._home,
            "preset recall": self._recall,
            "preset store": self._store,
            "preset reset": self._forget,
            "autofocus on": self._set_autofocus,
            "autofocus off": self._set_autofocus,
            "autofocus toggle": self._set_autofocus,
            "autofocus one-push": self._done,
            "autofocus one-push sony": self._done,
            **{f"{name} {mode}": self._set for name, mode in NAMED_COMMANDS if name != "menu"},
            **{f"{name} {DIRECT_MODE}": self._set for name in DIRECT_COMMANDS},
            "menu open": self._menu_key,
            "menu close": self._menu_close,
            **{f"menu {key}": self._menu_cursor for key in ("up", "down", "left", "right")},
            "menu enter": self._done,
            "menu back": self._done,
        }
        #: Settings the spec rows store, read back by their inquiries (visca_spec.DEFAULTS).
        self._registers: dict[str, int] = dict(visca_spec.DEFAULTS)
        self._spec_actions: dict[str, Callable[[SpecCommand, dict[str, int], int], list[bytes]]] = {
            "": lambda row, values, socket: self._acked(socket),
            "zoom tele": lambda row, values, socket: self._drive("zoom", 1, socket),
            "zoom wide": lambda row, values, socket: self._drive("zoom", -1, socket),
            "focus far": lambda row, values, socket: self._drive("focus", 1, socket),
            "focus near": lambda row, values, socket: self._drive("focus", -1, socket),
            "zoom direct": lambda row, values, socket: self._start_move(_Move(socket, (("zoom", values["p"]),))),
            "focus direct": lambda row, values, socket: self._start_move(_Move(socket, (("focus", values["p"]),))),
            "absolute": self._absolute,
            "relative": self._relative,
            "home": lambda row, values, socket: self._start_move(_Move(socket, (("pan", 0.0), ("tilt", 0.0)))),
            "rtmp": self._rtmp,
        }
        self._answers: dict[str, Callable[[], tuple[int, ...]]] = {
            "pantilt-position": lambda: (round(self._axes["pan"].position), round(self._axes["tilt"].position)),
            "zoom-position": lambda: (round(self._axes["zoom"].position),),
        }

    # ------------------------------------------------------------------ the sans-io surface

    def handle(self, frame: bytes, now: float) -> list[bytes]:
        """The immediate replies to one command frame."""
        self._advance(now)
        self._last_command = describe_command(frame)
        command = read_command(frame)
        answer = self._answers.get(command.action) if command is not None else None
        if command is not None and answer is not None:
            return [INQUIRIES[command.action].answer(answer(), self.address)]
        if command is not None and command.action in self._actions:
            socket = self._free_socket()
            if socket is None:
                return [_reply(self.address, 6, 0, BUFFER_FULL)]
            self._keep_setting(frame)
            return self._actions[command.action](command, socket)
        return self._spec_row(frame)

    def _spec_row(self, frame: bytes) -> list[bytes]:
        """Any other row of the spec files: inquiries answer from the registers, commands
        store what they set; anything else is a syntax error."""
        inquiry = visca_spec.find_inquiry(frame)
        if inquiry is not None:
            self._last_command = inquiry.name
            registers = self.registers()
            values = {letter: registers.get(name, 0) for letter, name in inquiry.letters.items()}
            return [visca_spec.fill(inquiry.answer, values, self.address)]
        found = visca_spec.find_command(frame)
        if found is None:
            return [_reply(self.address, 6, 0, SYNTAX_ERROR)]
        row, values = found
        self._last_command = row.name
        if row.action == "if-clear":
            # IF_Clear empties the command buffers: it needs no socket and answers z0 50 FF.
            return [_reply(self.address, 5, 0)]
        socket = self._free_socket()
        if socket is None:
            return [_reply(self.address, 6, 0, BUFFER_FULL)]
        self._keep_setting(frame)
        return self._spec_actions[row.action](row, values, socket)

    def _keep_setting(self, frame: bytes) -> None:
        """Keep what a command sets, for the inquiries that read it back."""
        found = visca_spec.find_command(frame)
        if found is None or not found[0].register:
            return
        row, values = found
        value = row.value
        if value is None:
            value = 0
            for letter in sorted(values, key=row.pattern.index):
                value = value << 8 | values[letter]
        self._registers[row.register] = value

    def registers(self) -> dict[str, int]:
        """What the inquiries report: stored settings, and the model's own state."""
        stored = self._registers
        axes = self._axes
        focus_range = stored["focus-range"]
        return {
            **stored,
            "pan": round(axes["pan"].position), "tilt": round(axes["tilt"].position),
            "zoom": round(axes["zoom"].position), "focus": round(axes["focus"].position),
            "focus-mode": 0x02 if self._autofocus else 0x03,
            "menu": 0x02 if self._menu_open else 0x03,
            # The block inquiries' bits (specs: CAM_*BlockInq).
            "lens-block-w": 1 if self._autofocus else 0,
            "wb-mode-nibble": stored["wb-mode"] & 0x0F,
            "aperture-nibble": stored["aperture"] & 0x0F,
            "camera-block-u": (4 if stored["backlight"] == 0x02 else 0) | (2 if stored["exp-comp-mode"] == 0x02 else 0),
            "exp-comp-nibble": stored["exp-comp"] & 0x0F,
            "power-bit": 1 if stored["power"] == 0x02 else 0,
            "lr-reverse-bit": 4 if stored["lr-reverse"] == 0x02 else 0,
            "picture-effect-nibble": stored["picture-effect"] & 0x0F,
            "picture-flip-bit": 1 if stored["picture-flip"] == 0x02 else 0,
            "color-gain-bits": (stored["color-gain"] & 0x0F) << 3,
            "motion-sync-on": 1 if stored["motion-sync"] == 0x02 else 0,
            "focus-range-on": focus_range >> 16 & 0x0F,
            "focus-range-far": focus_range >> 8 & 0xFF,
            "focus-range-near": focus_range & 0xFF,
        }

    def poll(self, now: float) -> list[bytes]:
        """Completions of moves that have arrived by ``now``."""
        self._advance(now)
        due, self._due = self._due, []
        return due

    def state(self, now: float) -> CameraState:
        self._advance(now)
        speeds = {name: self._speed(name) for name in AXES}
        return CameraState(
            pan=self._axes["pan"].position,
            tilt=self._axes["tilt"].position,
            zoom=self._axes["zoom"].position,
            focus=self._axes["focus"].position,
            pan_speed=speeds["pan"],
            tilt_speed=speeds["tilt"],
            zoom_speed=speeds["zoom"],
            focus_speed=speeds["focus"],
            autofocus=self._autofocus,
            moving=bool(self._moves) or any(speeds.values()),
            last_command=self._last_command,
            settings=dict(self._settings),
            menu_open=self._menu_open,
        )

    # ------------------------------------------------------------------ commands

    def _done(self, command: CommandFrame, socket: int) -> list[bytes]:
        return self._acked(socket)

    def _acked(self, socket: int) -> list[bytes]:
        return [_reply(self.address, 4, socket), _reply(self.address, 5, socket)]

    def _drive(self, axis: str, direction: int, socket: int) -> list[bytes]:
        self._take_over(axis, _variable_rate(axis, direction, STANDARD_LEVEL))
        return self._acked(socket)

    def _absolute(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        return self._start_move(_Move(socket, (("pan", _signed16(values["Y"])), ("tilt", _signed16(values["Z"])))))

    def _relative(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        pan, tilt = self._axes["pan"].position, self._axes["tilt"].position
        targets = (("pan", pan + _signed16(values["Y"])), ("tilt", tilt + _signed16(values["Z"])))
        return self._start_move(_Move(socket, targets))

    def _rtmp(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        # Toggle RTMP pq: p the stream (1, 2), q 2 on / 3 off; the inquiry has a bit per stream.
        stream, state = values["p"] >> 4, values["p"] & 0x0F
        if stream in (1, 2) and state in (2, 3):
            bit = 1 << (stream - 1)
            self._registers["rtmp"] = self._registers["rtmp"] | bit if state == 2 else self._registers["rtmp"] & ~bit
        return self._acked(socket)

    def _pantilt(self, command: CommandFrame, socket: int) -> list[bytes]:
        pan_direction, pan_level, tilt_direction, tilt_level = command.args
        self._take_over("pan", _drive_rate("pan", pan_direction, pan_level, PAN_TOP))
        self._take_over("tilt", _drive_rate("tilt", tilt_direction, tilt_level, TILT_TOP))
        return self._done(command, socket)

    def _variable(self, command: CommandFrame, socket: int) -> list[bytes]:
        direction, level = command.args
        self._take_over(command.action, _variable_rate(command.action, direction, level))
        return self._done(command, socket)

    def _set_autofocus(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._autofocus = {"autofocus on": True, "autofocus off": False}.get(command.action, not self._autofocus)
        return self._done(command, socket)

    def _set(self, command: CommandFrame, socket: int) -> list[bytes]:
        name, mode = command.action.split(" ", 1)
        self._settings[name] = f"{mode} {command.args[0]}" if mode == DIRECT_MODE else mode
        return self._done(command, socket)

    def _menu_key(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._menu_open = not self._menu_open
        return self._done(command, socket)

    def _menu_close(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._menu_open = False
        return self._done(command, socket)

    def _menu_cursor(self, command: CommandFrame, socket: int) -> list[bytes]:
        # The same bytes drive the camera while the menu is closed (args: the drive's).
        return self._done(command, socket) if self._menu_open else self._pantilt(command, socket)

    def _store(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._presets[command.args[0]] = tuple((name, axis.position) for name, axis in self._axes.items())
        return self._done(command, socket)

    def _forget(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._presets.pop(command.args[0], None)
        return self._done(command, socket)

    def _recall(self, command: CommandFrame, socket: int) -> list[bytes]:
        # A memory never stored moves nothing; the command still completes (on the next poll).
        return self._start_move(_Move(socket, self._presets.get(command.args[0], ())))

    def _home(self, command: CommandFrame, socket: int) -> list[bytes]:
        return self._start_move(_Move(socket, (("pan", 0.0), ("tilt", 0.0))))

    # ------------------------------------------------------------------ the model

    def _free_socket(self) -> int | None:
        busy = {move.socket for move in self._moves}
        return next((socket for socket in SOCKETS if socket not in busy), None)

    def _take_over(self, name: str, drive: float) -> None:
        axis = self._axes[name]
        axis.drive = drive
        axis.target = None

    def _start_move(self, move: _Move) -> list[bytes]:
        self._moves.append(move)
        if len(self._moves) == 1:
            self._begin(move)
        return [_reply(self.address, 4, move.socket)]

    def _begin(self, move: _Move) -> None:
        for name, target in move.targets:
            axis = self._axes[name]
            axis.drive = 0.0
            axis.target = AXES[name].clamp(target)

    def _seek_time(self) -> float:
        """Seconds until every axis with a target reaches it."""
        return max(
            (abs(axis.target - axis.position) / AXES[name].top_rate
             for name, axis in self._axes.items() if axis.target is not None),
            default=0.0,
        )

    def _speed(self, name: str) -> float:
        axis = self._axes[name]
        if axis.target is None:
            return axis.drive
        remaining = axis.target - axis.position
        return math.copysign(AXES[name].top_rate, remaining) if remaining else 0.0

    def _advance(self, now: float) -> None:
        """Run the model up to ``now``, finishing moves (in order) on the way."""
        if self._time is None:
            self._time = now
        while self._moves:
            arrival = self._time + self._seek_time()
            if arrival > now + _EPSILON:
                break
            self._integrate(arrival)
            for axis in self._axes.values():
                if axis.target is not None:
                    axis.position, axis.target = axis.target, None
            finished = self._moves.pop(0)
            self._due.append(_reply(self.address, 5, finished.socket))
            if self._moves:
                self._begin(self._moves[0])
        self._integrate(now)

    def _integrate(self, until: float) -> None:
        assert self._time is not None
        elapsed = until - self._time
        if elapsed <= 0:
            return  # time never runs backwards in the model
        for name, axis in self._axes.items():
            limits = AXES[name]
            if axis.target is None:
                axis.position = limits.clamp(axis.position + axis.drive * elapsed)
                continue
            remaining = axis.target - axis.position
            step = limits.top_rate * elapsed
            if abs(remaining) <= step + _EPSILON:
                axis.position = axis.target
            else:
                axis.position += math.copysign(step, remaining)
        self._time = until


# ---------------------------------------------------------------------------- the servers

ReplySender = Callable[[bytes], None]


class SimulatorHandle(ABC):
    """A running simulator: its address, its camera, what it received, and fault knobs.

    ``silent`` makes it receive and ignore everything (a camera that stopped answering);
    ``drop_rate`` drops that share of incoming datagrams (of frames on TCP), drawn from
    the seeded ``rng`` so a test sees the same losses every run; ``drop_packets`` drops
    exactly those incoming packets (1 = the first datagram, or frame on TCP), a loss on
    demand (``ptzmapd simulate --drop-packet N``). ``completion_delay`` sends every
    completion that many seconds after its ACK (``--completion-delay``): a camera that ACKs
    at once and completes later, so replies of two commands interleave (ERRATA).
    """

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        self.kind = kind
        self.host = ""
        self.port = 0
        self.camera = SimulatedCamera()
        #: Readable text of every command received, in order (retransmissions marked).
        self.received: list[str] = []
        self.silent = False
        self.drop_rate = 0.0
        self.drop_packets: set[int] = set()
        #: Packets (datagrams, or frames on TCP) that arrived, dropped ones included.
        self.packets = 0
        self.completion_delay = 0.0
        self.rng = random.Random(0)
        self._clock = clock
        self._log_line: Callable[[str], None] = log if log is not None else _logger.info
        #: Who sent the command that holds each camera socket: its completion goes there.
        self._owners: dict[int, ReplySender] = {}
        self._poller: asyncio.Task[None] | None = None

    @property
    def where(self) -> str:
        """What a config's ``host``/``port`` should say to reach this camera."""
        return f"{self.host}:{self.port}"

    @abstractmethod
    async def _open(self, host: str, port: int) -> None:
        """Bind the server's socket and set ``host`` and ``port``."""

    @abstractmethod
    async def _close_transport(self) -> None:
        """Stop listening and drop every connection."""

    async def close(self) -> None:
        await cancel_and_wait(self._poller)
        self._poller = None
        await self._close_transport()

    def _log(self, text: str) -> None:
        self._log_line(f"[{self.kind} {self.host}:{self.port}] {text}")

    def _accept(self) -> bool:
        """Whether to act on what just arrived (the fault knobs)."""
        if self.silent:
            return False
        self.packets += 1
        if self.packets in self.drop_packets:
            self._log(f"dropped packet {self.packets} (--drop-packet)")
            return False
        return not (self.drop_rate > 0 and self.rng.random() < self.drop_rate)

    def _start_polling(self) -> None:
        self._poller = asyncio.get_running_loop().create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        while True:
            await self._clock.sleep(POLL_INTERVAL)
            self._deliver(self.camera.poll(self._clock.now()))

    def _deliver(self, completions: list[bytes]) -> None:
        for frame in completions:
            reply = parse_reply(frame, None, None)
            send = self._owners.pop(reply.socket, None) if isinstance(reply, Completion) else None
            if send is not None:
                send(frame)

    def _execute(self, frame: bytes, send: ReplySender) -> None:
        """Run one command frame on the camera and send its immediate replies."""
        now = self._clock.now()
        # Completions that fell due go out first: their socket may be the one this command gets.
        self._deliver(self.camera.poll(now))
        self._note(describe_command(frame))
        for reply_frame in self.camera.handle(frame, now):
            reply = parse_reply(reply_frame, None, None)
            if isinstance(reply, Ack):
                self._owners[reply.socket] = send
            elif isinstance(reply, Completion):
                self._owners.pop(reply.socket, None)
                if self.completion_delay > 0:
                    asyncio.get_running_loop().call_later(self.completion_delay, send, reply_frame)
                    continue
            send(reply_frame)

    def _note(self, text: str) -> None:
        self.received.append(text)
        self._log(text)

    def _execute_bare(self, pieces: list[Piece], send: ReplySender) -> None:
        for piece in pieces:
            if piece.junk:
                self._log(f"garbage ({piece.junk}): {hexbytes(piece.data)}")
            else:
                self._execute(piece.data, send)


class _DatagramReceiver(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple[str, int]], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._on_datagram(data, addr)


class _UdpSimulator(SimulatorHandle):
    """Bare VISCA frames in datagrams (PTZOptics UDP 1259); replies go to the sender."""

    _transport: asyncio.DatagramTransport | None = None

    async def _open(self, host: str, port: int) -> None:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _DatagramReceiver(self._datagram), local_addr=(host, port)
        )
        self._transport = transport
        self.host, self.port = transport.get_extra_info("sockname")[:2]

    async def _close_transport(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _sender(self, addr: tuple[str, int]) -> ReplySender:
        def send(datagram: bytes) -> None:
            if self._transport is not None and not self._transport.is_closing():
                self._transport.sendto(datagram, addr)

        return send

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._accept():
            self._bare(data, addr)

    def _bare(self, data: bytes, addr: tuple[str, int]) -> None:
        splitter = FrameSplitter(is_command_start)
        self._execute_bare(splitter.feed(data) + splitter.flush(), self._sender(addr))


@dataclass(slots=True)
class _Peer:
    """What the VISCA-over-IP server remembers about one controller (one address:port)."""

    #: The last sequence number executed; None before the first command or after a RESET.
    last_sequence: int | None = None
    #: The reply datagrams sent for it, to resend when it is retransmitted.
    replies: list[bytes] = field(default_factory=list)


class _ViscaIpSimulator(_UdpSimulator):
    """Sony VISCA over IP: header, sequence numbers, RESET, retransmissions executed once.

    ``quirks`` (:data:`ptzmapd.simulators.QUIRKS` ``["visca-ip"]``) make it behave like the
    loose implementations ERRATA lists.
    """

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        super().__init__(kind, clock, log)
        self._peers: dict[tuple[str, int], _Peer] = {}
        self.quirks: frozenset[str] = frozenset()

    def _pack(self, payload_type: int, sequence: int, payload: bytes) -> bytes:
        """A reply datagram, as this camera's quirks write it."""
        datagram = pack(payload_type, 1 if "reply-seq-1" in self.quirks else sequence, payload)
        if "length-ignored" in self.quirks:
            datagram = datagram[:2] + b"\x00\x00" + datagram[4:]
        return datagram

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self._accept():
            return
        split = unpack(data)
        if split is None:
            self._bare(data, addr)  # cameras take bare frames on this port too
            return
        if "header-refused" in self.quirks:
            self._log(f"header refused, ignored: {hexbytes(data)}")
            return
        header, payload = split
        send = self._sender(addr)
        peer = self._peers.setdefault(addr, _Peer())
        sequence = header.sequence
        if header.payload_type == PayloadType.CONTROL and payload == RESET_PAYLOAD:
            peer.last_sequence, peer.replies = None, []
            self._log(f"#{sequence} reset sequence")
            send(self._pack(PayloadType.CONTROL_REPLY, sequence, RESET_PAYLOAD))
            return
        if header.payload_type not in (PayloadType.COMMAND, PayloadType.INQUIRY):
            self._log(f"#{sequence} ignored payload type 0x{header.payload_type:04X}: {hexbytes(payload)}")
            return
        text = describe_command(payload)
        if "seq-1-3" in self.quirks:
            # ERRATA: acts on 1-3 only, whatever their order; anything else is ignored forever.
            if sequence not in (1, 2, 3):
                self._log(f"#{sequence} {text}: sequence number outside 1-3, ignored")
                return
            self._execute(payload, lambda frame: send(self._pack(PayloadType.REPLY, sequence, frame)))
            return
        if peer.last_sequence is not None and sequence == peer.last_sequence:
            # A retransmission: the controller missed our reply. Answer again, run nothing.
            self._note(f"{text} (retransmission #{sequence})")
            for datagram in peer.replies:
                send(datagram)
            return
        if peer.last_sequence is not None and not newer(sequence, peer.last_sequence):
            self._log(f"#{sequence} {text}: sequence number behind #{peer.last_sequence}, refused")
            send(self._pack(PayloadType.CONTROL_REPLY, sequence, BAD_SEQUENCE))
            return
        peer.last_sequence, peer.replies = sequence, []

        def reply(frame: bytes) -> None:
            datagram = self._pack(PayloadType.REPLY, sequence, frame)
            if peer.last_sequence == sequence:
                peer.replies.append(datagram)
            send(datagram)

        self._execute(payload, reply)


class _TcpSimulator(SimulatorHandle):
    """Bare VISCA frames on a TCP stream (PTZOptics TCP 5678), several clients at once."""

    _server: asyncio.Server | None = None

    def __init__(self, kind: str, clock: Clock, log: Callable[[str], None] | None) -> None:
        super().__init__(kind, clock, log)
        self._writers: set[asyncio.StreamWriter] = set()

    async def _open(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._client, host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    async def _close_transport(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        splitter = FrameSplitter(is_command_start)

        def send(frame: bytes) -> None:
            if not writer.is_closing():
                writer.write(frame)

        try:
            while chunk := await reader.read(4096):
                if self.silent:
                    continue
                pieces = [piece for piece in splitter.feed(chunk) if self._accept()]
                self._execute_bare(pieces, send)
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


#: The simulators ``ptzmapd simulate`` can run, by the protocol name a config uses.
SIMULATOR_KINDS: dict[str, Callable[[str, Clock, Callable[[str], None] | None], SimulatorHandle]] = {
    "visca-ip": _ViscaIpSimulator,
    "visca-udp": _UdpSimulator,
    "visca-tcp": _TcpSimulator,
}


async def start_simulator(
    kind: str,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
    log: Callable[[str], None] | None = None,
    quirks: Iterable[str] = (),
) -> SimulatorHandle:
    """Serve a simulated camera on ``host:port`` (port 0: any free port, see ``.port``).

    ``log`` gets one line per command received (default: this module's logger at INFO);
    ``quirks`` are names from :data:`ptzmapd.simulators.QUIRKS` for ``kind`` (PtzmapdError
    listing the valid ones otherwise).
    """
    factory = SIMULATOR_KINDS.get(kind)
    if factory is None:
        raise PtzmapdError(f"unknown simulator {kind!r} (valid: {', '.join(sorted(SIMULATOR_KINDS))})")
    wanted = frozenset(quirks)
    known = QUIRKS.get(kind, {})
    unknown = sorted(wanted - set(known))
    if unknown:
        raise PtzmapdError(f"simulate {kind} has no quirk {unknown[0]!r} (valid: {', '.join(known) or 'none'})")
    handle = factory(kind, clock if clock is not None else MonotonicClock(), log)
    if isinstance(handle, _ViscaIpSimulator):
        handle.quirks = wanted
    await handle._open(host, port)
    handle._start_polling()
    return handle


async def start(
    kind: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    quirks: Iterable[str] = (),
    completion_delay: float = 0.0,
    drop_packets: Iterable[int] = (),
    **_: object,
) -> SimulatorHandle:
    """The ``ptzmapd simulate`` entry point (see :data:`ptzmapd.simulators.SIMULATORS`);
    ``completion_delay`` and ``drop_packets`` are the fault knobs of :class:`SimulatorHandle`."""
    handle = await start_simulator(kind, host, port, log=log, quirks=quirks)
    handle.completion_delay = completion_delay
    handle.drop_packets = set(drop_packets)
    return handle
