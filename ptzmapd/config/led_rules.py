"""What a surface can show: its LED message rules, as a profile declares them under ``leds:``.

A controller lights a button only for the messages its firmware reads: the X-Touch Mini in
standard mode takes a note-on 0-15 on channel 1 with velocity 0 (off), 1 (on) or 2 (blink),
whatever note the button itself sends; the nanoKONTROL2 takes its buttons' own CCs, 127 or 0.
A light outside those rules is a lamp that never lights. So a profile says what its device
obeys, one rule per range of lights::

    leds:
      - {note: [0, 15], channel: 1, on: 1, off: 0, blink: 2, controls: {note: [8, 23]}}

======== ===================================================================================
key      meaning
======== ===================================================================================
note/cc  the LED messages: one number or ``[first, last]``
channel  the MIDI channel the device reads them on (1-16); ``led: true`` sends there
channels ``[first, last]``: every channel it reads them on (the APC mini mk2's brightness
         and blink channels); default: ``channel`` only
on, off  the values ``led: true`` sends (lit, dark)
blink    a value the device blinks by itself (``led: {on: 2}`` is a blinking light)
values   ``[first, last]``: every value it shows (a colour palette); default: on, off, blink
controls ``{note|cc: [first, last]}``: the buttons these lights belong to, in the same order
         (the X-Touch's button note 8 is light 0); default: the lights' own numbers
======== ===================================================================================

With rules, ``led: true`` lights the control's own light by the rule (a button with no light
is an error), and every ``led:`` on that input must be a message some rule shows, or
``ptzmapd check`` refuses it. An input without rules takes any message (a surface nobody has
described). Pure data and checks: the loader reads the YAML, :mod:`ptzmapd.surfaces.feedback` sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ptzmapd.config.model import LedConfig


@dataclass(frozen=True, slots=True)
class LedRule:
    """One range of lights of one device and the messages they obey."""

    kind: str  # "note" or "cc": the LED message
    first: int
    last: int
    channel: int  # what ``led: true`` uses
    channels: tuple[int, int]  # every channel the device reads (first, last)
    on: int
    off: int
    blink: int | None = None
    #: Every value shown (first, last); None: only on, off and blink.
    values: tuple[int, int] | None = None
    #: The controls these lights belong to: (kind, first number); the same order as the lights.
    controls: tuple[str, int] | None = None

    def own_light(self, control: str, number: int) -> LedConfig | None:
        """The light of the button (``control`` ``number``) this rule covers, or None."""
        kind, start = self.controls or (self.kind, self.first)
        offset = number - start
        if control != kind or not 0 <= offset <= self.last - self.first:
            return None
        return LedConfig(self.kind, self.first + offset, self.on, self.off, self.channel)

    def shows(self, led: LedConfig) -> bool:
        """Whether the device obeys every message this light sends (on and off)."""
        channel = led.channel if led.channel is not None else self.channel
        return (
            led.kind == self.kind and self.first <= led.number <= self.last
            and self.channels[0] <= channel <= self.channels[1]
            and self.lit_value(led.on) and self.dark_value(led.off)
        )

    def lit_value(self, value: int) -> bool:
        if self.values is not None:
            return self.values[0] <= value <= self.values[1] and value != self.off
        return value in (self.on, self.blink)

    def dark_value(self, value: int) -> bool:
        return value == self.off

    def describe(self) -> str:
        """The rule in words, for an error message."""
        numbers = f"{self.kind} {self.first}" if self.first == self.last else f"{self.kind}s {self.first}-{self.last}"
        low, high = self.channels
        channels = f"channel {low}" if low == high else f"channels {low}-{high}"
        if self.values is not None:
            values = f"values {self.values[0]}-{self.values[1]}, {self.off} off"
        else:
            values = f"{self.off} off, {self.on} on" + (f", {self.blink} blink" if self.blink is not None else "")
        return f"{numbers} on {channels} ({values})"


def own_light(rules: Sequence[LedRule], control: str, number: int) -> LedConfig | None:
    """``led: true`` on a device with rules: the control's own light, or None (it has none)."""
    for rule in rules:
        light = rule.own_light(control, number)
        if light is not None:
            return light
    return None


def settle(rules: Sequence[LedRule], led: LedConfig) -> LedConfig:
    """A written ``led:`` with what it left out taken from the rule for its number: the
    device's channel, its on and off values. Unchanged if no rule has that number."""
    for rule in rules:
        if rule.kind == led.kind and rule.first <= led.number <= rule.last:
            return LedConfig(
                led.kind, led.number,
                led.on if led.on >= 0 else rule.on,
                led.off if led.off >= 0 else rule.off,
                led.channel if led.channel is not None else rule.channel,
            )
    return led


def refusal(rules: Sequence[LedRule], led: LedConfig) -> str | None:
    """Why the device cannot show ``led`` (None: a rule shows it)."""
    if any(rule.shows(led) for rule in rules):
        return None
    channel = f" on channel {led.channel}" if led.channel is not None else ""
    return (
        f"the device cannot show {led.kind} {led.number}{channel} with on {led.on}, off {led.off}; "
        f"it lights " + "; ".join(rule.describe() for rule in rules)
    )
