"""The motion layer, per camera: how the speeds the mapping asks for become the speeds a camera
is sent — who drives each axis, the fine factor and the ``max_move`` watchdog (:mod:`.mixer`),
and the pure shapers it applies: ramps, speed steps with hysteresis, zoom-aware pan/tilt
speed and the lens estimate (:mod:`.shaping`).
"""
