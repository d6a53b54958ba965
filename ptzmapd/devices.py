"""``ptzmapd devices``: what is plugged in, in the words a config uses.

MIDI ports per API (for ``port:``), gamepads and joysticks as SDL sees them (for
``match:``: index, GUID, name), and serial ports (for ``device:``). Each section is read
independently: a missing API or library is reported in its section, never a traceback.
"""

from __future__ import annotations

from typing import Callable

from ptzmapd.errors import PtzmapdError


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
