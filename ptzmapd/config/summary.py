"""The summary ``ptzmapd check`` prints of a valid config: cameras, inputs, bindings per input."""

from __future__ import annotations

from collections import Counter

from ptzmapd.config.model import CameraConfig, Config, InputConfig


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
        lines.append(f"  input {device.name}: {device.type}{_source(device)}, {bound}")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _endpoint(camera: CameraConfig) -> str:
    options = camera.options
    if "url" in options:
        return f" {options['url']}" + (f" channel {options['channel']}" if camera.protocol == "isapi" else "")
    if "device" in options:
        address = f" address {options['address']}" if "address" in options else ""
        return f" {options['device']}{address} at {options.get('baud')} baud"
    if camera.host is None:
        return ""
    host = f"[{camera.host}]" if ":" in camera.host else camera.host  # IPv6 literal
    return f" {host}:{camera.port}" if camera.port is not None else f" {host}"


def _source(device: InputConfig) -> str:
    if device.port is not None:
        return f" port {device.port!r}"
    if device.virtual is not None:
        return f" virtual port {device.virtual!r}"
    return ""
