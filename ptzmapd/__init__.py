"""ptzmapd: map MIDI surfaces, gamepads and joysticks onto PTZ camera commands."""

__version__ = "0.1.0"
