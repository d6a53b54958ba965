"""What a binding asks for, before cameras are resolved: the mapping layer's output.

Intents aimed at a target carry the selection ``group`` of the input that asked: its
``selected`` is that group's (:class:`~ptzmapd.pipeline.Pipeline` resolves targets)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ptzmapd.commands import Command
from ptzmapd.vocabulary import DEFAULT_GROUP, Axis

Driver = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Move:
    """Set one axis (pan, tilt, zoom, focus) of the target camera(s) to ``speed`` (-1..1).

    ``target`` everywhere here is a camera name or :data:`~ptzmapd.vocabulary.TARGETS`."""

    target: str
    axis: Axis
    speed: float
    #: Who drives the axis (input name, binding index): when the input vanishes or the
    #: selection changes, exactly the motions it drove are stopped.
    driver: Driver
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class Do:
    """Send a discrete command (preset, home, autofocus...) to the target camera(s)."""

    target: str
    command: Command
    #: The binding that asked, for surface feedback (None: not from a binding).
    binding: int | None = None
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class StopAll:
    """Stop every axis of the target camera(s)."""

    target: str
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class Select:
    #: A camera name or a :class:`~ptzmapd.vocabulary.Target` (next, previous, all).
    camera: str
    #: Keep moving on the new camera what moved the old one.
    carry: bool = False
    #: Whose selection changes.
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class PresetStep:
    """Move the target camera(s)' preset cursor by ``delta`` within [first, last], and recall it
    (at travel ``speed`` 0..1, None: the camera's own)."""

    target: str
    delta: int
    first: int
    last: int
    binding: int | None = None
    speed: float | None = None
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class LayerChanged:
    name: str
    active: bool
    #: Motions driven by bindings that stopped applying (their layer went, or a layer
    #: now shadows them): they stop, so a held stick cannot keep moving a camera unseen.
    stop: frozenset[Driver] = field(default_factory=frozenset)
    #: Whose layer: each selection group switches its own.
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class Fine:
    """The fine-control modifier: the speeds of the group's inputs are multiplied by
    ``factor`` while it is active."""

    active: bool
    factor: float
    binding: int | None = None
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class Toggled:
    """A toggle binding changed state (for its LED); the command itself comes as a Do."""

    binding: int
    on: bool


@dataclass(frozen=True, slots=True)
class SwitcherRequest:
    """Ask a switcher to act (:data:`~ptzmapd.vocabulary.SWITCHER_ACTIONS`): ``action`` is
    ``switcher-preview`` (``camera``'s source to preview; a camera name or ``selected``),
    ``switcher-cut`` or ``switcher-auto``; ``switcher`` names one (None: the only one)."""

    action: str
    camera: str | None = None
    switcher: str | None = None
    #: The asking input's selection group (whose ``selected`` it means).
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, slots=True)
class LiveOverride:
    """The live lockout is lifted (``active``) or back in force: ``action: live-override``."""

    active: bool
    binding: int | None = None


@dataclass(frozen=True, slots=True)
class TourControl:
    """Start, stop or toggle (:data:`~ptzmapd.vocabulary.TOUR_MODES`) the tour ``tour``."""

    tour: str
    mode: str


@dataclass(frozen=True, slots=True)
class TraceControl:
    """Record, play or stop (:data:`~ptzmapd.vocabulary.TRACE_MODES`) the trace ``trace``.
    ``target``: the camera a recording captures (a name or ``selected``); a trace plays on
    the camera it was recorded on. ``repeat``: :data:`~ptzmapd.vocabulary.TRACE_REPEATS`."""

    trace: str
    mode: str
    target: str
    repeat: str = "once"
    group: str = DEFAULT_GROUP


Intent = (
    Move | Do | StopAll | Select | PresetStep | LayerChanged | Fine | Toggled | SwitcherRequest | LiveOverride
    | TourControl | TraceControl
)
