"""HTTP requests and responses as bytes: the one format HTTP codecs, the transport and the
simulators share (sans-io, like h11).

A codec's :class:`~ptzmapd.protocols.base.Outgoing` carries a request in HTTP/1.1 wire form,
its target relative to the camera's ``url``, with no ``Host``, ``Authorization`` or
``Content-Length`` (the transport adds what the connection needs)::

    PUT /ISAPI/PTZCtrl/channels/1/continuous HTTP/1.1\\r\\nContent-Type: application/xml\\r\\n\\r\\n<PTZData>…

The transport hands each response back the same way (``HTTP/1.1 200 OK\\r\\n…\\r\\n\\r\\n<body>``),
one response per delivery, so a codec never reassembles a stream. An empty request means
"nothing to put on the wire" (a step-move camera stops by itself).

Also here: what every HTTP camera's replies have in common (2xx is an ACK, the rest an
:class:`ErrorReply` named ``http-<status>``), Hikvision's ``ResponseStatus`` XML read without
trusting its namespace, and the ``raw:`` request syntax of a config.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ptzmapd.commands import RawCommand
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import Ack, ErrorReply, Garbage, Reply
from ptzmapd.protocols.spec import RawKind

HTTP_VERSION = "HTTP/1.1"
#: Methods a ``raw:`` request may use (what the camera APIs here use).
RAW_METHODS: tuple[str, ...] = ("GET", "PUT", "POST", "DELETE")
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"
#: How much of an unexpected body an error message quotes.
QUOTE_LIMIT = 160

Headers = tuple[tuple[str, str], ...]

_METHOD = re.compile(r"[A-Z]+")
_STATUS_LINE = re.compile(r"HTTP/\d\.\d (\d{3})(?: (.*))?")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _find(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _head_bytes(start_line: str, headers: Headers, body: bytes, content_length: bool) -> bytes:
    lines = [start_line]
    lines.extend(f"{key}: {value}" for key, value in headers if not (content_length and key.lower() == "content-length"))
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def split_message(data: bytes) -> tuple[str, Headers, bytes]:
    """Start line, headers and body of one message; ValueError says what is wrong.

    Everything after the blank line is the body: a delivery holds exactly one message.
    """
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("no blank line after the head")
    lines = head.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"bad header line {line[:60]!r}")
        headers.append((name, value.strip()))
    return lines[0], tuple(headers), body


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    #: Path and query, relative to the camera's url: ``/cgi-bin/ptzctrl.cgi?ptzcmd&home``.
    target: str
    body: bytes = b""
    headers: Headers = ()

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def to_bytes(self, *, content_length: bool = False) -> bytes:
        """Wire form; ``content_length`` adds the length a real connection needs."""
        return _head_bytes(f"{self.method} {self.target} {HTTP_VERSION}", self.headers, self.body, content_length)

    @classmethod
    def from_bytes(cls, data: bytes) -> "HttpRequest":
        start, headers, body = split_message(data)
        parts = start.split(" ")
        if len(parts) != 3 or not _METHOD.fullmatch(parts[0]) or not parts[1].startswith("/") \
                or not parts[2].startswith("HTTP/"):
            raise ValueError(f"bad request line {start[:60]!r}")
        return cls(parts[0], parts[1], body, headers)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    reason: str = ""
    body: bytes = b""
    headers: Headers = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def to_bytes(self, *, content_length: bool = False) -> bytes:
        status_line = f"{HTTP_VERSION} {self.status} {self.reason}".rstrip()
        return _head_bytes(status_line, self.headers, self.body, content_length)

    @classmethod
    def from_bytes(cls, data: bytes) -> "HttpResponse":
        start, headers, body = split_message(data)
        match = _STATUS_LINE.fullmatch(start)
        if match is None:
            raise ValueError(f"bad status line {start[:60]!r}")
        return cls(int(match.group(1)), match.group(2) or "", body, headers)


# --------------------------------------------------------------------------- replies


def quote_body(body: bytes, limit: int = QUOTE_LIMIT) -> str:
    """A body's text on one line, shortened: what an error message may show of it."""
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- auth challenges

