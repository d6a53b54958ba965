"""ONVIF's numbers and names in ptzmapd's terms: speed levels, preset names, ``move-to``
degrees and zoom, jog travel, and how positions are reported; and the refusals its answers
become (every shape of "wrong credentials" as one, faults by their subcode)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ptzmapd.commands import Jog
from ptzmapd.errors import ProtocolError
from ptzmapd.protocols.base import ErrorReply
from ptzmapd.protocols.http import HttpResponse, http_error
from ptzmapd.protocols.onvif.soap import Fault
from ptzmapd.protocols.units import drive_level, finite_speed, speed_sign

#: Positions are reported in these parts of the position space (pan/tilt ±, zoom 0..).
POSITION_SCALE = 10000
#: A jog becomes a RelativeMove of this share of the translation space per second at full
#: speed (a relative move always ends, where a timed ContinuousMove is ignored by some cameras).
JOG_TRAVEL = 0.2
#: Degrees of ``move-to`` onto the generic position space: pan −180..180 and tilt −90..90
#: span it (the common mapping; a camera's own may differ, its space is what it is told).
PAN_DEGREES, TILT_DEGREES = 180.0, 90.0

WRONG_CREDENTIALS = "wrong-credentials"
CREDENTIAL_KEYS = "username, password_env, password_file"


def level(speed: float, top: int) -> int:
    """A normalised speed as a signed level −top..top; any nonzero speed moves."""
    if finite_speed(speed) == 0.0:
        return 0
    return drive_level(speed, top) * speed_sign(speed)


def preset_name(number: int) -> str:
    """The name a preset number stands for on an ONVIF camera."""
    if number < 0:
        raise ProtocolError(f"onvif preset names are numbers from 0, got {number}")
    return str(number)


def degrees(value: float | None, span: float, what: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not -span <= (value - 360.0 if value > span else value) <= span:
        raise ProtocolError(f"onvif {what} must be {-span:g}..{span:g} degrees (pan also up to 360), got {value!r}")
    return (value - 360.0 if value > span else value) / span


def zoom_share(value: float | None) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and 0.0 <= value <= 100.0):
        raise ProtocolError(f"onvif zoom must be 0..100, got {value!r}")
    return value / 100.0


def check_jog(command: Jog) -> None:
    if not (math.isfinite(command.seconds) and command.seconds > 0):
        raise ProtocolError(f"jog needs a duration above 0 s, got {command.seconds!r}")
    for speed in (command.pan, command.tilt, command.zoom):
        finite_speed(speed)


@dataclass(frozen=True, slots=True)
class Unable(ErrorReply):
    """A refusal no repeat can change: the camera has no PTZ service or profile, no preset of
    that name, no position to keep. Permanent, so a stop is not asked for again and again."""

    @property
    def permanent(self) -> bool:
        return True


def refusal(response: HttpResponse, fault: Fault | None, signed: bool) -> ErrorReply | None:
    """A failed answer as a refusal, None for a good one. Every auth failure is one
    ``wrong-credentials`` refusal (always with status 401: it is permanent), whatever its
    shape; other faults are named by their subcode; other failed statuses are HTTP's.
    ``signed``: the request carried credentials (else the camera asks for some)."""
    if response.status == 401 or (fault is not None and fault.is_auth):
        said = http_error(response).data.decode() if response.status == 401 and fault is None \
            else f"SOAP fault {fault.describe() if fault else 'none'} (HTTP {response.status})"
        what = f"the camera rejected the user name or password ({CREDENTIAL_KEYS})" if signed \
            else f"the camera asks for a user name and password ({CREDENTIAL_KEYS})"
        return ErrorReply(None, kind=WRONG_CREDENTIALS, data=f"{what}: {said}".encode(), http_status=401)
    if fault is not None:
        code = (fault.subcode or fault.code or "fault").lower()
        return ErrorReply(None, kind=f"onvif-{code}", data=f"SOAP fault {fault.describe()}".encode(),
                          http_status=response.status)
    if not response.ok:
        return http_error(response)
    return None

