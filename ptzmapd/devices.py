"""``ptzmapd devices``: what is plugged in, in the words a config uses.

MIDI ports per API (for ``port:``), gamepads and joysticks as SDL sees them (for
``match:``: index, GUID, name), and serial ports (for ``device:``). Each section is read
independently: a missing API or library is reported in its section, never a traceback.

``ptzmapd devices --<protocol>`` also looks for network cameras of a protocol whose spec has
a :class:`~ptzmapd.protocols.spec.Discovery` (ONVIF's WS-Discovery): one probe to its
multicast group (or to one address), and every answer read for a few seconds.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Callable

from ptzmapd.errors import PtzmapdError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.spec import Found

#: Seconds answers to a discovery probe are awaited.
DISCOVERY_WAIT = 3.0
#: Hops a multicast probe may cross (the local network and one router, as WS-Discovery asks).
MULTICAST_TTL = 1


def discoverable() -> list[str]:
    """The protocols ``ptzmapd devices`` can look for on the network."""
    return [name for name in PROTOCOLS if PROTOCOLS[name].discovery is not None]


async def discover(protocol: str, target: tuple[str, int] | None = None, wait: float = DISCOVERY_WAIT) -> list[Found]:
    """The cameras of ``protocol`` that answer one probe within ``wait`` seconds, each once.

    The probe goes to the protocol's multicast group, or to ``target`` (one camera's address,
    as tests and routed networks need). OSError when no socket can be had.
    """
    discovery = PROTOCOLS[protocol].discovery
    if discovery is None:
        raise PtzmapdError(f"{protocol} cameras cannot be discovered (valid: {', '.join(discoverable())})")
    message_id, probe = discovery.probe()
    read = discovery.read
    found: dict[str, Found] = {}

    class Listener(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, address: tuple[str, int]) -> None:
            for camera in read(data, message_id):
                found.setdefault(camera.address, camera)

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Listener, local_addr=("0.0.0.0", 0), family=socket.AF_INET)
    try:
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)
        transport.sendto(probe, target or (discovery.group, discovery.port))
        await asyncio.sleep(wait)
    finally:
        transport.close()
    return list(found.values())


def network_section(protocol: str, target: tuple[str, int] | None = None, wait: float = DISCOVERY_WAIT) -> list[str]:
    discovery = PROTOCOLS[protocol].discovery
    assert discovery is not None
    where = f"{target[0]}:{target[1]}" if target else f"{discovery.group}:{discovery.port}"
    lines = [f"{discovery.what}, {protocol} ({discovery.config_key}:), asked at {where}:"]
    try:
        cameras = asyncio.run(discover(protocol, target, wait))
    except OSError as error:
        return [*lines, f"  cannot probe: {error.strerror or error}"]
    lines.extend(f"  {camera.address}" + (f" — {camera.name}" if camera.name else "") for camera in cameras)
    if not cameras:
        lines.append("  (none answered)")
    return lines


def midi_section() -> list[str]:
    import rtmidi

    from ptzmapd.inputs.midi.api import api_label, list_port_aliases, list_ports, midi_api_works
    from ptzmapd.inputs.midi.ports import describe_ports

    lines = ["MIDI (port: \"*glob*\" matches these names, and their JACK aliases):"]
    apis = [api for api in rtmidi.get_compiled_api() if api in (rtmidi.API_LINUX_ALSA, rtmidi.API_UNIX_JACK)]
    for api in apis or [rtmidi.API_UNSPECIFIED]:
        label = api_label(api)
        if not midi_api_works(api):
            lines.append(f"  {label}: not available here")
            continue
        try:
            inputs, outputs = list_ports(api)
        except PtzmapdError as error:
            lines.append(f"  {label}: {error}")
            continue
        aliases = list_port_aliases(api, [*inputs, *outputs])
        lines.append(f"  {label} inputs:  " + (describe_ports(inputs, aliases) if inputs else "(none)"))
        lines.append(f"  {label} outputs: " + (describe_ports(outputs, aliases) if outputs else "(none)"))
    return lines


def gamepad_section() -> list[str]:
    from ptzmapd.inputs.sdl.devices import list_devices

    lines = ["Gamepads and joysticks (match: index, GUID or \"*name glob*\"):"]
    devices = list_devices()
    if not devices:
        lines.append("  (none)")
    for device in devices:
        kind = "gamepad" if device.is_gamecontroller else "joystick"
        lines.append(
            f"  {device.index}: {device.name!r} guid {device.guid} — type {kind}; "
            f"{device.axes} axes, {device.buttons} buttons, {device.hats} hats"
            + (f" ({device.path})" if device.path else "")
        )
    return lines


def serial_section() -> list[str]:
    from serial.tools import list_ports

    lines = ["Serial ports (device:):"]
    ports = sorted(list_ports.comports(), key=lambda port: port.device)
    if not ports:
        lines.append("  (none)")
    for port in ports:
        description = "" if port.description in ("n/a", port.device) else f" — {port.description}"
        lines.append(f"  {port.device}{description}")
    return lines


SECTIONS: tuple[tuple[str, Callable[[], list[str]]], ...] = (
    ("MIDI", midi_section),
    ("gamepads", gamepad_section),
    ("serial", serial_section),
)


def report() -> str:
    out: list[str] = []
    for name, section in SECTIONS:
        try:
            out.extend(section())
        except Exception as error:  # a broken library must not hide the other sections
            out.append(f"{name}: cannot list ({error})")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
