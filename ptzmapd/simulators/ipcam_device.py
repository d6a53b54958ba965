"""What a simulated CAS-3xx IP camera serves beyond ``pantiltcontrol.cgi``: the configuration,
streaming and remote-control CGIs of ``specs/ipcam-cgi-v1.2.txt`` (sections 3, 4.1.2, 5.1.1–5.1.4,
5.1.11), from one table.

A settings CGI (``/system.cgi``, ``/network.cgi``…) answers a GET without parameters with its
table as ``Name=value`` lines (section 2.2), and sets the parameters of a GET query or a
POST body, then answers the table (section 3: "response: see the … table"); a parameter it
does not have is ``400 Bad Request`` (section 2.3). Information CGIs (``/isystem.cgi``…) are
read-only. ``ConfigReboot`` is accepted wherever the document lists it and changes nothing
here. The camera never shows its own password: ``AdminPassword`` reads as asterisks.

Section 3.3.1 and 3.3.2 both read ``GET /image.cgi`` with different tables; the simulator
answers the settable one (3.3.2), which a client can write back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

#: Settings CGI → its parameters and their values at power-on. ``None`` marks a read-only CGI.
SETTINGS: dict[str, dict[str, str]] = {
    "/system.cgi": {"CameraName": "ptzmapd sim", "Location": "studio", "AdminID": "admin",
                    "AdminPassword": "********", "LEDControl": "0"},
    "/datetime.cgi": {"DateTimeMode": "0", "TimeServerIPAddress": "pool.ntp.org", "TimeServerProtocol": "0",
                      "TimeZone": "+0", "TimeZoneIndex": "31", "Date": "", "Time": ""},
    "/user.cgi": {"AccessControlEnable": "0"},
    "/image.cgi": {"VideoResolution": "2", "CompressionRate": "2", "FrameRate": "0", "BrightnessControl": "64",
                   "ContrastControl": "64", "SaturationControl": "64", "LightFrequency": "0", "Mirror": "0",
                   "AntiFlickerEnable": "0"},
    "/network.cgi": {"IPAddressMode": "1", "IPAddress": "192.168.0.20", "SubnetMask": "255.255.255.0",
                     "DefaultGateway": "192.168.0.1", "PPPoEUserID": "", "PPPoEPASSWORD": "",
                     "DNSIPAddress1": "192.168.0.1", "DNSIPAddress2": "0.0.0.0", "DDNSEnable": "0",
                     "DDNSProvider": "DynDNS.org(Free)", "DDNSHostName": "", "DDNSUserName": "", "DDNSPassword": "",
                     "SecondHTTPPortEnable": "0", "SecondHTTPPort": "81", "UPnPEnable": "1"},
    "/wireless.cgi": {"ConnectionMode": "0", "SSID": "", "WirelessChannel": "6", "TransmissionRate": "Fully Automatic",
                      "WEPEncryption": "0", "WEPKeyFormat": "0", "Key1": "", "Key2": "", "Key3": "", "Key4": "",
                      "TxKey": "Key 1", "BeaconInterval": "100", "Preamble": "0", "AuthenticationType": "0",
                      "PreSharedKey": ""},
    "/upload.cgi": {"FTPHostAddress": "", "FTPPortNumber": "21", "FTPUserName": "", "FTPPassword": "",
                    "FTPDirectoryPath": "/", "FTPPassiveMode": "1", "FTPScheduleEnable": "0", "FTPScheduleMode": "0",
                    "FTPScheduleDay": "0", "FTPScheduleTimeStart": "00:00:00", "FTPScheduleTimeStop": "00:00:00",
                    "FTPScheduleVideoFrequencyMode": "0", "FTPScheduleFramePerSecond": "1",
                    "FTPScheduleSecondPerFrame": "1", "FTPScheduleBaseFileName": "image",
                    "FTPScheduleFileMode": "0", "FTPScheduleMaxFileSequenceNumber": "1024",
                    "FTPManualEnable": "0", "FTPManualBaseFileName": "image", "FTPManualFileMode": "0",
                    "FTPManualMaxFileSequenceNumber": "1024"},
    "/email.cgi": {"EmailSMTPServerAddress": "", "EmailSenderAddress": "", "EmailReceiverAddress": "",
                   "EmailUserName": "", "EmailPassword": "", "EmailScheduleEnable": "0", "EmailScheduleMode": "0",
                   "EmailScheduleDay": "0", "EmailScheduleTimeStart": "00:00:00",
                   "EmailScheduleTimeStop": "00:00:00", "EmailScheduleInterval": "60", "EmailManualEnable": "0",
                   "EmailManualInterval": "60"},
}
#: Read-only information CGIs and their answers.
INFORMATION: dict[str, dict[str, str]] = {
    "/cgiversion.cgi": {"CGIVersion": "2"},
    "/isystem.cgi": {"CameraName": "ptzmapd sim", "Location": "studio", "Model": "CAS-3xx (ptzmapd simulator)",
                     "FirmwareVersion": "3.06 (2008-10-06)", "MACAddress": "02 00 00 00 00 02",
                     "IPAddress": "192.168.0.20", "EthernetLink": "Yes", "EthernetSpeed": "100M bps",
                     "EthernetDuplex": "Full Duplex"},
    "/inetwork.cgi": {"IPAddress": "192.168.0.20", "SubnetMask": "255.255.255.0", "DefaultGateway": "192.168.0.1",
                      "PrimaryDNSAddress": "192.168.0.1", "SecondaryDNSAddress": "0.0.0.0", "DynamicDNS": "Disable",
                      "SecondaryHTTPPort": "Disable (Port : 81)", "UpnP": "Enable (IP : 192.168.0.20)"},
    "/iwireless.cgi": {"ConnectionMode": "Infrastructure", "WirelessLink": "Disable", "SSID": "",
                       "WirelessChannel": "6", "TransmissionRate": "Fully Automatic", "WEPEncryption": "Disable"},
}
#: Read-only values a settings CGI also shows: 3.3.1 reads ``/image.cgi`` with the frame size
#: (bytes of the simulator's one JPEG). A client writing them back is not refused.
SHOWN_ONLY: dict[str, dict[str, str]] = {"/image.cgi": {"FrameSize": "22"}}
#: The I/O status of ``/iocontrol.cgi`` (5.1.1) and what a POST may switch (5.1.2–5.1.4).
IO_SWITCHES: tuple[str, ...] = ("Trigger1", "Trigger2", "ImageUpload", "ImageEmail")
#: How many frames ``/mjpeg.cgi`` sends before it ends the stream (a camera streams forever).
MJPEG_FRAMES = 3
MJPEG_BOUNDARY = "--video boundary--"
#: How many users the camera keeps (3.2.3).
MAX_USERS = 20
SECRET_SHOWN = "********"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the camera answers: an HTTP status and a ``Name=value`` body (empty for 204)."""

    status: int
    body: str = ""
    #: What the camera did, for its log; empty for a read.
    note: str = ""


