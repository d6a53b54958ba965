"""The ONVIF operations ptzmapd sends, as SOAP body elements, and the readers of their answers.

Sources: ONVIF Device Management (Core §8: GetSystemDateAndTime, GetCapabilities, GetServices),
Media Service §5.4 (GetProfiles), PTZ Service Specification 2.x §5 (GetNodes §5.2, ContinuousMove
§5.3.3, Stop §5.3.5, AbsoluteMove §5.3.1, RelativeMove §5.3.2, GotoPreset/SetPreset/RemovePreset/
GetPresets §5.4, GotoHomePosition/SetHomePosition §5.5, GetStatus §5.3.4).

Coordinates: every space here is the node's own (its ``XRange``/``YRange`` from GetNodes); the
generic spaces (velocity and translation −1..1, position −1..1 for pan/tilt and 0..1 for
zoom, speed 0..1) are the defaults when a camera lists none.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ptzmapd.protocols.onvif.soap import DEVICE, MEDIA, PTZ, child, child_float, child_text, number, text, to_float

#: Each service's namespace: an operation's ``action`` is this, a slash, and its name.
NAMESPACES: dict[str, str] = {"device": DEVICE, "media": MEDIA, "ptz": PTZ}


@dataclass(frozen=True, slots=True)
class Span:
    """One axis of a node's space: ``low..high`` in its units."""

    low: float
    high: float

    def signed(self, value: float) -> float:
        """A value −1..1 onto the span: positive onto ``0..high``, negative onto ``low..0``."""
        return value * self.high if value >= 0 else -value * self.low

    def share(self, value: float) -> float:
        """A share 0..1 of the span from ``low``."""
        return self.low + value * (self.high - self.low)

    def across(self, value: float) -> float:
        """A value −1..1 across the whole span (−1 is ``low``, 1 is ``high``)."""
        return self.share((value + 1.0) / 2.0)

    def where(self, value: float) -> float:
        """Where ``value`` lies on the span, as a share 0..1 (0 if the span is empty)."""
        width = self.high - self.low
        return (value - self.low) / width if width else 0.0