#: Digest algorithms ptzmapd's HTTP client (httpx's DigestAuth) answers, RFC 7616 names.
DIGEST_ALGORITHMS: frozenset[str] = frozenset(
    {"MD5", "MD5-SESS", "SHA", "SHA-SESS", "SHA-256", "SHA-256-SESS", "SHA-512", "SHA-512-SESS"}
)
#: What the client answers, for messages.
ANSWERABLE = "Basic, and Digest with qop=auth (or none) and MD5, SHA, SHA-256 or SHA-512"

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PARAM = re.compile(r"""([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))""")
_SEPARATORS = re.compile(r"[\s,]*")
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge (RFC 9110 11.6.1): its scheme as the camera wrote
    it, its parameters by lower-case name with quotes and escapes removed."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """The challenge as a person reads it: ``Digest qop="auth-int"``, ``Bearer``."""
        if self.scheme.lower() != "digest":
            return self.scheme
        problem = _digest_problem(self)
        return problem or "Digest"


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Every challenge in these ``WWW-Authenticate`` header values, in order; never raises.

    One header may carry several challenges (``Basic realm="a", Digest realm="b", …``); a
    header that stops making sense is read up to there.
    """
    challenges: list[Challenge] = []
    for value in values:
        position, current = 0, None
        while True:
            position = _SEPARATORS.match(value, position).end()  # type: ignore[union-attr]
            if position >= len(value):
                break
            param = _PARAM.match(value, position)
            if param is not None and current is not None:
                quoted, bare = param.group(2), param.group(3)
                current.params[param.group(1).lower()] = _ESCAPE.sub(r"\1", quoted) if quoted is not None else bare
                position = param.end()
                continue
            token = _TOKEN.match(value, position)
            if token is None:
                break
            current = Challenge(token.group(0))
            challenges.append(current)
            position = token.end()
    return challenges


def _digest_problem(challenge: Challenge) -> str | None:
    """Why ptzmapd cannot answer this Digest challenge, or None when it can."""
    params = challenge.params
    for needed in ("realm", "nonce"):
        if needed not in params:
            return f"Digest without a {needed}"
    algorithm = params.get("algorithm", "MD5")
    if algorithm.upper() not in DIGEST_ALGORITHMS:
        return f"Digest algorithm={algorithm}"
    qop = params.get("qop")
    if qop is not None and "auth" not in (part.strip() for part in qop.split(",")):
        return f'Digest qop="{qop}"'
    return None


def answerable_scheme(challenges: list[Challenge]) -> str | None:
    """``digest`` or ``basic``: the scheme ptzmapd answers these challenges with; None: neither.

    Digest is preferred. Only the first Digest challenge counts: it is the one the client signs.
    """
    digest = next((challenge for challenge in challenges if challenge.scheme.lower() == "digest"), None)
    if digest is not None and _digest_problem(digest) is None:
        return "digest"
    if any(challenge.scheme.lower() == "basic" for challenge in challenges):
        return "basic"
    return None


def auth_problem(challenges: list[Challenge]) -> str | None:
    """None when ptzmapd can answer one of these challenges; else what the camera asks for."""
    if answerable_scheme(challenges) is not None:
        return None
    if not challenges:
        return "no WWW-Authenticate challenge"
    return ", ".join(dict.fromkeys(challenge.describe() for challenge in challenges))


def _unanswerable_hint(response: "HttpResponse") -> str | None:
    challenges = parse_challenges(value for key, value in response.headers if key.lower() == "www-authenticate")
    problem = auth_problem(challenges)
    if problem is None or not challenges:  # no challenge at all: the credentials were refused
        return None
    return f"the camera asks for {problem}, which ptzmapd cannot answer (it answers {ANSWERABLE})"