def lines(values: dict[str, str]) -> str:
    return "".join(f"{name}={value}\r\n" for name, value in values.items())


@dataclass(slots=True)
class IpcamDevice:
    """The camera's stored settings, users and switches, answering the table's CGIs."""

    admin: str
    settings: dict[str, dict[str, str]] = field(default_factory=lambda: {cgi: dict(v) for cgi, v in SETTINGS.items()})
    #: name → (password, privilege); the admin is not in this list (3.1.3 holds it).
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    switches: dict[str, str] = field(default_factory=lambda: {name: "0" for name in IO_SWITCHES})
    com_port: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings["/system.cgi"]["AdminID"] = self.admin

    def handles(self, path: str) -> bool:
        return path in SETTINGS or path in INFORMATION or path in _SPECIAL

    def answer(self, method: str, path: str, parameters: list[tuple[str, str]]) -> Answer:
        """The answer to ``method path`` with its query or form ``parameters``."""
        if method not in ("GET", "POST"):
            return Answer(400, f"{method} is not a method of {path}\r\n")
        if path in INFORMATION:
            return Answer(400, "read-only\r\n") if parameters else Answer(200, lines(INFORMATION[path]))
        if path in SETTINGS:
            return self._settings(path, parameters)
        return _SPECIAL[path](self, method, parameters)

    def _settings(self, path: str, parameters: list[tuple[str, str]]) -> Answer:
        table, shown_only = self.settings[path], SHOWN_ONLY.get(path, {})
        unknown = [name for name, _ in parameters if name not in table and name not in shown_only and name != "ConfigReboot"]
        if unknown:
            return Answer(400, f"unsupported parameter {unknown[0]}\r\n")
        changed = {name: value for name, value in parameters if name in table}
        for name, value in changed.items():
            table[name] = SECRET_SHOWN if name == "AdminPassword" else value
        shown = {**table, **shown_only}
        if path == "/datetime.cgi" and not changed.get("Date"):
            shown["Date"], shown["Time"] = time.strftime("%Y-%m-%d"), time.strftime("%H:%M:%S")
        note = f"{path} set {', '.join(changed)}" if changed else ""
        return Answer(200, lines(shown), note)

    def _user_list(self, method: str, parameters: list[tuple[str, str]]) -> Answer:
        given = dict(parameters)
        name = given.get("UserName", "").strip()
        note = ""
        if given.get("UserAdd") == "Yes":
            if not name or len(name) > 12 or given.get("UserPrivilege", "0") not in ("0", "1"):
                return Answer(400, "UserName (1..12 characters) and UserPrivilege 0 or 1 are needed\r\n")
            if name not in self.users and len(self.users) >= MAX_USERS:
                return Answer(400, "the user list is full\r\n")
            self.users[name] = (given.get("UserPassword", ""), given.get("UserPrivilege", "0"))
            note = f"user {name!r} added"
        elif given.get("UserDelete") == "Yes":
            if name not in self.users:
                return Answer(400, f"no user {name!r}\r\n")
            del self.users[name]
            note = f"user {name!r} deleted"
        elif parameters:
            return Answer(400, "add with UserAdd=Yes, delete with UserDelete=Yes\r\n")
        body = "".join(
            f"UserName={user}\r\nUserPassword={SECRET_SHOWN}\r\nUserPrivilege={privilege}\r\n"
            for user, (_, privilege) in self.users.items()
        )
        return Answer(200, body, note)

    def _active_users(self, method: str, parameters: list[tuple[str, str]]) -> Answer:
        return Answer(200, lines({"UserIPAddress": "127.0.0.1", "UserName": self.admin,
                                  "AccessDateTime": time.strftime("%Y-%m-%d %H:%M:%S"), "MinisecondPerPacket": "66"}))

    def _reset(self, method: str, parameters: list[tuple[str, str]]) -> Answer:
        given = dict(parameters)
        if given.get("FactoryReset") == "Yes":
            self.settings = {cgi: dict(values) for cgi, values in SETTINGS.items()}
            self.settings["/system.cgi"]["AdminID"] = self.admin
            self.users.clear()
            return Answer(204, note="factory reset")
        if given.get("Reset") == "Yes":
            return Answer(204, note="restart")
        return Answer(400, "Reset=Yes or FactoryReset=Yes\r\n")

    def _io(self, method: str, parameters: list[tuple[str, str]]) -> Answer:
        if method == "GET" and not parameters:
            status = {**self.switches, "CurrentTime": time.strftime("%Y-%m-%d %H:%M:%S")}
            return Answer(200, "&".join(f"{name}={value}" for name, value in status.items()))
        given = dict(parameters)
        if not given or any(name not in IO_SWITCHES or value not in ("0", "1") for name, value in given.items()):
            return Answer(400, f"parameters: {', '.join(IO_SWITCHES)} (0 or 1)\r\n")
        self.switches.update(given)
        return Answer(204, note=" ".join(f"{name} {'on' if value == '1' else 'off'}" for name, value in given.items()))

    def _com_port(self, method: str, parameters: list[tuple[str, str]]) -> Answer:
        given = dict(parameters)
        if given.get("ComSend") != "Yes" or "ComOut" not in given:
            return Answer(400, "ComOut=<data>&ComSend=Yes\r\n")
        self.com_port.append(given["ComOut"])
        return Answer(204, note=f"com port out {given['ComOut'][:40]!r}")


