"""The API's commands as JSON objects, the one form the WebSocket and MQTT both take:
``{"cmd": "select" | "preset" | "move" | "stop" | "action", "camera": NAME, …}`` with the
HTTP body's keys (``"preset": N`` for presets, ``"pan": -1..1`` … for moves, ``"action"``,
``"mode"``, ``"level"`` for actions). ``camera`` defaults to ``selected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ptzmapd.api.remote import MOVE_AXES, RemoteClient, RemoteError

#: The ``cmd`` values, in the order messages list them.
COMMANDS = ("select", "preset", "move", "stop", "action")


def run_command(client: RemoteClient, command: Mapping[str, Any]) -> dict[str, Any]:
    """Carry out one command object for ``client``: ``{"selected": NAME}`` for a select,
    ``{"cameras": [NAME, …]}`` (the cameras reached) for the others. RemoteError (with the
    valid values) for an unknown ``cmd`` or anything the facade refuses."""
    cmd = command.get("cmd")
    camera = command.get("camera", "selected")
    if cmd == "select":
        return {"selected": client.remote.select(camera)}
    if cmd == "preset":
        store, clear = command.get("store", False), command.get("clear", False)
        if not isinstance(store, bool) or not isinstance(clear, bool):
            raise RemoteError("store and clear are true or false", field="store", valid=("true", "false"))
        return {"cameras": client.preset(camera, command.get("preset"), store=store, clear=clear)}
    if cmd == "move":
        return {"cameras": client.move(camera, {axis: command[axis] for axis in MOVE_AXES if axis in command})}
    if cmd == "stop":
        return {"cameras": client.stop(camera)}
    if cmd == "action":
        return {"cameras": client.action(camera, command.get("action"), command.get("mode"), command.get("level"))}
    raise RemoteError(f"no command {cmd!r}", field="cmd", valid=COMMANDS)
