"""MIDI values that take more than one message: relative encoders, 14-bit CCs, NRPN.

- Relative encoders send a step count per message, in one of three common encodings.
- A 14-bit CC is an MSB on CC n (0..31) and an LSB on CC n+32; the pair gives 0..16383.
- An NRPN is CC 99/98 (parameter MSB/LSB) then CC 6/38 (data MSB/LSB).

:class:`MidiAssembler` sits between a MIDI input and the mapping and turns those sequences
into single events (``cc14``, ``nrpn``); it is stateful per input and channel.
"""

from __future__ import annotations

from dataclasses import replace

from ptzmapd.events import ControlEvent
from ptzmapd.vocabulary import ControlKind

# Bound once: an enum attribute lookup on every CC costs more than the comparison.
_CC = ControlKind.CC

ENCODINGS = ("twos-complement", "sign-magnitude", "offset-64")


def relative_steps(value: int, encoding: str) -> int:
    """Signed detents in one relative-encoder message (0 = none)."""
    value &= 0x7F
    if encoding == "twos-complement":  # 1..63 up, 127..65 down (-1..-63)
        return value - 128 if value >= 64 else value
    if encoding == "sign-magnitude":  # bit 6 is the sign: 1..63 up, 65..127 down
        return -(value & 0x3F) if value & 0x40 else value
    if encoding == "offset-64":  # 64 = none, 65.. up, ..63 down
        return value - 64
    raise ValueError(f"unknown encoding {encoding!r} (valid: {', '.join(ENCODINGS)})")


NRPN_PARAM_MSB, NRPN_PARAM_LSB, DATA_MSB, DATA_LSB = 99, 98, 6, 38


class MidiAssembler:
    """Pairs MSB/LSB CCs into ``cc14`` events and NRPN sequences into ``nrpn`` events.

    ``cc14`` lists the MSB controller numbers (0..31) bound as 14-bit; their CCs (and the
    LSB partners) are consumed. NRPN is assembled only when ``nrpn`` is true (CC 6/38/98/99
    otherwise pass through as plain CCs). A 14-bit value is emitted on the LSB (the second
    half); an MSB alone is emitted with LSB 0, so a controller that never sends LSBs still
    works, at 7-bit resolution.
    """

    def __init__(self, cc14: frozenset[int] = frozenset(), nrpn: bool = False) -> None:
        self.cc14 = cc14
        self.lsb_of = {msb + 32: msb for msb in cc14}
        self.nrpn = nrpn
        self._msb: dict[tuple[int | None, int], int] = {}
        self._param: dict[int | None, list[int]] = {}
        self._data_msb: dict[int | None, int] = {}

    @property
    def active(self) -> bool:
        return bool(self.cc14) or self.nrpn

    def feed(self, event: ControlEvent) -> ControlEvent | None:
        """The event to map (possibly a composite), or None while a sequence is incomplete."""
        if event.kind != _CC or not isinstance(event.number, int):
            return event
        number, value, channel = event.number, int(event.value), event.channel
        if self.nrpn and number in (NRPN_PARAM_MSB, NRPN_PARAM_LSB, DATA_MSB, DATA_LSB):
            return self._nrpn(event, number, value, channel)
        if number in self.cc14:
            self._msb[(channel, number)] = value
            return replace(event, kind=ControlKind.CC14, number=number, value=float(value << 7))
        msb_number = self.lsb_of.get(number)
        if msb_number is not None:
            msb = self._msb.get((channel, msb_number))
            if msb is None:
                return None  # an LSB before any MSB says nothing yet
            return replace(event, kind=ControlKind.CC14, number=msb_number, value=float((msb << 7) | value))
        return event

    def _nrpn(self, event: ControlEvent, number: int, value: int, channel: int | None) -> ControlEvent | None:
        param = self._param.setdefault(channel, [0, 0])
        if number == NRPN_PARAM_MSB:
            param[0] = value
            return None
        if number == NRPN_PARAM_LSB:
            param[1] = value
            return None
        parameter = (param[0] << 7) | param[1]
        if number == DATA_MSB:
            self._data_msb[channel] = value
            return replace(event, kind=ControlKind.NRPN, number=parameter, value=float(value << 7))
        msb = self._data_msb.get(channel, 0)
        return replace(event, kind=ControlKind.NRPN, number=parameter, value=float((msb << 7) | value))
