"""What a simulated Hikvision camera serves beyond the PTZ commands ptzmapd itself sends:
every other resource of ``specs/hikvision-isapi-ptz-v2.0.txt`` (section 4), and the two
``/ISAPI/System`` resources that ISAPI clients read first to connect (``deviceInfo``,
``status``; not in the PTZ document, shaped as Hikvision firmware answers them).

:data:`RESOURCES` is the table, one row per resource and method, in the document's order.
A row's behaviour is one of:

- ``document``: GET answers the stored document (its default until a PUT), PUT stores the
  body after checking its root element (``badXmlContent`` otherwise);
- ``list``: GET answers the list of the stored items (presets, patrols, patterns…),
  POST adds one (its ``<id>`` says which), DELETE forgets them all;
- ``forget``: DELETE forgets one stored item;
- ``action``: PUT does something and answers ``ResponseStatus`` OK (the head moves where the
  resource moves it: ``relative``, ``autoPan``, the home position, patrols keep a state);
- ``hardwired``: a front-end camera's single PTZ channel cannot be added or removed
  (``notSupport``, as section 4.3's note allows).

Requests ptzmapd sends (continuous, presets, aux…) are read by the codec's own reader first
(:func:`ptzmapd.protocols.isapi.read_request`); this table serves the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from xml.sax.saxutils import escape

from ptzmapd.protocols.http import XML, HttpRequest, HttpResponse, ResponseStatus, parse_xml, xml_int, xml_text
from ptzmapd.simulators.head import Head


#: The device's own description: what ``/ISAPI/System/deviceInfo`` answers.
DEVICE_INFO = (
    "<deviceName>ptzmapd simulated dome</deviceName><deviceID>00000000-0000-0000-0000-000000000001</deviceID>"
    "<model>PTZMAPD-SIM-ISAPI</model><serialNumber>PTZMAPD-SIM0000000001</serialNumber>"
    "<macAddress>02:00:00:00:00:01</macAddress><firmwareVersion>V5.7.0</firmwareVersion>"
    "<firmwareReleasedDate>build 230101</firmwareReleasedDate><deviceType>IPCamera</deviceType>"
    "<telecontrolID>88</telecontrolID>"
)

#: Default documents: root element and its content (``{id}`` is the item's number).
DEFAULTS: dict[str, tuple[str, str]] = {
    "channel": ("PTZChannel", "<id>{id}</id><enabled>true</enabled><videoInputID>1</videoInputID>"
                "<panMaxSpeed>90</panMaxSpeed><tiltMaxSpeed>90</tiltMaxSpeed><presetSpeed>4</presetSpeed>"
                "<autoPatrolSpeed>50</autoPatrolSpeed><keyBoardControlSpeed>50</keyBoardControlSpeed>"
                "<controlProtocol>pelco-d</controlProtocol>"
                "<controlAddress><enabled>false</enabled><Address>1</Address></controlAddress>"),
    "capabilities": ("PTZChanelCap", "<AbsolutePanTiltPositionSpace>"
                     "<XRange><Min>0</Min><Max>3600</Max></XRange><YRange><Min>-900</Min><Max>2700</Max></YRange>"
                     "</AbsolutePanTiltPositionSpace>"
                     "<AbsoluteZoomPositionSpace><ZRange><Min>0</Min><Max>1000</Max></ZRange></AbsoluteZoomPositionSpace>"
                     "<ContinuousPanTiltSpace><XRange><Min>-100</Min><Max>100</Max></XRange>"
                     "<YRange><Min>-100</Min><Max>100</Max></YRange></ContinuousPanTiltSpace>"
                     "<ContinuousZoomSpace><ZRange><Min>-100</Min><Max>100</Max></ZRange></ContinuousZoomSpace>"
                     "<MomentaryPanTiltSpace><XRange><Min>-100</Min><Max>100</Max></XRange>"
                     "<YRange><Min>-100</Min><Max>100</Max></YRange></MomentaryPanTiltSpace>"
                     "<MomentaryZoomSpace><ZRange><Min>-100</Min><Max>100</Max></ZRange></MomentaryZoomSpace>"
                     "<homePostionSupport>true</homePostionSupport><maxPresetNum>256</maxPresetNum>"
                     "<maxPatrolNum>8</maxPatrolNum><maxPatternNum>4</maxPatternNum><maxLimitesNum>2</maxLimitesNum>"
                     "<maxTimeTaskNum>10</maxTimeTaskNum>"
                     "<PresetNameCap><presetNameSupport>true</presetNameSupport>"
                     "<maxPresetNameLen>32</maxPresetNameLen></PresetNameCap>"
                     "<isSupportPosition3D>true</isSupportPosition3D><isSupportManualTrack>true</isSupportManualTrack>"),
    "preset": ("PTZPreset", "<enabled>false</enabled><id>{id}</id><presetName></presetName>"),
    "patrol": ("PTZPatrol", "<enabled>false</enabled><id>{id}</id><patrolName>patrol {id}</patrolName>"
               "<PatrolSequenceList></PatrolSequenceList>"),
    "schedule": ("TimeBlockList", ""),
    "pattern": ("PTZPattern", "<enabled>false</enabled><id>{id}</id><space>100</space>"),
    "osd": ("PTZOSDDisplay", "<zoomlable>2sec</zoomlable><azimuth>alwaysclose</azimuth><presetlable>2sec</presetlable>"),
    "park": ("ParkAction", "<enabled>false</enabled><Parktime>30</Parktime>"
             "<Action><ActionType>preset</ActionType><ActionNum>1</ActionNum></Action>"),
    "limited": ("PTZLimited", "<enabled>false</enabled><id>{id}</id>"),
    "poweroff": ("savePtzPoweroff", "<savePtzPoweroffType>30sec</savePtzPoweroffType>"),
    "timetasks": ("TimeTaskList", "<enabled>false</enabled><Parktime>30</Parktime>"),
    "timetask": ("TimeTaskBlock", "<dayOfWeek>{id}</dayOfWeek>"),
    "copytask": ("TimeTaskCopy", "<curDayOfWeek>{id}</curDayOfWeek><copyDayOfWeek>{id}</copyDayOfWeek>"),
    "aux": ("PTZAux", "<id>{id}</id><type>{aux_type}</type><status>{aux_status}</status>"),
    "lock": ("LockPTZ", "<lockTime>0</lockTime>"),
}

#: The aux devices a dome has, by id (section 4.42's types).
AUX_DEVICES: dict[int, str] = {1: "LIGHT", 2: "WIPER", 3: "FAN", 4: "HEATER"}
#: List resources: list element → the default document of its items.
LISTS: dict[str, str] = {
    "presets": "preset", "patrols": "patrol", "patterns": "pattern", "ptzlimiteds": "limited", "auxcontrols": "aux",
}
LIST_TAGS: dict[str, str] = {
    "presets": "PTZPresetList", "patrols": "PTZPatrolList", "patterns": "PTZPatternList",
    "ptzlimiteds": "PTZLimitedList", "auxcontrols": "PTZAuxList",
}
#: Movement limits section 4.33 defines (1 manual control, 2 panorama scan).
LIMITS = (1, 2)


@dataclass(frozen=True, slots=True)
class Resource:
    """One row: a method on a resource under ``/ISAPI/PTZCtrl/channels/<ID>/``."""

    method: str
    pattern: re.Pattern[str]
    behaviour: str
    #: The ``DEFAULTS`` entry (document rows) or the action's name (action rows).
    what: str = ""


def _rows(method: str, path: str, behaviour: str, what: str = "") -> Resource:
    return Resource(method, re.compile(path), behaviour, what)


#: Section 4 of the document, resource by resource, in its order (4.3 and 4.2 are above the channel).
RESOURCES: tuple[Resource, ...] = (
    _rows("GET", r"", "document", "channel"),                                   # 4.4
    _rows("PUT", r"", "document", "channel"),
    _rows("DELETE", r"", "hardwired"),
    _rows("GET", r"capabilities", "document", "capabilities"),                  # 4.5
    _rows("PUT", r"homeposition", "action", "home-set"),                        # 4.6
    _rows("DELETE", r"homeposition", "action", "home-reset"),
    _rows("PUT", r"relative", "action", "relative"),                            # 4.10
    _rows("PUT", r"digital", "action", "digital"),                              # 4.12
    _rows("GET", r"presets", "list", "presets"),                                # 4.14
    _rows("PUT", r"presets", "action", "presets-update"),
    _rows("POST", r"presets", "list", "presets"),
    _rows("DELETE", r"presets", "list", "presets"),
    _rows("GET", r"presets/(\d+)", "document", "preset"),                       # 4.15
    _rows("GET", r"patrols", "list", "patrols"),                                # 4.17
    _rows("PUT", r"patrols", "action", "patrols-update"),
    _rows("POST", r"patrols", "list", "patrols"),
    _rows("DELETE", r"patrols", "list", "patrols"),
    _rows("GET", r"patrols/(\d+)", "document", "patrol"),                       # 4.18
    _rows("PUT", r"patrols/(\d+)", "document", "patrol"),
    _rows("DELETE", r"patrols/(\d+)", "forget", "patrol"),
    _rows("PUT", r"patrols/(\d+)/start", "action", "patrol-running"),           # 4.19
    _rows("PUT", r"patrols/(\d+)/stop", "action", "patrol-stopped"),            # 4.20
    _rows("PUT", r"patrols/(\d+)/pause", "action", "patrol-paused"),            # 4.21
    _rows("GET", r"patrols/(\d+)/status", "action", "patrol-status"),           # 4.22
    _rows("GET", r"patrols/(\d+)/schedule", "document", "schedule"),            # 4.23
    _rows("PUT", r"patrols/(\d+)/schedule", "document", "schedule"),
    _rows("GET", r"patterns", "list", "patterns"),                              # 4.24
    _rows("GET", r"patterns/(\d+)", "document", "pattern"),                     # 4.25
    _rows("PUT", r"patterns/(\d+)", "document", "pattern"),
    _rows("DELETE", r"patterns/(\d+)", "forget", "pattern"),
    _rows("PUT", r"patterns/(\d+)/recordstart", "action", "pattern-recording"), # 4.26
    _rows("PUT", r"patterns/(\d+)/recordstop", "action", "pattern-stopped"),    # 4.27
    _rows("PUT", r"patterns/(\d+)/start", "action", "pattern-running"),         # 4.28
    _rows("PUT", r"patterns/(\d+)/stop", "action", "pattern-stopped"),          # 4.29
    _rows("GET", r"PTZOSDDisplay", "document", "osd"),                          # 4.30
    _rows("PUT", r"PTZOSDDisplay", "document", "osd"),
    _rows("GET", r"parkaction", "document", "park"),                            # 4.31
    _rows("PUT", r"parkaction", "document", "park"),
    _rows("GET", r"ptzlimiteds", "list", "ptzlimiteds"),                        # 4.32
    _rows("GET", r"ptzlimiteds/(\d+)", "document", "limited"),                  # 4.33
    _rows("PUT", r"ptzlimiteds/(\d+)", "document", "limited"),
    _rows("DELETE", r"ptzlimiteds/(\d+)", "forget", "limited"),
    _rows("PUT", r"ptzlimiteds/(\d+)/Initialization", "action", "limit-start"),  # 4.34
    _rows("PUT", r"ptzlimiteds/(\d+)/confirm", "action", "limit-confirm"),       # 4.35
    _rows("PUT", r"ptzlimiteds/(\d+)/stop", "action", "limit-stop"),             # 4.36
    _rows("GET", r"saveptzpoweroff", "document", "poweroff"),                   # 4.37
    _rows("PUT", r"saveptzpoweroff", "document", "poweroff"),
    _rows("GET", r"timetasks", "document", "timetasks"),                        # 4.38
    _rows("PUT", r"timetasks", "document", "timetasks"),
    _rows("GET", r"timetasks/(\d+)", "document", "timetask"),                   # 4.39
    _rows("PUT", r"timetasks/(\d+)", "document", "timetask"),
    _rows("DELETE", r"timetasks/(\d+)", "forget", "timetask"),
    _rows("GET", r"timetasks/(\d+)/copytask", "document", "copytask"),          # 4.40
    _rows("PUT", r"timetasks/(\d+)/copytask", "document", "copytask"),
    _rows("GET", r"auxcontrols", "list", "auxcontrols"),                        # 4.41
    _rows("PUT", r"auxcontrols", "action", "aux-update"),
    _rows("GET", r"auxcontrols/(\d+)", "document", "aux"),                      # 4.42
    _rows("PUT", r"onepushfoucs/reset", "action", "focus-reset"),               # 4.44
    _rows("PUT", r"ManualTrace", "action", "manual-trace"),                     # 4.45
    _rows("PUT", r"position3D", "action", "position3d"),                        # 4.46
    _rows("PUT", r"autoPan", "action", "auto-pan"),                             # 4.47
    _rows("GET", r"lockPTZ", "action", "lock-status"),                          # 4.48
    _rows("PUT", r"lockPTZ", "action", "lock"),
)


def document(tag: str, inner: str, namespace: str | None) -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag} version="2.0"{xmlns}>{inner}</{tag}>'.encode("utf-8")


def _inner(body: bytes) -> str:
    """A stored document's content, without its XML declaration and root element."""
    text = body.decode("utf-8", "replace")
    start, end = text.find(">", text.find("<", text.find("?>") + 1 if "?>" in text else 0)), text.rfind("</")
    return text[start + 1:end] if 0 <= start < end else ""


