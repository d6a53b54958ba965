"""What a binding asks for, before cameras are resolved: the mapping layer's output."""

from __future__ import annotations

from dataclasses import dataclass

from ptzmapd.commands import Command

#: Camera targets a binding can name besides a camera's own name.
SELECTED = "selected"
ALL = "all"


@dataclass(frozen=True, slots=True)
class Move:
    """Set one axis (pan, tilt, zoom, focus) of the target camera(s) to ``speed`` (-1..1)."""

    target: str
    axis: str
    speed: float
    #: Who drives the axis (input name, binding index): when the input vanishes or the
    #: selection changes, exactly the motions it drove are stopped.
    driver: tuple[str, int]


@dataclass(frozen=True, slots=True)
class Do:
    """Send a discrete command (preset, home, autofocus...) to the target camera(s)."""

    target: str
    command: Command


@dataclass(frozen=True, slots=True)
class StopAll:
    """Stop every axis of the target camera(s)."""

    target: str


@dataclass(frozen=True, slots=True)
class Select:
    camera: str


Intent = Move | Do | StopAll | Select
