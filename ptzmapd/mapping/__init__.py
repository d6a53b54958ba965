"""The mapping layer: control events in, intents out (:mod:`.intents`).

One row per action (:mod:`.actions`); each binding compiled once from its row and owning its
state (:mod:`.bindings`); the mapper that routes an event to its bindings through the layers
(:mod:`.mapper`); reading a control's value (:mod:`.values`, :mod:`.midi_values` for values
that take several MIDI messages) and shaping an axis (:mod:`.curves`); what the mapping tells
its observers, such as the surface LEDs (:mod:`.observers`).
"""
