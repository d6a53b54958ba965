"""Stream splitting shared by VISCA and Pelco: no byte is lost, frames survive any chunking."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ptzmapd.commands import PanTilt, PresetRecall
from ptzmapd.protocols.framing import Piece, StreamSplitter
from ptzmapd.protocols.pelco.codec import PELCO_D, PELCO_P, PelcoDCodec, PelcoPCodec, PelcoSplitter
from ptzmapd.protocols.visca.read import FrameSplitter
from ptzmapd.protocols.visca.tables import MAX_FRAME, is_reply_start
from ptzmapd.protocols.base import SpeedLimits

PELCO_LIMITS = SpeedLimits(pan=0x3F, tilt=0x3F, zoom=3, focus=3)

VISCA_FRAMES = [
    bytes.fromhex("9041ff"),  # ACK, socket 1
    bytes.fromhex("9051ff"),  # completion
    bytes.fromhex("906002ff"),  # syntax error
    bytes.fromhex("905002ff"),  # an inquiry answer
]


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


def run(splitter: StreamSplitter, chunks: list[bytes]) -> list[Piece]:
    pieces: list[Piece] = []
    for chunk in chunks:
        pieces += splitter.feed(chunk)
    return pieces + splitter.flush()


def no_visca_start(data: bytes) -> bool:
    return not any(is_reply_start(byte) for byte in data)


@given(
    stream=st.lists(
        st.one_of(st.sampled_from(VISCA_FRAMES), st.binary(min_size=1, max_size=5).filter(no_visca_start)),
        max_size=12,
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_visca_frames_come_out_whole_and_every_byte_is_accounted_for(stream: list[bytes], cuts: list[int]) -> None:
    data = b"".join(stream)
    pieces = run(FrameSplitter(is_reply_start), chunked(data, cuts))
    assert b"".join(piece.data for piece in pieces) == data  # nothing dropped, nothing invented
    # Every frame that followed junk without a start byte in it is still found, in order.
    assert [piece.data for piece in pieces if not piece.junk] == [part for part in stream if part in VISCA_FRAMES]
    # Within one read, junk next to junk is one piece (one log line, not one per byte).
    whole = FrameSplitter(is_reply_start).feed(data)
    assert all(not (a.junk and b.junk) for a, b in zip(whole, whole[1:]))


def test_visca_junk_reasons() -> None:
    splitter = FrameSplitter(is_reply_start)
    assert splitter.feed(b"\x01\x02") == [Piece(b"\x01\x02", "no frame start")]
    assert splitter.feed(b"\x01\x90\x41\xff") == [Piece(b"\x01", "bytes before a frame start"), Piece(b"\x90\x41\xff")]
    # A frame that lost its FF: the next start byte ends it, and the next frame is read.
    assert splitter.feed(b"\x90\x41\x90\x51\xff") == [Piece(b"\x90\x41", "frame cut short"), Piece(b"\x90\x51\xff")]
    # A frame still on its way is kept, then cut as truncated when the stream ends.
    assert splitter.feed(b"\x90\x50") == []
    assert splitter.flush() == [Piece(b"\x90\x50", "truncated frame")]


def test_visca_runaway_frame_is_junk_and_the_next_frame_is_still_read() -> None:
    splitter = FrameSplitter(is_reply_start)
    runaway = b"\x90" + bytes(MAX_FRAME + 4)  # no FF, far past the longest VISCA message
    assert splitter.feed(runaway) == [Piece(runaway, f"no FF within {MAX_FRAME} bytes")]
    assert splitter.feed(b"\x90\x41\xff") == [Piece(b"\x90\x41\xff")]
    # A new start after an over-long frame: only the over-long part is junk.
    pieces = splitter.feed(b"\x90" + bytes(MAX_FRAME + 1) + b"\x90\x51\xff")
    assert pieces == [Piece(b"\x90" + bytes(MAX_FRAME + 1), f"no FF within {MAX_FRAME} bytes"), Piece(b"\x90\x51\xff")]


def test_clear_forgets_a_partial_frame() -> None:
    splitter = FrameSplitter(is_reply_start)
    assert splitter.feed(b"\x90\x41") == []
    splitter.clear()
    assert splitter.feed(b"\xff\x90\x51\xff") == [Piece(b"\xff", "bytes before a frame start"), Piece(b"\x90\x51\xff")]


@given(
    stream=st.lists(st.one_of(st.just("frame"), st.binary(min_size=1, max_size=6)), max_size=10),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
    pelco_p=st.booleans(),
)
def test_pelco_frames_come_out_whole_and_every_byte_is_accounted_for(
    stream: list[object], cuts: list[int], pelco_p: bool
) -> None:
    dialect, codec = (PELCO_P, PelcoPCodec(PELCO_LIMITS, 2)) if pelco_p else (PELCO_D, PelcoDCodec(PELCO_LIMITS, 2))
    frames = [codec.key(PresetRecall(5)), codec.key(PanTilt(0.5, -0.25))]
    parts = [
        frames[index % 2] if part == "frame" else bytes(byte for byte in part if byte != dialect.start) or b"\x00"
        for index, part in enumerate(stream)
        if isinstance(part, (str, bytes))
    ]
    data = b"".join(parts)
    pieces = run(PelcoSplitter(dialect), chunked(data, cuts))
    assert b"".join(piece.data for piece in pieces) == data
    assert [piece.data for piece in pieces if not piece.junk] == [part for part in parts if part in frames]
    whole = PelcoSplitter(dialect).feed(data)
    assert all(not (a.junk and b.junk) for a, b in zip(whole, whole[1:]))
