"""The control names a binding can use, per input type, known without loading any library.

Gamepad names are SDL's own GameController strings (what SDL's tools show), so a profile
written for one pad works on any pad SDL has a mapping for.
"""

GAMEPAD_AXES: tuple[str, ...] = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")
GAMEPAD_BUTTONS: tuple[str, ...] = (
    "a", "b", "x", "y", "back", "guide", "start", "leftstick", "rightstick",
    "leftshoulder", "rightshoulder", "dpup", "dpdown", "dpleft", "dpright",
    "misc1", "paddle1", "paddle2", "paddle3", "paddle4", "touchpad",
)
#: SDL's y axes are positive when pushed down (toward the player); above the inputs, + is up.
GAMEPAD_DOWN_POSITIVE: frozenset[str] = frozenset({"lefty", "righty"})
GAMEPAD_TRIGGERS: frozenset[str] = frozenset({"lefttrigger", "righttrigger"})
#: A joystick hat's value is SDL's bitmask.
HAT_DIRECTIONS: dict[str, int] = {"up": 1, "right": 2, "down": 4, "left": 8}