#: What an action does: (device, item number, request, now) → the note to log, or a whole answer.
Effect = Callable[["IsapiDevice", int, HttpRequest, float], "str | HttpResponse"]


@dataclass(slots=True)
class IsapiDevice:
    """The stored state behind the table: documents, preset names, patrol/pattern states.

    ``head`` is the simulator's head (positions in tenths, speeds per second), moved on to
    now by the caller, so actions move it the way continuous moves do.
    """

    head: Head
    namespace: str | None
    #: resource key (``patrols/1``, ``PTZOSDDisplay``) → the document stored by a PUT.
    documents: dict[str, bytes] = field(default_factory=dict)
    preset_names: dict[int, str] = field(default_factory=dict)
    #: ``patrol 1`` / ``pattern 2`` → running, stopped, paused, recording.
    states: dict[str, str] = field(default_factory=dict)
    home: dict[str, float] = field(default_factory=lambda: {"pan": 0.0, "tilt": 0.0, "zoom": 0.0})
    lock_until: float = 0.0
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ answers

    def ok(self, request: HttpRequest) -> HttpResponse:
        return self.status(1, "OK", "ok", request)

    def status(self, code: int, text: str, sub: str, request: HttpRequest, http: int = 200) -> HttpResponse:
        body = ResponseStatus(code, text, sub, request.path).to_xml(self.namespace)
        return HttpResponse(http, "", body, (("Content-Type", XML),))

    def xml(self, tag: str, inner: str) -> HttpResponse:
        return HttpResponse(200, "", document(tag, inner, self.namespace), (("Content-Type", XML),))

    def system(self, request: HttpRequest, now: float, started: float) -> HttpResponse | None:
        """``/ISAPI/System/deviceInfo`` and ``/status``, ``/ISAPI/PTZCtrl/capabilities`` and
        ``/channels`` (4.2, 4.3); None for any other path."""
        path, method = request.path, request.method
        if path == "/ISAPI/System/deviceInfo" and method == "GET":
            return self.xml("DeviceInfo", DEVICE_INFO)
        if path == "/ISAPI/System/status" and method == "GET":
            return self.xml("DeviceStatus", f"<deviceUpTime>{int(now - started)}</deviceUpTime>"
                            "<CPUList><CPU><cpuDescription>sim</cpuDescription><cpuUtilization>1</cpuUtilization>"
                            "</CPU></CPUList><MemoryList><Memory><memoryDescription>sim</memoryDescription>"
                            "<memoryUsage>1</memoryUsage><memoryAvailable>64</memoryAvailable></Memory></MemoryList>")
        if path == "/ISAPI/PTZCtrl/capabilities" and method == "GET":
            return self.xml("PTZCtrlCap", "<maxPTZChannleNum>1</maxPTZChannleNum>"
                            "<isSupportPTZWithPreview>true</isSupportPTZWithPreview>")
        if path == "/ISAPI/PTZCtrl/channels":
            if method == "GET":
                tag, inner = DEFAULTS["channel"]
                stored = self.documents.get("")
                return self.xml("PTZChannelList", f"<{tag}>{_inner(stored) if stored else inner.format(id=1)}</{tag}>")
            if method == "PUT":
                return self.ok(request)  # the one channel's settings are all there is to update
            if method in ("POST", "DELETE"):
                return self.status(4, "Invalid Operation", "notSupport", request, 403)
        return None

    def answer(self, request: HttpRequest, channel: int, resource: str, now: float) -> HttpResponse | None:
        """The answer to a request under the channel's base; None when no row matches."""
        for row in RESOURCES:
            match = row.pattern.fullmatch(resource)
            if match is None or row.method != request.method:
                continue
            number = int(match.group(1)) if match.groups() else channel
            handler = getattr(self, f"_{row.behaviour}")
            result: HttpResponse = handler(row, request, resource, number, now)
            return result
        return None

    # ------------------------------------------------------------------ behaviours

    def _default(self, what: str, number: int) -> tuple[str, str]:
        tag, inner = DEFAULTS[what]
        aux_type = AUX_DEVICES.get(number, "LIGHT")
        return tag, inner.format(id=number, aux_type=aux_type, aux_status=self.head.switches.get(aux_type.lower(), "off"))

    def _document(self, row: Resource, request: HttpRequest, key: str, number: int, now: float) -> HttpResponse:
        tag, inner = self._default(row.what, number)
        if request.method == "GET":
            if row.what == "preset":
                return self._preset(number)
            stored = self.documents.get(key)
            return self.xml(tag, _inner(stored) if stored is not None else inner)
        root = parse_xml(request.body)
        if root is None:
            return self.status(5, "Invalid XML Format", "badXmlFormat", request, 400)
        if root.tag != tag:
            return self.status(6, "Invalid XML Content", "badXmlContent", request, 400)
        self.documents[key] = request.body
        self.notes.append(f"{key or 'channel'} updated")
        return self.ok(request)

    def _preset(self, number: int) -> HttpResponse:
        enabled = number in self.head.presets
        name = self.preset_names.get(number, f"Preset {number}" if enabled else "")
        return self.xml("PTZPreset", f"<enabled>{str(enabled).lower()}</enabled><id>{number}</id>"
                                     f"<presetName>{escape(name)}</presetName>")

    def _forget(self, row: Resource, request: HttpRequest, key: str, number: int, now: float) -> HttpResponse:
        self.documents.pop(key, None)
        self.notes.append(f"{key} deleted")
        return self.ok(request)

    def _hardwired(self, row: Resource, request: HttpRequest, key: str, number: int, now: float) -> HttpResponse:
        return self.status(4, "Invalid Operation", "notSupport", request, 403)

    def _list(self, row: Resource, request: HttpRequest, key: str, number: int, now: float) -> HttpResponse:
        name = row.what
        item = LISTS[name]
        if request.method == "GET":
            return self.xml(LIST_TAGS[name], "".join(self._item(name, item, n) for n in self._numbers(name)))
        if request.method == "DELETE":
            for stored in [k for k in self.documents if k.startswith(f"{name}/")]:
                del self.documents[stored]
            if name == "presets":
                self.head.presets.clear()
                self.preset_names.clear()
            self.notes.append(f"{name} cleared")
            return self.ok(request)
        root = parse_xml(request.body)  # POST: add one
        tag, _ = DEFAULTS[item]
        if root is None:
            return self.status(5, "Invalid XML Format", "badXmlFormat", request, 400)
        added = xml_int(root, "id")
        if root.tag != tag or added is None or added < 1:
            return self.status(6, "Invalid XML Content", "badXmlContent", request, 400)
        if name == "presets":
            self.head.presets[added] = dict(self.head.position)
            self.preset_names[added] = xml_text(root, "presetName") or f"Preset {added}"
        else:
            self.documents[f"{name}/{added}"] = request.body
        self.notes.append(f"{name} add {added}")
        return self.ok(request)

    def _numbers(self, name: str) -> list[int]:
        if name == "presets":
            return sorted(self.head.presets)
        if name == "auxcontrols":
            return sorted(AUX_DEVICES)
        if name == "ptzlimiteds":
            return list(LIMITS)
        return sorted(int(key.partition("/")[2]) for key in self.documents if re.fullmatch(rf"{name}/\d+", key))

    def _item(self, name: str, item: str, number: int) -> str:
        if name == "presets":
            return _inner(self._preset(number).body).join(("<PTZPreset>", "</PTZPreset>"))
        tag, inner = self._default(item, number)
        stored = self.documents.get(f"{name}/{number}")
        return f"<{tag}>{_inner(stored) if stored is not None else inner}</{tag}>"

    def _action(self, row: Resource, request: HttpRequest, key: str, number: int, now: float) -> HttpResponse:
        what = row.what
        if what.startswith(("patrol-", "pattern-")) and what not in ("patrol-status",):
            kind, _, state = what.partition("-")
            self.states[f"{kind} {number}"] = state
            self.notes.append(f"{kind} {number} {state}")
            return self.ok(request)
        effect = ACTIONS[what]
        result = effect(self, number, request, now)
        if isinstance(result, HttpResponse):
            return result
        self.notes.append(result)
        return self.ok(request)


