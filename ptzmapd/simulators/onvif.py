"""A simulated ONVIF PTZ camera (``ptzmapd simulate onvif``) on real sockets: the device, media
and PTZ services over HTTP (h11, :mod:`.http_server`), and a WS-Discovery responder on UDP.

What it checks is what a camera checks: the WS-Security UsernameToken of every request but
GetSystemDateAndTime (user, SHA-1 password digest, ``Created`` within :data:`FRESHNESS` seconds
of *its own* clock, which ``skew`` sets apart from this machine's); HTTP Digest as well with
``auth="digest"``. Requests are read with the codec's own reader (:mod:`ptzmapd.protocols.onvif.read`).

Like real cameras it picks its own preset tokens (``Preset_N``, whatever a SetPreset asks
for), and a GotoPreset of a token it does not know succeeds and does nothing. Its head
(:class:`~.head.Head`) is in the generic spaces: pan and tilt −1..1, zoom 0..1; a velocity
of 1 moves :data:`UNITS_PER_SECOND`. A continuous move ends after ``ptz_timeout`` seconds
(its profile's DefaultPTZTimeout, PTZ §5.3.3) unless sent again; 0 (the default): it never
stops by itself, as some cameras do.

Knobs for tests: ``skew`` (seconds its clock is ahead), ``ptz_timeout``, ``time_needs_login`` (GetSystemDateAndTime
refused unsigned, as some firmware does), ``auth_failure`` (how it says "who are you?":
``fault`` a 400 with ``ter:NotAuthorized``, ``fault-401`` the same with status 401, ``401`` a
bare HTTP 401), ``undeclared_prefix`` (answers that use a prefix they never declare),
:meth:`OnvifSimulator.fail` (the next request of an operation answered with a fault).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from ptzmapd.clock import Clock, MonotonicClock
from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols.http import HttpRequest, HttpResponse
from ptzmapd.protocols.onvif import discovery
from ptzmapd.protocols.onvif.read import SoapCall, read_call, read_request
from ptzmapd.protocols.onvif.soap import (
    MEDIA,
    PTZ,
    SOAP_TYPE,
    envelope,
    fault_envelope,
    number,
    password_digest,
    text,
    utc_text,
)
from ptzmapd.simulators.head import Axis, Head
from ptzmapd.simulators.http_server import HttpServer, check_auth_scheme, digest_server, login, response, same

DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/media_service"
PTZ_PATH = "/onvif/ptz_service"
#: Seconds a UsernameToken's ``Created`` may be from the camera's clock.
FRESHNESS = 10.0
#: Generic units per second at velocity 1 (pan crosses its −1..1 in 4 s).
UNITS_PER_SECOND = 0.5
#: Its media profiles: the first has no PTZ (a snapshot profile), so "the first with PTZ" is the second.
PROFILES: tuple[tuple[str, str, bool], ...] = (("snapshot", "JPEG snapshots", False), ("main", "Main stream", True))
NODE = "ptz_node"
AUTH_FAILURES: tuple[str, ...] = ("fault", "fault-401", "401")


@dataclass(slots=True)
class Preset:
    name: str
    position: dict[str, float]


@dataclass(frozen=True, slots=True)
class Failure:
    operation: str
    code: str
    subcode: str
    reason: str
    status: int


class OnvifSimulator(HttpServer):
    """A running simulated ONVIF camera: its head, presets, clock and what it was asked."""

    def __init__(self, user: str, password: str, auth: str, clock: Clock, log: Callable[[str], None] | None,
                 digest_qop: str = "auth", digest_algorithm: str = "MD5") -> None:
        super().__init__("onvif", user, password, auth, log, digest_server(user, password, digest_qop, digest_algorithm))
        self._secret = password
        self._clock = clock
        self.head = Head({"pan": Axis(-1.0, 1.0), "tilt": Axis(-1.0, 1.0), "zoom": Axis(0.0, 1.0)})
        self.home: dict[str, float] = {"pan": 0.0, "tilt": 0.0, "zoom": 0.0}
        self.presets: dict[str, Preset] = {f"Preset_{n}": Preset(str(n), {"pan": n / 10, "tilt": 0.0, "zoom": 0.0})
                                           for n in (1, 2, 3)}
        self._next_token = 4
        self.skew = 0.0
        self.time_needs_login = False
        self.auth_failure = "fault"
        self.undeclared_prefix = False
        self.ptz_timeout = 0.0
        #: False: a camera without PTZ (a fixed one): neither GetCapabilities nor GetServices names it.
        self.ptz_service = True
        #: Readable text of every request it acted on, and every request past authentication.
        self.received: list[str] = []
        self.handled: list[HttpRequest] = []
        #: Requests refused for their UsernameToken (too old, wrong digest, none).
        self.token_refusals: list[str] = []
        self._failures: deque[Failure] = deque()
        self._discovery: asyncio.DatagramTransport | None = None
        self.discovery_port = 0
        self.name = "ptzmapd simulated ONVIF camera"

    @property
    def device_url(self) -> str:
        return self.where + DEVICE_PATH

    @property
    def camera_time(self) -> float:
        return time.time() + self.skew

    def fail(self, operation: str, subcode: str = "ActionFailed", reason: str = "simulated failure",
             code: str = "Receiver", status: int = 500) -> None:
        """Answer the next ``operation`` request (``"*"``: any) with this fault."""
        self._failures.append(Failure(operation, code, subcode, reason, status))

    @property
    def state(self) -> Head:
        """The head, moved on to now."""
        self.head.advance(self._clock.now())
        return self.head

    # ------------------------------------------------------------------ answering

    def _soap(self, body: str, status: int = 200) -> HttpResponse:
        data = envelope(body)
        if self.undeclared_prefix:
            # Seen on real devices: a prefix used in the answer that the envelope never declares.
            data = data.replace(b' xmlns:tt="http://www.onvif.org/ver10/schema"', b"")
        return response(status, data, f"{SOAP_TYPE}; charset=utf-8")

    def _fault(self, code: str, subcode: str, reason: str, status: int) -> HttpResponse:
        return response(status, fault_envelope(code, (subcode,), reason), f"{SOAP_TYPE}; charset=utf-8")

    def _refuse_token(self, why: str) -> HttpResponse:
        self.token_refusals.append(why)
        self.unauthorized += 1
        self._log(f"UsernameToken refused: {why}")
        if self.auth_failure == "401":
            return response(401, b"401 Unauthorized\n", "text/plain")
        status = 401 if self.auth_failure == "fault-401" else 400
        return self._fault("Sender", "NotAuthorized", "Sender not Authorized", status)

    def _token_problem(self, call: SoapCall) -> str | None:
        token = call.token
        if token is None:
            return "no UsernameToken"
        if not same(token.username, self.user) or token.password_type != "PasswordDigest":
            return "wrong user or not a password digest"
        try:
            nonce = base64.b64decode(token.nonce, validate=True)
            created = datetime.fromisoformat(token.created.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return "unreadable nonce or Created"
        if not same(token.password, password_digest(nonce, token.created, self._secret)):
            return "wrong password digest"
        if abs(created - self.camera_time) > FRESHNESS:
            return f"Created {token.created} is {created - self.camera_time:+.0f} s from the camera's clock"
        return None

    async def handle(self, request: HttpRequest) -> HttpResponse:
        call = read_call(request.body) if request.method == "POST" else None
        if call is None:
            return self._fault("Sender", "WellFormed", "not a SOAP request", 400)
        if call.operation != "GetSystemDateAndTime" or self.time_needs_login:
            problem = self._token_problem(call)
            if problem is not None:
                return self._refuse_token(problem)
        self.handled.append(request)
        decoded = read_request(request)
        self.received.append(decoded.text if decoded is not None else call.operation)
        self._log(self.received[-1])
        failure = next((f for f in self._failures if f.operation in (call.operation, "*")), None)
        if failure is not None:
            self._failures.remove(failure)
            return self._fault(failure.code, failure.subcode, failure.reason, failure.status)
        handler = _HANDLERS.get(call.operation)
        if handler is None:
            return self._fault("Receiver", "ActionNotSupported", f"{call.operation} is not supported", 400)
        return handler(self, call)

    # ------------------------------------------------------------------ device and media

    def _time(self, call: SoapCall) -> HttpResponse:
        now = datetime.fromtimestamp(int(self.camera_time), timezone.utc)

        def fields(tag: str, **values: int) -> str:
            inner = "".join(f"<tt:{name}>{value}</tt:{name}>" for name, value in values.items())
            return f"<tt:{tag}>{inner}</tt:{tag}>"

        date = fields("Date", Year=now.year, Month=now.month, Day=now.day)
        clock = fields("Time", Hour=now.hour, Minute=now.minute, Second=now.second)
        return self._soap("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                          "<tt:DateTimeType>Manual</tt:DateTimeType>"
                          f"<tt:UTCDateTime>{date}{clock}</tt:UTCDateTime></tds:SystemDateAndTime>"
                          "</tds:GetSystemDateAndTimeResponse>")

    def _capabilities(self, call: SoapCall) -> HttpResponse:
        return self._soap(f"<tds:GetCapabilitiesResponse><tds:Capabilities>"
                            f"<tt:Device><tt:XAddr>{self.where}{DEVICE_PATH}</tt:XAddr></tt:Device>"
                            f"<tt:Media><tt:XAddr>{self.where}{MEDIA_PATH}</tt:XAddr></tt:Media>"
                            + (f"<tt:PTZ><tt:XAddr>{self.where}{PTZ_PATH}</tt:XAddr></tt:PTZ>" if self.ptz_service else "")
                            + "</tds:Capabilities></tds:GetCapabilitiesResponse>")

    def _services(self, call: SoapCall) -> HttpResponse:
        listed = "".join(f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace><tds:XAddr>{self.where}{path}</tds:XAddr>"
                         f"</tds:Service>" for namespace, path in ((MEDIA, MEDIA_PATH), (PTZ, PTZ_PATH))
                         if namespace != PTZ or self.ptz_service)
        return self._soap(f"<tds:GetServicesResponse>{listed}</tds:GetServicesResponse>")

    def _profiles(self, call: SoapCall) -> HttpResponse:
        listed = ""
        for token, name, ptz in PROFILES:
            timeout = f"<tt:DefaultPTZTimeout>PT{self.ptz_timeout:g}S</tt:DefaultPTZTimeout>" if self.ptz_timeout else ""
            configuration = (f'<tt:PTZConfiguration token="ptz_config"><tt:Name>PTZ</tt:Name>'
                             f"<tt:NodeToken>{NODE}</tt:NodeToken>{timeout}</tt:PTZConfiguration>") if ptz else ""
            listed += f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>{configuration}</trt:Profiles>'
        return self._soap(f"<trt:GetProfilesResponse>{listed}</trt:GetProfilesResponse>")

    # ------------------------------------------------------------------ PTZ

    def _profile_problem(self, call: SoapCall) -> HttpResponse | None:
        token = call.parameters.get("ProfileToken")
        if token not in [t for t, _, ptz in PROFILES if ptz]:
            return self._fault("Sender", "NoProfile", f"no PTZ profile {token!r}", 400)
        return None

    def _nodes(self, call: SoapCall) -> HttpResponse:
        def space(name: str, low: float, high: float, y: bool = True) -> str:
            ranges = f"<tt:XRange><tt:Min>{low}</tt:Min><tt:Max>{high}</tt:Max></tt:XRange>"
            if y:
                ranges += f"<tt:YRange><tt:Min>{low}</tt:Min><tt:Max>{high}</tt:Max></tt:YRange>"
            return f"<tt:{name}><tt:URI>generic</tt:URI>{ranges}</tt:{name}>"

        spaces = (space("AbsolutePanTiltPositionSpace", -1, 1) + space("AbsoluteZoomPositionSpace", 0, 1, False)
                  + space("RelativePanTiltTranslationSpace", -1, 1) + space("RelativeZoomTranslationSpace", -1, 1, False)
                  + space("ContinuousPanTiltVelocitySpace", -1, 1) + space("ContinuousZoomVelocitySpace", -1, 1, False)
                  + space("PanTiltSpeedSpace", 0, 1, False) + space("ZoomSpeedSpace", 0, 1, False))
        return self._soap(f'<tptz:GetNodesResponse><tptz:PTZNode token="{NODE}"><tt:Name>PTZ</tt:Name>'
                            f"<tt:SupportedPTZSpaces>{spaces}</tt:SupportedPTZSpaces>"
                            f"<tt:MaximumNumberOfPresets>128</tt:MaximumNumberOfPresets><tt:HomeSupported>true</tt:HomeSupported>"
                            f"</tptz:PTZNode></tptz:GetNodesResponse>")

    def _ptz(self, call: SoapCall) -> HttpResponse:
        """Every operation on a profile: checked, then done on the head."""
        problem = self._profile_problem(call)
        if problem is not None:
            return problem
        head = self.state
        operation, name = call.operation, call.operation
        if operation == "ContinuousMove":
            velocity = call.vectors.get("Velocity", {})
            for axis, value in velocity.items():
                head.drive(axis, value * UNITS_PER_SECOND)
            head.stop_at = head.time + self.ptz_timeout if self.ptz_timeout > 0 and head.time is not None else None
        elif operation == "Stop":
            axes = {"PanTilt": ("pan", "tilt"), "Zoom": ("zoom",)}
            for flag, names in axes.items():
                if call.parameters.get(flag, "true").lower() == "true":
                    for axis in names:
                        head.drive(axis, 0.0)
        elif operation in ("AbsoluteMove", "GotoHomePosition"):
            target = call.vectors.get("Position", {}) if operation == "AbsoluteMove" else self.home
            head.go(dict(target))
        elif operation == "RelativeMove":
            head.go({axis: head.position[axis] + value for axis, value in call.vectors.get("Translation", {}).items()})
        elif operation == "SetHomePosition":
            self.home = dict(head.position)
        elif operation == "GetStatus":
            return self._status(head)
        else:
            return _PRESET_HANDLERS[name](self, call, head)
        return self._soap(f"<tptz:{name}Response/>")

    def _status(self, head: Head) -> HttpResponse:
        position = head.position
        moving = {axes: "MOVING" if any(head.velocity(axis) for axis in names) else "IDLE"
                  for axes, names in (("PanTilt", ("pan", "tilt")), ("Zoom", ("zoom",)))}
        return self._soap(
            f"<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>"
            f'<tt:PanTilt x="{number(position["pan"])}" y="{number(position["tilt"])}"/><tt:Zoom x="{number(position["zoom"])}"/>'
            f"</tt:Position><tt:MoveStatus><tt:PanTilt>{moving['PanTilt']}</tt:PanTilt><tt:Zoom>{moving['Zoom']}</tt:Zoom>"
            f"</tt:MoveStatus><tt:UtcTime>{utc_text(self.camera_time)}</tt:UtcTime>"
            f"</tptz:PTZStatus></tptz:GetStatusResponse>")

    def _get_presets(self, call: SoapCall, head: Head) -> HttpResponse:
        listed = "".join(f'<tptz:Preset token="{text(token)}"><tt:Name>{text(preset.name)}</tt:Name></tptz:Preset>'
                         for token, preset in self.presets.items())
        return self._soap(f"<tptz:GetPresetsResponse>{listed}</tptz:GetPresetsResponse>")

    def _set_preset(self, call: SoapCall, head: Head) -> HttpResponse:
        token = call.parameters.get("PresetToken")
        if token is not None and token not in self.presets:
            return self._fault("Sender", "NoToken", f"no preset {token!r}", 400)
        if token is None:
            token = f"Preset_{self._next_token}"  # its own token, whatever the client would like
            self._next_token += 1
        self.presets[token] = Preset(call.parameters.get("PresetName", token), dict(head.position))
        return self._soap(f"<tptz:SetPresetResponse><tptz:PresetToken>{text(token)}</tptz:PresetToken></tptz:SetPresetResponse>")

    def _goto_preset(self, call: SoapCall, head: Head) -> HttpResponse:
        preset = self.presets.get(call.parameters.get("PresetToken", ""))
        if preset is not None:  # As on real cameras (issue 13): an unknown token "succeeds" and nothing moves
            head.go(dict(preset.position))
        return self._soap("<tptz:GotoPresetResponse/>")

    def _remove_preset(self, call: SoapCall, head: Head) -> HttpResponse:
        if self.presets.pop(call.parameters.get("PresetToken", ""), None) is None:
            return self._fault("Sender", "NoToken", "no such preset", 400)
        return self._soap("<tptz:RemovePresetResponse/>")

    # ------------------------------------------------------------------ WS-Discovery

    def url_seen_from(self, peer: str) -> str:
        """The device service url as ``peer`` reaches it: a camera on every interface
        (``0.0.0.0``) announces the address of the one that faces the peer."""
        if self.host not in ("0.0.0.0", "::", ""):
            return self.device_url
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((peer, discovery.PORT))  # no packet: only the route is looked up
            local = probe.getsockname()[0]
        return f"http://{local}:{self.port}{DEVICE_PATH}"

    async def open_discovery(self, host: str, port: int) -> None:
        """Answer WS-Discovery probes on ``host:port`` (3702 joins the multicast group too)."""
        loop = asyncio.get_running_loop()
        simulator = self

        class Responder(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, address: tuple[str, int]) -> None:
                message = discovery.read_probe(data)
                if message is None or simulator._discovery is None:
                    return
                match = discovery.probe_match(message, simulator.url_seen_from(address[0]), simulator.name)
                simulator._discovery.sendto(match, address)

        transport, _ = await loop.create_datagram_endpoint(Responder, local_addr=(host, port))
        self._discovery = transport
        self.discovery_port = transport.get_extra_info("sockname")[1]
        if port == discovery.PORT:
            # As a camera does: listen to the multicast group as well as to its own address.
            group = socket.inet_aton(discovery.GROUP) + socket.inet_aton("0.0.0.0")
            transport.get_extra_info("socket").setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, group)

    async def close(self) -> None:
        if self._discovery is not None:
            self._discovery.close()
            self._discovery = None
        await super().close()


_HANDLERS: dict[str, Callable[[OnvifSimulator, SoapCall], HttpResponse]] = {
    "GetSystemDateAndTime": OnvifSimulator._time,
    "GetCapabilities": OnvifSimulator._capabilities,
    "GetServices": OnvifSimulator._services,
    "GetProfiles": OnvifSimulator._profiles,
    "GetNodes": OnvifSimulator._nodes,
    **{name: OnvifSimulator._ptz for name in (
        "ContinuousMove", "Stop", "AbsoluteMove", "RelativeMove", "GotoHomePosition", "SetHomePosition", "GetStatus",
        "GetPresets", "SetPreset", "GotoPreset", "RemovePreset")},
}
_PRESET_HANDLERS: dict[str, Callable[[OnvifSimulator, SoapCall, Head], HttpResponse]] = {
    "GetPresets": OnvifSimulator._get_presets,
    "SetPreset": OnvifSimulator._set_preset,
    "GotoPreset": OnvifSimulator._goto_preset,
    "RemovePreset": OnvifSimulator._remove_preset,
}


async def start(
    kind: str = "onvif",
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
    skew: float = 0.0,
    time_needs_login: bool = False,
    auth_failure: str = "fault",
    ptz_timeout: float = 0.0,
    discovery_port: int | None = None,
    **_: object,
) -> OnvifSimulator:
    """Serve a simulated ONVIF camera on ``host:port`` (0: any free port; see ``.where`` and
    ``.device_url``). User ``admin`` unless ``user``; password from the variable
    ``password_env``, else ``"secret"``. ``auth``: ``none`` (default: WS-Security only) or
    ``digest``/``basic`` (HTTP auth as well). ``discovery_port``: answer WS-Discovery probes
    there (0: any free port, see ``.discovery_port``). PtzmapdError for a value it cannot serve."""
    scheme = check_auth_scheme(auth or "none")
    if auth_failure not in AUTH_FAILURES:
        raise PtzmapdError(f"unknown auth failure shape {auth_failure!r} (valid: {', '.join(AUTH_FAILURES)})")
    user, password = login(user, password_env)
    handle = OnvifSimulator(user, password, scheme, clock or MonotonicClock(), log, digest_qop, digest_algorithm)
    handle.skew, handle.time_needs_login, handle.auth_failure = skew, time_needs_login, auth_failure
    handle.ptz_timeout = ptz_timeout
    handle.name += f" {secrets.token_hex(2)}"
    await handle.open(host, port)
    if discovery_port is not None:
        try:
            await handle.open_discovery(host, discovery_port)
        except OSError:
            await handle.close()
            raise
        handle._log(f"answering WS-Discovery probes on {host}:{handle.discovery_port}")
    return handle
