"""The action names a binding can use (one list, read by the config validator and the mapper)."""

#: Actions that set a speed while the control is held or deflected.
MOTION_ACTIONS: tuple[str, ...] = ("pan", "tilt", "zoom", "focus")
#: Actions that fire once per press.
DISCRETE_ACTIONS: tuple[str, ...] = ("stop", "home", "preset", "select", "autofocus")
ACTIONS: tuple[str, ...] = MOTION_ACTIONS + DISCRETE_ACTIONS
