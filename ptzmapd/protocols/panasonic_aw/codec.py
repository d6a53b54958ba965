"""Panasonic AW-HE/UE HTTP control (:mod:`.tables` has the commands and their sources) as a
sans-io codec: normalised commands become ``aw_ptz``/``aw_cam`` requests, answers become
replies by the reply table.

- pan/tilt ``#PTS`` (one request for both axes), zoom ``#Z``, focus ``#F``: speed digits
  51–99 (or 49–01) for a nonzero speed, 50 to stop;
- presets ``#R``/``#M``/``#C`` with the number the camera shows minus one (``preset: 1`` is
  memory ``00``); home ``#APC80008000``; power ``#O``; auto focus and ``focus-mode`` ``#D1``
  (a toggle asks the state first: ``#D1`` answers ``d10``/``d11``), one-push focus ``OSE:69:1``;
  ``tally on|off`` the red lamp ``TLR``; raw HTTP requests;
- **preset travel speed**: a :class:`~ptzmapd.commands.PresetSpeed` is ``#UPVS``, the same
  key for every preset number (the camera keeps one setting), so the controller sends it
  ahead of a recall only when the setting changes (:mod:`ptzmapd.control.preset_speed`); a
  recall is ``#R`` alone;
- **a request that depends on an answer** (:class:`~ptzmapd.protocols.base.Step`): an auto
  focus toggle asks the state first;
- **tally lamps** (``tally: panasonic``): a :class:`~ptzmapd.commands.TallyLamp` is split
  into one command per lamp (:meth:`PanasonicAwCodec.split`, as for VISCA's two lamps),
  ``TLR``/``TLG`` on ``aw_cam``, the lamp turning on before the one turning off, so a cut
  never leaves the camera dark. A camera that has no such command (``ER1:TLG``, ``eR1:UPVS``:
  an older model) is not asked again (a PresetSpeed is then unsendable, so the controller
  sends none), and the rest (the other lamp, the recall) goes on;
- **answers**: the expected answer (the reply table) is an ACK; an answer of another shape
  is an ACK too (the response is the whole answer to our one request), traced with what was
  expected; ``eR1``/``eR3`` are permanent refusals; ``eR2`` (busy, standby) is retried, until
  :data:`BUSY_LIMIT` of them in a row say the camera stays in standby.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ptzmapd.commands import (
    PREVIEW_LAMP,
    PROGRAM_LAMP,
    Autofocus,
    CameraAction,
    Command,
    Focus,
    Home,
    PanTilt,
    PresetClear,
    PresetRecall,
    PresetSpeed,
    PresetStore,
    RawCommand,
    TallyLamp,
    Zoom,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import (
    BUSY,
    PERMANENT,
    Ack,
    ErrorReply,
    Garbage,
    Notice,
    Outgoing,
    Reply,
    SpeedLimits,
    Step,
)
from ptzmapd.protocols.http import HttpRequest, describe_request, http_error, quote_body, raw_command_request, read_response
from ptzmapd.protocols.pairing import HTTP_EXCHANGE, Pairing
from ptzmapd.protocols.panasonic_aw import tables
from ptzmapd.protocols.panasonic_aw.tables import (
    AUTOFOCUS,
    CENTRE,
    GREEN_LAMP,
    ONE_TOUCH_FOCUS,
    POWER,
    PRESET_MEMORIES,
    PRESET_SPEED_STEP,
    PRESET_SPEED_STEPS,
    PRESET_SPEEDS,
    RED_LAMP,
    STOP,
    cam,
    command_of,
    expected_reply,
    ptz,
    read_refusal,
    read_request,
)
from ptzmapd.protocols.units import drive_level, finite_speed, speed_sign
from ptzmapd.vocabulary import PRESET_CLEAR, PRESET_SPEED, TALLY_LAMP, named_capabilities, raw_capability

#: ``eR2`` answers in a row after which the camera is taken to stay in standby and a refusal
#: is final (about five seconds at the default pacing): a preset pressed while the camera is
#: off must not be retried for ever, nor block the commands behind it.
BUSY_LIMIT = 40
#: What a camera without the green lamp lacks (``ER1:TLG``): its lamps are driven red only.
GREEN_LAMP_FEATURE = "green lamp"
#: Named actions and modes: power (``#O``), the red lamp (``TLR``), focus mode (``#D1``).
NAMED: dict[str, dict[str, HttpRequest]] = {
    "power": {mode: ptz(f"O{value}") for mode, value in POWER.items()},
    "tally": {"on": cam(f"{RED_LAMP}:1"), "off": cam(f"{RED_LAMP}:0")},
    "focus-mode": {"auto": ptz(f"D1{AUTOFOCUS['on']}"), "manual": ptz(f"D1{AUTOFOCUS['off']}")},
}

#: Toggles: ask the auto focus state (``#D1`` answers ``d10``/``d11``), then set the other.
TOGGLES: frozenset[tuple[str, str]] = frozenset({("focus-mode", "toggle")})

#: What a binding may ask of a Panasonic camera: a capability per command it encodes.
CAPABILITIES: frozenset[str] = (
    frozenset({"pan", "tilt", "zoom", "focus", "stop", "home", "preset", PRESET_CLEAR, PRESET_SPEED,
               "autofocus", TALLY_LAMP})
    | named_capabilities([(name, mode) for name, modes in NAMED.items() for mode in modes] + sorted(TOGGLES))
    | {raw_capability("http")}
)


def speed_digits(speed: float, top: int) -> int:
    """A normalised speed as the camera's two digits: 50 ± 1..``top`` (50 for 0)."""
    if finite_speed(speed) == 0.0:
        return STOP
    return STOP + speed_sign(speed) * drive_level(speed, top)


