"""The vision mixer every simulated switcher serves (vMix, ATEM, TSL), and what drives it.

:class:`Mixer` is the state: inputs ``1..N``, which is on program and which on preview, and
the watchers (each simulator's clients) told of every change. :func:`drive` changes it, either
along :data:`SCRIPT` (a preview, then a take, round the inputs: what the demo shows) or from
lines read on stdin (``preview 2``, ``program 3``, ``cut``, ``auto``): the simulator then stays
still while stdin is open and silent, and stops driving when it closes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from ptzmapd.clock import Clock, MonotonicClock

#: Seconds between two steps of the scripted sequence.
STEP = 2.0

Watcher = Callable[["Mixer"], None]


@dataclass
class Mixer:
    """Inputs ``1..inputs``; ``program``/``preview`` are input numbers (0: none)."""

    inputs: int = 4
    program: int = 1
    preview: int = 2
    #: Called after every change (each simulator pushes the new tally to its clients).
    watchers: list[Watcher] = field(default_factory=list)
    log: Callable[[str], None] = print

    def __post_init__(self) -> None:
        if self.inputs < 1:
            raise ValueError(f"a mixer needs at least 1 input, got {self.inputs}")
        self.program = min(self.program, self.inputs)
        self.preview = min(self.preview, self.inputs) if self.inputs > 1 else 0

    def title(self, number: int) -> str:
        return f"Camera {number}"

    def number(self, name: str) -> int | None:
        """The input a number (``"2"``) or title (``"Camera 2"``) names, or None."""
        for number in range(1, self.inputs + 1):
            if name in (str(number), self.title(number)):
                return number
        return None

    def set_preview(self, number: int) -> None:
        self._check(number)
        if number != self.preview:
            self.preview = number
            self._changed(f"preview {number}")

    def set_program(self, number: int) -> None:
        self._check(number)
        if number != self.program:
            self.program = number
            self._changed(f"program {number}")

    def cut(self) -> None:
        """Take preview to program; the old program goes to preview (as vMix and ATEM do)."""
        if not self.preview:
            return  # one input: nothing to take
        self.program, self.preview = self.preview, self.program
        self._changed(f"cut: program {self.program}, preview {self.preview}")

    def auto(self) -> None:
        """A mix, taken at once: the simulator has no frames to blend."""
        if not self.preview:
            return
        self.program, self.preview = self.preview, self.program
        self._changed(f"auto: program {self.program}, preview {self.preview}")

    def tally(self, number: int) -> tuple[bool, bool]:
        """(on program, on preview) of one input."""
        return number == self.program, number == self.preview

    def _check(self, number: int) -> None:
        if not 1 <= number <= self.inputs:
            raise ValueError(f"no input {number} (valid: 1..{self.inputs})")

    def _changed(self, what: str) -> None:
        self.log(f"{what}")
        for watcher in list(self.watchers):
            watcher(self)


#: The scripted sequence, one step every :data:`STEP` seconds: "preview" puts the input after
#: the one on program on preview; "auto" and "cut" take it.
SCRIPT: tuple[str, ...] = ("preview", "auto", "preview", "cut")


def apply_line(mixer: Mixer, line: str) -> str | None:
    """Carry out one stdin line (``preview N``, ``program N``, ``cut``, ``auto``); the
    refusal's text, or None when done."""
    words = line.split()
    if not words:
        return None
    verb, args = words[0].lower(), words[1:]
    try:
        if verb in ("cut", "auto") and not args:
            getattr(mixer, verb)()
            return None
        if verb in ("preview", "program") and args:
            name = " ".join(args)  # a number, or a title such as "Camera 2"
            number = mixer.number(name)
            if number is None:
                raise ValueError(f"no input {name!r} (valid: 1..{mixer.inputs})")
            (mixer.set_preview if verb == "preview" else mixer.set_program)(number)
            return None
    except ValueError as error:
        return str(error)
    return f"cannot read {line.strip()!r} (valid: preview N, program N, cut, auto)"


async def run_script(mixer: Mixer, clock: Clock) -> None:
    """The default sequence, forever: preview the next input, take it (auto, then cut)."""
    step = 0
    while True:
        await clock.sleep(STEP)
        action = SCRIPT[step % len(SCRIPT)]
        if action == "preview":
            mixer.set_preview(mixer.program % mixer.inputs + 1)
        else:
            getattr(mixer, action)()
        step += 1


async def run_stdin(mixer: Mixer) -> None:
    """Lines from stdin, until it closes; a line it cannot read is answered on stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        refusal = apply_line(mixer, line.decode(errors="replace"))
        if refusal is not None:
            mixer.log(refusal)


#: How a simulated switcher's mixer moves: the script, stdin, or not at all (tests drive it).
DRIVES = ("script", "stdin", "still")


def drive(mixer: Mixer, how: str, clock: Clock | None = None) -> asyncio.Task[None] | None:
    """Start driving ``mixer`` (one of :data:`DRIVES`) in a task the simulator cancels on
    close; None for ``still``."""
    if how not in DRIVES:
        raise ValueError(f"unknown drive {how!r} (valid: {', '.join(DRIVES)})")
    if how == "still":
        return None
    body = run_stdin(mixer) if how == "stdin" else run_script(mixer, clock or MonotonicClock())
    return asyncio.get_running_loop().create_task(body)
