"""Serial transport: one RS-232/RS-485 line, shared by every camera on it, paced to its baud rate.

This module owns the serial wire: opening a device path or a pyserial URL (``socket://`` and
``rfc2217://`` serial device servers, ``loop://``) in the background, reopening it with backoff
when it is missing or vanishes, reading and writing without blocking the event loop, and
:class:`BusSchedule`, the pure rules of a shared slow bus: never start a frame before the
previous one has left the wire, and serve the cameras that wait for the wire in turn.

Why threads: pyserial's URL handlers do not all have a file descriptor the loop could watch
(``rfc2217://`` runs its own protocol thread, ``loop://`` is a queue), so a reader thread that
blocks in ``read`` serves every handler the same way and hands bytes to the loop with
``call_soon_threadsafe``. Opening, writing and closing run on one I/O thread, in order, so a
slow device server or a stuck USB adapter never stalls the loop, and a write never races a
close. Idle cost: on a tty the reader blocks until data comes (``cancel_read`` wakes it to
close); handlers without ``cancel_read`` wake every :data:`READ_TIMEOUT` seconds to look
whether they should stop.

Why pace: a UART sends 10 bits per byte (8N1: start, 8 data, stop), so a 7-byte Pelco frame
takes 29 ms at 2400 baud. Frames handed to the kernel faster than that queue up in its
buffer, and then the newest value is no longer what goes out next. So a camera writes only
when the wire is free, and a camera that had to wait picks what to send when its turn comes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import serial

from ptzmapd.errors import TransportError
from ptzmapd.config.model import SerialLink
from ptzmapd.transports.base import Transport, TurnCallback
from ptzmapd.tasks import cancel_and_wait

if TYPE_CHECKING:
    from ptzmapd.config.model import CameraConfig

#: 8N1: a start bit, eight data bits and a stop bit per byte.
BITS_PER_BYTE = 10
#: A missing device is tried again after 1 s, doubling up to 10 s.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 10.0
#: How often a reader that cannot be cancelled looks whether it should stop (seconds).
READ_TIMEOUT = 0.5
#: A write the device does not take within this long means the device is gone.
WRITE_TIMEOUT = 2.0
#: Bytes read in one go at most (a reader hands over what is there, not a fixed size).
READ_CHUNK = 4096
#: asyncio may run a timer a hair before its time; a microsecond is far below a bit time.
TOLERANCE = 1e-6
#: How long closing waits for the last frames to leave the wire.
DRAIN_MAX = 1.0


class BusSchedule:
    """When the next frame may start on a shared line, and whose turn it is (pure: the
    caller passes the time in).

    ``free_at`` is when the frame last written has left the wire. A camera asks for the
    wire with :meth:`request_turn`: yes only when the wire is free, nothing is held and
    nobody else waits; otherwise its callback joins the queue (once per camera). When the
    wire frees, :meth:`serve` first writes what was held (a frame sent without a turn, such
    as a retransmission), then calls the waiting cameras in order until one has written.
    A camera that wrote joins the back of the queue when it asks again: round-robin.
    """

    def __init__(self, baud: int) -> None:
        if baud <= 0:
            raise ValueError(f"baud must be a positive number, got {baud!r}")
        self.baud = baud
        self.free_at = float("-inf")
        self._waiting: deque[TurnCallback] = deque()
        self._held: deque[bytes] = deque()

    def wire_time(self, size: int) -> float:
        """Seconds ``size`` bytes take on the wire."""
        return size * BITS_PER_BYTE / self.baud

    def is_free(self, now: float) -> bool:
        return now + TOLERANCE >= self.free_at

    @property
    def waiting(self) -> int:
        """Cameras waiting for a turn."""
        return len(self._waiting)

    def request_turn(self, now: float, take_turn: TurnCallback) -> bool:
        if self.is_free(now) and not self._held and not self._waiting:
            return True
        if take_turn not in self._waiting:  # bound methods compare equal per camera
            self._waiting.append(take_turn)
        return False

    def write(self, now: float, data: bytes) -> bool:
        """A frame handed over: True if it goes on the wire now (its wire time is booked),
        False if it is held until the wire frees (:meth:`serve` hands it back)."""
        if self.is_free(now) and not self._held:
            self._book(now, len(data))
            return True
        self._held.append(data)
        return False

    def _book(self, now: float, size: int) -> None:
        self.free_at = max(now, self.free_at) + self.wire_time(size)

    def due(self) -> float | None:
        """When :meth:`serve` should run next: when the wire frees, if anyone waits."""
        return self.free_at if self._held or self._waiting else None

    def serve(self, now: float) -> bytes | None:
        """The wire may be free: the held frame to write now (booked), if any; else waiting
        cameras are called in turn until one has written (through :meth:`write`)."""
        if not self.is_free(now):
            return None
        if self._held:
            data = self._held.popleft()
            self._book(now, len(data))
            return data
        while self._waiting and self.is_free(now):
            take_turn = self._waiting.popleft()
            take_turn()  # writes through write(), which books the wire, or declines
        return None

    def restart(self, now: float) -> None:
        """A new line (reopened device): nothing held is still worth sending; the wire is
        free. Waiting cameras keep their place: they are served once the line is up."""
        self._held.clear()
        self.free_at = now


def serial_link(camera: "CameraConfig") -> SerialLink:
    """The camera's device and line speed (the config gives the protocol's default when unset)."""
    link = camera.link
    if not isinstance(link, SerialLink):  # a protocol spec naming the wrong transport: a bug
        raise TypeError(f"camera {camera.name!r}: {camera.protocol} is not carried on a serial line")
    return link


class SerialTransport(Transport):
    """One serial device (path or pyserial URL) and the cameras on it.

    ``camera`` names the camera whose config set the line speed, for warnings.
    """

    #: Open transports by device: a second camera on a device is checked against the first.
    by_device: ClassVar[dict[str, SerialTransport]] = {}

    def __init__(self, device: str, baud: int, log: logging.Logger | None = None, *, camera: str = "") -> None:
        super().__init__(device, log)
        self.device = device
        self.baud = baud
        self.camera = camera
        self.schedule = BusSchedule(baud)
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The open port, as the loop knows it (None while the device is missing).
        self._port: Any = None
        #: Opening, writing and closing, in order, off the loop.
        self._io: ThreadPoolExecutor | None = None
        #: Touched only on the I/O thread: the port it opened and that port's reader.
        self._io_port: Any = None
        self._io_reader: tuple[threading.Thread, threading.Event] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        SerialTransport.by_device[device] = self

    # ------------------------------------------------------------------ the line's life

    async def open(self) -> None:
        """Start trying to open the device; returns at once (cameras wait for ``connected``)."""
        self._loop = asyncio.get_running_loop()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ptzmapd-serial")
        self._keeper = self._loop.create_task(self._keep_open())

    async def _keep_open(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_FIRST
        failures = 0
        while not self._closing:
            try:
                port = await loop.run_in_executor(self._io, self._open_io, loop)
            except Exception as exc:  # SerialException, OSError, ValueError: a missing device must not stop us
                failures += 1
                # Say it once, then keep trying quietly: a cable that is out is not news every second.
                level = logging.WARNING if failures == 1 else logging.DEBUG
                self.log.log(level, "[%s] cannot open (%s); retrying every %g-%g s", self.endpoint, exc, BACKOFF_FIRST, BACKOFF_MAX)
                await asyncio.sleep(backoff)
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            if failures:
                self.log.info("[%s] open at %d baud", self.endpoint, self.baud)
            else:
                self.log.debug("[%s] open at %d baud", self.endpoint, self.baud)
            failures = 0
            backoff = BACKOFF_FIRST
            self._lost.clear()
            self._port = port
            self.schedule.restart(loop.time())
            self._set_connected(True)
            self._serve()
            await self._lost.wait()
            await loop.run_in_executor(self._io, self._close_io)
            failures = 1  # the loss was logged: failing to reopen is not news, reopening is

    def _on_lost(self, port: Any, exc: BaseException) -> None:
        """The reader or a write failed: the device vanished (unplugged, server gone)."""
        if port is not self._port or self._closing:
            return
        self.log.warning("[%s] device lost (%s); reopening", self.endpoint, exc)
        self._port = None
        self._cancel_timer()
        self.schedule.restart(self._loop.time() if self._loop else 0.0)
        self._set_connected(False)
        self._lost.set()

    async def close(self) -> None:
        loop = self._loop
        if loop is not None and self._port is not None:
            # Let what is on the wire or held leave it: a closed port may drop its buffer.
            deadline = loop.time() + DRAIN_MAX
            while self._port is not None and loop.time() < deadline:
                if self.schedule.due() is None and self.schedule.is_free(loop.time()):
                    break
                await asyncio.sleep(max(0.001, min(self.schedule.free_at, deadline) - loop.time()))
        self._closing = True
        self._cancel_timer()
        await cancel_and_wait(self._keeper)
        if self._io is not None and loop is not None:
            await loop.run_in_executor(self._io, self._close_io)
            self._io.shutdown(wait=False)
        self._port = None
        if SerialTransport.by_device.get(self.device) is self:
            del SerialTransport.by_device[self.device]
        await super().close()

    # ------------------------------------------------------------------ on the I/O thread

    def _open_io(self, loop: asyncio.AbstractEventLoop) -> Any:
        # exclusive: a second program writing the same bus would garble both (ignored by URL handlers).
        port = serial.serial_for_url(
            self.device, baudrate=self.baud, timeout=READ_TIMEOUT, write_timeout=WRITE_TIMEOUT, exclusive=True
        )
        if hasattr(port, "cancel_read"):
            port.timeout = None  # block until data: cancel_read() wakes it to close
        stop = threading.Event()
        reader = threading.Thread(
            target=self._read_forever, args=(port, stop, loop), name=f"ptzmapd-serial-read {self.device}", daemon=True
        )
        self._io_port, self._io_reader = port, (reader, stop)
        reader.start()
        return port

    def _read_forever(self, port: Any, stop: threading.Event, loop: asyncio.AbstractEventLoop) -> None:
        while not stop.is_set():
            try:
                data = port.read(1)
                while data and len(data) < READ_CHUNK and (waiting := port.in_waiting):
                    data += port.read(min(waiting, READ_CHUNK - len(data)))
            except Exception as exc:  # any failure of a handler means the line is gone
                if not stop.is_set():
                    self._call_soon(loop, self._on_lost, port, exc)
                return
            if data:
                self._call_soon(loop, self._deliver, data)

    @staticmethod
    def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: the daemon is exiting
            pass

    def _write_io(self, port: Any, data: bytes) -> None:
        if port is self._io_port:  # never a port closed meanwhile
            port.write(data)

    def _close_io(self) -> None:
        port, reader = self._io_port, self._io_reader
        self._io_port = self._io_reader = None
        if port is None:
            return
        thread, stop = reader if reader is not None else (None, None)
        if stop is not None:
            stop.set()
        try:
            if hasattr(port, "cancel_read"):
                port.cancel_read()  # a tty: wake the reader before its fd goes
                if thread is not None:
                    thread.join(timeout=1.0)
                port.close()
            else:
                port.close()  # a socket: shutting it down wakes the reader
                if thread is not None:
                    thread.join(timeout=READ_TIMEOUT + 1.0)
        except Exception as exc:  # closing a vanished device may fail; it is gone either way
            self.log.debug("[%s] closing: %s", self.endpoint, exc)

    # ------------------------------------------------------------------ writing and turns

    def request_turn(self, take_turn: TurnCallback) -> bool:
        if self._loop is None:
            return True
        granted = self.schedule.request_turn(self._loop.time(), take_turn)
        if not granted:
            self._arm()
        return granted

    def send(self, data: bytes) -> None:
        if self._port is None or self._loop is None or self._closing:
            raise TransportError(f"{self.endpoint}: not open")
        if self.schedule.write(self._loop.time(), data):
            self._put_on_wire(data)
        self._arm()

    def _put_on_wire(self, data: bytes) -> None:
        assert self._loop is not None
        port = self._port
        written = self._loop.run_in_executor(self._io, self._write_io, port, data)
        written.add_done_callback(functools.partial(self._written, port))

    def _written(self, port: Any, written: "asyncio.Future[None]") -> None:
        if written.cancelled():
            return
        exc = written.exception()
        if exc is not None:
            self._on_lost(port, exc)

    def _serve(self) -> None:
        """The wire may have freed: write what is held, or give the next camera its turn."""
        if self._loop is None or self._port is None:
            return
        data = self.schedule.serve(self._loop.time())
        if data is not None:
            self._put_on_wire(data)
        self._arm()

    def _arm(self) -> None:
        """A timer for when the wire frees, while anyone waits for it."""
        due = self.schedule.due()
        if self._timer is not None and (due is None or self._timer.when() != due):
            self._cancel_timer()
        if due is not None and self._timer is None and self._loop is not None and self._port is not None:
            self._timer = self._loop.call_at(due, self._on_free)

    def _on_free(self) -> None:
        self._timer = None
        self._serve()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


# ---------------------------------------------------------------------- the TRANSPORTS row


def serial_endpoint(camera: "CameraConfig") -> str:
    """The key of a camera's line: its device. Every camera on one device shares it, at the
    speed of the first; a camera asking for another speed is named in a warning."""
    device, baud = serial_link(camera).device, serial_link(camera).baud
    transport = SerialTransport.by_device.get(device)
    if transport is not None and transport.baud != baud:
        transport.log.warning(
            "[%s] camera %r asks for %d baud, but the line runs at %d baud as camera %r set it; "
            "every camera on one line must use the same speed",
            device, camera.name, baud, transport.baud, transport.camera,
        )
    return device


def make_serial_transport(camera: "CameraConfig", log: logging.Logger) -> SerialTransport:
    link = serial_link(camera)
    return SerialTransport(link.device, link.baud, log, camera=camera.name)