GENERIC_SIGNED = Span(-1.0, 1.0)
GENERIC_SHARE = Span(0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Node:
    """A PTZ node's spaces (GetNodes ``SupportedPTZSpaces``); None: the node has no such space."""

    token: str = ""
    pan_velocity: Span = GENERIC_SIGNED
    tilt_velocity: Span = GENERIC_SIGNED
    zoom_velocity: Span | None = GENERIC_SIGNED
    pantilt_speed: Span = GENERIC_SHARE
    zoom_speed: Span | None = GENERIC_SHARE
    pan_position: Span = GENERIC_SIGNED
    tilt_position: Span = GENERIC_SIGNED
    zoom_position: Span = GENERIC_SHARE
    pan_translation: Span = GENERIC_SIGNED
    tilt_translation: Span = GENERIC_SIGNED
    zoom_translation: Span = GENERIC_SIGNED
    home: bool = True


@dataclass(frozen=True, slots=True)
class Profile:
    """A media profile: its token and name, and the PTZ node its PTZ configuration drives."""

    token: str
    name: str = ""
    node: str = ""


@dataclass(frozen=True, slots=True)
class Services:
    """Where the camera's services listen: paths on the configured host."""

    media: str
    ptz: str


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class Operation:
    """One SOAP operation: the service it belongs to (``device``, ``media``, ``ptz``), its
    name (the ``action`` of its media type) and its body element."""

    service: str
    name: str
    body: str
    #: Sent without a UsernameToken (GetSystemDateAndTime, Core §5.12.1: always allowed).
    unsigned: bool = False

    @property
    def action(self) -> str:
        return f"{NAMESPACES[self.service]}/{self.name}"


def get_system_date_and_time(unsigned: bool = True) -> Operation:
    return Operation("device", "GetSystemDateAndTime", "<tds:GetSystemDateAndTime/>", unsigned=unsigned)


def get_capabilities() -> Operation:
    return Operation("device", "GetCapabilities", "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>")


def get_services() -> Operation:
    return Operation("device", "GetServices",
                     "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>")


def get_profiles() -> Operation:
    return Operation("media", "GetProfiles", "<trt:GetProfiles/>")


def get_nodes() -> Operation:
    return Operation("ptz", "GetNodes", "<tptz:GetNodes/>")


def _ptz(name: str, profile: str, inner: str = "") -> Operation:
    return Operation("ptz", name, f"<tptz:{name}><tptz:ProfileToken>{text(profile)}</tptz:ProfileToken>{inner}</tptz:{name}>")


def _vector(tag: str, pantilt: tuple[float, float] | None, zoom: float | None) -> str:
    inner = "" if pantilt is None else f'<tt:PanTilt x="{number(pantilt[0])}" y="{number(pantilt[1])}"/>'
    inner += "" if zoom is None else f'<tt:Zoom x="{number(zoom)}"/>'
    return f"<tptz:{tag}>{inner}</tptz:{tag}>"


def get_presets(profile: str) -> Operation:
    return _ptz("GetPresets", profile)


def continuous_move(profile: str, pantilt: tuple[float, float], zoom: float | None) -> Operation:
    """Both slots' velocities: an omitted axis may be stopped by the camera (PTZ §5.3.3 leaves it open)."""
    return _ptz("ContinuousMove", profile, _vector("Velocity", pantilt, zoom))


def stop(profile: str, pantilt: bool, zoom: bool) -> Operation:
    flags = f"<tptz:PanTilt>{str(pantilt).lower()}</tptz:PanTilt><tptz:Zoom>{str(zoom).lower()}</tptz:Zoom>"
    return _ptz("Stop", profile, flags)


def goto_preset(profile: str, token: str, speed: tuple[float, float | None] | None) -> Operation:
    """``speed``: (pan/tilt, zoom) in the node's speed spaces, None for the camera's own."""
    inner = f"<tptz:PresetToken>{text(token)}</tptz:PresetToken>"
    if speed is not None:
        inner += _vector("Speed", (speed[0], speed[0]), speed[1])
    return _ptz("GotoPreset", profile, inner)


def set_preset(profile: str, name: str, token: str | None) -> Operation:
    """A new preset named ``name``, or (``token``) that preset overwritten (PTZ §5.4.1)."""
    inner = f"<tptz:PresetName>{text(name)}</tptz:PresetName>"
    if token is not None:
        inner += f"<tptz:PresetToken>{text(token)}</tptz:PresetToken>"
    return _ptz("SetPreset", profile, inner)


def remove_preset(profile: str, token: str) -> Operation:
    return _ptz("RemovePreset", profile, f"<tptz:PresetToken>{text(token)}</tptz:PresetToken>")


def goto_home(profile: str) -> Operation:
    return _ptz("GotoHomePosition", profile)


def set_home(profile: str) -> Operation:
    return _ptz("SetHomePosition", profile)


def absolute_move(profile: str, pantilt: tuple[float, float] | None, zoom: float | None) -> Operation:
    return _ptz("AbsoluteMove", profile, _vector("Position", pantilt, zoom))


def relative_move(profile: str, pantilt: tuple[float, float] | None, zoom: float | None,
                  speed: tuple[float, float | None]) -> Operation:
    return _ptz("RelativeMove", profile, _vector("Translation", pantilt, zoom)
                + _vector("Speed", (speed[0], speed[0]), speed[1] if zoom is not None else None))


def get_status(profile: str) -> Operation:
    return _ptz("GetStatus", profile)


# --------------------------------------------------------------------------- answers


def read_time(answer: ElementTree.Element) -> float | None:
    """The camera's UTC time (seconds since the epoch) from a GetSystemDateAndTimeResponse."""
    utc = child(answer, "SystemDateAndTime", "UTCDateTime")
    if utc is None:
        return None
    parts = [child_text(utc, *path) for path in (("Date", "Year"), ("Date", "Month"), ("Date", "Day"),
                                                 ("Time", "Hour"), ("Time", "Minute"), ("Time", "Second"))]
    try:
        year, month, day, hour, minute, second = (int(part) for part in parts if part is not None)
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp()
    except (ValueError, OverflowError):  # a missing part (unpacking), a date that does not exist
        return None


def service_path(address: str | None) -> str | None:
    """The path (and query) of a service address; the host is the configured one (a camera
    behind NAT or with a second interface announces addresses the client cannot reach)."""
    if not address:
        return None
    try:
        parts = urlsplit(address.split()[0])
    except ValueError:
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def read_capabilities(answer: ElementTree.Element) -> Services | None:
    """The media and PTZ service paths from a GetCapabilitiesResponse; None without a PTZ service."""
    capabilities = answer.find("Capabilities")
    ptz = service_path(child_text(capabilities, "PTZ", "XAddr"))
    media = service_path(child_text(capabilities, "Media", "XAddr"))
    return Services(media, ptz) if ptz and media else None


def read_services(answer: ElementTree.Element) -> Services | None:
    """The same from a GetServicesResponse (``Service/Namespace`` and ``XAddr``)."""
    found: dict[str, str] = {}
    for service in answer.iter("Service"):
        namespace, path = child_text(service, "Namespace"), service_path(child_text(service, "XAddr"))
        if namespace and path:
            found.setdefault(namespace, path)
    ptz, media = found.get(PTZ), found.get(MEDIA)
    return Services(media, ptz) if ptz and media else None


def read_profiles(answer: ElementTree.Element) -> list[Profile]:
    """Every media profile, in the camera's order; ``node`` is "" for one without PTZ."""
    profiles = []
    for element in answer.iter("Profiles"):
        token = element.get("token")
        if not token:
            continue
        configuration = element.find("PTZConfiguration")
        node = "" if configuration is None else (child_text(configuration, "NodeToken") or "?")
        profiles.append(Profile(token, child_text(element, "Name") or "", node))
    return profiles


def _span(element: ElementTree.Element | None, axis: str) -> Span | None:
    low, high = child_float(element, axis, "Min"), child_float(element, axis, "Max")
    return None if low is None or high is None or low > high else Span(low, high)


def _space(spaces: ElementTree.Element | None, name: str, axis: str = "XRange") -> Span | None:
    return _span(None if spaces is None else spaces.find(name), axis)


def read_node(answer: ElementTree.Element, token: str) -> Node | None:
    """The node ``token`` (else the first) from a GetNodesResponse; None if it lists none."""
    nodes = list(answer.iter("PTZNode"))
    element = next((node for node in nodes if node.get("token") == token), nodes[0] if nodes else None)
    if element is None:
        return None
    spaces = element.find("SupportedPTZSpaces")
    defaults = Node()

    def pick(name: str, axis: str, default: Span) -> Span:
        return _space(spaces, name, axis) or default

    return Node(
        token=element.get("token") or token,
        pan_velocity=pick("ContinuousPanTiltVelocitySpace", "XRange", defaults.pan_velocity),
        tilt_velocity=pick("ContinuousPanTiltVelocitySpace", "YRange", defaults.tilt_velocity),
        # A node that lists spaces but no zoom velocity space has no continuous zoom.
        zoom_velocity=_space(spaces, "ContinuousZoomVelocitySpace") or (None if spaces is not None and len(spaces)
                                                                          else defaults.zoom_velocity),
        pantilt_speed=pick("PanTiltSpeedSpace", "XRange", defaults.pantilt_speed),
        zoom_speed=_space(spaces, "ZoomSpeedSpace") or defaults.zoom_speed,
        pan_position=pick("AbsolutePanTiltPositionSpace", "XRange", defaults.pan_position),
        tilt_position=pick("AbsolutePanTiltPositionSpace", "YRange", defaults.tilt_position),
        zoom_position=pick("AbsoluteZoomPositionSpace", "XRange", defaults.zoom_position),
        pan_translation=pick("RelativePanTiltTranslationSpace", "XRange", defaults.pan_translation),
        tilt_translation=pick("RelativePanTiltTranslationSpace", "YRange", defaults.tilt_translation),
        zoom_translation=pick("RelativeZoomTranslationSpace", "XRange", defaults.zoom_translation),
        home=(child_text(element, "HomeSupported") or "true").lower() != "false",
    )


def read_presets(answer: ElementTree.Element) -> dict[str, str]:
    """Preset name → token from a GetPresetsResponse. A preset without a name is known by its
    token (what the camera's own UI shows then); the first of two equal names wins."""
    presets: dict[str, str] = {}
    for element in answer.iter("Preset"):
        token = element.get("token")
        if not token:
            continue
        presets.setdefault(child_text(element, "Name") or token, token)
    return presets


@dataclass(frozen=True, slots=True)
class Position:
    """Where a GetStatus answer says the head is, in the node's position spaces."""

    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None
    moving: dict[str, str] = field(default_factory=dict)


def read_status(answer: ElementTree.Element) -> Position:
    position = child(answer, "PTZStatus", "Position")
    pantilt = child(position, "PanTilt")
    zoom = child(position, "Zoom")

    def attribute(element: ElementTree.Element | None, name: str) -> float | None:
        return None if element is None else to_float(element.get(name))

    moving = {axis: (child_text(answer, "PTZStatus", "MoveStatus", axis) or "") for axis in ("PanTilt", "Zoom")}
    return Position(attribute(pantilt, "x"), attribute(pantilt, "y"), attribute(zoom, "x"), moving)
