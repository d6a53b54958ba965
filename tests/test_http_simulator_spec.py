"""Every command and inquiry row of the HTTP spec files gets a sensible answer from
``ptzmapd simulate``, asked by a plain HTTP client (httpx), as third-party software asks.

The rows are read from the documents themselves (``specs/hikvision-isapi-ptz-v2.0.txt``
section 4, ``specs/ipcam-cgi-v1.2.txt`` sections 3–5, the PTZOptics manual's HTTP-CGI urls and
ERRATA's PTZOptics list), so a row nobody tested cannot hide. What "sensible" means per
document: ISAPI answers the document's *Success Return* element (``ResponseStatus`` with
statusCode 1 for commands); the IP camera answers 204 where the document says so, else 200
with every ``Name`` of the section's table as ``Name=value``; PTZOptics answers 2xx, images as
JPEG and videos as MP4.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from procs import Proc

SPECS = Path("/work/shared/specs") if Path("/work/shared/specs").is_dir() else Path(__file__).parent / "specs"
PASSWORD = "spec-Pa55word"
ENV = {"PTZMAPD_SPEC_PW": PASSWORD}

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason="the vendor documents are not here")


class Simulator(Proc):
    def __init__(self, kind: str, *extra: str) -> None:
        super().__init__("simulate", kind, "--host", "127.0.0.2", "--port", "0", "--password-env", "PTZMAPD_SPEC_PW",
                         *extra, env=ENV)
        self.url = self.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)


def text_of(name: str) -> str:
    return (SPECS / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- ISAPI rows


@dataclass(frozen=True)
class IsapiRow:
    section: str
    template: str
    method: str
    inbound: str
    returns: str

    def __str__(self) -> str:
        return f"{self.section} {self.method} {self.template}"


#: The text lost the pages with 4.35–4.37 (4.34's table runs on into 4.37's). From the
#: table of contents and the surviving lines: two more actions like 4.34, and a document.
LOST_PAGES: dict[str, list[tuple[str, str, str]]] = {
    "4.35": [("PUT", "None", "ResponseStatus")],
    "4.36": [("PUT", "None", "ResponseStatus")],
    "4.37": [("GET", "None", "savePtzPoweroff"), ("PUT", "savePtzPoweroff", "ResponseStatus")],
}


def isapi_rows() -> list[IsapiRow]:
    text = text_of("hikvision-isapi-ptz-v2.0.txt")
    # Paths from the table of contents (the body headings are cut: "onpushfoucs/star").
    paths = {number: path.replace(" ", "").rstrip(".")
             for number, path in re.findall(r"^(4\.\d+)\t(/ISAPI/[^\t]+)\t\d+$", text, re.M)}
    body = text[text.index("\n4.1 PTZCtrl"):]
    sections = re.split(r"^(4\.\d+) ?/ISAPI", body, flags=re.M)
    rows: list[IsapiRow] = []
    for number, content in zip(sections[1::2], sections[2::2]):
        methods = re.split(r"^(GET|PUT|POST|DELETE)[ \t]*$", content, flags=re.M)
        for method, block in zip(methods[1::2], methods[2::2]):
            inbound = re.search(r"^Inbound Data\t+(\S.*?)\s*$", block, re.M)
            returns = re.search(r"^Success Return\t+(\S.*?)\s*$", block, re.M)
            rows.append(IsapiRow(number, paths[number], method, inbound.group(1) if inbound else "None",
                                 returns.group(1).split()[-1] if returns else "ResponseStatus"))
    for number, lost in LOST_PAGES.items():
        rows.extend(IsapiRow(number, paths[number], method, inbound, returns) for method, inbound, returns in lost)
    return rows


#: Bodies for the resources whose inbound data carries values the camera checks.
ISAPI_BODIES: dict[str, str] = {
    "continuous": "<PTZData><pan>10</pan><tilt>0</tilt><zoom>0</zoom></PTZData>",
    "momentary": "<PTZData><pan>10</pan><tilt>0</tilt><zoom>0</zoom><Momentary><duration>200</duration></Momentary></PTZData>",
    "relative": "<PTZData><Relative><positionX>140</positionX><positionY>120</positionY><relativeZoom>10</relativeZoom></Relative></PTZData>",
    "absolute": "<PTZData><AbsoluteHigh><elevation>100</elevation><azimuth>900</azimuth><absoluteZoom>50</absoluteZoom></AbsoluteHigh></PTZData>",
    "digital": "<PTZData><Digital><positionX>100</positionX><positionY>100</positionY><digitalZoomLevel>20</digitalZoomLevel></Digital></PTZData>",
    "presets/<ID>": "<PTZPreset><enabled>true</enabled><id>2</id><presetName>door</presetName></PTZPreset>",
    "presets": "<PTZPreset><enabled>true</enabled><id>5</id><presetName>desk</presetName></PTZPreset>",
    "patrols": "<PTZPatrol><enabled>true</enabled><id>3</id><patrolName>round</patrolName></PTZPatrol>",
    "auxcontrols/<ID>": "<PTZAux><id>1</id><type>LIGHT</type><status>on</status></PTZAux>",
    "ManualTrace": "<ManualTrace><positionX>10</positionX><positionY>20</positionY></ManualTrace>",
    "position3D": "<Position3D><StartPoint><positionX>10</positionX><positionY>20</positionY></StartPoint>"
                  "<EndPoint><positionX>50</positionX><positionY>60</positionY></EndPoint></Position3D>",
    "autoPan": "<autoPanData><autoPan>0</autoPan></autoPanData>",
    "lockPTZ": "<LockPTZ><lockTime>0</lockTime></LockPTZ>",
}
#: A front-end camera's one PTZ channel is hardwired (4.3's note): adding or deleting it is refused.
HARDWIRED = {("POST", "/ISAPI/PTZCtrl/channels"), ("DELETE", "/ISAPI/PTZCtrl/channels"),
             ("DELETE", "/ISAPI/PTZCtrl/channels/<ID>")}
#: 4.22 swaps its Inbound Data and Success Return: a GET returns the status document.
SWAPPED = {"4.22": "PTZPatrolStatus"}


def isapi_request(row: IsapiRow) -> tuple[str, str | None]:
    target = row.template.replace("channels/<ID>", "channels/1").replace("<ID>", "2")
    resource = row.template.partition("channels/<ID>/")[2]
    if row.inbound in ("None", "") or row.method in ("GET", "DELETE"):
        return target, None
    body = ISAPI_BODIES.get(resource)
    if body is None:
        root = "PTZChannel" if row.inbound == "PTZChannelList" and row.method == "POST" else row.inbound
        body = f"<{root}></{root}>" if row.inbound != "PTZChannelList" else "<PTZChannelList><PTZChannel/></PTZChannelList>"
    return target, body


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


@pytest.fixture(scope="module")
def isapi() -> Iterator[tuple[Simulator, httpx.Client]]:
    simulator = Simulator("isapi")
    with httpx.Client(base_url=simulator.url, auth=httpx.DigestAuth("admin", PASSWORD), timeout=5) as client:
        yield simulator, client
    simulator.stop()


def test_the_isapi_document_is_read_whole() -> None:
    rows = isapi_rows()
    sections = {row.section for row in rows}
    assert sections == {f"4.{n}" for n in range(2, 49)}, sorted(sections)
    assert len(rows) == 79


@pytest.mark.parametrize("row", isapi_rows(), ids=str)
def test_every_isapi_row(row: IsapiRow, isapi: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = isapi
    target, body = isapi_request(row)
    headers = {"Content-Type": "application/xml"} if body else {}
    answer = client.request(row.method, target, content=body, headers=headers)
    root = ElementTree.fromstring(answer.content)
    expected = SWAPPED.get(row.section, row.returns)
    if (row.method, row.template) in HARDWIRED:
        assert answer.status_code == 403 and local(root.tag) == "ResponseStatus", answer.text
        assert root.findtext("{*}subStatusCode") == "notSupport"
        return
    assert answer.status_code == 200, answer.text
    assert local(root.tag).lower() == expected.lower(), answer.text
    if expected == "ResponseStatus":
        assert root.findtext("{*}statusCode") == "1", answer.text


@pytest.mark.parametrize("path, root", [("/ISAPI/System/deviceInfo", "DeviceInfo"), ("/ISAPI/System/status", "DeviceStatus")])
def test_isapi_clients_can_connect(path: str, root: str, isapi: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = isapi
    answer = client.get(path)
    assert answer.status_code == 200 and local(ElementTree.fromstring(answer.content).tag) == root, answer.text
    if root == "DeviceInfo":
        assert ElementTree.fromstring(answer.content).findtext("{*}model")


def test_isapi_state_carries_from_one_resource_to_another(isapi: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = isapi
    preset = "<PTZPreset><enabled>true</enabled><id>9</id><presetName>pulpit</presetName></PTZPreset>"
    assert client.put("/ISAPI/PTZCtrl/channels/1/presets/9", content=preset).status_code == 200
    assert "<presetName>pulpit</presetName>" in client.get("/ISAPI/PTZCtrl/channels/1/presets").text
    osd = "<PTZOSDDisplay><zoomlable>5sec</zoomlable><azimuth>alwaysopen</azimuth><presetlable>5sec</presetlable></PTZOSDDisplay>"
    assert client.put("/ISAPI/PTZCtrl/channels/1/PTZOSDDisplay", content=osd).status_code == 200
    assert "<azimuth>alwaysopen</azimuth>" in client.get("/ISAPI/PTZCtrl/channels/1/PTZOSDDisplay").text
    assert client.put("/ISAPI/PTZCtrl/channels/1/patrols/1/start").status_code == 200
    assert "<patrolStatus>running</patrolStatus>" in client.get("/ISAPI/PTZCtrl/channels/1/patrols/1/status").text
    wrong = client.put("/ISAPI/PTZCtrl/channels/1/parkaction", content="<PTZOSDDisplay/>")
    assert wrong.status_code == 400 and "badXmlContent" in wrong.text
    assert client.get("/ISAPI/PTZCtrl/channels/7/capabilities").status_code == 403  # no such channel
    beyond = client.put("/ISAPI/PTZCtrl/channels/1/presets/300/goto")  # maxPresetNum is 256
    assert beyond.status_code == 403 and "notSupport" in beyond.text
    assert client.get("/ISAPI/PTZCtrl/channels/1/nonsense").status_code == 404


# ---------------------------------------------------------------------------- IP camera CGI rows


@dataclass(frozen=True)
class CgiRow:
    section: str
    methods: tuple[str, ...]
    path: str
    #: The names of the section's first table (parameters for a setting, else the answer's).
    names: tuple[str, ...]
    #: ``Name=Value`` pairs the section prints outside a table (3.6.x ``Reset=Yes``).
    given: dict[str, str] = field(default_factory=dict)
    no_content: bool = False

    @property
    def sets(self) -> bool:
        return "POST" in self.methods

    def __str__(self) -> str:
        return f"{self.section} {'/'.join(self.methods)} {self.path}"


def cgi_rows() -> list[CgiRow]:
    text = text_of("ipcam-cgi-v1.2.txt")
    body = text[text.index("\n3. Configuration API"):text.index("\n6. Appendix")]
    sections = re.split(r"^(\d\.\d+\.\d+)\. ", body, flags=re.M)
    rows = []
    for number, content in zip(sections[1::2], sections[2::2]):
        request = re.search(r"^\s*(GET/POST|GET|POST) (/\S+)\s*$", content, re.M)
        assert request is not None, number
        names: list[str] = []
        table = re.search(r"^Name\tValue\tDescription\n(.*?)(?=^(?:response|parameters|request):|\Z)", content, re.M | re.S)
        if table:
            # Section 2.1: names are letters, digits and "_" only; "FTPSchedule FileMode" is a typo.
            names = [line.split("\t")[0].replace(" ", "") for line in table.group(1).splitlines() if "\t" in line]
        given = dict(re.findall(r"^\s*(\w+)=(Yes)\s*$", content, re.M))
        rows.append(CgiRow(number, tuple(request.group(1).split("/")), request.group(2), tuple(names), given,
                           "204 No Content" in content))
    return rows


#: A valid value for parameters that do not come from the camera's own answer.
VALID: dict[str, str] = {
    "PanSingleMoveDegree": "5", "TiltSingleMoveDegree": "5", "PanTiltSingleMove": "5",
    "PanTiltPresetPositionMove": "1", "PanTiltHorizontal": "100", "PanTiltVertical": "50", "SetPosition": "1",
    "SetName": "door", "ClearPosition": "1", "PanTiltSwingMode": "2", "PanTiltPositionMove": "true",
    "Trigger1": "1", "Trigger2": "0", "ImageUpload": "1", "ImageEmail": "0", "ComOut": "hello", "ComSend": "Yes",
    "UserName": "bob", "UserPassword": "pw", "UserPrivilege": "1", "UserAdd": "Yes", "UserDelete": "Yes",
    "ConfigReboot": "No",
}


@pytest.fixture(scope="module")
def ipcam() -> Iterator[tuple[Simulator, httpx.Client]]:
    simulator = Simulator("ipcam-cgi")
    with httpx.Client(base_url=simulator.url, auth=httpx.BasicAuth("admin", PASSWORD), timeout=5) as client:
        yield simulator, client
    simulator.stop()


def answer_values(text: str) -> dict[str, str]:
    return dict(re.findall(r"(?:^|[\r\n&])(\w+)=([^\r\n&]*)", text))


def test_the_cgi_document_is_read_whole() -> None:
    rows = cgi_rows()
    assert len(rows) == 40 and {row.path for row in rows} >= {"/system.cgi", "/pantiltcontrol.cgi", "/mjpeg.cgi"}


@pytest.mark.parametrize("row", cgi_rows(), ids=str)
def test_every_ipcam_cgi_row(row: CgiRow, ipcam: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = ipcam
    if row.path == "/image.jpg":
        answer = client.get(row.path)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
        assert answer.content.startswith(b"\xff\xd8")
        return
    if row.path == "/mjpeg.cgi":
        answer = client.get(row.path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("multipart/x-mixed-replace")
        assert re.search(rb"Date: \S+ \S+ IO_[01]{8}_PT_\d{3}_\d{3}", answer.content)
        return
    if not row.sets and not row.given:  # an inquiry: every name of its table answers
        answer = client.get(row.path)
        assert answer.status_code == 200, answer.text
        values = answer_values(answer.text)
        if row.path != "/userlist.cgi" or values:  # the list is empty until a user is added
            assert set(row.names) <= set(values), set(row.names) - set(values)
        return
    current = answer_values(client.get(row.path).text) if "/pantiltcontrol" not in row.path else {}
    parameters = {**{name: current.get(name, VALID.get(name, "")) for name in row.names}, **row.given}
    # Section 2.1: a value may be set with a GET query or a POST form; both are tried.
    for method in ("POST", "GET"):
        if method == "POST":
            answer = client.post(row.path, content=urlencode(parameters),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            answer = client.get(row.path, params=parameters)
        assert answer.status_code == (204 if row.no_content else 200), (method, answer.text)
        if not row.no_content and row.path != "/userlist.cgi":
            assert set(row.names) - {"ConfigReboot"} <= set(answer_values(answer.text)), answer.text
        if "UserDelete" in parameters:  # deleted by the POST; the GET finds nobody to delete
            break


def test_ipcam_settings_are_kept_and_nonsense_refused(ipcam: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = ipcam
    assert client.get("/system.cgi", params={"CameraName": "porch"}).status_code == 200
    assert answer_values(client.get("/system.cgi").text)["CameraName"] == "porch"
    assert PASSWORD not in client.get("/system.cgi").text  # the camera never shows its password
    assert client.get("/system.cgi", params={"NoSuchThing": "1"}).status_code == 400
    assert client.get("/pantiltcontrol.cgi").status_code == 400  # no PanTilt parameter at all
    assert client.get("/nonexistent.cgi").status_code == 404
    simulator.wait_for(r"step right 5°")  # the GET-with-query step moved the camera
    # 5.1.7 stores the position given, 5.1.6 goes there.
    store = {"PanTiltHorizontal": "300", "PanTiltVertical": "20", "SetPosition": "4", "SetName": "gate"}
    assert client.post("/pantiltcontrol.cgi", data=store).status_code == 204
    assert client.post("/pantiltcontrol.cgi", data={"PanTiltPresetPositionMove": "4"}).status_code == 204
    assert "PT_300_020" in client.get("/mjpeg.cgi").text


# ---------------------------------------------------------------------------- PTZOptics rows


def ptzoptics_rows() -> list[str]:
    manual = text_of("ptzoptics-move4k-link4k-manual.txt").replace("ptzctrl.\ncgi", "ptzctrl.cgi")
    host = r"https?://(?:\[[^\]\n]*\]|<[^>\n]*>|[^\s/]+)"  # "[Camera IP]", "<camera ip address>"
    targets = [path for path in re.findall(host + r"(/\S*)", manual) if re.search(r"\.(?:cgi|jpg|mp4)", path)]
    substitute = {"[delay]": "2", "[length]": "5", "[num]": "1", "PAN": "12", "TILT": "10", "S": "5", "N": "7"}
    errata = text_of("ERRATA.md").partition("## PTZOptics HTTP-CGI")[2].partition("\n## ")[0]
    for span in re.findall(r"`([^`]+)`", errata):
        if span.startswith("&"):
            continue  # "&3 (off)": the second half of the row before
        command = span.removeprefix("/cgi-bin/ptzctrl.cgi?")
        if not command.startswith(("ptzcmd", "post_image_value")):
            command = "ptzcmd&" + command
        alternatives = re.search(r"\{([^}]*)\}", command)
        for word in alternatives.group(1).split("|") if alternatives else [""]:
            expanded = command.replace(alternatives.group(0), word) if alternatives else command
            targets.append("/cgi-bin/ptzctrl.cgi?" + "&".join(substitute.get(part, part) for part in expanded.split("&")))
    return [re.sub(r"\[\w+\]", lambda m: substitute[m.group(0)], target) for target in dict.fromkeys(targets)]


def test_the_ptzoptics_documents_are_read_whole() -> None:
    rows = ptzoptics_rows()
    assert "/cgi-bin/booth.cgi?0&4&2&;photo&0" in rows and "/video1.mp4" in rows
    assert "/cgi-bin/ptzctrl.cgi?ptzcmd&rightdown&12&10" in rows and "/cgi-bin/ptzctrl.cgi?ptzcmd&focusstop&0" in rows
    assert len(rows) >= 25


@pytest.fixture(scope="module")
def ptzoptics() -> Iterator[tuple[Simulator, httpx.Client]]:
    simulator = Simulator("ptzoptics-cgi")  # no --user: open, as the manual's urls are
    with httpx.Client(base_url=simulator.url, timeout=5) as client:
        yield simulator, client
    simulator.stop()


@pytest.mark.parametrize("target", ptzoptics_rows())
def test_every_ptzoptics_row(target: str, ptzoptics: tuple[Simulator, httpx.Client]) -> None:
    simulator, client = ptzoptics
    answer = client.get(target)  # httpx keeps the query exactly as written (no "=" added)
    assert answer.status_code == 200, (target, answer.text)
    kind = {".jpg": "image/jpeg", ".mp4": "video/mp4"}.get(Path(target.partition("?")[0]).suffix)
    if kind:
        assert answer.headers["content-type"] == kind and answer.content


def test_ptzoptics_asks_for_basic_auth_only_when_given_a_user() -> None:
    simulator = Simulator("ptzoptics-cgi", "--user", "operator")
    try:
        home = "/cgi-bin/ptzctrl.cgi?ptzcmd&home"
        assert httpx.get(simulator.url + home).status_code == 401
        assert httpx.get(simulator.url + home, auth=("operator", PASSWORD)).status_code == 200
    finally:
        simulator.stop()
