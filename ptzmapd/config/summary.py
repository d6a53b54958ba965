"""The summary ``ptzmapd check`` prints of a valid config: cameras, inputs, bindings per input."""

from __future__ import annotations

from collections import Counter

from ptzmapd.config.model import ApiConfig, CameraConfig, Config, HttpEndpoint, InputConfig, SerialLink
from ptzmapd.vocabulary import DEFAULT_GROUP


def summarize(config: Config) -> str:
    """A few lines for ``ptzmapd check``: cameras, inputs and how many bindings each input has."""
    per_input = Counter(binding.input for binding in config.bindings)
    lines = [
        f"{config.path}: {_count(len(config.cameras), 'camera')}, {_count(len(config.inputs), 'input')}, "
        f"{_count(len(config.bindings), 'binding')}"
    ]
    for camera in config.cameras.values():
        lines.append(f"  camera {camera.name}: {camera.protocol}{_endpoint(camera)}")
    for device in config.inputs.values():
        bound = _count(per_input[device.name], "binding")
        # A selection group is named only where it is not the shared default one.
        group = f", group {device.group}" if device.group != DEFAULT_GROUP else ""
        lines.append(f"  input {device.name}: {device.type}{input_source(device)}{group}, {bound}")
    for switcher in config.switchers.values():
        # Never the password: the url holds none (the loader refuses one there).
        where = switcher.url or _host_port(switcher.host, switcher.port)
        lines.append(f"  switcher {switcher.name}: {switcher.type} {where}, {_count(len(switcher.sources), 'source')}"
                     f", follow {switcher.follow}, live {switcher.live}")
    if config.api is not None:
        lines.append(f"  api: {api_listeners(config.api)}")
    if config.mqtt is not None:
        # The user's name, never the password (only its variable's name).
        mqtt = config.mqtt
        user = f" as {mqtt.username}" + (f" (password from ${mqtt.password_env})" if mqtt.password_env else "") \
            if mqtt.username else ""
        lines.append(f"  mqtt: {mqtt.broker}{user}, topic {mqtt.topic}")
    for tour in config.tours.values():
        stops = ", ".join(f"preset {stop.preset} ({stop.dwell:g} s)" for stop in tour.stops)
        speed = "" if tour.speed is None else f" at speed {tour.speed:g}"
        lines.append(f"  tour {tour.name}: camera {tour.camera}, {stops}{speed}{', looping' if tour.loop else ''}")
    if config.tours or any(binding.trace for binding in config.bindings):
        lines.append(f"  traces kept in {config.state_dir}")
    return "\n".join(lines)


def api_listeners(api: ApiConfig) -> str:
    """What the API listens on, in words (the token by its variable's name only)."""
    listening = [f"{what} on {where}" for what, where in (("http", api.http), ("osc", api.osc)) if where is not None]
    guard = f", token from ${api.token_env}" if api.token_env else ", no token"
    return (", ".join(listening) or "no listener") + guard + f", moves hold {api.hold:g} s"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _endpoint(camera: CameraConfig) -> str:
    link = camera.link
    if isinstance(link, HttpEndpoint):
        # Never the credentials: the url holds none (the loader refuses them there).
        return f" {link.url}{camera.options.summary()}"
    if isinstance(link, SerialLink):
        address = camera.options.bus_address
        return f" {link.device}{'' if address is None else f' address {address}'} at {link.baud} baud"
    return f" {_host_port(link.host, link.port)}"


def _host_port(host: str, port: int) -> str:
    """``HOST:PORT``, an IPv6 literal in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def input_source(device: InputConfig) -> str:
    """What an input listens to, after its type: `` port '*nano*'``, `` virtual port 'x'``,
    `` listening on 0.0.0.0:8000 from 192.168.1.0/24``, or ""."""
    if device.port is not None:
        return f" port {device.port!r}"
    if device.virtual is not None:
        return f" virtual port {device.virtual!r}"
    if device.listen is not None:
        allowed = f" from {', '.join(map(str, device.allow))}" if device.allow else ""
        return f" listening on {device.listen}{allowed}"
    return ""
