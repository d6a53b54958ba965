"""The action names a binding can use: one table, read by the config validator, the mapper,
``ptzmapd send`` and each protocol's capabilities.
"""

#: Actions that set a speed while the control is held or deflected.
MOTION_ACTIONS: tuple[str, ...] = ("pan", "tilt", "zoom", "focus")
#: Actions that fire once per press.
DISCRETE_ACTIONS: tuple[str, ...] = ("stop", "home", "preset", "select", "autofocus")

#: Named camera functions (:class:`~ptzmapd.commands.CameraAction`) and their modes. A
#: ``direct`` mode takes a ``level:`` number. Where two protocols have the same function
#: (VISCA iris and Pelco iris, ISAPI one-push focus), the same name works on both.
NAMED_ACTIONS: dict[str, tuple[str, ...]] = {
    "power": ("on", "off"),
    "focus-mode": ("auto", "manual", "toggle"),
    "focus-lock": ("on", "off"),
    "white-balance": ("auto", "indoor", "outdoor", "one-push", "atw", "manual"),
    "white-balance-trigger": ("one-push",),
    "exposure": ("auto", "manual", "shutter-priority", "iris-priority", "bright"),
    "iris": ("up", "down", "reset", "direct", "open", "close"),
    "shutter": ("up", "down", "reset", "direct"),
    "gain": ("up", "down", "reset", "direct"),
    "bright": ("up", "down", "reset", "direct"),
    "backlight": ("on", "off"),
    "flip": ("on", "off"),
    "tally": ("on", "off"),
    "menu": ("open", "close", "up", "down", "left", "right", "enter", "back"),
    "save-settings": ("save",),
    "light": ("on", "off"),
    "wiper": ("on", "off"),
    "auto-tracking": ("on", "off"),
    "swing": ("on", "off"),
}

#: The raw action: protocol bytes or an HTTP request written in the config.
RAW_ACTION = "raw"

ACTIONS: tuple[str, ...] = MOTION_ACTIONS + DISCRETE_ACTIONS + tuple(NAMED_ACTIONS) + (RAW_ACTION,)