def preset_memory(number: int) -> int:
    """The memory of the preset the camera shows as ``number`` (1..100 → 00..99)."""
    memory = number - 1
    if memory not in PRESET_MEMORIES:
        raise ProtocolError(f"panasonic-aw presets are 1..100 (memories 00..99), got {number}")
    return memory


def preset_speed(speed: float) -> int:
    """A travel speed 0..1 as ``#UPVS`` data: "Speed 1" (275) to "Speed 30" (999)."""
    if not 0.0 <= finite_speed(speed) <= 1.0:
        raise ProtocolError(f"a preset travel speed is 0..1, got {speed!r}")
    step = max(1, round(speed * PRESET_SPEED_STEPS))
    return min(PRESET_SPEEDS.stop - 1, PRESET_SPEEDS.start + (step - 1) * PRESET_SPEED_STEP)


@dataclass(slots=True)
class _Request:
    """One request of a command, and the feature it is (``preset speed``, ``green lamp``)
    where a camera may lack it (``ER1``: taken as done, not asked again); ``then`` makes the
    next request from this one's answer (a toggle asks the state first), None if unreadable."""

    request: HttpRequest
    optional: str = ""
    then: "Callable[[str], _Request | None] | None" = None


def _flipped_autofocus(answer: str) -> _Request | None:
    """``#D1`` set to the other state than the query's answer ``d10``/``d11`` says."""
    state = {"d10": 0, "d11": 1}.get(answer)
    return None if state is None else _Request(ptz(f"D1{1 - state}"))


@dataclass(slots=True)
class _Plan:
    """A command whose next request depends on the camera's answer (an auto focus toggle),
    and how many of its requests the camera has taken."""

    command: Command
    requests: list[_Request]
    taken: int = 0


