"""SOAP 1.2 envelopes as ONVIF cameras take them, WS-Security UsernameToken signing, and
reading what comes back leniently (sans-io: the time and the nonce are passed in).

Sources: ONVIF Core Specification 2.x §5 (SOAP 1.2 over HTTP, faults §5.11), the OASIS Web
Services Security UsernameToken Profile 1.0 §3.1 (``PasswordDigest = Base64(SHA-1(nonce +
created + password))``, the nonce sent Base64-encoded), ONVIF Core §5.12.1 (a device must
accept it; its clock decides whether ``Created`` is fresh, so the client signs with the time
the camera reported, Core §8.3.1 GetSystemDateAndTime).

Replies are read by local name only: cameras and emulators send unusual prefixes, and some
use prefixes they never declare (seen on real devices and emulators): such a document is read again with every
prefix removed rather than refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from ptzmapd.protocols.base import Outgoing
from ptzmapd.protocols.http import parse_xml
from ptzmapd.secrets import Credentials

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE = "http://www.onvif.org/ver10/device/wsdl"
MEDIA = "http://www.onvif.org/ver10/media/wsdl"
PTZ = "http://www.onvif.org/ver20/ptz/wsdl"
SCHEMA = "http://www.onvif.org/ver10/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
#: The prefixes of the bodies ptzmapd writes (declared on the envelope).
PREFIXES: dict[str, str] = {"s": SOAP_ENV, "tds": DEVICE, "trt": MEDIA, "tptz": PTZ, "tt": SCHEMA}
#: SOAP 1.2's media type (RFC 3902); the ``action`` parameter names the operation.
SOAP_TYPE = "application/soap+xml"

#: Fault subcodes that mean "who are you?": ONVIF's ``ter:NotAuthorized`` (Core §5.11.2.3) and
#: WS-Security's ``wsse:FailedAuthentication`` / ``InvalidSecurity`` / ``InvalidSecurityToken``
#: (SOAP Message Security 1.0 §12), which cameras send as well.
AUTH_FAULTS = frozenset({"NotAuthorized", "FailedAuthentication", "InvalidSecurity", "InvalidSecurityToken",
                         "FailedCheck", "SecurityTokenUnavailable"})

_PREFIXED_TAG = re.compile(r"<(/?)[A-Za-z_][\w.-]*:")
_PREFIXED_ATTRIBUTE = re.compile(r"(\s)[A-Za-z_][\w.-]*:([A-Za-z_][\w.-]*\s*=)")
_DECLARATION = re.compile(r"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")


def utc_text(seconds: float) -> str:
    """``2026-11-30T11:00:00Z``: how ``wsu:Created`` and the simulator's clock write a time."""
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """WS-Security UsernameToken Profile 1.0 §3.1: Base64(SHA-1(nonce + created + password))."""
    return base64.b64encode(hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8")).digest()).decode()


def security_header(credentials: Credentials, nonce: bytes, created: str) -> str:
    """The ``wsse:Security`` header of one request: a fresh nonce, signed at ``created``."""
    digest = password_digest(nonce, created, credentials.password.reveal())
    return (
        f'<wsse:Security s:mustUnderstand="1" xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{escape(credentials.username)}</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_DIGEST}">{digest}</wsse:Password>'
        f'<wsse:Nonce EncodingType="{BASE64_BINARY}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


#: The UsernameToken's password digest and nonce (any prefix): what a trace must not show.
_TOKEN_SECRETS = re.compile(rb"(<(?:[\w.-]+:)?(?:Password|Nonce)\b[^>]*>)[^<]*(</)")


def outgoing(data: bytes, unanswered: str = "") -> Outgoing:
    """A request to send, whose DEBUG trace shows its UsernameToken with the password digest
    and nonce blanked (``Outgoing.trace``): with both and ``Created``, the password could be
    guessed offline from a log, and the request replayed."""
    trace = _TOKEN_SECRETS.sub(rb"\1(hidden)\2", data)
    return Outgoing(data, unanswered=unanswered, trace=trace if trace != data else None)


def envelope(body: str, header: str = "") -> bytes:
    """A SOAP 1.2 envelope around ``body`` (an operation element using :data:`PREFIXES`)."""
    declarations = "".join(f" xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in PREFIXES.items())
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope{declarations}>{head}<s:Body>{body}</s:Body>'
            f"</s:Envelope>").encode("utf-8")


def text(value: str) -> str:
    """A token or a name as element text."""
    return escape(value)


def number(value: float) -> str:
    """A coordinate as the schema's xs:float, without float noise (``0.5``, ``-1``, ``0.3333``)."""
    rounded = round(value, 4)
    return f"{rounded + 0.0:g}"  # + 0.0: never "-0"


def parse_soap(body: bytes) -> ElementTree.Element | None:
    """The document with namespaces stripped from tags (and attributes), None if it is not XML.

    A document that only fails for an undeclared prefix is read with every prefix removed.
    """
    root = parse_xml(body)
    if root is None:
        try:
            stripped = _DECLARATION.sub("", body.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        stripped = _PREFIXED_ATTRIBUTE.sub(r"\1\2", _PREFIXED_TAG.sub(r"<\1", stripped))
        root = parse_xml(stripped.encode("utf-8"))
        if root is None:
            return None
    for element in root.iter():
        for name in [name for name in element.attrib if name.startswith("{")]:
            element.attrib[name.rpartition("}")[2]] = element.attrib.pop(name)
    return root


def local(value: str) -> str:
    """A qualified name's local part: ``ter:NotAuthorized`` → ``NotAuthorized``."""
    return value.strip().rpartition(":")[2]


def child(element: ElementTree.Element | None, *path: str) -> ElementTree.Element | None:
    """The first descendant along ``path`` (local names), or None."""
    for name in path:
        if element is None:
            return None
        element = element.find(name)
    return element


def child_text(element: ElementTree.Element | None, *path: str) -> str | None:
    found = child(element, *path)
    return None if found is None or found.text is None else found.text.strip()


def child_float(element: ElementTree.Element | None, *path: str) -> float | None:
    found = child_text(element, *path)
    return to_float(found)


def to_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value)
    except ValueError:
        return None
    return result if result == result and abs(result) != float("inf") else None


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP fault: its code (``Sender``/``Receiver``), the innermost subcode
    (``NotAuthorized``, ``InvalidArgVal``, ``NoProfile``…) and the reason text."""

    code: str
    subcodes: tuple[str, ...] = ()
    reason: str = ""

    @property
    def subcode(self) -> str:
        return self.subcodes[-1] if self.subcodes else ""

    @property
    def is_auth(self) -> bool:
        return any(code in AUTH_FAULTS for code in self.subcodes) or self.code in AUTH_FAULTS

    def describe(self) -> str:
        codes = "/".join((self.code, *self.subcodes))
        return f"{codes}: {self.reason}" if self.reason else codes


def body_of(root: ElementTree.Element) -> ElementTree.Element | None:
    """The first element inside an envelope's Body (the answer or the fault), None if none."""
    if root.tag != "Envelope":
        return None
    body = root.find("Body")
    if body is None:
        return None
    return next(iter(body), None)


def read_fault(element: ElementTree.Element) -> Fault:
    """A SOAP 1.2 fault (``Code/Value``, nested ``Subcode/Value``, ``Reason/Text``), or a
    SOAP 1.1 one (``faultcode``, ``faultstring``), which older firmware sends."""
    code = child_text(element, "Code", "Value")
    if code is None:
        return Fault(local(child_text(element, "faultcode") or "Fault"), (), child_text(element, "faultstring") or "")
    subcodes: list[str] = []
    level = child(element, "Code", "Subcode")
    while level is not None and len(subcodes) < 8:
        value = child_text(level, "Value")
        if value:
            subcodes.append(local(value))
        level = level.find("Subcode")
    return Fault(local(code), tuple(subcodes), child_text(element, "Reason", "Text") or "")


def fault_envelope(code: str, subcodes: tuple[str, ...], reason: str) -> bytes:
    """A SOAP 1.2 fault as a camera sends it (for the simulator): subcodes in the ``ter:`` namespace."""
    inner = ""
    for subcode in reversed(subcodes):
        inner = f"<s:Subcode><s:Value>ter:{subcode}</s:Value>{inner}</s:Subcode>"
    body = (f'<s:Fault xmlns:ter="http://www.onvif.org/ver10/error"><s:Code><s:Value>s:{code}</s:Value>{inner}'
            f'</s:Code><s:Reason><s:Text xml:lang="en">{escape(reason)}</s:Text></s:Reason></s:Fault>')
    return envelope(body)
