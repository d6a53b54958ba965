"""A simulated VISCA camera: :class:`SimulatedCamera`, a sans-io model (time comes in as
``now``) that :mod:`.visca` serves on the network and :mod:`.serial` puts on a daisy chain.

Units of the model (VISCA's own position units):

- pan −2448..2448, tilt −432..1296 (clamped at the ends);
- pan moves level/0x18 × 800 units/s, tilt level/0x14 × 400 units/s;
- zoom 0 (wide)..0x4000 (tele), (p+1)/8 × 0x4000/3 units/s: p = 7 crosses the range in 3 s;
- focus 0 (near)..0x1000 (far), (p+1)/8 × 0x1000/3 units/s;
- preset recall and home move every axis at its top speed (800, 400, 0x4000/3, 0x1000/3
  units/s) toward the target, a recall at the Preset Recall Speed's share of it (pp/0x18,
  full by default), or at its preset's own speed where Sony's PanTilt_Memory_Speed set one;
  the command holds its socket until the last axis arrives;
- named camera actions (``tally on``, ``iris direct 8``) are remembered as settings; the OSD
  menu opens and closes (ERRATA: recalling preset 95 is PTZOptics' menu key), and while it is
  open the menu's cursor commands move the cursor, not the camera;
- every other command and inquiry row of the spec files (:mod:`ptzmapd.simulators.visca_spec`)
  gets an answer: commands ACK and complete and store what they set (direct zoom/focus and
  absolute/relative pan-tilt positions move the model; standard-speed zoom/focus drive at
  p = 2), inquiries answer from what was stored or from the model, IF_Clear answers ``z0 50 FF``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

from ptzmapd.vocabulary import DIRECT_MODE
from ptzmapd.protocols.visca.read import CommandFrame, describe_command, read_command
from ptzmapd.protocols.visca.tables import (
    DIRECT_COMMANDS,
    FIXED_COMMANDS,
    INQUIRIES,
    NAMED_COMMANDS,
    PAN_TOP,
    PRESET_SPEED_TOP,
    TERMINATOR,
    TILT_TOP,
    VARIABLE_TOP,
    reply_start,
    signed16,
)
from ptzmapd.simulators import visca_spec
from ptzmapd.simulators.head import Axis, Head
from ptzmapd.simulators.visca_spec import SpecCommand

#: Error codes of ``z0 6y EE FF`` the camera sends.
SYNTAX_ERROR = 0x02
BUFFER_FULL = 0x03
#: A camera has two command sockets.
SOCKETS = (1, 2)
#: How often the servers look for completions that became due (:meth:`SimulatedCamera.poll`).
POLL_INTERVAL = 0.02
#: Floating-point slack when deciding that a move has arrived.
_EPSILON = 1e-9
#: The p a standard-speed zoom or focus drive (``8x 01 04 07 02 FF``) runs at.
STANDARD_LEVEL = 2


#: The model's axes: travel and top speed (units per second at the top level), in VISCA units.
AXES: dict[str, Axis] = {
    "pan": Axis(-2448, 2448, top_rate=800.0),
    "tilt": Axis(-432, 1296, top_rate=400.0),
    "zoom": Axis(0, 0x4000, top_rate=0x4000 / 3),
    "focus": Axis(0, 0x1000, top_rate=0x1000 / 3),
}


def _drive_rate(axis: str, direction: int, level: int, top: int) -> float:
    return direction * level / top * AXES[axis].top_rate


def _variable_rate(axis: str, direction: int, level: int) -> float:
    # p = 0 is the slowest speed, not a stop: the range splits into eight bands.
    return direction * (level + 1) / (VARIABLE_TOP + 1) * AXES[axis].top_rate


@dataclass(frozen=True, slots=True)
class CameraState:
    """A snapshot of the model. Positions in VISCA units (fractional while moving), speeds
    in signed units per second (+ = right, up, tele, far)."""

    pan: float
    tilt: float
    zoom: float
    focus: float
    pan_speed: float
    tilt_speed: float
    zoom_speed: float
    focus_speed: float
    autofocus: bool
    moving: bool
    last_command: str
    #: Named camera actions last set, by action: ``{"tally": "on", "iris": "direct 8"}``.
    settings: Mapping[str, str] = field(default_factory=dict)
    menu_open: bool = False


@dataclass(frozen=True, slots=True)
class _Move:
    """A preset recall or home: holds ``socket`` until every target is reached."""

    socket: int
    targets: tuple[tuple[str, float], ...]
    #: The share of the top speed it travels at (a preset recall: the Preset Recall Speed).
    share: float = 1.0


def _reply(address: int, kind: int, socket: int, *data: int) -> bytes:
    return bytes([reply_start(address), kind << 4 | socket, *data, TERMINATOR])


class SimulatedCamera:
    """A VISCA camera, sans-io: feed it frames and the time, read back reply frames.

    Drive commands (pan/tilt, zoom, focus, autofocus, preset store) take a free socket,
    answer ACK and completion at once. Preset recall and home hold their socket until the
    move ends; :meth:`poll` returns the completion then. Moves run one after another; a
    drive command on an axis takes that axis over from a running move (as a joystick does
    on a real camera). With both sockets held, a command gets "buffer full". Inquiries
    need no socket and get their answer at once, without an ACK.
    """

    def __init__(self, address: int = 1) -> None:
        self.address = address
        self._head = Head(dict(AXES))
        #: Moves holding a socket; the first one is under way, the others wait for it.
        self._moves: list[_Move] = []
        self._due: list[bytes] = []
        self._presets: dict[int, tuple[tuple[str, float], ...]] = {}
        #: Sony's speed per preset (PanTilt_Memory_Speed qq), where one was set.
        self._preset_speeds: dict[int, int] = {}
        self._autofocus = True
        self._last_command = ""
        self._settings: dict[str, str] = {}
        self._menu_open = False
        self._actions: dict[str, Callable[[CommandFrame, int], list[bytes]]] = {
            "pantilt": self._pantilt,
            "zoom": self._variable,
            "focus": self._variable,
            "home": self._home,
            "preset recall": self._recall,
            "preset store": self._store,
            "preset memory speed": self._memory_speed,
            "preset reset": self._forget,
            "autofocus on": self._set_autofocus,
            "autofocus off": self._set_autofocus,
            "autofocus toggle": self._set_autofocus,
            "autofocus one-push": self._done,
            "autofocus one-push sony": self._done,
            **{f"{name} {mode}": self._set for name, mode in NAMED_COMMANDS if name != "menu"},
            **{f"{name} {DIRECT_MODE}": self._set for name in DIRECT_COMMANDS},
            **{name: self._set for name in FIXED_COMMANDS if name.startswith("tally-")},
            "menu open": self._menu_key,
            "menu close": self._menu_close,
            **{f"menu {key}": self._menu_cursor for key in ("up", "down", "left", "right")},
            "menu enter": self._done,
            "menu back": self._done,
        }
        #: Settings the spec rows store, read back by their inquiries (visca_spec.DEFAULTS).
        self._registers: dict[str, int] = dict(visca_spec.DEFAULTS)
        self._spec_actions: dict[str, Callable[[SpecCommand, dict[str, int], int], list[bytes]]] = {
            "": lambda row, values, socket: self._acked(socket),
            "zoom tele": lambda row, values, socket: self._drive("zoom", 1, socket),
            "zoom wide": lambda row, values, socket: self._drive("zoom", -1, socket),
            "focus far": lambda row, values, socket: self._drive("focus", 1, socket),
            "focus near": lambda row, values, socket: self._drive("focus", -1, socket),
            "zoom direct": lambda row, values, socket: self._start_move(_Move(socket, (("zoom", values["p"]),))),
            "focus direct": lambda row, values, socket: self._start_move(_Move(socket, (("focus", values["p"]),))),
            "absolute": self._absolute,
            "relative": self._relative,
            "home": lambda row, values, socket: self._start_move(_Move(socket, (("pan", 0.0), ("tilt", 0.0)))),
            "rtmp": self._rtmp,
        }
        self._answers: dict[str, Callable[[], tuple[int, ...]]] = {
            "pantilt-position": lambda: (round(self._head.position["pan"]), round(self._head.position["tilt"])),
            "zoom-position": lambda: (round(self._head.position["zoom"]),),
        }

    # ------------------------------------------------------------------ the sans-io surface

    def handle(self, frame: bytes, now: float) -> list[bytes]:
        """The immediate replies to one command frame."""
        self._advance(now)
        self._last_command = describe_command(frame)
        command = read_command(frame)
        answer = self._answers.get(command.action) if command is not None else None
        if command is not None and answer is not None:
            return [INQUIRIES[command.action].answer(answer(), self.address)]
        if command is not None and command.action in self._actions:
            socket = self._free_socket()
            if socket is None:
                return [_reply(self.address, 6, 0, BUFFER_FULL)]
            self._keep_setting(frame)
            return self._actions[command.action](command, socket)
        return self._spec_row(frame)

    def _spec_row(self, frame: bytes) -> list[bytes]:
        """Any other row of the spec files: inquiries answer from the registers, commands
        store what they set; anything else is a syntax error."""
        inquiry = visca_spec.find_inquiry(frame)
        if inquiry is not None:
            self._last_command = inquiry.name
            registers = self.registers()
            values = {letter: registers.get(name, 0) for letter, name in inquiry.letters.items()}
            return [visca_spec.fill(inquiry.answer, values, self.address)]
        found = visca_spec.find_command(frame)
        if found is None:
            return [_reply(self.address, 6, 0, SYNTAX_ERROR)]
        row, values = found
        self._last_command = row.name
        if row.action == "if-clear":
            # IF_Clear empties the command buffers: it needs no socket and answers z0 50 FF.
            return [_reply(self.address, 5, 0)]
        socket = self._free_socket()
        if socket is None:
            return [_reply(self.address, 6, 0, BUFFER_FULL)]
        self._keep_setting(frame)
        return self._spec_actions[row.action](row, values, socket)

    def _keep_setting(self, frame: bytes) -> None:
        """Keep what a command sets, for the inquiries that read it back."""
        found = visca_spec.find_command(frame)
        if found is None or not found[0].register:
            return
        row, values = found
        value = row.value
        if value is None:
            value = 0
            for letter in sorted(values, key=row.pattern.index):
                value = value << 8 | values[letter]
        self._registers[row.register] = value

    def registers(self) -> dict[str, int]:
        """What the inquiries report: stored settings, and the model's own state."""
        stored = self._registers
        position = self._head.position
        focus_range = stored["focus-range"]
        return {
            **stored,
            "pan": round(position["pan"]), "tilt": round(position["tilt"]),
            "zoom": round(position["zoom"]), "focus": round(position["focus"]),
            "focus-mode": 0x02 if self._autofocus else 0x03,
            "menu": 0x02 if self._menu_open else 0x03,
            # The block inquiries' bits (specs: CAM_*BlockInq).
            "lens-block-w": 1 if self._autofocus else 0,
            "wb-mode-nibble": stored["wb-mode"] & 0x0F,
            "aperture-nibble": stored["aperture"] & 0x0F,
            "camera-block-u": (4 if stored["backlight"] == 0x02 else 0) | (2 if stored["exp-comp-mode"] == 0x02 else 0),
            "exp-comp-nibble": stored["exp-comp"] & 0x0F,
            "power-bit": 1 if stored["power"] == 0x02 else 0,
            "lr-reverse-bit": 4 if stored["lr-reverse"] == 0x02 else 0,
            "picture-effect-nibble": stored["picture-effect"] & 0x0F,
            "picture-flip-bit": 1 if stored["picture-flip"] == 0x02 else 0,
            "color-gain-bits": (stored["color-gain"] & 0x0F) << 3,
            "motion-sync-on": 1 if stored["motion-sync"] == 0x02 else 0,
            "focus-range-on": focus_range >> 16 & 0x0F,
            "focus-range-far": focus_range >> 8 & 0xFF,
            "focus-range-near": focus_range & 0xFF,
        }

    def poll(self, now: float) -> list[bytes]:
        """Completions of moves that have arrived by ``now``."""
        self._advance(now)
        due, self._due = self._due, []
        return due

    def state(self, now: float) -> CameraState:
        self._advance(now)
        speeds = {name: self._head.velocity(name) for name in AXES}
        position = self._head.position
        return CameraState(
            pan=position["pan"],
            tilt=position["tilt"],
            zoom=position["zoom"],
            focus=position["focus"],
            pan_speed=speeds["pan"],
            tilt_speed=speeds["tilt"],
            zoom_speed=speeds["zoom"],
            focus_speed=speeds["focus"],
            autofocus=self._autofocus,
            moving=bool(self._moves) or any(speeds.values()),
            last_command=self._last_command,
            settings=dict(self._settings),
            menu_open=self._menu_open,
        )

    # ------------------------------------------------------------------ commands

    def _done(self, command: CommandFrame, socket: int) -> list[bytes]:
        return self._acked(socket)

    def _acked(self, socket: int) -> list[bytes]:
        return [_reply(self.address, 4, socket), _reply(self.address, 5, socket)]

    def _drive(self, axis: str, direction: int, socket: int) -> list[bytes]:
        self._take_over(axis, _variable_rate(axis, direction, STANDARD_LEVEL))
        return self._acked(socket)

    def _absolute(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        return self._start_move(_Move(socket, (("pan", signed16(values["Y"])), ("tilt", signed16(values["Z"])))))

    def _relative(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        pan, tilt = self._head.position["pan"], self._head.position["tilt"]
        targets = (("pan", pan + signed16(values["Y"])), ("tilt", tilt + signed16(values["Z"])))
        return self._start_move(_Move(socket, targets))

    def _rtmp(self, row: SpecCommand, values: dict[str, int], socket: int) -> list[bytes]:
        # Toggle RTMP pq: p the stream (1, 2), q 2 on / 3 off; the inquiry has a bit per stream.
        stream, state = values["p"] >> 4, values["p"] & 0x0F
        if stream in (1, 2) and state in (2, 3):
            bit = 1 << (stream - 1)
            self._registers["rtmp"] = self._registers["rtmp"] | bit if state == 2 else self._registers["rtmp"] & ~bit
        return self._acked(socket)

    def _pantilt(self, command: CommandFrame, socket: int) -> list[bytes]:
        pan_direction, pan_level, tilt_direction, tilt_level = command.args
        self._take_over("pan", _drive_rate("pan", pan_direction, pan_level, PAN_TOP))
        self._take_over("tilt", _drive_rate("tilt", tilt_direction, tilt_level, TILT_TOP))
        return self._done(command, socket)

    def _variable(self, command: CommandFrame, socket: int) -> list[bytes]:
        direction, level = command.args
        self._take_over(command.action, _variable_rate(command.action, direction, level))
        return self._done(command, socket)

    def _set_autofocus(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._autofocus = {"autofocus on": True, "autofocus off": False}.get(command.action, not self._autofocus)
        return self._done(command, socket)

    def _set(self, command: CommandFrame, socket: int) -> list[bytes]:
        name, mode = command.action.split(" ", 1)
        self._settings[name] = f"{mode} {command.args[0]}" if mode == DIRECT_MODE else mode
        return self._done(command, socket)

    def _menu_key(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._menu_open = not self._menu_open
        return self._done(command, socket)

    def _menu_close(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._menu_open = False
        return self._done(command, socket)

    def _menu_cursor(self, command: CommandFrame, socket: int) -> list[bytes]:
        # The same bytes drive the camera while the menu is closed (args: the drive's).
        return self._done(command, socket) if self._menu_open else self._pantilt(command, socket)

    def _store(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._presets[command.args[0]] = tuple(self._head.position.items())
        return self._done(command, socket)

    def _forget(self, command: CommandFrame, socket: int) -> list[bytes]:
        self._presets.pop(command.args[0], None)
        return self._done(command, socket)

    def _memory_speed(self, command: CommandFrame, socket: int) -> list[bytes]:
        memory, level = command.args
        self._preset_speeds[memory] = level
        return self._done(command, socket)

    def _recall(self, command: CommandFrame, socket: int) -> list[bytes]:
        # A memory never stored moves nothing; the command still completes (on the next poll).
        # It travels at its own speed (Sony), else at the camera's Preset Recall Speed
        # (8x 01 06 01 pp FF, pp 01-18).
        memory = command.args[0]
        share = self._preset_speeds.get(memory, self._registers["preset-speed"]) / PRESET_SPEED_TOP
        return self._start_move(_Move(socket, self._presets.get(memory, ()), share))

    def _home(self, command: CommandFrame, socket: int) -> list[bytes]:
        return self._start_move(_Move(socket, (("pan", 0.0), ("tilt", 0.0))))

    # ------------------------------------------------------------------ the model

    def _free_socket(self) -> int | None:
        busy = {move.socket for move in self._moves}
        return next((socket for socket in SOCKETS if socket not in busy), None)

    def _take_over(self, name: str, drive: float) -> None:
        self._head.drive(name, drive)

    def _start_move(self, move: _Move) -> list[bytes]:
        self._moves.append(move)
        if len(self._moves) == 1:
            self._begin(move)
        return [_reply(self.address, 4, move.socket)]

    def _begin(self, move: _Move) -> None:
        self._head.seek(dict(move.targets), move.share)

    def _advance(self, now: float) -> None:
        """Run the model up to ``now``, finishing moves (in order) on the way."""
        head = self._head
        if head.time is None:
            head.time = now
        while self._moves:
            arrival = head.time + head.seek_time()
            if arrival > now + _EPSILON:
                break
            head.integrate(arrival)
            for name, target in head.target.items():
                head.position[name] = target
            head.target.clear()
            finished = self._moves.pop(0)
            self._due.append(_reply(self.address, 5, finished.socket))
            if self._moves:
                self._begin(self._moves[0])
        head.integrate(now)