class PanasonicAwCodec:
    text_wire = True  # HTTP: requests and replies are traced as their text
    #: One request, one response.
    pairing: Pairing = HTTP_EXCHANGE

    def __init__(self, limits: SpeedLimits, tally: str = "none") -> None:
        self.limits = limits
        self.tally = tally
        #: Features the camera answered ``ER1`` to: not asked for again (forgotten when the
        #: camera may have changed: another model may answer at this address).
        self._lacks: set[str] = set()
        self._plan: _Plan | None = None
        #: The request awaiting its answer: what the answer is read against.
        self._sent: _Request | None = None
        self._busy = 0

    # ------------------------------------------------------------------------ the wire side

    def start(self) -> list[Outgoing]:
        self._forget()
        return []

    def reset(self) -> list[Outgoing]:
        # A camera that fell silent may have been replaced, by a model with other features.
        self._forget()
        return []

    def _forget(self) -> None:
        self._lacks = set()
        self._plan = None

    def key(self, command: Command) -> bytes:
        return self._requests(command)[0].request.to_bytes()

    def split(self, command: Command) -> tuple[Command, ...]:
        """A tally state as one command per lamp, lit first
        (:func:`~ptzmapd.protocols.base.command_parts`): red and green, or red alone on a camera
        that answered ``ER1`` to the green one. Any other command as it is."""
        if not isinstance(command, TallyLamp) or command.lamp is not None or self.tally == "none":
            return (command,)
        if GREEN_LAMP_FEATURE in self._lacks:
            return (replace(command, lamp=PROGRAM_LAMP),)
        return command.per_lamp()

    def encode(self, command: Command) -> Outgoing:
        plan = self._plan
        if plan is None or plan.command is not command:
            # The same command object again is the controller continuing it (after a Step,
            # a busy answer or a timeout): it goes on where the camera is.
            requests = self._requests(command)
            plan = self._plan = _Plan(command, requests)
        self._sent = plan.requests[plan.taken]
        return Outgoing(self._sent.request.to_bytes())

    def receive(self, data: bytes) -> list[Reply]:
        response = read_response(data)
        if isinstance(response, Garbage):
            return [response]
        sent, self._sent = self._sent, None
        if not response.ok:
            self._plan = None
            return [http_error(response)]
        text = response.body.decode("latin-1").strip().strip('"')
        refusal = read_refusal(text)
        if refusal is not None:
            return self._refused(refusal, text, sent)
        self._busy = 0
        return self._took(text, sent)

    def describe(self, data: bytes) -> str:
        return describe_request(data, read_request)

    # ------------------------------------------------------------------------ answers

    def _took(self, text: str, sent: _Request | None) -> list[Reply]:
        replies: list[Reply] = []
        if sent is not None and sent.then is not None and self._plan is not None:
            following = sent.then(text)
            if following is None:
                self._plan = None
                message = f"could not read the camera's answer {quote_body(text.encode(), 40)!r} to {sent.request.target}"
                return [ErrorReply(None, kind="aw-unreadable", data=message.encode(), http_status=200, nature=PERMANENT)]
            self._plan.requests.insert(self._plan.taken + 1, following)
        elif sent is not None:
            found = command_of(sent.request)
            if found is not None:
                expected = expected_reply(*found)
                if text != expected:
                    # The response is the answer to our one request whatever it says; a
                    # model that words it otherwise is traced, not failed.
                    replies.append(Notice(None, text=f"the camera answered {quote_body(text.encode(), 40)!r} "
                                                     f"to {found[1]!r} (expected {expected!r})"))
        return replies + [self._next_step()]

    def _next_step(self) -> Reply:
        plan = self._plan
        if plan is not None:
            plan.taken += 1
            if plan.taken < len(plan.requests):
                return Step(None)
        self._plan = None
        return Ack(None)

    def _refused(self, refusal: tables.Refusal, text: str, sent: _Request | None) -> list[Reply]:
        if refusal.number == 1 and sent is not None and sent.optional:
            # An older model without this feature: the command goes on without it.
            self._busy = 0
            self._lacks.add(sent.optional)
            return [Notice(None, text=f"the camera has no {sent.optional} ({text}); not asked again"),
                    self._next_step()]
        nature = PERMANENT
        message = f"{text}: {refusal.meaning}"
        if refusal.number == 2:
            self._busy += 1
            if self._busy < BUSY_LIMIT:
                nature = BUSY  # the plan is kept: the command goes on where it stopped
            else:
                message += f" ({self._busy} times in a row: is it powered on? action: power, mode: on)"
        else:
            self._busy = 0
        if nature == PERMANENT:
            self._plan = None
        return [ErrorReply(None, kind=refusal.kind, data=message.encode("utf-8"), http_status=200, nature=nature)]

    # ------------------------------------------------------------------------ requests

    def _requests(self, command: Command) -> list[_Request]:
        """The requests ``command`` takes, in order; ProtocolError if it cannot be sent."""
        if isinstance(command, PresetSpeed):
            if PRESET_SPEED in self._lacks:
                raise ProtocolError("this camera has no preset speed (it answered eR1 to #UPVS)")
            return [_Request(ptz(f"UPVS{preset_speed(command.speed):03d}"), optional=PRESET_SPEED)]
        if isinstance(command, TallyLamp):
            return self._lamp(command)
        if (isinstance(command, Autofocus) and command.mode == "toggle") or \
                (isinstance(command, CameraAction) and (command.name, command.mode) in TOGGLES):
            return [_Request(ptz("D1"), then=_flipped_autofocus)]
        build = _REQUESTS.get(type(command))
        if build is None:
            valid = ", ".join(kind.__name__ for kind in (*_REQUESTS, PresetSpeed, TallyLamp))
            raise ProtocolError(f"panasonic-aw cannot send {type(command).__name__} (valid: {valid})")
        return [_Request(build(command, self.limits))]

    def _lamp(self, command: TallyLamp) -> list[_Request]:
        if self.tally == "none":
            raise ProtocolError("this camera's tally lamps are not driven (give it tally: panasonic)")
        if command.lamp == PREVIEW_LAMP:
            return [_Request(cam(f"{GREEN_LAMP}:{int(command.preview)}"), optional=GREEN_LAMP_FEATURE)]
        if command.lamp == PROGRAM_LAMP:
            return [_Request(cam(f"{RED_LAMP}:{int(command.program)}"))]
        raise ProtocolError("panasonic-aw: the red and green lamps are one command each (split it)")


