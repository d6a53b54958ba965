"""ONVIF PTZ as a sans-io codec: commands become signed SOAP requests over the HTTP transport,
answers become replies.

**The connect sequence without I/O.** ONVIF needs five answers before the first move: the
camera's clock (to sign with it), its service addresses, the media profile, the PTZ node's
spaces and the preset list; each request depends on the answer before. The codec keeps the
sequence as its own state (:class:`Setup`) and hands each request to the controller in the
shapes the codec contract already has: :meth:`OnvifCodec.start` gives the first one as
opening words, and the answer to each gives the next in a :class:`~ptzmapd.protocols.base.Notice`
(whose words go out ahead of everything). A command that arrives before the sequence is done
takes the pending step's request as its own bytes; the answer continues the sequence and
comes back to the command as a :class:`~ptzmapd.protocols.base.Step`: the controller sends
the command again, now for real (so do a recall that read the preset list first and a
move-to that read the position first). A stop is therefore never confirmed by
anything but its own answer. Nothing outside this package had to change for it.

**Presets by name** (issue 13): ``preset: 3`` is the camera's preset *named* "3". GetPresets
is read at connect (name → token, cached); a recall of a name not in the cache reads the list
again first (a preset stored from the camera's own UI), a store sends ``SetPreset`` with
``PresetName`` (and the existing token only to overwrite it) and reads the list again after.

**Speeds**: a normalised speed becomes a level 1..100 (:data:`~.specs.ONVIF_LIMITS`, capped by
``max_*_speed``), then that share of the node's velocity space (GetNodes); a stop is ``Stop``
of that slot's axes, and a move carries both slots' velocities (PTZ §5.3.3 leaves an omitted
axis to the camera: some stop it). Positions (GetStatus) are reported in ten-thousandths of
the position space (:data:`POSITION_SCALE`): pan/tilt −10000..10000, zoom 0..10000.

**Auth**: a WS-Security UsernameToken with a password digest in every request but the first
GetSystemDateAndTime, ``Created`` on the camera's clock (wall clock + the offset read at
connect). HTTP Digest, where a camera also demands it, is the transport's. Every shape of
"who are you?" (HTTP 401, a ``NotAuthorized``/``FailedAuthentication`` fault with any status)
becomes one refusal, ``wrong-credentials``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable
from xml.etree.ElementTree import Element

from ptzmapd.commands import (
    Command,
    Home,
    Jog,
    MoveTo,
    PanTilt,
    PanTiltPositionInquiry,
    PresetClear,
    PresetRecall,
    PresetStore,
    RawCommand,
    Zoom,
    ZoomPositionInquiry,
)
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, InquiryAnswer, Notice, Outgoing, Reply, SpeedLimits, Step, UnreadableAnswer
from ptzmapd.protocols.http import HttpRequest, HttpResponse, describe_request, quote_body, raw_command_request, read_response
from ptzmapd.protocols.onvif import operations as ops
from ptzmapd.protocols.onvif.operations import Node, Operation, Profile, Services
from ptzmapd.protocols.onvif.read import read_request
from ptzmapd.protocols.onvif.soap import SOAP_TYPE, Fault, body_of, envelope, outgoing, parse_soap, read_fault, security_header, utc_text
from ptzmapd.protocols.pairing import HTTP_EXCHANGE, Pairing
from ptzmapd.protocols.onvif.values import (
    JOG_TRAVEL,
    PAN_DEGREES,
    POSITION_SCALE,
    TILT_DEGREES,
    WRONG_CREDENTIALS,
    Unable,
    check_jog,
    degrees,
    level,
    preset_name,
    refusal,
    zoom_share,
)
from ptzmapd.secrets import Credentials
from ptzmapd.vocabulary import PRESET_CLEAR, PRESET_SPEED, raw_capability

#: Where the device service is when the configured url has no path (Core §5.1.1's example).
DEFAULT_DEVICE_PATH = "/onvif/device_service"
CAPABILITIES: frozenset[str] = frozenset(
    {"pan", "tilt", "zoom", "stop", "jog", "home", "preset", PRESET_CLEAR, PRESET_SPEED, "move-to", "position", raw_capability("http")}
)


class Setup(Enum):
    """The connect sequence, in order (GetServices only where GetCapabilities failed)."""

    TIME = "reading the camera's clock"
    TIME_SIGNED = "reading the camera's clock, signed"
    CAPABILITIES = "finding its services (GetCapabilities)"
    SERVICES = "finding its services (GetServices)"
    PROFILES = "reading its media profiles"
    NODES = "reading its PTZ node"
    PRESETS = "reading its presets"


@dataclass(frozen=True, slots=True)
class _Sent:
    """What the request now on the wire asks, so its answer can be read."""

    operation: str
    step: Setup | None = None
    #: A command took this setup or lookup request as its own bytes.
    for_command: bool = False
    inquiry: str | None = None
    #: A recall or clear of this preset name waits for the preset list (GetPresets).
    lookup: str | None = None
    #: A move-to with pan or tilt alone waits for where the head points (GetStatus).
    fill: bool = False
    #: The preset name a SetPreset stores, a GotoPreset/RemovePreset names.
    preset: str | None = None


def _nonce() -> bytes:
    return os.urandom(16)


_INQUIRIES: dict[type[Command], str] = {PanTiltPositionInquiry: "pantilt-position", ZoomPositionInquiry: "zoom-position"}
_DISCRETE = (Home, PresetRecall, PresetStore, PresetClear, MoveTo, Jog, PanTiltPositionInquiry, ZoomPositionInquiry,
             RawCommand)


class OnvifCodec:
    text_wire = True
    #: One request, one response.
    pairing: Pairing = HTTP_EXCHANGE

    def __init__(
        self,
        limits: SpeedLimits,
        *,
        device_path: str = DEFAULT_DEVICE_PATH,
        credentials: Credentials | None = None,
        profile: str | None = None,
        wall: Callable[[], float] = time.time,
        nonce: Callable[[], bytes] = _nonce,
    ) -> None:
        self.limits = limits
        self.device_path = device_path or DEFAULT_DEVICE_PATH
        self.credentials = credentials
        self.wanted_profile = profile
        self._wall = wall
        self._nonce = nonce
        #: The next step of the connect sequence; None once it is done.
        self.step: Setup | None = Setup.TIME
        #: Seconds the camera's clock is ahead of this machine's.
        self.clock_offset = 0.0
        self.services: Services | None = None
        self.profile: Profile | None = None
        self.node = Node()
        #: Preset name → the camera's token.
        self.presets: dict[str, str] = {}
        #: The last velocity levels sent: pan, tilt, zoom.
        self._levels = [0, 0, 0]
        self._sent: _Sent | None = None
        #: Where the head pointed, read for a move-to that gives pan or tilt alone.
        self._here: ops.Position | None = None

    @property
    def ready(self) -> bool:
        return self.step is None

    # ------------------------------------------------------------------ requests

    def _path(self, service: str) -> str:
        if service == "device" or self.services is None:
            return self.device_path
        return self.services.media if service == "media" else self.services.ptz

    def _envelope(self, body: str, signed: bool) -> bytes:
        header = ""
        if signed and self.credentials is not None:
            created = utc_text(self._wall() + self.clock_offset)
            header = security_header(self.credentials, self._nonce(), created)
        return envelope(body, header)

    def _request(self, operation: Operation) -> bytes:
        content_type = f'{SOAP_TYPE}; charset=utf-8; action="{operation.action}"'
        body = self._envelope(operation.body, not operation.unsigned)
        return HttpRequest("POST", self._path(operation.service), body, (("Content-Type", content_type),)).to_bytes()

    def _setup_operation(self, step: Setup) -> Operation:
        if step in (Setup.TIME, Setup.TIME_SIGNED):
            return ops.get_system_date_and_time(unsigned=step is Setup.TIME)
        if step is Setup.CAPABILITIES:
            return ops.get_capabilities()
        if step is Setup.SERVICES:
            return ops.get_services()
        if step is Setup.PROFILES:
            return ops.get_profiles()
        if step is Setup.NODES:
            return ops.get_nodes()
        assert self.profile is not None
        return ops.get_presets(self.profile.token)

    def _hand_out(self, step: Setup, for_command: bool = False) -> Outgoing:
        operation = self._setup_operation(step)
        self._sent = _Sent(operation.name, step=step, for_command=for_command)
        unanswered = f"the camera did not answer {operation.name} ({step.value}); is {self.device_path} its device service?"
        return outgoing(self._request(operation), unanswered)

    def start(self) -> list[Outgoing]:
        """The connect sequence from its first step: the camera's clock, unsigned."""
        self.step = Setup.TIME
        return [self._hand_out(Setup.TIME)]

    def reset(self) -> list[Outgoing]:
        """A camera that fell silent and answers again may have rebooted: its clock is read
        again (what else it told is kept); a sequence not yet done goes on where it stands."""
        return [self._hand_out(self.step or Setup.TIME)]

    def key(self, command: Command) -> bytes:
        # Each slot is keyed on its own axes; discrete commands by value (their bytes carry a
        # fresh nonce and the state the connect sequence learnt).
        if isinstance(command, PanTilt):
            return f"continuous pan {level(command.pan, self.limits.pan)} tilt {level(command.tilt, self.limits.tilt)}".encode()
        if isinstance(command, Zoom):
            return f"continuous zoom {level(command.speed, self.limits.zoom)}".encode()
        self._check(command)
        return repr(command).encode()

    def _check(self, command: Command) -> None:
        """ProtocolError for a command this codec can never send (before any state is known)."""
        if not isinstance(command, _DISCRETE):
            valid = ", ".join(kind.__name__ for kind in (PanTilt, Zoom, *_DISCRETE))
            raise ProtocolError(f"onvif cannot send {type(command).__name__} (valid: {valid})")
        if isinstance(command, MoveTo):
            self._position(command)
        elif isinstance(command, Jog):
            check_jog(command)
        elif isinstance(command, (PresetRecall, PresetStore, PresetClear)):
            preset_name(command.number)
            if isinstance(command, PresetRecall) and command.speed is not None \
                    and not (math.isfinite(command.speed) and 0.0 <= command.speed <= 1.0):
                raise ProtocolError(f"preset travel speed must be 0..1, got {command.speed!r}")
        elif isinstance(command, RawCommand):
            raw_command_request(command)

    def encode(self, command: Command) -> Outgoing:
        if not isinstance(command, (PanTilt, Zoom)):
            self._check(command)
        if not self.ready:
            assert self.step is not None
            return self._hand_out(self.step, for_command=True)
        if isinstance(command, RawCommand):
            self._sent = _Sent("raw")
            return outgoing(self._raw(command))
        operation, sent = self._operation(command)
        self._sent = sent
        return outgoing(self._request(operation))

    def _raw(self, command: RawCommand) -> bytes:
        """A raw request as written; an XML body that is not an envelope is put in a signed one."""
        request = raw_command_request(command)
        body = request.body.strip()
        if body.startswith(b"<") and b"Envelope" not in body.split(b">", 1)[0]:
            content_type = f"{SOAP_TYPE}; charset=utf-8"
            request = HttpRequest(request.method, request.target, self._envelope(body.decode("utf-8", "replace"), True),
                                  (("Content-Type", content_type),))
        return request.to_bytes()

    def _velocities(self) -> tuple[tuple[float, float], float | None]:
        node, limits = self.node, self.limits
        pan, tilt, zoom = self._levels
        pantilt = (node.pan_velocity.signed(pan / limits.pan), node.tilt_velocity.signed(tilt / limits.tilt))
        zoom_velocity = None if node.zoom_velocity is None else node.zoom_velocity.signed(zoom / limits.zoom)
        return pantilt, zoom_velocity

    def _operation(self, command: Command) -> tuple[Operation, _Sent]:
        assert self.profile is not None
        profile = self.profile.token
        if isinstance(command, PanTilt):
            self._levels[0:2] = [level(command.pan, self.limits.pan), level(command.tilt, self.limits.tilt)]
            if command.is_stop():
                return ops.stop(profile, pantilt=True, zoom=False), _Sent("Stop")
            pantilt, zoom = self._velocities()
            return ops.continuous_move(profile, pantilt, zoom), _Sent("ContinuousMove")
        if isinstance(command, Zoom):
            if self.node.zoom_velocity is None:
                raise ProtocolError("the camera's PTZ node has no continuous zoom")
            self._levels[2] = level(command.speed, self.limits.zoom)
            if command.is_stop():
                return ops.stop(profile, pantilt=False, zoom=True), _Sent("Stop")
            pantilt, zoom = self._velocities()
            return ops.continuous_move(profile, pantilt, zoom), _Sent("ContinuousMove")
        inquiry = _INQUIRIES.get(type(command))
        if inquiry is not None:
            return ops.get_status(profile), _Sent("GetStatus", inquiry=inquiry)
        if isinstance(command, Home):
            return ops.goto_home(profile), _Sent("GotoHomePosition")
        if isinstance(command, MoveTo):
            if (command.pan is None) != (command.tilt is None) and self._here is None:
                # PanTilt carries both axes: the one not given stays where the camera says it is.
                return ops.get_status(profile), _Sent("GetStatus", for_command=True, fill=True)
            position, zoom_position = self._position(command)
            self._here = None
            return ops.absolute_move(profile, position, zoom_position), _Sent("AbsoluteMove")
        if isinstance(command, Jog):
            return self._jog(command, profile), _Sent("RelativeMove")
        return self._preset(command, profile)

    def _preset(self, command: Command, profile: str) -> tuple[Operation, _Sent]:
        assert isinstance(command, (PresetRecall, PresetStore, PresetClear))
        name = preset_name(command.number)
        token = self.presets.get(name)
        if isinstance(command, PresetStore):
            return ops.set_preset(profile, name, token), _Sent("SetPreset", preset=name)
        if token is None:
            # Not in the cache: perhaps stored from the camera's own page since. Read the list.
            return ops.get_presets(profile), _Sent("GetPresets", for_command=True, lookup=name)
        if isinstance(command, PresetClear):
            return ops.remove_preset(profile, token), _Sent("RemovePreset", preset=name)
        speed = None
        if command.speed is not None:
            zoom_speed = self.node.zoom_speed
            speed = (self.node.pantilt_speed.signed(command.speed),
                     None if zoom_speed is None else zoom_speed.signed(command.speed))
        return ops.goto_preset(profile, token, speed), _Sent("GotoPreset", preset=name)

    def _position(self, command: MoveTo) -> tuple[tuple[float, float] | None, float | None]:
        """A move-to in the node's position spaces; an axis not given keeps where it is (a pan
        without a tilt takes the tilt the camera reported, :attr:`_here`)."""
        pan = degrees(command.pan, PAN_DEGREES, "pan")
        tilt = degrees(command.tilt, TILT_DEGREES, "tilt")
        zoom = zoom_share(command.zoom)
        if pan is None and tilt is None and zoom is None:
            raise ProtocolError("move-to needs at least one of pan, tilt, zoom")
        node = self.node
        pantilt: tuple[float, float] | None = None
        if pan is not None or tilt is not None:
            here = self._here or ops.Position(0.0, 0.0)
            pantilt = (node.pan_position.across(pan) if pan is not None else here.pan or 0.0,
                       node.tilt_position.across(tilt) if tilt is not None else here.tilt or 0.0)
        return pantilt, None if zoom is None else node.zoom_position.share(zoom)

    def _jog(self, command: Jog, profile: str) -> Operation:
        check_jog(command)
        node = self.node
        travel = JOG_TRAVEL * command.seconds
        pan, tilt, zoom = (max(-1.0, min(1.0, speed)) for speed in (command.pan, command.tilt, command.zoom))
        pantilt: tuple[float, float] | None = None
        if pan or tilt:
            pantilt = (node.pan_translation.signed(pan * travel), node.tilt_translation.signed(tilt * travel))
        zoom_translation = node.zoom_translation.signed(zoom * travel) if zoom else None
        if pantilt is None and zoom_translation is None:
            raise ProtocolError("jog needs a nonzero pan, tilt or zoom speed")
        fastest = max(abs(pan), abs(tilt), abs(zoom))
        zoom_speed = None if node.zoom_speed is None else node.zoom_speed.signed(abs(zoom) or fastest)
        return ops.relative_move(profile, pantilt, zoom_translation, (node.pantilt_speed.signed(fastest), zoom_speed))

    # ------------------------------------------------------------------ replies

    def receive(self, data: bytes) -> list[Reply]:
        response = read_response(data)
        if isinstance(response, Garbage):
            return [response]
        sent, self._sent = self._sent, None
        root = parse_soap(response.body) if response.body.strip() else None
        answer = body_of(root) if root is not None else None
        fault = read_fault(answer) if answer is not None and answer.tag == "Fault" else None
        if sent is not None and sent.step is not None:
            return self._setup_answer(sent, response, answer, fault)
        refused = refusal(response, fault, self.credentials is not None)
        if refused is not None:
            if sent is not None and sent.preset is not None and sent.operation != "SetPreset":
                self.presets.pop(sent.preset, None)  # a token the camera no longer knows: look again next time
            return [refused]
        if sent is None:
            return [Ack(None)]
        if sent.lookup is not None:
            return [self._looked_up(sent.lookup, answer, response)]
        if sent.fill:
            return [self._filled(answer, response)]
        if sent.inquiry is not None:
            return [self._position_answer(sent.inquiry, answer, response)]
        if sent.operation == "SetPreset" and sent.preset is not None:
            return self._stored(sent.preset, answer)
        if sent.operation == "RemovePreset" and sent.preset is not None:
            self.presets.pop(sent.preset, None)
        return [Ack(None)]

    def _progress(self, sent: _Sent) -> Reply:
        # A command whose bytes were a step: it goes again (the Notice after says what was done).
        return Step(None) if sent.for_command else Ack(None)

    def _setup_answer(self, sent: _Sent, response: HttpResponse, answer: Element | None, fault: Fault | None) -> list[Reply]:
        step = sent.step
        assert step is not None
        refused = refusal(response, fault, self.credentials is not None)
        element = answer if refused is None else None
        if step in (Setup.TIME, Setup.TIME_SIGNED):
            return self._time_answer(sent, step, element, refused)
        if refused is not None and (refused.kind == WRONG_CREDENTIALS or step in (Setup.SERVICES, Setup.PROFILES)):
            return [refused]  # the step stays: the next command asks again
        if step is Setup.CAPABILITIES:
            services = None if element is None else ops.read_capabilities(element)
            if services is None:
                return self._advance(sent, Setup.SERVICES, "GetCapabilities named no PTZ service; asking GetServices")
            self.services = services
            return self._advance(sent, Setup.PROFILES, f"services: media {services.media}, PTZ {services.ptz}")
        if step is Setup.SERVICES:
            services = None if element is None else ops.read_services(element)
            if services is None:
                # From the top again, but only once a command has had this answer: after opening
                # words the waiting command takes GetServices itself and is refused (else it
                # would take GetCapabilities, and GetServices follow, again and again).
                self.step = Setup.CAPABILITIES if sent.for_command else Setup.SERVICES
                return [Unable(None, kind="onvif-no-ptz-service", data=(
                    "the camera lists no PTZ service (GetCapabilities, GetServices): "
                    + quote_body(response.body)).encode())]
            self.services = services
            return self._advance(sent, Setup.PROFILES, f"services: media {services.media}, PTZ {services.ptz}")
        if step is Setup.PROFILES:
            return self._profiles_answer(sent, element)
        if step is Setup.NODES:
            assert self.profile is not None
            node = None if element is None else ops.read_node(element, self.profile.node)
            self.node = node or Node(token=self.profile.node)
            return self._advance(sent, Setup.PRESETS, f"PTZ node {self.node.token!r}"
                                 + ("" if node else " (its spaces unread: the generic ones)"))
        if element is not None:
            self.presets = ops.read_presets(element)
        return self._advance(sent, None, f"{len(self.presets)} presets" + ("" if element is not None else " (unread)"))

    def _time_answer(self, sent: _Sent, step: Setup, element: Element | None, refused: ErrorReply | None) -> list[Reply]:
        camera_time = None if element is None else ops.read_time(element)
        if camera_time is None and step is Setup.TIME and refused is not None and self.credentials is not None:
            # Core §5.12.1 lets anyone read the clock, but some cameras demand a login for it.
            return self._advance(sent, Setup.TIME_SIGNED, "the camera wants its clock read signed")
        if camera_time is not None:
            self.clock_offset = camera_time - self._wall()
            said = f"camera clock {utc_text(camera_time)} ({round(self.clock_offset):+d} s from this machine's); signing with it"
        else:
            said = "the camera's clock could not be read; signing with this machine's"
        return self._advance(sent, Setup.CAPABILITIES if not self.ready else None, said)

    def _profiles_answer(self, sent: _Sent, element: Element | None) -> list[Reply]:
        profiles = [] if element is None else ops.read_profiles(element)
        wanted = self.wanted_profile
        chosen = next((p for p in profiles if p.token == wanted), None) if wanted is not None \
            else next((p for p in profiles if p.node), None)
        if chosen is None or not chosen.node:
            listed = ", ".join(f"{p.token!r}" + ("" if p.node else " (no PTZ)") for p in profiles) or "none"
            asked = f"no media profile {wanted!r} with PTZ" if wanted is not None else "no media profile with PTZ"
            return [Unable(None, kind="onvif-no-ptz-profile", data=f"{asked} (the camera has: {listed}; profile: names one)".encode())]
        self.profile = chosen
        return self._advance(sent, Setup.NODES, f"profile {chosen.token!r} ({chosen.name})")

    def _advance(self, sent: _Sent, step: Setup | None, said: str) -> list[Reply]:
        """The step answered: the reply for whoever sent it, and the next step's request."""
        was_ready = self.ready
        self.step = None if was_ready else step
        progress = self._progress(sent)
        if self.step is None:
            return [progress, Notice(None, text=f"{said}" + ("" if was_ready else "; ready"))]
        return [progress, Notice(None, text=f"{said}", send=(self._hand_out(self.step),))]

    def _looked_up(self, name: str, answer: Element | None, response: HttpResponse) -> Reply:
        if answer is not None:
            self.presets = ops.read_presets(answer)
        if name in self.presets:
            return Step(None)  # found: the command goes again, now with the preset's token
        names = ", ".join(map(repr, sorted(self.presets))) or "none"
        return Unable(None, kind="onvif-no-such-preset", data=(
            f"the camera has no preset named {name!r} (its presets: {names})"
        ).encode(), http_status=response.status)

    def _filled(self, answer: Element | None, response: HttpResponse) -> Reply:
        here = None if answer is None else ops.read_status(answer)
        if here is None or here.pan is None or here.tilt is None:
            return Unable(None, kind="onvif-no-position", data=(
                "the camera did not say where it points (GetStatus), so a move-to with pan or tilt alone cannot "
                f"keep the other: give both ({quote_body(response.body)})").encode(), http_status=response.status)
        self._here = here
        return Step(None)  # the command goes again, now keeping the axis it does not give

    def _stored(self, name: str, answer: Element | None) -> list[Reply]:
        token = None if answer is None else answer.findtext("PresetToken")
        if token:
            self.presets[name] = token.strip()
        assert self.profile is not None
        refresh = ops.get_presets(self.profile.token)
        self._sent = _Sent("GetPresets", step=Setup.PRESETS)
        return [Ack(None), Notice(None, text=f"preset {name!r} stored (token {token!r}); reading the list again",
                                  send=(outgoing(self._request(refresh)),))]

    def _position_answer(self, inquiry: str, answer: Element | None, response: HttpResponse) -> Reply:
        position = None if answer is None else ops.read_status(answer)
        node = self.node
        if position is not None and inquiry == "pantilt-position" and position.pan is not None and position.tilt is not None:
            pan = node.pan_position.where(position.pan) * 2 - 1
            tilt = node.tilt_position.where(position.tilt) * 2 - 1
            return InquiryAnswer(None, what=inquiry, values=(round(pan * POSITION_SCALE), round(tilt * POSITION_SCALE)))
        if position is not None and inquiry == "zoom-position" and position.zoom is not None:
            return InquiryAnswer(None, what=inquiry, values=(round(node.zoom_position.where(position.zoom) * POSITION_SCALE),))
        return UnreadableAnswer(None, response.body[:160], f"no position in the GetStatus answer: {quote_body(response.body)}")

    def describe(self, data: bytes) -> str:
        return describe_request(data, read_request)
