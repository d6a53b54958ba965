"""How the controller writes commands and wire bytes in its traces and messages."""

from __future__ import annotations

from ptzmapd.commands import CameraAction, Command, RawCommand


def command_kind(command: Command) -> str:
    """What a command is for a log line: ``PresetRecall``, ``tally on``, ``raw visca``."""
    if isinstance(command, CameraAction):
        return f"{command.name} {command.mode}"
    if isinstance(command, RawCommand):
        return f"raw {command.kind}".rstrip()
    return type(command).__name__


def wire_text(data: bytes, as_text: bool = True) -> str:
    """Bytes for a trace or a message: on a text wire (``Codec.text_wire``: HTTP requests
    and replies, and the readable messages HTTP codecs put in an ErrorReply) their text on
    one line when they are printable; binary protocols (``as_text=False``) always in hex, the
    way their specs print them, even when the bytes happen to be printable (``51`` is not ``Q``)."""
    if not data:
        return "(nothing)"
    if not as_text:
        return data.hex(" ").upper()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and all(char.isprintable() or char in "\r\n\t" for char in text):
        return " ".join(text.split())
    return data.hex(" ").upper()
