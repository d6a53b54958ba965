"""A camera's validated keys → its typed :class:`~.model.CameraConfig`: the link (host and
port, serial device and line speed, or HTTP endpoint with its credentials), the protocol's own
options dataclass, pacing and motion feel. Defaults are those of the dataclasses and of the
protocol's spec, never written here.

It also asks now what ``run`` will ask the OS (:func:`os_problems`), so ``check`` and ``run``
refuse the same files: the password is resolved once, here, and the transports receive it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ptzmapd.config.model import CameraConfig, HttpEndpoint, Link, Mark, MotionFeel, NetLink, Ramp, SerialLink
from ptzmapd.config.yamlmarks import MappingNode, Problem, child_path
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.spec import ProtocolSpec
from ptzmapd.secrets import (
    DEFAULT_USER,
    Credentials,
    Secret,
    SecretMissing,
    one_password_source,
    password_source,
    password_sources,
)
from ptzmapd.transports.addresses import host_problem, serial_device_problem, url_problem
from ptzmapd.transports.tls import trust_problem

#: The camera keys that shape its motion (the fields of MotionFeel).
FEEL_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(MotionFeel))
SPEED_KEYS: tuple[str, ...] = ("max_pan_speed", "max_tilt_speed", "max_zoom_speed", "max_focus_speed", "preset_speed")


def os_problems(node: MappingNode, path: str, values: Mapping[str, Any]) -> tuple[list[Problem], Credentials | None]:
    """What the OS says about a camera, as problems, and its credentials when it has any.

    The host, url or serial device must be one the transports can connect to
    (:mod:`ptzmapd.transports.addresses`), an https camera's certificates loadable
    (:mod:`ptzmapd.transports.tls`); the password source is resolved (environment variable
    set, file readable), never showing its value.
    """
    problems: list[Problem] = []
    reachable = True
    for key, problem_of in (("host", host_problem), ("url", url_problem), ("device", serial_device_problem)):
        if key in values and (problem := problem_of(str(values[key]))) is not None:
            problems.append(Problem(node.value[key].mark, child_path(path, key), problem))
            reachable = False
    # An https camera without a pinned certificate is verified against SSL_CERT_FILE/DIR.
    https = str(values.get("url", "")).lower().startswith("https:")
    if reachable and https and "tls_fingerprint" not in values:
        if (problem := trust_problem()) is not None:
            problems.append(Problem(node.value["url"].mark, child_path(path, "url"), problem))
    if "tls_fingerprint" in values and "url" in values and not https:
        # Only an https connection has a certificate to pin.
        problems.append(Problem(node.value["tls_fingerprint"].mark, child_path(path, "tls_fingerprint"),
                                "pins an https camera's certificate, and this camera's url is http "
                                "(use https://…, or leave tls_fingerprint out)"))
    given = password_sources(values)
    username = str(values.get("username", DEFAULT_USER))
    credentials = Credentials(username, Secret("")) if "username" in values else None
    if len(given) > 1:
        second = given[1]
        problems.append(Problem(node.key_marks[second], child_path(path, second), one_password_source(given)))
    elif given:
        key = given[0]
        try:
            credentials = Credentials(username, password_source(key, str(values[key]), node.mark.file))
        except SecretMissing as missing:
            problems.append(Problem(node.value[key].mark, child_path(path, key), str(missing)))
    return problems, credentials


def camera_config(
    values: Mapping[str, Any], name: str, mark: Mark, credentials: Credentials | None,
) -> CameraConfig:
    """The camera whose keys (already checked against its schema rows) are ``values``."""
    spec: ProtocolSpec[Any] = PROTOCOLS[values["protocol"]]
    option_names = [f.name for f in dataclasses.fields(spec.options)]
    feel = {key: values[key] for key in FEEL_KEYS if key in values}
    if "ramps" in feel:
        feel["ramps"] = {axis: Ramp(**limits) for axis, limits in feel["ramps"].items()}
    return CameraConfig(
        name=name, protocol=spec.name, mark=mark,
        link=_link(spec, values, credentials),
        pacing=dataclasses.replace(spec.pacing, **{key: values[key] for key in spec.pacing_keys if key in values}),
        options=spec.options(**{key: values[key] for key in option_names if key in values}),
        feel=MotionFeel(**feel),
        **{key: values[key] for key in SPEED_KEYS if key in values},
    )


def _link(spec: ProtocolSpec[Any], values: Mapping[str, Any], credentials: Credentials | None) -> Link:
    if spec.transport == "serial":
        return SerialLink(str(values["device"]), int(values.get("baud", spec.default_baud)))
    if spec.transport == "http":
        given = {key: values[key] for key in ("timeout", "tls_fingerprint") if key in values}
        return HttpEndpoint(str(values["url"]).rstrip("/"), credentials, "password" in values, **given)
    port = values.get("port", spec.default_port)
    return NetLink(str(values["host"]), int(port))
