"""Simulated serial cameras: a VISCA daisy chain or a Pelco RS-485 bus, on a pty or a TCP port.

This module owns what ``ptzmapd simulate visca-serial|pelco-d|pelco-p`` runs:

- the line: a real pty pair (the slave's ``/dev/pts/N`` path is what a config's ``device:``
  names; pyserial opens it like any tty) or a TCP server (``socket://HOST:PORT``, the way a
  serial device server is reached);
- :class:`ViscaChain`: cameras 1..N of :class:`~ptzmapd.simulators.visca.SimulatedCamera`
  behind one line, answering AddressSet and IF_Clear, routing commands by address, replying
  with z = address + 8;
- :class:`PelcoDome` and :class:`PelcoBus`: domes that read frames with the codec's own
  tables (checksum verified; garbage counted and skipped up to the next frame start), move
  at the speeds they are given, keep presets, and never answer (one-way RS-485).

The chain and the bus are sans-io (bytes and ``now`` in, reply bytes out); the handle runs
them on the line and records what arrived: ``received`` (readable text per frame, e.g.
``[pelco-d #1] pan left 0x20, tilt stop``), ``frame_times`` (arrival of each, same order),
``bad_frames``. Pelco dome units: pan degrees 0..360 (wrapping), tilt degrees -90..90,
zoom/focus/iris 0..1; pan 0x3F is 100 degrees/s (turbo 200), tilt 0x3F is 60 degrees/s, the
lens crosses its range in 4 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tty
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any, Callable

from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.pelco.codec import (
    DIALECTS,
    HOME_PRESET,
    PAN_TOP,
    STOPPED,
    TILT_TOP,
    Dialect,
    Motion,
    PelcoFrame,
    PelcoSplitter,
    read_frame,
)
from ptzmapd.protocols.framing import Piece
from ptzmapd.protocols.units import hexbytes
from ptzmapd.protocols.visca.tables import reply_start
from ptzmapd.protocols.visca.read import NETWORK_CHANGE, FrameSplitter
from ptzmapd.protocols.visca.tables import TERMINATOR, is_command_start
from ptzmapd.protocols.visca.serial import ADDRESS_SET, BROADCAST, IF_CLEAR, address_set_answer, describe_frame
from ptzmapd.simulators import QUIRKS
from ptzmapd.simulators.visca import POLL_INTERVAL, SimulatedCamera
from ptzmapd.transports.serial import BITS_PER_BYTE
from ptzmapd.tasks import cancel_and_wait

_logger = logging.getLogger(__name__)

#: A frame that arrives sooner than this share of its wire time after the previous one came
#: faster than the line allows (counted; on a pty the kernel does not pace, so this measures
#: the sender's pacing, blurred by scheduling).
EARLY_SHARE = 0.5


class Recorder:
    """What a simulated line received, for the log, the tests and the benchmarks."""

    def __init__(self, kind: str, log: Callable[[str], None]) -> None:
        self.kind = kind
        self._log = log
        #: Readable text of each frame decoded, in order.
        self.received: list[str] = []
        #: When each of those arrived (the loop's clock), same order.
        self.frame_times: list[float] = []
        #: Pieces of garbage skipped (bad checksum, bytes outside a frame).
        self.bad_frames = 0

    def frame(self, now: float, who: str, text: str) -> None:
        line = f"[{self.kind} {who}] {text}"
        self.received.append(line)
        self.frame_times.append(now)
        self._log(line)

    def garbage(self, piece: Piece) -> None:
        self.bad_frames += 1
        self._log(f"[{self.kind}] garbage ({piece.junk}): {hexbytes(piece.data)}")


# ---------------------------------------------------------------------------- VISCA chain

class ViscaChain:
    """Serial VISCA cameras 1..N on one daisy chain.

    ``quirks`` (:data:`ptzmapd.simulators.QUIRKS` ``["visca-serial"]``): ``if-clear-silent``
    leaves the IF_Clear broadcast unechoed; ``network-change`` has the addressed camera say
    ``z0 38 FF`` after its first command (ERRATA: a camera re-plugged into the chain).
    """

    def __init__(self, cameras: int, recorder: Recorder, quirks: Iterable[str] = ()) -> None:
        if not 1 <= cameras <= 7:
            raise PtzmapdError(f"a VISCA daisy chain has 1..7 cameras, got {cameras}")
        self.cameras = {address: SimulatedCamera(address) for address in range(1, cameras + 1)}
        self._recorder = recorder
        self._splitter = FrameSplitter(is_command_start)
        self.quirks = frozenset(quirks)
        self._changes_to_announce = "network-change" in self.quirks

    def feed(self, data: bytes, now: float) -> list[bytes]:
        replies: list[bytes] = []
        for piece in self._splitter.feed(data):
            if piece.junk:
                self._recorder.garbage(piece)
            else:
                replies += self._command(piece.data, now)
        return replies

    def _command(self, frame: bytes, now: float) -> list[bytes]:
        address = frame[0] & 0x0F
        if frame[0] == BROADCAST:
            self._recorder.frame(now, "all", describe_frame(frame))
            if frame == ADDRESS_SET.frame:
                return [address_set_answer(len(self.cameras))]
            if frame == IF_CLEAR.frame:
                if "if-clear-silent" in self.quirks:
                    return []
                return [IF_CLEAR.frame]  # the broadcast comes back round the chain
            for each in self.cameras.values():
                each.handle(bytes([0x80 | each.address]) + frame[1:], now)
            return []
        self._recorder.frame(now, f"#{address}", describe_frame(frame))
        camera = self.cameras.get(address)
        if camera is None:
            return []  # nobody on the chain has that address
        replies = camera.handle(frame, now)
        if self._changes_to_announce:
            self._changes_to_announce = False
            replies.append(bytes([reply_start(address), NETWORK_CHANGE, TERMINATOR]))
        return replies

    def poll(self, now: float) -> list[bytes]:
        return [reply for camera in self.cameras.values() for reply in camera.poll(now)]


# ---------------------------------------------------------------------------- Pelco bus

PAN_RATE = 100.0
TURBO_RATE = 200.0
TILT_RATE = 60.0
LENS_RATE = 0.25
#: Axis -> (low, high); pan wraps round instead.
RANGES: dict[str, tuple[float, float]] = {
    "pan": (0.0, 360.0),
    "tilt": (-90.0, 90.0),
    "zoom": (0.0, 1.0),
    "focus": (0.0, 1.0),
    "iris": (0.0, 1.0),
}


@dataclass(frozen=True, slots=True)
class DomeState:
    """A snapshot of a dome: positions in dome units, speeds in units per second."""

    pan: float
    tilt: float
    zoom: float
    focus: float
    iris: float
    speeds: dict[str, float]
    motion: Motion
    moving: bool
    last_command: str
    presets: tuple[int, ...]


class PelcoDome:
    """One Pelco dome, sans-io: feed it frames read by :func:`read_frame` and the time."""

    def __init__(self, dialect: Dialect, address: int) -> None:
        self.dialect = dialect
        self.address = address
        self._position = {"pan": 0.0, "tilt": 0.0, "zoom": 0.0, "focus": 0.5, "iris": 0.5}
        self._motion = STOPPED
        self._presets: dict[int, dict[str, float]] = {}
        self._time: float | None = None
        self._last_command = ""
        self._actions: dict[str, Callable[[PelcoFrame], None]] = {
            "motion": self._move,
            "preset set": self._store,
            "preset clear": self._clear,
            "preset goto": self._goto,
            "unknown": lambda frame: None,
        }

    def handle(self, frame: PelcoFrame, now: float) -> None:
        self._advance(now)
        self._last_command = frame.text
        self._actions[frame.action](frame)

    def state(self, now: float) -> DomeState:
        self._advance(now)
        speeds = self._speeds()
        position = self._position
        return DomeState(
            pan=position["pan"], tilt=position["tilt"], zoom=position["zoom"],
            focus=position["focus"], iris=position["iris"],
            speeds=speeds,
            motion=self._motion,
            moving=any(speeds.values()),
            last_command=self._last_command,
            presets=tuple(sorted(self._presets)),
        )

    def _move(self, frame: PelcoFrame) -> None:
        assert frame.motion is not None
        self._motion = frame.motion

    def _store(self, frame: PelcoFrame) -> None:
        assert frame.number is not None
        self._presets[frame.number] = dict(self._position)

    def _clear(self, frame: PelcoFrame) -> None:
        assert frame.number is not None
        self._presets.pop(frame.number, None)

    def _goto(self, frame: PelcoFrame) -> None:
        assert frame.number is not None
        stored = self._presets.get(frame.number)
        if stored is not None:
            self._position.update(stored)
        elif frame.number == HOME_PRESET:
            self._position["pan"] = 0.0  # Pelco's "pan zero" preset when none is stored there
        # A preset move ends the manual motion (the real thing travels; this one arrives at once).
        self._motion = STOPPED

    def _speeds(self) -> dict[str, float]:
        motion = self._motion
        pan_rate = TURBO_RATE if motion.pan_speed == self.dialect.turbo else min(motion.pan_speed, PAN_TOP) / PAN_TOP * PAN_RATE
        return {
            "pan": motion.pan * pan_rate,
            "tilt": motion.tilt * min(motion.tilt_speed, TILT_TOP) / TILT_TOP * TILT_RATE,
            "zoom": motion.zoom * LENS_RATE,
            "focus": motion.focus * LENS_RATE,
            "iris": motion.iris * LENS_RATE,
        }

    def _advance(self, now: float) -> None:
        if self._time is not None and now > self._time:
            elapsed = now - self._time
            for axis, speed in self._speeds().items():
                low, high = RANGES[axis]
                position = self._position[axis] + speed * elapsed
                self._position[axis] = position % 360.0 if axis == "pan" else min(high, max(low, position))
        self._time = now if self._time is None else max(self._time, now)


class PelcoBus:
    """Pelco domes 1..N on one RS-485 bus. They never answer."""

    def __init__(self, dialect: Dialect, cameras: int, baud: int, recorder: Recorder) -> None:
        if not 1 <= cameras <= 255:
            raise PtzmapdError(f"a Pelco bus has 1..255 cameras here, got {cameras}")
        self.dialect = dialect
        self.cameras = {address: PelcoDome(dialect, address) for address in range(1, cameras + 1)}
        self.baud = baud
        #: Frames that came sooner after the previous one than the line rate allows.
        self.early_frames = 0
        self._recorder = recorder
        self._splitter = PelcoSplitter(dialect)
        self._last_arrival: float | None = None

    def feed(self, data: bytes, now: float) -> list[bytes]:
        for piece in self._splitter.feed(data):
            frame = None if piece.junk else read_frame(self.dialect, piece.data)
            if frame is None:
                self._recorder.garbage(piece)
                continue
            wire_time = len(piece.data) * BITS_PER_BYTE / self.baud
            if self._last_arrival is not None and now - self._last_arrival < EARLY_SHARE * wire_time:
                self.early_frames += 1
            self._last_arrival = now
            self._recorder.frame(now, f"#{frame.address}", frame.text)
            dome = self.cameras.get(frame.address)
            if dome is not None:
                dome.handle(frame, now)
        return []

    def poll(self, now: float) -> list[bytes]:
        return []


# ---------------------------------------------------------------------------- the handle


class SerialSimulator:
    """A running serial simulator: where to point a config, the cameras, what arrived."""

    def __init__(self, kind: str, line: ViscaChain | PelcoBus, recorder: Recorder, log: Callable[[str], None]) -> None:
        self.kind = kind
        self.line = line
        self.recorder = recorder
        #: What a config's ``device:`` should say: ``/dev/pts/N`` or ``socket://HOST:PORT``.
        self.where = ""
        self._log = log
        self._loop = asyncio.get_running_loop()
        self._master: int | None = None
        self._slave: int | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._poller: asyncio.Task[None] | None = None

    @property
    def cameras(self) -> dict[int, Any]:
        """Address -> camera model (SimulatedCamera or PelcoDome)."""
        return dict(self.line.cameras)

    @property
    def received(self) -> list[str]:
        return self.recorder.received

    @property
    def frame_times(self) -> list[float]:
        return self.recorder.frame_times

    @property
    def bad_frames(self) -> int:
        return self.recorder.bad_frames

    def now(self) -> float:
        return self._loop.time()

    # -- a pty

    def open_pty(self) -> None:
        master, slave = os.openpty()
        # Raw: no echo, no line editing, no CR/LF translation; bytes pass as they are.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        # The simulator keeps the slave open too, so the master never reads EIO while the
        # controller closes and reopens the device.
        self.where = os.ttyname(slave)
        self._loop.add_reader(master, self._pty_readable)

    def _pty_readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._log(f"[{self.kind}] pty read failed: {exc}")
            return
        self._write(self.line.feed(data, self.now()))

    # -- a TCP port (socket://)

    async def open_tcp(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._client, host, port)
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        self.where = f"socket://{bound_host}:{bound_port}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while chunk := await reader.read(4096):
                self._write(self.line.feed(chunk, self.now()))
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    # -- both

    def _write(self, replies: list[bytes]) -> None:
        data = b"".join(replies)
        if not data:
            return
        if self._master is not None:
            try:
                os.write(self._master, data)
            except OSError as exc:  # nobody reading and the buffer full: a real line drops it too
                self._log(f"[{self.kind}] pty write failed: {exc}")
        for writer in list(self._writers):
            if not writer.is_closing():
                writer.write(data)

    def start_polling(self) -> None:
        if isinstance(self.line, ViscaChain):  # only VISCA has completions that fall due later
            self._poller = self._loop.create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            self._write(self.line.poll(self.now()))

    async def close(self) -> None:
        await cancel_and_wait(self._poller)
        self._poller = None
        if self._master is not None:
            self._loop.remove_reader(self._master)
            os.close(self._master)
            self._master = None
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None


#: The simulators this module runs, by the protocol name a config uses.
KINDS: tuple[str, ...] = ("visca-serial", *DIALECTS)


async def start(
    kind: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    serial: str = "pty",
    cameras: int = 1,
    baud: int | None = None,
    quirks: Iterable[str] = (),
    **_: object,
) -> SerialSimulator:
    """The ``ptzmapd simulate`` entry point (see :data:`ptzmapd.simulators.SIMULATORS`).

    ``serial="pty"`` serves a pty (``.where`` is its ``/dev/pts/N``); ``"tcp"`` a TCP port on
    ``host:port`` (``.where`` is ``socket://HOST:PORT``; port 0 picks a free one). ``baud`` is
    the line speed the Pelco bus checks arrival gaps against (default: the protocol's).
    ``quirks``: names from :data:`ptzmapd.simulators.QUIRKS` for ``kind``.
    """
    if kind not in KINDS:
        raise PtzmapdError(f"unknown serial simulator {kind!r} (valid: {', '.join(KINDS)})")
    known = QUIRKS.get(kind, {})
    unknown = sorted(set(quirks) - set(known))
    if unknown:
        raise PtzmapdError(f"simulate {kind} has no quirk {unknown[0]!r} (valid: {', '.join(known) or 'none'})")
    if serial not in ("pty", "tcp"):
        raise PtzmapdError(f"serial simulators run on 'pty' or 'tcp', not {serial!r}")
    write_line = log if log is not None else _logger.info
    recorder = Recorder(kind, write_line)
    line: ViscaChain | PelcoBus
    if kind == "visca-serial":
        line = ViscaChain(cameras, recorder, quirks)
    else:
        line = PelcoBus(DIALECTS[kind], cameras, baud or int(PROTOCOLS[kind].default_baud or 0), recorder)
    handle = SerialSimulator(kind, line, recorder, write_line)
    if serial == "pty":
        handle.open_pty()
    else:
        await handle.open_tcp(host, port)
    handle.start_polling()
    return handle
