"""Reading an ONVIF request as a camera does: which operation, its tokens, its vectors and its
UsernameToken. One reader for the simulated camera and for the codec's DEBUG traces."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

from ptzmapd.protocols.http import Decoded, HttpRequest
from ptzmapd.protocols.onvif.soap import body_of, child, child_text, local, parse_soap, to_float

#: Elements whose text is a parameter worth reading (tokens, names, flags, categories).
_PARAMETERS = ("ProfileToken", "PresetToken", "PresetName", "Category", "IncludeCapability", "PanTilt", "Zoom")
#: Elements that hold a vector: (PanTilt x, y) and (Zoom x).
_VECTORS = ("Velocity", "Position", "Translation", "Speed")


@dataclass(frozen=True, slots=True)
class UsernameToken:
    username: str
    password: str
    password_type: str
    nonce: str
    created: str


@dataclass(frozen=True, slots=True)
class SoapCall:
    """One SOAP request: the operation (the body element's local name), its text parameters,
    its vectors (``Velocity`` → ``{"pan": …, "tilt": …, "zoom": …}``, axes given only) and
    the UsernameToken of its header, if any."""

    operation: str
    parameters: dict[str, str] = field(default_factory=dict)
    vectors: dict[str, dict[str, float]] = field(default_factory=dict)
    token: UsernameToken | None = None


def _vector(element: ElementTree.Element) -> dict[str, float]:
    values: dict[str, float] = {}
    pantilt, zoom = element.find("PanTilt"), element.find("Zoom")
    for axis, source, name in (("pan", pantilt, "x"), ("tilt", pantilt, "y"), ("zoom", zoom, "x")):
        value = None if source is None else to_float(source.get(name))
        if value is not None:
            values[axis] = value
    return values


def _username_token(root: ElementTree.Element) -> UsernameToken | None:
    token = child(root, "Header", "Security", "UsernameToken")
    if token is None:
        return None
    password = token.find("Password")
    return UsernameToken(
        username=child_text(token, "Username") or "",
        password=(password.text or "").strip() if password is not None else "",
        password_type=local((password.get("Type") or "").rpartition("#")[2]) if password is not None else "",
        nonce=child_text(token, "Nonce") or "",
        created=child_text(token, "Created") or "",
    )


def read_call(body: bytes) -> SoapCall | None:
    """The SOAP request in ``body``; None when it is not an envelope with an operation."""
    root = parse_soap(body)
    if root is None:
        return None
    operation = body_of(root)
    if operation is None:
        return None
    parameters: dict[str, str] = {}
    vectors: dict[str, dict[str, float]] = {}
    for element in operation:
        if element.tag in _VECTORS:
            vectors[element.tag] = _vector(element)
        elif element.tag in _PARAMETERS and element.text is not None:
            parameters[element.tag] = element.text.strip()
    return SoapCall(operation.tag, parameters, vectors, _username_token(root))


def _words(values: dict[str, float]) -> str:
    return " ".join(f"{axis} {value:g}" for axis, value in values.items())


def read_request(request: HttpRequest) -> Decoded | None:
    """What an ONVIF request asks, for traces and the simulator: the operation as ``action``,
    the profile, tokens and vector axes as ``values`` (numbers as text, e.g. ``"0.5"``)."""
    if request.method != "POST":
        return None
    call = read_call(request.body)
    if call is None:
        return None
    values: dict[str, int | str] = {"path": request.path}
    words = [call.operation]
    for name in ("PresetName", "PresetToken"):
        if name in call.parameters:
            values[name] = call.parameters[name]
            words.append(f"{name} {call.parameters[name]!r}")
    if call.operation == "Stop":
        for name in ("PanTilt", "Zoom"):
            if call.parameters.get(name, "true").lower() == "true":
                words.append(name)
                values[name] = "true"
    for kind, vector in call.vectors.items():
        words.append(f"{kind.lower()} {_words(vector)}".rstrip())
        values.update({f"{kind.lower()}.{axis}": f"{value:g}" for axis, value in vector.items()})
    if "ProfileToken" in call.parameters:
        values["profile"] = call.parameters["ProfileToken"]
    return Decoded(call.operation, " ".join(words), values)
