"""WS-Discovery for ONVIF cameras, sans-io: the Probe a client multicasts and the ProbeMatches
a camera answers (ONVIF Core §7.3, WS-Discovery 2005/04 §5.2–5.3).

A camera answers a Probe for ``dn:NetworkVideoTransmitter`` with its device service addresses
(``XAddrs``) and its scopes, whose ``onvif://www.onvif.org/name/…`` and ``…/hardware/…`` say
what it is called. The socket side is ``ptzmapd devices``'s (:mod:`ptzmapd.devices`).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from ptzmapd.protocols.onvif.soap import child, child_text, parse_soap
from ptzmapd.protocols.spec import Discovery, Found

GROUP = "239.255.255.250"
PORT = 3702
_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
_DISCOVERY = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
_NAMESPACES = (f'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="{_ADDRESSING}" xmlns:d="{_DISCOVERY}" '
               'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"')
#: The scope prefixes that name a camera, in order of preference.
_NAME_SCOPES = ("onvif://www.onvif.org/name/", "onvif://www.onvif.org/hardware/")


def probe() -> tuple[str, bytes]:
    """A fresh Probe for ONVIF video transmitters: (its MessageID, its bytes)."""
    message_id = f"uuid:{uuid.uuid4()}"
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {_NAMESPACES}><s:Header>'
            f'<a:Action s:mustUnderstand="1">{_DISCOVERY}/Probe</a:Action><a:MessageID>{message_id}</a:MessageID>'
            f"<a:ReplyTo><a:Address>{_ADDRESSING}/role/anonymous</a:Address></a:ReplyTo>"
            f'<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>'
            f"<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>")
    return message_id, data.encode("utf-8")


def read_probe(data: bytes) -> str | None:
    """The MessageID of a Probe (what a camera answers), None for anything else."""
    root = parse_soap(data)
    if root is None or child(root, "Body", "Probe") is None:
        return None
    return child_text(root, "Header", "MessageID") or ""


def probe_match(message_id: str, device_url: str, name: str) -> bytes:
    """A camera's ProbeMatches for the Probe ``message_id`` (for the simulator)."""
    scopes = f"onvif://www.onvif.org/type/ptz onvif://www.onvif.org/name/{quote(name)}"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {_NAMESPACES}><s:Header>'
            f"<a:Action>{_DISCOVERY}/ProbeMatches</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
            f"<a:RelatesTo>{escape(message_id)}</a:RelatesTo><a:To>{_ADDRESSING}/role/anonymous</a:To></s:Header>"
            f"<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:{uuid.uuid4()}</a:Address>"
            f"</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>{escape(scopes)}</d:Scopes>"
            f"<d:XAddrs>{escape(device_url)}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch>"
            f"</d:ProbeMatches></s:Body></s:Envelope>").encode("utf-8")


def _name(scopes: str) -> str:
    for prefix in _NAME_SCOPES:
        for scope in scopes.split():
            if scope.startswith(prefix):
                return unquote(scope[len(prefix):])
    return ""


def read_matches(data: bytes, message_id: str) -> list[Found]:
    """The cameras a ProbeMatches answering ``message_id`` names: each device service address
    (a camera may list several, one per interface) with the camera's name; [] for anything else."""
    root = parse_soap(data)
    if root is None:
        return []
    related = child_text(root, "Header", "RelatesTo")
    if related is not None and related != message_id:
        return []
    found: list[Found] = []
    for match in root.iter("ProbeMatch"):
        name = _name(child_text(match, "Scopes") or "")
        for address in (child_text(match, "XAddrs") or "").split():
            if address.startswith(("http://", "https://")):
                found.append(Found(address, name))
    return found


WS_DISCOVERY = Discovery(group=GROUP, port=PORT, probe=probe, read=read_matches,
                         config_key="url", what="ONVIF cameras (WS-Discovery)")