#: What a person should check, by status: the bare number rarely says it.
_HINTS: dict[int, str] = {
    401: "the camera rejected the user name or password (username, password_env, password_file)",
    403: "the user may not do this (check its rights on the camera)",
    404: "the camera has no such function",
}


def http_error(response: HttpResponse, detail: str = "") -> ErrorReply:
    """``http-<status>`` with a readable message (status, hint, and what the camera said)."""
    hint = (_unanswerable_hint(response) if response.status == 401 else None) or _HINTS.get(response.status) \
        or ("the camera failed or is overloaded" if response.status >= 500 else "")
    status = None if detail else parse_response_status(response.body)
    # A ResponseStatus is read, not quoted: its words, not its XML, go in the message.
    said = detail or (status.message if status is not None else quote_body(response.body))
    message = f"HTTP {response.status} {response.reason}".rstrip()
    message += "".join(f": {part}" for part in (hint, said) if part)
    return ErrorReply(None, kind=f"http-{response.status}", data=message.encode("utf-8"), http_status=response.status)


def read_response(data: bytes) -> HttpResponse | Garbage:
    """The response in a delivery, or Garbage saying why it is not one."""
    try:
        return HttpResponse.from_bytes(data)
    except ValueError as exc:
        return Garbage(None, data=data[:QUOTE_LIMIT], reason=f"not an HTTP response: {exc}")


def plain_reply(response: HttpResponse) -> Reply:
    """CGI cameras: any 2xx (often ``204 No Content``) is an ACK, anything else an error."""
    return Ack(None) if response.ok else http_error(response)


# --------------------------------------------------------------------------- XML


def parse_xml(body: bytes) -> ElementTree.Element | None:
    """The XML document with every namespace stripped from its tags; None if it is not XML.

    Firmware differs in its namespace (hikvision.com, isapi.org, none), so tags are compared
    by local name only. Documents with a DTD are refused: a camera has no use for entities,
    and refusing them keeps entity-expansion tricks out of a long-running daemon.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return None
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError):
        return None
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rpartition("}")[2]
    return root


def xml_text(root: ElementTree.Element, path: str) -> str | None:
    found = root.find(path)
    return None if found is None or found.text is None else found.text.strip()


def xml_int(root: ElementTree.Element, path: str) -> int | None:
    text = xml_text(root, path)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ResponseStatus:
    """Hikvision's answer to a command: ``statusCode`` 1 is OK; ``subStatusCode`` says why not.

    statusCode 2 device busy, 3 device error, 4 invalid operation, 5 invalid XML format,
    6 invalid XML content, 7 reboot required.
    """

    status_code: int | None
    status_string: str = ""
    sub_status_code: str = ""
    request_url: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        if self.status_code is not None:
            return self.status_code == 1
        return self.status_string.lower() == "ok" or self.sub_status_code.lower() == "ok"

    @property
    def message(self) -> str:
        parts = [self.status_string or f"statusCode {self.status_code}"]
        if self.sub_status_code:
            parts.append(f"({self.sub_status_code})")
        if self.error_message:
            parts.append(f"- {self.error_message}")
        return " ".join(parts)

    def to_xml(self, namespace: str | None = "http://www.hikvision.com/ver20/XMLSchema") -> bytes:
        """As a camera sends it (used by the simulator; the namespace is a knob there)."""
        xmlns = f' xmlns="{namespace}"' if namespace else ""
        code = "" if self.status_code is None else f"<statusCode>{self.status_code}</statusCode>"
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="2.0"{xmlns}>'
            f"<requestURL>{escape(self.request_url)}</requestURL>{code}"
            f"<statusString>{escape(self.status_string)}</statusString>"
            f"<subStatusCode>{escape(self.sub_status_code)}</subStatusCode></ResponseStatus>"
        ).encode("utf-8")


def parse_response_status(body: bytes) -> ResponseStatus | None:
    """A ``ResponseStatus`` document whatever its namespace, else None."""
    root = parse_xml(body)
    if root is None or root.tag != "ResponseStatus":
        return None
    return ResponseStatus(
        status_code=xml_int(root, "statusCode"),
        status_string=xml_text(root, "statusString") or "",
        sub_status_code=xml_text(root, "subStatusCode") or "",
        request_url=xml_text(root, "requestURL") or "",
        error_message=xml_text(root, "errorMsg") or "",
    )


# --------------------------------------------------------------------------- raw requests


def parse_http_raw(text: str) -> tuple[str, str, str]:
    """``"PUT /ISAPI/… <body>"`` → (method, path, body); ValueError with a message a user can act on.

    The body is everything after the first space that follows the path (empty if none).
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"a raw HTTP request reads 'METHOD /path [body]' (methods: {', '.join(RAW_METHODS)}), got nothing")
    method, _, rest = stripped.partition(" ")
    if method.upper() not in RAW_METHODS:
        raise ValueError(
            f"a raw HTTP request starts with a method ({', '.join(RAW_METHODS)}), got {method[:20]!r}"
        )
    rest = rest.lstrip(" ")
    path, _, body = rest.partition(" ")
    if not path:
        raise ValueError(f"{method.upper()} needs a path relative to the camera's url, e.g. '/ISAPI/PTZCtrl/channels/1/status'")
    if "://" in path:
        raise ValueError(f"give the path relative to the camera's url (e.g. '/ISAPI/…'), not a full URL: {path[:60]!r}")
    if not path.startswith("/"):
        raise ValueError(f"the path must start with '/', got {path[:60]!r}")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in path):
        raise ValueError(f"the path has a control character or space in it: {path[:60]!r}")
    if method.upper() == "GET" and body.strip():
        raise ValueError("a GET request has no body (put parameters in the path's query string)")
    return method.upper(), path, body


