"""Raw MIDI bytes → :class:`~ptzmapd.events.ControlEvent`: which channel messages ptzmapd maps.

Pure: no rtmidi, no clock (the caller stamps the time it received the message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ptzmapd.events import ControlEvent

_Decode = Callable[[Sequence[int]], tuple[int | None, int]]

# Channel voice messages ptzmapd maps, by the status byte's high nibble:
# (ControlEvent.kind, data bytes needed, whole message -> (number, value)).
# Everything else (aftertouch, channel pressure, system messages) is ignored.
_CHANNEL_MESSAGES: dict[int, tuple[str, int, _Decode]] = {
    # Note off carries a release velocity, not a level: the control is simply at 0 now.
    0x80: ("note", 2, lambda msg: (msg[1], 0)),
    # Note on with velocity 0 is the common way to send note off; value 0 already says so.
    0x90: ("note", 2, lambda msg: (msg[1], msg[2])),
    0xB0: ("cc", 2, lambda msg: (msg[1], msg[2])),
    0xC0: ("program", 1, lambda msg: (None, msg[1])),
    # 14 bits, least significant 7 first, centre 0x2000.
    0xE0: ("pitchbend", 2, lambda msg: (None, (msg[2] << 7 | msg[1]) - 8192)),
}


def parse_midi(input_name: str, message: Sequence[int], received: float) -> ControlEvent | None:
    """The ControlEvent one raw MIDI message means, or None for a message ptzmapd ignores."""
    if not message:
        return None
    status = message[0]
    spec = _CHANNEL_MESSAGES.get(status & 0xF0)
    if spec is None:
        return None
    kind, data_bytes, decode = spec
    if len(message) < 1 + data_bytes:
        return None
    number, value = decode(message)
    return ControlEvent(
        input=input_name,
        kind=kind,
        number=number,
        value=value,
        channel=(status & 0x0F) + 1,
        time=received,
    )