def _pantilt(command: PanTilt, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"PTS{speed_digits(command.pan, limits.pan):02d}{speed_digits(command.tilt, limits.tilt):02d}")


def _zoom(command: Zoom, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"Z{speed_digits(command.speed, limits.zoom):02d}")


def _focus(command: Focus, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"F{speed_digits(command.speed, limits.focus):02d}")


def _home(command: Home, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"APC{CENTRE:04X}{CENTRE:04X}")


def _recall(command: PresetRecall, limits: SpeedLimits) -> HttpRequest:
    # Its travel speed is the PresetSpeed setting the controller sends ahead of it.
    return ptz(f"R{preset_memory(command.number):02d}")


def _store(command: PresetStore, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"M{preset_memory(command.number):02d}")


def _clear(command: PresetClear, limits: SpeedLimits) -> HttpRequest:
    return ptz(f"C{preset_memory(command.number):02d}")


def _autofocus(command: Autofocus, limits: SpeedLimits) -> HttpRequest:
    if command.mode == "one-push":
        return cam(ONE_TOUCH_FOCUS)
    value = AUTOFOCUS.get(command.mode)
    if value is None:
        raise ProtocolError(f"panasonic-aw autofocus is on, off, toggle or one-push, not {command.mode!r}")
    return ptz(f"D1{value}")


def _action(command: CameraAction, limits: SpeedLimits) -> HttpRequest:
    modes = NAMED.get(command.name)
    if modes is None:
        raise ProtocolError(f"panasonic-aw has no action {command.name!r} (valid: {', '.join(NAMED)})")
    request = modes.get(command.mode)
    if request is None:
        raise ProtocolError(f"{command.name} mode must be one of {', '.join(modes)}, got {command.mode!r}")
    return request


def _raw(command: RawCommand, limits: SpeedLimits) -> HttpRequest:
    return raw_command_request(command)


#: Commands that are one request each (a PresetSpeed and a TallyLamp lamp are the codec's).
_REQUESTS: dict[type[Command], Callable[..., HttpRequest]] = {
    PanTilt: _pantilt,
    Zoom: _zoom,
    Focus: _focus,
    Home: _home,
    PresetRecall: _recall,
    PresetStore: _store,
    PresetClear: _clear,
    Autofocus: _autofocus,
    CameraAction: _action,
    RawCommand: _raw,
}