_SPECIAL = {
    "/userlist.cgi": IpcamDevice._user_list,
    "/activeuser.cgi": IpcamDevice._active_users,
    "/reset.cgi": IpcamDevice._reset,
    "/iocontrol.cgi": IpcamDevice._io,
    "/comport.cgi": IpcamDevice._com_port,
}


def parameters_of(method: str, query: str, body: bytes) -> list[tuple[str, str]]:
    """The request's parameters: a POST's form body, else the query (section 2.1 allows both)."""
    text = body.decode("utf-8", "replace") if method == "POST" and body else query
    return [(name.strip(), value) for name, value in parse_qsl(text, keep_blank_values=True)]


def mjpeg_stream(frame: bytes, pan: float, tilt: float, switches: dict[str, str], frames: int = MJPEG_FRAMES) -> bytes:
    """A ``multipart/x-mixed-replace`` body of ``frames`` JPEGs, as section 4.1.2 shows it:
    each part's Date line carries the I/O switches and the pan/tilt position (degrees)."""
    io = "".join(switches.get(name, "0") for name in IO_SWITCHES).ljust(8, "0")
    parts = []
    for _ in range(frames):
        parts.append(
            f"{MJPEG_BOUNDARY}\r\nContent-Length: {len(frame)}\r\n"
            f"Date: {time.strftime('%Y-%m-%d %H:%M:%S')} IO_{io}_PT_{round(pan):03d}_{round(tilt):03d}\r\n"
            f"Content-Type: image/jpeg\r\n\r\n".encode("latin-1") + frame + b"\r\n\r\n"
        )
    return b"".join(parts)
