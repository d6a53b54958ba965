"""A simulated Panasonic AW-HE/UE camera for ``ptzmapd simulate panasonic-aw``, the tests
and third-party clients: the HTTP server of :mod:`.http_server` (h11, Digest/Basic on
demand), the kinematics of :mod:`.head`, and the codec's own tables to read what it is sent
(:mod:`ptzmapd.protocols.panasonic_aw.tables`), so the camera and the traces read alike.

It answers as the interface specifications say (the command lists' "Response", the AW-UE100
document's 7 "Error return"): each command echoed by the reply table (``pTS5050``, ``zS75``,
``s00``, ``p1``, ``TLR:1``); ``eR1:NAME``/``ER1:NAME`` to a command it has no row for; ``eR3:NAME`` to a value
out of range (a speed 00, a preset beyond the model's ``preset_count``); ``eR2:NAME`` while
in standby, while powering on (``power_on_time`` seconds after ``#O1``) and to the next
``busy_replies`` commands (a fault on demand). Pan-tilt head commands that arrive less than
``min_gap`` (130 ms) after its previous answer are **pacing violations**: carried out as a
lenient camera would, logged and counted (:attr:`PanasonicAwSimulator.pacing_violations`).

The head, in degrees: pan ±175, tilt −30..90 (the AW-HE40's range), zoom and focus 0..1000;
speed digit 99 pans at 60°/s, tilts at 30°/s and crosses the lens range in 2 s. Authentication
is off unless a user is given (``--user``: Digest, as current firmware asks) or ``--auth``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Callable

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.http import HttpRequest, HttpResponse
from ptzmapd.protocols.panasonic_aw import tables
from ptzmapd.protocols.panasonic_aw.tables import CENTRE, PTZ_PATH, STOP
from ptzmapd.simulators.head import Axis, Head
from ptzmapd.simulators.http_server import HttpServer, check_auth_scheme, digest_server, login, response

KIND = "panasonic-aw"
#: Degrees (pan, tilt) and lens units per second at speed digit 99 (or 01).
TOP_RATES: dict[str, float] = {"pan": 60.0, "tilt": 30.0, "zoom": 500.0, "focus": 500.0}
#: ``#APC`` units per degree (AW-HE40: 121 per degree, 8000h the centre).
UNITS_PER_DEGREE = 121
#: Seconds of ``eR2`` after ``#O1`` while the camera starts (real ones take several).
POWER_ON_TIME = 2.0
#: What ``#O`` answers (``p0`` standby, ``p1`` on, ``p3`` while starting: the command list).
POWER_STATES: dict[str, int] = {"standby": 0, "on": 1, "starting": 3}
#: Commands whose speed digits must be 01..99.
_SPEED_ACTIONS = ("pantilt", "pan", "tilt", "zoom", "focus")


def _head() -> Head:
    return Head({"pan": Axis(-175, 175), "tilt": Axis(-30, 90), "zoom": Axis(0, 1000), "focus": Axis(0, 1000)})


class PanasonicAwSimulator(HttpServer):
    """A running simulated AW camera: its head, lamps, power, and what it saw."""

    def __init__(self, user: str, password: str, auth: str, clock: Clock, log: Callable[[str], None] | None,
                 digest_qop: str = "auth", digest_algorithm: str = "MD5") -> None:
        super().__init__(KIND, user, password, auth, log, digest_server(user, password, digest_qop, digest_algorithm))
        self.head = _head()
        self.head.switches["autofocus"] = "on"
        self._clock = clock
        #: Readable text of every command it acted on, in order.
        self.received: list[str] = []
        #: Every request past authentication (the codec's ``read_request`` reads one).
        self.handled: list[HttpRequest] = []
        #: The tally lamps: TLR (red) and TLG (green), 0 or 1.
        self.lamps: dict[str, int] = {lamp: 0 for lamp in tables.LAMPS}
        #: Knobs: presets the model has (00..count-1), whether it has a green lamp and a
        #: preset speed, the least gap between pan-tilt head commands, eR2 on demand.
        self.preset_count = 100
        self.green_lamp = True
        self.preset_speed_command = True
        self.min_gap = tables.MIN_INTERVAL
        self.busy_replies = 0
        self.power_on_time = POWER_ON_TIME
        #: "on", "standby", or "starting" until ``_on_at``.
        self.power = "on"
        self._on_at = 0.0
        self.preset_speed = 999
        self.selected_preset: int | None = None
        #: Pan-tilt head commands that came too soon after the previous answer.
        self.pacing_violations = 0
        self._last_answer: float | None = None

    def __repr__(self) -> str:
        return f"PanasonicAwSimulator({self.where!r}, user={self.user!r}, auth={self.auth!r})"

    @property
    def state(self) -> Head:
        """The head, moved on to now."""
        self.head.advance(self._clock.now())
        return self.head

    @property
    def moving(self) -> bool:
        return self.state.moving

    async def handle(self, request: HttpRequest) -> HttpResponse:
        self.handled.append(request)
        found = tables.command_of(request)
        if found is None:
            self._log(f"unknown request {request.method} {request.target}")
            return response(404, b"404 Not Found\n", "text/plain")
        path, command = found
        now = self._clock.now()
        if path == PTZ_PATH:
            self._check_pacing(command, now)
        text = self._reply_to(path, command, now)
        if path == PTZ_PATH:
            self._last_answer = self._clock.now()
        return response(200, text.encode("latin-1"), "text/plain")

    def _check_pacing(self, command: str, now: float) -> None:
        # (A nanosecond of slack: exactly the gap, counted in floats, is not a violation.)
        if self._last_answer is not None and now - self._last_answer < self.min_gap - 1e-9:
            self.pacing_violations += 1
            self._log(f"pacing violation: {command} {(now - self._last_answer) * 1000:.0f} ms after the previous "
                      f"answer (needs {self.min_gap * 1000:.0f} ms)")

    def _refuse(self, path: str, number: int, command: str, why: str) -> str:
        text = tables.refusal_text(path, number, tables.name_of(command))
        self._log(f"{text} ({why})")
        return text

    def _reply_to(self, path: str, command: str, now: float) -> str:
        decoded = tables.read_command(path, command)
        if decoded is None or not self._has(decoded.action, decoded.values):
            return self._refuse(path, 1, command, "no such command")
        if self.power == "starting" and now >= self._on_at:
            self.power = "on"
        if decoded.action == "power-query":
            return f"p{POWER_STATES[self.power]}"
        if self.busy_replies > 0:
            self.busy_replies -= 1
            return self._refuse(path, 2, command, "busy")
        if decoded.action == "power":
            return self._power(int(decoded.values["value"]), command, now)
        if self.power != "on":
            return self._refuse(path, 2, command, self.power)
        problem = self._out_of_range(decoded.action, decoded.values)
        if problem:
            return self._refuse(path, 3, command, problem)
        self._act(decoded.action, decoded.values)
        self.received.append(decoded.text)
        self._log(decoded.text)
        if decoded.action == "tally-query":
            lamp = str(decoded.values["lamp"])
            return f"O{lamp[1:]}:{self.lamps[lamp]}"
        if decoded.action == "autofocus-query":
            return f"d1{int(self.head.switches['autofocus'] == 'on')}"
        return tables.expected_reply(path, command)

    def _has(self, action: str, values: dict[str, int | str]) -> bool:
        """Whether this model has the command (an older one lacks a green lamp, a preset speed)."""
        if action == "preset-speed":
            return self.preset_speed_command
        return self.green_lamp or not (action == "tally-lamp" and values["lamp"] == tables.GREEN_LAMP)

    def _power(self, value: int, command: str, now: float) -> str:
        if value not in tables.POWER.values():
            return self._refuse(PTZ_PATH, 3, command, f"power {value}")
        if value == 0:
            self.power = "standby"
            self.head.advance(now)
            self.head.go({})
        elif self.power == "standby":
            self.power, self._on_at = "starting", now + self.power_on_time
        self.received.append(f"power {'on' if value else 'off'}")
        self._log(self.received[-1])
        return tables.expected_reply(PTZ_PATH, command)

    def _out_of_range(self, action: str, values: dict[str, int | str]) -> str:
        speeds = ("pan", "tilt", "speed") if action in _SPEED_ACTIONS else ()
        numbers = [int(value) for key, value in values.items() if key in speeds]
        if any(number not in tables.SPEED_DIGITS for number in numbers):
            return f"speed {numbers} outside 01..99"
        if action.startswith("preset-") and action != "preset-speed" and int(values["memory"]) >= self.preset_count:
            return f"this model has presets 00..{self.preset_count - 1:02d}"
        if action == "preset-speed" and int(values["speed"]) not in tables.PRESET_SPEEDS:
            return f"preset speed {values['speed']} outside {tables.PRESET_SPEEDS.start}..{tables.PRESET_SPEEDS.stop - 1}"
        if action in ("autofocus", "tally-lamp") and int(values["value"]) not in (0, 1):
            return f"{action} {values['value']}"
        return ""

    def _act(self, action: str, values: dict[str, int | str]) -> None:
        head = self.state
        if action == "pantilt":
            for axis in ("pan", "tilt"):
                head.drive(axis, (int(values[axis]) - STOP) / tables.SPEED_STEPS * TOP_RATES[axis])
        elif action in ("pan", "tilt", "zoom", "focus"):
            head.drive(action, (int(values["speed"]) - STOP) / tables.SPEED_STEPS * TOP_RATES[action])
        elif action == "preset-recall":
            memory = int(values["memory"])
            self.selected_preset = memory
            head.go(head.presets.get(memory, dict(head.position)))
        elif action == "preset-store":
            memory = int(values["memory"])
            self.selected_preset = memory
            head.presets[memory] = dict(head.position)
        elif action == "preset-clear":
            head.presets.pop(int(values["memory"]), None)
        elif action == "absolute":
            head.go({axis: (int(values[axis]) - CENTRE) / UNITS_PER_DEGREE * (1 if axis == "pan" else -1)
                     for axis in ("pan", "tilt")})
        elif action == "autofocus":
            head.switches["autofocus"] = "on" if int(values["value"]) else "off"
        elif action == "one-push-focus":
            head.switches["autofocus"] = "off"  # it focuses once and stays in manual
        elif action == "preset-speed":
            self.preset_speed = int(values["speed"])
        elif action == "tally-lamp":
            self.lamps[str(values["lamp"])] = int(values["value"])


async def start(
    kind: str = KIND,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log: Callable[[str], None] | None = None,
    user: str | None = None,
    password_env: str | None = None,
    auth: str | None = None,
    digest_qop: str = "auth",
    digest_algorithm: str = "MD5",
    clock: Clock | None = None,
    quirks: Collection[str] = (),
    **_: object,
) -> PanasonicAwSimulator:
    """Serve a simulated AW camera on ``host:port`` (port 0: any free port; see ``.where``).

    Open unless ``user`` is given (then Digest) or ``auth`` names a scheme (``basic``,
    ``digest``, ``none``, ``bearer``); the password comes from the variable ``password_env``,
    else it is ``"secret"``. ``quirks`` (``simulate --quirk``): ``standby``, ``no-green-lamp``,
    ``no-preset-speed``. PtzmapdError for a value it cannot serve.
    """
    if kind != KIND:
        raise PtzmapdError(f"unknown simulator {kind!r} (valid: {KIND})")
    scheme = check_auth_scheme(auth or ("digest" if user is not None else "none"))
    user, password = login(user, password_env)
    camera = PanasonicAwSimulator(user, password, scheme,
                                  clock or MonotonicClock(), log, digest_qop, digest_algorithm)
    camera.power = "standby" if "standby" in quirks else "on"
    camera.green_lamp = "no-green-lamp" not in quirks
    camera.preset_speed_command = "no-preset-speed" not in quirks
    await camera.open(host, port)
    return camera
