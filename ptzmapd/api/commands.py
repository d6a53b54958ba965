"""The API's commands as JSON objects, the one form the WebSocket and MQTT both take:
``{"cmd": "select" | "preset" | "move" | "stop" | "action" | "ping", "camera": NAME, …}``
with the HTTP body's keys (``"preset": N`` for presets, ``"pan": -1..1`` … for moves, ``"action"``,
``"mode"``, ``"level"`` for actions). ``camera`` defaults to ``selected``.

The keys each command takes are checked here for the HTTP routes too (:func:`refuse_unknown`,
:func:`preset_flags`), so a misspelt ``"stor": true`` is refused on every front end instead
of recalling the preset it meant to store.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ptzmapd.api.remote import RemoteClient, RemoteError

#: The ``cmd`` values, in the order messages list them. ``ping`` does nothing but be answered:
#: a page or script learns that the daemon still answers (a dead link need not close).
COMMANDS = ("select", "preset", "move", "stop", "action", "ping")
#: The flags of a preset command (an HTTP preset route's whole body).
PRESET_FLAGS = ("store", "clear")
#: What an action command takes besides ``cmd`` and ``camera`` (an HTTP action route's body).
ACTION_KEYS = ("action", "mode", "level")
#: Keys every command object may carry, whatever its ``cmd``.
ADDRESS_KEYS = ("cmd", "camera")


def refuse_unknown(keys: Collection[str], allowed: tuple[str, ...], what: str) -> None:
    """RemoteError (naming the first and the ``allowed`` keys) when ``keys`` has one that is
    not ``allowed``: ``what`` is the command in words (``"a preset"``)."""
    unknown = [key for key in keys if key not in allowed]
    if unknown:
        raise RemoteError(f"{what} takes no {unknown[0]!r}", field=str(unknown[0]), valid=allowed)


def preset_flags(body: Mapping[str, Any]) -> tuple[bool, bool]:
    """``store`` and ``clear`` of a preset command (False when absent); RemoteError for a
    value that is not true or false."""
    flags = []
    for key in PRESET_FLAGS:
        value = body.get(key, False)
        if not isinstance(value, bool):
            raise RemoteError(f"{key} must be true or false, not {value!r}", field=key, valid=("true", "false"))
        flags.append(value)
    return flags[0], flags[1]


def run_command(client: RemoteClient, command: Mapping[str, Any]) -> dict[str, Any]:
    """Carry out one command object for ``client``: ``{"selected": NAME}`` for a select,
    ``{}`` for a ping, ``{"cameras": [NAME, …]}`` (the cameras reached) for the others.
    RemoteError (with the valid values) for an unknown ``cmd``, a key the command does not
    take, or anything the facade refuses."""
    cmd = command.get("cmd")
    camera = command.get("camera", "selected")
    keys = [key for key in command if key not in ADDRESS_KEYS]
    if cmd == "select":
        return {"selected": client.remote.select(camera)}
    if cmd == "preset":
        refuse_unknown(keys, ("preset", *PRESET_FLAGS), "a preset")
        store, clear = preset_flags(command)
        return {"cameras": client.preset(camera, command.get("preset"), store=store, clear=clear)}
    if cmd == "move":
        # An unknown key is an unknown axis, refused by the facade with the axes it takes.
        return {"cameras": client.move(camera, {key: command[key] for key in keys})}
    if cmd == "stop":
        return {"cameras": client.stop(camera)}
    if cmd == "action":
        refuse_unknown(keys, ACTION_KEYS, "an action")
        return {"cameras": client.action(camera, command.get("action"), command.get("mode"), command.get("level"))}
    if cmd == "ping":
        return {}
    raise RemoteError(f"no command {cmd!r}", field="cmd", valid=COMMANDS)
