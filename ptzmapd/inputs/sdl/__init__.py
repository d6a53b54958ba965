"""Gamepads and joysticks through SDL2: the input (:mod:`.input`), the one pump thread
(:mod:`.pump`), device listing and ``match:`` (:mod:`.devices`), and the ctypes library
(:mod:`.library`).

Importing this package loads neither SDL nor pygame.
"""
