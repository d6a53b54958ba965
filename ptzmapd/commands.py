"""Camera commands in normalised units: what every codec knows how to encode.

Speeds are floats in -1..1 (+pan = right, +tilt = up, +zoom = tele, +focus = far).
Only a codec knows the protocol's own ranges. Commands are frozen values so they can be
compared (the controller sends a motion command only when its bytes change) and shared.

Motion commands belong to a *slot* (``pantilt``, ``zoom``, ``focus``): in a slot the newest
value wins. Every other command is discrete and is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

AutofocusMode = Literal["on", "off", "toggle", "one-push"]
AUTOFOCUS_MODES: tuple[str, ...] = ("on", "off", "toggle", "one-push")


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every camera command. ``slot`` is set on motion commands only."""

    slot: ClassVar[str | None] = None
    #: An inquiry asks the camera for state and expects an answer instead of an ACK.
    inquiry: ClassVar[bool] = False

    def is_stop(self) -> bool:
        """A motion command whose speeds are all zero."""
        return False


@dataclass(frozen=True, slots=True)
class PanTilt(Command):
    slot: ClassVar[str | None] = "pantilt"
    pan: float = 0.0
    tilt: float = 0.0

    def is_stop(self) -> bool:
        return self.pan == 0.0 and self.tilt == 0.0


@dataclass(frozen=True, slots=True)
class Zoom(Command):
    slot: ClassVar[str | None] = "zoom"
    speed: float = 0.0

    def is_stop(self) -> bool:
        return self.speed == 0.0


@dataclass(frozen=True, slots=True)
class Focus(Command):
    slot: ClassVar[str | None] = "focus"
    speed: float = 0.0

    def is_stop(self) -> bool:
        return self.speed == 0.0


MOTION_SLOTS: tuple[str, ...] = ("pantilt", "zoom", "focus")
#: The command that stops each slot.
STOPS: dict[str, Command] = {"pantilt": PanTilt(0.0, 0.0), "zoom": Zoom(0.0), "focus": Focus(0.0)}


@dataclass(frozen=True, slots=True)
class Home(Command):
    pass


@dataclass(frozen=True, slots=True)
class PresetRecall(Command):
    """Go to preset ``number``. ``speed``: the travel speed 0..1 (of the camera's fastest)
    where the config asks for one; None travels at the camera's own preset speed."""

    number: int = 0
    speed: float | None = None


@dataclass(frozen=True, slots=True)
class PresetSpeed(Command):
    """Set the travel speed ``speed`` (0..1 of the camera's fastest) of preset recalls: of
    preset ``number`` on a camera that keeps one speed per preset, of every recall on one that
    keeps a single setting. The controller sends it ahead of a :class:`PresetRecall` that asks
    for a speed, only when the camera does not have it already
    (:mod:`ptzmapd.control.preset_speed`). A codec whose protocol carries the speed in the
    recall itself, or cannot set one, refuses it."""

    speed: float = 1.0
    number: int = 0


@dataclass(frozen=True, slots=True)
class PresetStore(Command):
    number: int = 0


@dataclass(frozen=True, slots=True)
class PresetClear(Command):
    number: int = 0


@dataclass(frozen=True, slots=True)
class MoveTo(Command):
    """Go to an absolute position. Pan and tilt in degrees, zoom on the 0..100 scale of the
    ISAPI document; None leaves that axis where it is. Cameras with absolute positioning
    (ISAPI, IPCam CGI) take it; each codec checks the numbers against its own ranges."""

    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None


@dataclass(frozen=True, slots=True)
class Jog(Command):
    """Move at these speeds (-1..1) for ``seconds``, then the camera stops by itself.

    Not a motion slot: the camera times the move (ISAPI "momentary"), so a lost stop
    cannot leave it running.
    """

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    seconds: float = 0.5


@dataclass(frozen=True, slots=True)
class Autofocus(Command):
    mode: AutofocusMode = "on"


@dataclass(frozen=True, slots=True)
class PanTiltPositionInquiry(Command):
    inquiry: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ZoomPositionInquiry(Command):
    inquiry: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class CameraAction(Command):
    """A named camera function beyond pan/tilt/zoom: ``iris up``, ``tally on``, ``menu enter``.

    ``name`` and ``mode`` come from :data:`ptzmapd.vocabulary.NAMED_ACTIONS`; ``level``
    is the number of a ``direct`` mode (iris/shutter/gain/bright). Each codec encodes the
    names its protocol has and lists them in its capabilities.
    """

    name: str = ""
    mode: str = ""
    level: int | None = None


@dataclass(frozen=True, slots=True)
class TallyLamp(Command):
    """The camera's tally lamps as a switcher has its source: ``program`` lights the red lamp,
    ``preview`` the green one where the camera has one (and its config opts in). A codec
    encodes the whole lamp state from its camera's tally dialect, ordered so that no lamp is
    ever left wrong (turn on before turning off where one lamp serves both)."""

    program: bool = False
    preview: bool = False


@dataclass(frozen=True, slots=True)
class RawCommand(Command):
    """Protocol bytes or an HTTP request given by the user, for everything else.

    ``text`` is as written in the config: hex for VISCA/Pelco (``"81 01 04 38 02 FF"``,
    address nibble filled in by the codec), ``"PUT /ISAPI/… <body>"`` for HTTP cameras.
    ``kind`` is what it is written in (:data:`ptzmapd.vocabulary.RAW_KINDS`: the
    binding key ``visca:``, ``pelco:`` or ``http:``), so that a codec refuses text meant for
    another protocol (``camera: all`` reaches every camera); "" means the codec's own kind.
    """

    text: str = ""
    kind: str = ""
