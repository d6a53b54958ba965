"""Cutting a byte stream into frames: what the VISCA and Pelco splitters share.

Serial lines and TCP streams deliver frames in arbitrary pieces, run them together and, on a
noisy RS-485 bus, mix in garbage. A splitter keeps what it has not used yet, cuts off whole
frames as they complete, and reports the bytes that belong to no frame as junk, with the
reason, so the caller can log them once instead of losing the stream. Only the rules differ
per protocol: where a frame may start, and where it ends.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Piece:
    """What a splitter found: a whole frame, or junk (``junk`` says why)."""

    data: bytes
    junk: str = ""


class Cut(NamedTuple):
    """How many bytes at the front of the buffer make the next piece; junk when a reason is given."""

    length: int
    junk: str = ""


class StreamSplitter(ABC):
    """Frames out of a byte stream, whatever sizes it arrives in.

    A subclass says where a frame may start (:meth:`_find_start`) and, for a buffer that
    begins at a start, what its front is (:meth:`_cut`). Bytes before a start are junk.
    Adjacent junk is reported as one piece, under the first reason seen.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Piece]:
        """The frames (and junk) that ``data`` completes, in stream order."""
        buffer = self._buffer
        buffer += data
        pieces: list[Piece] = []
        junk = bytearray()
        reason = ""
        while buffer:
            start = self._find_start(buffer)
            if start is None:
                junk += buffer
                reason = reason or "no frame start"
                buffer.clear()
                break
            if start:
                junk += buffer[:start]
                reason = reason or "bytes before a frame start"
                del buffer[:start]  # the buffer now begins at the start found: no second search
            cut = self._cut(buffer)
            if cut is None:
                break  # the rest of the frame is still on its way
            if cut.junk:
                junk += buffer[: cut.length]
                reason = reason or cut.junk
            else:
                if junk:
                    pieces.append(Piece(bytes(junk), reason))
                    junk.clear()
                    reason = ""
                pieces.append(Piece(bytes(buffer[: cut.length])))
            del buffer[: cut.length]
        if junk:
            pieces.append(Piece(bytes(junk), reason))
        return pieces

    def flush(self) -> list[Piece]:
        """Whatever is left, as junk: the stream (or a datagram) ended inside a frame."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return [Piece(rest, "truncated frame")] if rest else []

    def clear(self) -> None:
        """Forget a partial frame: after a reconnect its rest will never come."""
        self._buffer.clear()

    @abstractmethod
    def _find_start(self, buffer: bytearray) -> int | None:
        """Index of the first byte that may start a frame; None if there is none."""

    @abstractmethod
    def _cut(self, buffer: bytearray) -> Cut | None:
        """The piece at the front of ``buffer`` (which begins at a start byte); None: wait for more.

        A cut must be at least one byte long, so that the stream always moves on.
        """