def _values(request: HttpRequest, tag: str, names: tuple[str, ...], prefix: str = "") -> dict[str, int] | None:
    root = parse_xml(request.body)
    if root is None or root.tag != tag:
        return None
    values: dict[str, int] = {}
    for name in names:
        value = xml_int(root, prefix + name)
        if value is not None:
            values[name] = value
    return values


def _bad(device: IsapiDevice, request: HttpRequest) -> HttpResponse:
    return device.status(6, "Invalid XML Content", "badXmlContent", request, 400)


def _home_set(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str:
    device.home = dict(device.head.position)
    return "home position set here"


def _home_reset(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str:
    device.home = {"pan": 0.0, "tilt": 0.0, "zoom": 0.0}
    return "home position back to the factory zero"


def _relative(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
    values = _values(request, "PTZData", ("positionX", "positionY", "relativeZoom"), "Relative/")
    if values is None or not -100 <= values.get("relativeZoom", 0) <= 100:
        return _bad(device, request)
    # The point clicked (0..255 across the picture) comes to the centre: a tenth of the
    # picture's ~60° field per 25.5 units; zoom moves by relativeZoom % of its range.
    device.head.position["pan"] = (device.head.position["pan"] + (values.get("positionX", 128) - 128) * 600 / 256) % 3600
    device.head.position["tilt"] = min(2700.0, max(-900.0, device.head.position["tilt"] - (values.get("positionY", 128) - 128) * 340 / 256))
    device.head.position["zoom"] = min(1000.0, max(0.0, device.head.position["zoom"] + values.get("relativeZoom", 0) * 10))
    return f"relative {' '.join(f'{k} {v}' for k, v in values.items())}"


def _digital(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
    values = _values(request, "PTZData", ("positionX", "positionY", "digitalZoomLevel"), "Digital/")
    if values is None or not 0 <= values.get("digitalZoomLevel", 0) <= 100:
        return _bad(device, request)
    return f"digital zoom {values.get('digitalZoomLevel', 0)}"  # electronic: the head does not move


def _list_update(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
    root = parse_xml(request.body)
    return _bad(device, request) if root is None else "list updated"


def _patrol_status(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> HttpResponse:
    state = device.states.get(f"patrol {number}", "stopped")
    return device.xml("PTZPatrolStatus", f"<patrolID>{number}</patrolID><patrolStatus>{state}</patrolStatus>")


def _limit(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str:
    return f"limit {number} {request.path.rpartition('/')[2]}"


def _note(text: str) -> Effect:
    return lambda device, number, request, now: text


def _with_body(tag: str, names: tuple[str, ...], text: str) -> Effect:
    def effect(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
        values = _values(request, tag, names, "StartPoint/" if tag == "Position3D" else "")
        return _bad(device, request) if values is None else f"{text} {' '.join(f'{k} {v}' for k, v in values.items())}".rstrip()
    return effect


def _auto_pan(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
    values = _values(request, "autoPanData", ("autoPan",))
    if values is None or "autoPan" not in values or not 0 <= values["autoPan"] <= 100:
        return _bad(device, request)
    # An automatic pan at that speed (tenths per second, as a continuous pan), 0 ends it.
    device.head.speed["pan"] = values["autoPan"] * 9.0
    return f"auto pan {values['autoPan']}"


def _lock(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> str | HttpResponse:
    values = _values(request, "LockPTZ", ("lockTime",))
    if values is None or values.get("lockTime", -1) < 0:
        return _bad(device, request)
    device.lock_until = now + values["lockTime"]
    return f"PTZ locked for {values['lockTime']} s" if values["lockTime"] else "PTZ unlocked"


def _lock_status(device: IsapiDevice, number: int, request: HttpRequest, now: float) -> HttpResponse:
    return device.xml("LockPTZ", f"<lockTime>{max(0, round(device.lock_until - now))}</lockTime>")


ACTIONS: dict[str, Effect] = {
    "home-set": _home_set,
    "home-reset": _home_reset,
    "relative": _relative,
    "digital": _digital,
    "presets-update": _list_update,
    "patrols-update": _list_update,
    "aux-update": _list_update,
    "patrol-status": _patrol_status,
    "limit-start": _limit,
    "limit-confirm": _limit,
    "limit-stop": _limit,
    "focus-reset": _note("one-push focus reset"),
    "manual-trace": _with_body("ManualTrace", ("positionX", "positionY"), "manual trace"),
    "position3d": _with_body("Position3D", ("positionX", "positionY"), "3D position from"),
    "auto-pan": _auto_pan,
    "lock": _lock,
    "lock-status": _lock_status,
}