def raw_request(text: str) -> HttpRequest:
    """The request a ``raw:`` command sends: XML bodies as XML, anything else as a form."""
    method, path, body = parse_http_raw(text)
    headers: Headers = ()
    if body:
        headers = (("Content-Type", XML if body.lstrip().startswith("<") else FORM),)
    return HttpRequest(method, path, body.encode("utf-8"), headers)


def raw_command_request(command: RawCommand) -> HttpRequest:
    """A codec's request for a ``raw`` command; ProtocolError for text it cannot send.

    Raw text written for another protocol (``visca:`` hex reaching an HTTP camera through a
    ``camera: all`` binding) is refused rather than sent as a request.
    """
    if command.kind not in ("", "http"):
        raise ProtocolError(f"a raw {command.kind} command is not for an HTTP camera (valid: http)")
    try:
        return raw_request(command.text)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A request as a camera understands it: what a simulator acts on and a trace shows.

    ``action`` names the function (``continuous``, ``preset-goto``…); ``values`` its numbers
    and words; ``text`` the readable rendering (``continuous pan 50 tilt 0 zoom 0``).
    """

    action: str
    text: str
    values: dict[str, int | str] = field(default_factory=dict)


#: A codec module's reader: a request → what it asks of the camera (None: not one of its own).
Decoder = Callable[[HttpRequest], "Decoded | None"]


def describe_request(data: bytes, decode: Decoder) -> str:
    """Readable text for request bytes a codec sent (its ``describe``)."""
    if not data:
        return "nothing (steps end by themselves)"
    try:
        request = HttpRequest.from_bytes(data)
    except ValueError:
        return f"unreadable request {quote_body(data, 60)!r}"
    decoded = decode(request)
    if decoded is not None:
        return decoded.text
    body = f" {quote_body(request.body, 60)}" if request.body else ""
    return f"{request.method} {request.target}{body}"


#: The raw commands every HTTP codec takes: ``METHOD /path [body]``.
RAW_HTTP = RawKind(kind="http", parse=parse_http_raw, example="'PUT /ISAPI/PTZCtrl/channels/1/presets/2/goto'")
