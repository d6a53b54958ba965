"""The summary ``ptzmapd check`` prints of a valid config: cameras, inputs, bindings per input."""

from __future__ import annotations

from collections import Counter

from ptzmapd.config.model import CameraConfig, Config, HttpEndpoint, InputConfig, SerialLink


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
        lines.append(f"  input {device.name}: {device.type}{input_source(device)}, {bound}")
    for tour in config.tours.values():
        stops = ", ".join(f"preset {stop.preset} ({stop.dwell:g} s)" for stop in tour.stops)
        speed = "" if tour.speed is None else f" at speed {tour.speed:g}"
        lines.append(f"  tour {tour.name}: camera {tour.camera}, {stops}{speed}{', looping' if tour.loop else ''}")
    if config.tours or any(binding.trace for binding in config.bindings):
        lines.append(f"  traces kept in {config.state_dir}")
    return "\n".join(lines)


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
    host = f"[{link.host}]" if ":" in link.host else link.host  # IPv6 literal
    return f" {host}:{link.port}"


def input_source(device: InputConfig) -> str:
    """What an input listens to, after its type: `` port '*nano*'``, `` virtual port 'x'``, or ""."""
    if device.port is not None:
        return f" port {device.port!r}"
    if device.virtual is not None:
        return f" virtual port {device.virtual!r}"
    return ""
